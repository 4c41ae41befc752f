// A task as written with its assignments, and one assignment: its facts,
// history, progress reports and the update form.
import { html, useState } from "../lib.js";
import { t, name, fmtDate, fmtTime, fmtNumber } from "../i18n.js";
import { useQuery, mutate, upload } from "../gql.js";
import { can } from "../session.js";
import { Page, Loading, ErrorBox, StatusBadge, Field, describedBy, fieldError, STATES } from "../ui.js";

export function TaskPage({ id }) {
  const { data, error, reload } = useQuery("Task", { id });
  const task = data?.node;
  if (!task) return html`<${Page} title=${t("taskTitle")}>${error ? html`<${ErrorBox} error=${error} retry=${reload} />` : html`<${Loading} />`}</${Page}>`;
  const d = task.document;
  return html`<${Page} title=${task.title} wide>
    <dl class="facts">
      <div><dt>${t("document")}</dt><dd>${d.number} – ${d.title} <span class="meta">${d.issuer}, ${t("issued", { date: fmtDate(d.issueDate) })}</span></dd></div>
      ${task.clause ? html`<div><dt>${t("clause")}</dt><dd>${task.clause}</dd></div>` : null}
      <div><dt>${t("deadlineWritten")}</dt><dd>${task.deadlineText}</dd></div>
      <div><dt>${t("dueResolved")}</dt><dd>${task.dueDate ? fmtDate(task.dueDate) : t("continuous")}</dd></div>
      <div><dt>${t("status")}</dt><dd><${StatusBadge} status=${task.status} /></dd></div>
    </dl>
    ${task.description ? html`<section aria-labelledby="as-written"><h2 id="as-written">${t("asWritten")}</h2><p class="prose">${task.description}</p></section>` : null}
    <section aria-labelledby="assignments">
      <h2 id="assignments">${t("assignments")}</h2>
      <table class="assignments" data-testid="assignments">
        <thead><tr><th scope="col">${t("unit")}</th><th scope="col">${t("role")}</th><th scope="col">${t("state")}</th>
          <th scope="col">${t("progress")}</th><th scope="col">${t("dueDate")}</th><th scope="col">${t("status")}</th></tr></thead>
        <tbody>${task.assignments.map((a) => html`<tr data-id=${a.id}>
          <th scope="row" data-label=${t("unit")}><a href=${"/app/assignments/" + encodeURIComponent(a.id)} class="unit">${name(a.orgUnit)}</a></th>
          <td data-label=${t("role")}>${t("role_" + a.role)}</td>
          <td data-label=${t("state")}>${t("state_" + a.state)}</td>
          <td data-label=${t("progress")}>${t("percent", { n: a.progress })}</td>
          <td data-label=${t("dueDate")}>${fmtDate(a.dueDate)}</td>
          <td data-label=${t("status")}><${StatusBadge} status=${a.status} /></td>
        </tr>`)}</tbody>
      </table>
    </section>
  </${Page}>`;
}

export function AssignmentPage({ id }) {
  const { data, error, reload } = useQuery("Assignment", { id });
  const a = data?.node;
  if (!a) return html`<${Page} title=${t("assignmentTitle")}>${error ? html`<${ErrorBox} error=${error} retry=${reload} />` : html`<${Loading} />`}</${Page}>`;
  const task = a.task;
  return html`<${Page} title=${t("assignmentOf", { unit: name(a.orgUnit), task: task.title })} wide>
    <p><a href=${"/app/tasks/" + encodeURIComponent(task.id)}>← ${t("backToTask")}</a></p>
    <div class="columns">
      <section aria-labelledby="facts" class="panel">
        <h2 id="facts">${t("assignmentTitle")}</h2>
        <dl class="facts" data-testid="facts">
          <div><dt>${t("document")}</dt><dd>${task.document.number}${task.clause ? ", " + task.clause : ""}</dd></div>
          <div><dt>${t("deadlineWritten")}</dt><dd>${task.deadlineText}</dd></div>
          <div><dt>${t("role")}</dt><dd>${t("role_" + a.role)}</dd></div>
          <div><dt>${t("state")}</dt><dd data-testid="state">${t("state_" + a.state)}</dd></div>
          <div><dt>${t("progress")}</dt><dd data-testid="progress">${t("percent", { n: a.progress })}</dd></div>
          <div><dt>${t("dueDate")}</dt><dd>${a.dueDate ? fmtDate(a.dueDate) : t("continuous")}</dd></div>
          ${a.originalDueDate && a.originalDueDate !== a.dueDate ? html`<div><dt>${t("originalDue")}</dt><dd>${fmtDate(a.originalDueDate)}</dd></div>` : null}
          ${a.completedOn ? html`<div><dt>${t("completedOn")}</dt><dd>${fmtDate(a.completedOn)}</dd></div>` : null}
          <div><dt>${t("status")}</dt><dd><${StatusBadge} status=${a.status} /></dd></div>
          <div><dt>${t("version")}</dt><dd data-testid="version">${a.version}</dd></div>
        </dl>
      </section>
      ${can("UPDATE_ASSIGNMENT", a.orgUnit.path)
        ? html`<${UpdateForm} key=${a.id} a=${a} />`
        : html`<p class="notice">${t("cannotUpdate")}</p>`}
    </div>
    <${Extensions} a=${a} onDone=${reload} />
    <${History} rows=${a.history} />
    <${Reports} reports=${a.progressReports} />
    ${can("UPDATE_ASSIGNMENT", a.orgUnit.path) ? html`<${ReportForm} key=${a.id} assignment=${a.id} onDone=${reload} />` : null}
  </${Page}>`;
}

// UpdateForm sends the version it was filled from; when someone saved in
// between, it says so with their values and keeps what was typed, now
// based on their version.
function UpdateForm({ a }) {
  const [v, setV] = useState({ state: a.state === "CANCELLED" ? "IN_PROGRESS" : a.state, progress: String(a.progress), completedOn: a.completedOn ?? "", note: "" });
  const [base, setBase] = useState(a.version);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState(null);
  const [failure, setFailure] = useState(null);
  const [conflict, setConflict] = useState(null);
  const [saved, setSaved] = useState(null);
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.value });

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setErrors(null); setFailure(null); setSaved(null);
    const input = { assignment: a.id, expectedVersion: base, state: v.state, note: v.note };
    if (v.progress !== "") input.progress = Number(v.progress);
    if (v.state === "DONE") input.completedOn = v.completedOn || null;
    try {
      const { updateAssignment: p } = await mutate("UpdateAssignment", { input });
      const clash = p.userErrors.find((x) => x.code === "CONFLICT" && x.field?.[x.field.length - 1] === "expectedVersion");
      if (clash && p.assignment) {
        setConflict(p.assignment);
        setBase(p.assignment.version);
      } else if (p.userErrors.length) {
        setErrors(p.userErrors);
      } else {
        setConflict(null);
        setSaved({ v: p.assignment.version, same: p.assignment.version === base });
        setBase(p.assignment.version);
        setV({ ...v, progress: String(p.assignment.progress), completedOn: p.assignment.completedOn ?? "", note: "" });
      }
    } catch (err) {
      setFailure(err);
    }
    setBusy(false);
  };
  const err = (f) => fieldError(errors, f);
  const other = errors?.filter((x) => !["state", "progress", "completedOn", "note"].includes(x.field?.[x.field.length - 1]));
  const last = conflict?.history?.[conflict.history.length - 1];
  return html`<section aria-labelledby="update" class="panel">
    <h2 id="update">${t("updateTitle")}</h2>
    ${conflict ? html`<div class="conflict" role="alert" data-testid="conflict">
      <h3>${t("conflictTitle")}</h3>
      <p>${t("conflictBody", { v: conflict.version })}</p>
      <ul>
        <li>${t("state")}: <strong>${t("state_" + conflict.state)}</strong></li>
        <li>${t("progress")}: <strong>${t("percent", { n: conflict.progress })}</strong></li>
        ${conflict.completedOn ? html`<li>${t("completedOn")}: <strong>${fmtDate(conflict.completedOn)}</strong></li>` : null}
        ${last?.note ? html`<li>${t("note")}: ${last.note}</li>` : null}
        ${last ? html`<li>${t("by")}: ${last.changedBy?.displayName ?? t("system")}, ${fmtTime(last.changedAt)}</li>` : null}
      </ul>
      <p>${t("conflictKeep", { v: conflict.version })}</p>
    </div>` : null}
    ${saved ? html`<p class="notice" role="status" data-testid="saved">${saved.same ? t("nothingChanged") : t("saved", { v: saved.v })}</p>` : null}
    ${other?.length ? html`<div class="error" role="alert">${other.map((x) => html`<p>${x.message}</p>`)}</div>` : null}
    <${ErrorBox} error=${failure} />
    <form onSubmit=${submit} novalidate data-testid="update-form">
      <${Field} id="state" label=${t("state")} error=${err("state")}>
        <select id="state" value=${v.state} onChange=${set("state")} aria-describedby=${describedBy("state", null, err("state"))}>
          ${STATES.filter((s) => s !== "CANCELLED").map((s) => html`<option value=${s} selected=${s === v.state}>${t("state_" + s)}</option>`)}
        </select>
      </${Field}>
      <${Field} id="progress" label=${t("progress") + " (%)"} error=${err("progress")}>
        <input id="progress" type="number" min="0" max="100" step="1" inputmode="numeric" value=${v.progress} onInput=${set("progress")}
          aria-invalid=${err("progress") ? "true" : undefined} aria-describedby=${describedBy("progress", null, err("progress"))} />
      </${Field}>
      ${v.state === "DONE" ? html`<${Field} id="completedOn" label=${t("completedOn")} error=${err("completedOn")}>
        <input id="completedOn" type="date" value=${v.completedOn} onInput=${set("completedOn")}
          aria-invalid=${err("completedOn") ? "true" : undefined} aria-describedby=${describedBy("completedOn", null, err("completedOn"))} />
      </${Field}>` : null}
      <${Field} id="note" label=${t("note")} hint=${t("noteHint")} error=${err("note")}>
        <textarea id="note" rows="3" maxlength="2000" value=${v.note} onInput=${set("note")}
          aria-invalid=${err("note") ? "true" : undefined} aria-describedby=${describedBy("note", true, err("note"))}></textarea>
      </${Field}>
      <button type="submit" class="primary" disabled=${busy}>${busy ? t("saving") : t("save")}</button>
    </form>
  </section>`;
}

function History({ rows }) {
  return html`<section aria-labelledby="history">
    <h2 id="history">${t("history")}</h2>
    ${!rows.length ? html`<p>${t("historyEmpty")}</p>` : html`<div class="scroll" role="region" aria-labelledby="history" tabindex="0">
      <table class="history" data-testid="history">
        <thead><tr><th scope="col">${t("version")}</th><th scope="col">${t("from")}</th><th scope="col">${t("state")}</th>
          <th scope="col">${t("progress")}</th><th scope="col">${t("dueDate")}</th><th scope="col">${t("note")}</th><th scope="col">${t("by")}</th></tr></thead>
        <tbody>${[...rows].reverse().map((h) => html`<tr>
          <td>${h.version}</td><td>${h.validFrom.startsWith("0001") ? "—" : fmtDate(h.validFrom)}</td>
          <td>${t("state_" + h.state)}${h.completedOn ? html`<span class="meta">${fmtDate(h.completedOn)}</span>` : null}</td>
          <td>${t("percent", { n: h.progress })}</td><td>${fmtDate(h.dueDate)}</td><td>${h.note}</td>
          <td>${h.changedBy?.displayName ?? t("system")}<span class="meta">${fmtTime(h.changedAt)}</span></td>
        </tr>`)}</tbody>
      </table></div>`}
  </section>`;
}

function Reports({ reports }) {
  return html`<section aria-labelledby="reports">
    <h2 id="reports">${t("reports")}</h2>
    ${!reports.length ? html`<p>${t("reportsEmpty")}</p>` : html`<ol class="reports">
      ${reports.map((r) => html`<li>
        <p class="meta">${fmtTime(r.reportedAt)} · ${r.author?.displayName ?? ""}</p>
        <p class="prose">${r.text}</p>
        ${r.files.length ? html`<ul class="files" aria-label=${t("files")}>${r.files.map((f) => html`<li>
          <a href=${f.url} download=${f.name}>${f.name}</a> <span class="meta">${f.size < 1024 ? fmtNumber(f.size) + " B" : fmtNumber(f.size / 1024, 0) + " KB"}</span></li>`)}</ul>` : null}
      </li>`)}
    </ol>`}
  </section>`;
}

// ReportForm sends a progress report with evidence files, showing the
// upload's progress.
function ReportForm({ assignment, onDone }) {
  const [text, setText] = useState("");
  const [files, setFiles] = useState([]);
  const [sent, setSent] = useState(null); // percent while sending
  const [errors, setErrors] = useState(null);
  const [done, setDone] = useState(false);
  const [formKey, setFormKey] = useState(0);
  const submit = async (e) => {
    e.preventDefault();
    setErrors(null); setDone(false); setSent(0);
    try {
      const { reportProgress: p } = await upload("ReportProgress", { input: { assignment, text } }, "input.files", files,
        (loaded, total) => setSent(total ? Math.round((100 * loaded) / total) : 0));
      if (p.userErrors.length) setErrors(p.userErrors);
      else {
        setText(""); setFiles([]); setDone(true); setFormKey((k) => k + 1);
        onDone();
      }
    } catch (err) {
      setErrors([{ message: err.message }]);
    }
    setSent(null);
  };
  const textError = fieldError(errors, "text");
  const other = errors?.filter((x) => x.field?.[x.field.length - 1] !== "text");
  return html`<section aria-labelledby="new-report" class="panel">
    <h2 id="new-report">${t("newReport")}</h2>
    ${done ? html`<p class="notice" role="status" data-testid="report-sent">${t("reportSent")}</p>` : null}
    ${other?.length ? html`<div class="error" role="alert">${other.map((x) => html`<p>${x.message}</p>`)}</div>` : null}
    <form key=${formKey} onSubmit=${submit} novalidate data-testid="report-form">
      <${Field} id="report-text" label=${t("reportText")} error=${textError}>
        <textarea id="report-text" rows="4" maxlength="5000" required value=${text} onInput=${(e) => setText(e.currentTarget.value)}
          aria-invalid=${textError ? "true" : undefined} aria-describedby=${describedBy("report-text", null, textError)}></textarea>
      </${Field}>
      <${Field} id="report-files" label=${t("files")} hint=${t("filesHint")}>
        <input id="report-files" type="file" multiple accept=".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.odt,.ods"
          aria-describedby="report-files-hint" onChange=${(e) => setFiles([...e.currentTarget.files])} />
      </${Field}>
      ${sent != null ? html`<p><label for="upload-progress">${t("uploading", { p: sent })}</label>
        <progress id="upload-progress" max="100" value=${sent}>${sent}%</progress></p>` : null}
      <button type="submit" class="primary" disabled=${sent != null}>${t("sendReport")}</button>
    </form>
  </section>`;
}

// Extensions: the requests for more time, the form to ask (the assignee)
// and the decision on a pending one (the assigning level).
function Extensions({ a, onDone }) {
  const pending = a.extensionRequests.find((r) => r.state === "PENDING");
  const mayAsk = can("REQUEST_EXTENSION", a.orgUnit.path) && !pending && a.state !== "DONE" && a.state !== "CANCELLED";
  const mayDecide = pending && can("DECIDE_EXTENSION", a.orgUnit.path);
  if (!a.extensionRequests.length && !mayAsk) return null;
  return html`<section aria-labelledby="extensions">
    <h2 id="extensions">${t("extensions")}</h2>
    ${a.extensionRequests.length ? html`<ul class="extensions" data-testid="extensions">${[...a.extensionRequests].reverse().map((r) => html`<li>
      <strong>${r.deadlineText}</strong> (${fmtDate(r.requestedDueDate)}) · <span class=${"badge ext-" + r.state}>${t("ext_" + r.state)}</span>
      <span class="meta">${t("extAsked", { who: r.requestedBy?.displayName ?? "", at: fmtTime(r.requestedAt) })}: ${r.reason}</span>
      ${r.decidedAt ? html`<span class="meta">${t("extDecided", { who: r.decidedBy?.displayName ?? "", at: fmtTime(r.decidedAt) })}${r.decisionNote ? ": " + r.decisionNote : ""}</span>` : null}
    </li>`)}</ul>` : null}
    ${mayAsk ? html`<${AskForm} a=${a} onDone=${onDone} />` : null}
    ${mayDecide ? html`<${DecideForm} r=${pending} onDone=${onDone} />` : null}
  </section>`;
}

// useSubmit runs a mutation whose payload has userErrors, keeping them and
// any failure, and calls ok with the payload when there are none.
function useSubmit(name, field, ok) {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState(null);
  const run = async (input) => {
    setBusy(true); setErrors(null);
    try {
      const p = (await mutate(name, { input }))[field];
      if (p.userErrors.length) setErrors(p.userErrors);
      else ok(p);
    } catch (err) {
      setErrors([{ message: err.message }]);
    }
    setBusy(false);
  };
  return { busy, errors, run };
}

function AskForm({ a, onDone }) {
  const [v, setV] = useState({ deadlineText: "", reason: "" });
  const { busy, errors, run } = useSubmit("RequestExtension", "requestDeadlineExtension", () => { setV({ deadlineText: "", reason: "" }); onDone(); });
  const err = (f) => fieldError(errors, f);
  const other = errors?.filter((x) => !["deadlineText", "reason"].includes(x.field?.[x.field.length - 1]));
  return html`<form class="panel" onSubmit=${(e) => { e.preventDefault(); run({ assignment: a.id, ...v }); }} novalidate data-testid="ask-form">
    <h3>${t("askTitle")}</h3>
    ${other?.length ? html`<div class="error" role="alert">${other.map((x) => html`<p>${x.message}</p>`)}</div>` : null}
    <${Field} id="ext-deadline" label=${t("newDeadline")} hint=${t("newDeadlineHint")} error=${err("deadlineText")}>
      <input id="ext-deadline" maxlength="200" value=${v.deadlineText} onInput=${(e) => setV({ ...v, deadlineText: e.currentTarget.value })}
        aria-invalid=${err("deadlineText") ? "true" : undefined} aria-describedby=${describedBy("ext-deadline", true, err("deadlineText"))} />
    </${Field}>
    <${Field} id="ext-reason" label=${t("reason")} error=${err("reason")}>
      <textarea id="ext-reason" rows="2" maxlength="2000" value=${v.reason} onInput=${(e) => setV({ ...v, reason: e.currentTarget.value })}
        aria-invalid=${err("reason") ? "true" : undefined} aria-describedby=${describedBy("ext-reason", null, err("reason"))}></textarea>
    </${Field}>
    <button type="submit" class="primary" disabled=${busy}>${t("askButton")}</button>
  </form>`;
}

function DecideForm({ r, onDone }) {
  const [note, setNote] = useState("");
  const { busy, errors, run } = useSubmit("DecideExtension", "decideDeadlineExtension", onDone);
  return html`<form class="panel" onSubmit=${(e) => e.preventDefault()} data-testid="decide-form">
    <h3>${t("decideTitle", { text: r.deadlineText })}</h3>
    ${errors ? html`<div class="error" role="alert">${errors.map((x) => html`<p>${x.message}</p>`)}</div>` : null}
    <${Field} id="ext-note" label=${t("note")}>
      <textarea id="ext-note" rows="2" maxlength="2000" value=${note} onInput=${(e) => setNote(e.currentTarget.value)}></textarea>
    </${Field}>
    <div class="actions">
      <button type="button" class="primary" disabled=${busy} onClick=${() => run({ request: r.id, approve: true, note })}>${t("approve")}</button>
      <button type="button" disabled=${busy} onClick=${() => run({ request: r.id, approve: false, note })}>${t("reject")}</button>
    </div>
  </form>`;
}
