// The standing agency enters a directing document, then its tasks, each
// with its deadline as written (previewed as the server reads it) and the
// units that carry it out.
import { html, useState, useEffect } from "../lib.js";
import { t, name, fmtDate, today } from "../i18n.js";
import { useQuery, mutate, request } from "../gql.js";
import { Page, Field, describedBy, fieldError, KINDS } from "../ui.js";
import { ImportForm } from "./import.js";

// useForm keeps a form's values and sends a mutation whose payload has
// userErrors; done(payload) runs when there are none.
function useForm(initial, name, field, done) {
  const [v, setV] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState(null);
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value });
  const send = async (input) => {
    setBusy(true); setErrors(null);
    try {
      const p = (await mutate(name, { input }))[field];
      if (p.userErrors.length) setErrors(p.userErrors);
      else { done(p); setV(initial); }
    } catch (e) {
      setErrors([{ field: [], message: e.message }]);
    }
    setBusy(false);
  };
  return { v, set, setV, busy, errors, send };
}

const Errors = ({ errors, fields }) => {
  const rest = errors?.filter((e) => !fields.includes(e.field?.[e.field.length - 1]));
  return rest?.length ? html`<div class="error" role="alert">${rest.map((e) => html`<p>${e.message}</p>`)}</div>` : null;
};

// input is a labelled text input bound to a form.
function input(f, id, key, label, extra = {}) {
  const err = fieldError(f.errors, key);
  return html`<${Field} id=${id} label=${label} hint=${extra.hint} error=${err}>
    <input id=${id} type=${extra.type ?? "text"} value=${f.v[key]} onInput=${f.set(key)} maxlength=${extra.max}
      aria-invalid=${err ? "true" : undefined} aria-describedby=${describedBy(id, extra.hint, err)} />
  </${Field}>`;
}

export function EntryDocumentPage() {
  const [doc, setDoc] = useState(null);
  const [tasks, setTasks] = useState([]);
  const f = useForm({ kind: "CHI_THI", number: "", issuedOn: today(), issuer: "Thủ tướng Chính phủ", title: "" },
    "CreateDocument", "createDocument", (p) => setDoc(p.document));
  const units = useQuery("Units", { kinds: ["MINISTRY", "PROVINCE"] }, { skip: !doc });
  const unitList = units.data?.orgUnits.nodes;
  return html`<${Page} title=${t("entryDocTitle")} wide>
    ${!doc ? html`<p><a href="/app/import">${t("importExisting")}</a></p>
    <form class="card" onSubmit=${(e) => { e.preventDefault(); f.send(f.v); }} novalidate data-testid="doc-form">
      <${Errors} errors=${f.errors} fields=${["kind", "number", "issuedOn", "issuer", "title"]} />
      <div class="grid2">
        <${Field} id="doc-kind" label=${t("docKind")}>
          <select id="doc-kind" value=${f.v.kind} onChange=${f.set("kind")}>
            ${KINDS.map((k) => html`<option value=${k} selected=${k === f.v.kind}>${t("kind_" + k)}</option>`)}
          </select>
        </${Field}>
        ${input(f, "doc-number", "number", t("docNumber"), { hint: "99/CT-TTg", max: 50 })}
        ${input(f, "doc-date", "issuedOn", t("docDate"), { type: "date" })}
        ${input(f, "doc-issuer", "issuer", t("docIssuer"), { max: 200 })}
      </div>
      ${input(f, "doc-title", "title", t("docTitle"), { max: 1000 })}
      <button type="submit" class="primary" disabled=${f.busy}>${t("createDoc")}</button>
    </form>` : html`<p class="notice" role="status" data-testid="doc-made">${t("docMade", { number: doc.number })}</p>
      ${tasks.length ? html`<ol class="made" data-testid="tasks-made">${tasks.map((x) => html`<li>
        <a href=${"/app/tasks/" + encodeURIComponent(x.task.id)}>${x.task.title}</a>
        <span class="meta">${x.task.deadlineText} · ${x.task.dueDate ? fmtDate(x.task.dueDate) : t("continuous")} · ${t("assignedN", { n: x.assignments })}</span></li>`)}</ol>` : null}
      <${TaskForm} doc=${doc} units=${unitList} onMade=${(x) => setTasks([...tasks, x])} />
      <${ImportForm} doc=${doc} units=${unitList} />`}
  </${Page}>`;
}

function TaskForm({ doc, units, onMade }) {
  const blank = { clause: "", title: "", deadlineText: "", lead: "", allProvinces: false, allMinistries: false };
  const [v, setV] = useState(blank);
  const [preview, setPreview] = useState(null);
  const [errors, setErrors] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value });
  // The deadline as the server reads it, while it is typed.
  useEffect(() => {
    const text = v.deadlineText.trim();
    if (!text) { setPreview(null); return; }
    const timer = setTimeout(() => request("ParseDeadline", { text }).then(
      (d) => setPreview({ ok: d.parseDeadline }), (e) => setPreview({ error: e.message })), 300);
    return () => clearTimeout(timer);
  }, [v.deadlineText]);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setErrors(null);
    try {
      // Made, then assigned: the API's two mutations.
      const { createTask: c } = await mutate("CreateTask", { input: { document: doc.id, clause: v.clause, title: v.title, deadlineText: v.deadlineText } });
      if (c.userErrors.length) { setErrors(c.userErrors); setBusy(false); return; }
      const { assignTask: a } = await mutate("AssignTask", { input: { task: c.task.id, lead: v.lead ? [v.lead] : [],
        allProvinces: v.allProvinces, allMinistries: v.allMinistries } });
      if (a.userErrors.length) setErrors(a.userErrors);
      onMade({ task: c.task, assignments: a.assignments?.length ?? 0 });
      setV(blank);
    } catch (err) {
      setErrors([{ field: [], message: err.message }]);
    }
    setBusy(false);
  };
  const err = (k) => fieldError(errors, k);
  const f = { v, set, errors };
  return html`<form class="card" onSubmit=${submit} novalidate data-testid="task-form">
    <h2>${t("addTask", { number: doc.number })}</h2>
    <${Errors} errors=${errors} fields=${["clause", "title", "deadlineText"]} />
    <div class="grid2">
      ${input(f, "task-clause", "clause", t("clause"), { hint: "Mục II.1.a", max: 100 })}
      <${Field} id="task-deadline" label=${t("deadlineWritten")} hint=${t("deadlineHint")} error=${err("deadlineText")}>
        <input id="task-deadline" value=${v.deadlineText} onInput=${set("deadlineText")} maxlength="200"
          aria-invalid=${err("deadlineText") ? "true" : undefined} aria-describedby=${describedBy("task-deadline", true, err("deadlineText")) + " task-deadline-preview"} />
        <p class="hint" id="task-deadline-preview" aria-live="polite" data-testid="deadline-preview">${preview?.ok
          ? t("deadlineReads", { date: preview.ok.dueDate ? fmtDate(preview.ok.dueDate) : t("continuous") })
          : preview?.error ?? ""}</p>
      </${Field}>
    </div>
    ${input(f, "task-title", "title", t("taskText"), { max: 1000 })}
    <div class="grid2">
      <${Field} id="task-lead" label=${t("leadUnit")}>
        <select id="task-lead" value=${v.lead} onChange=${set("lead")}>
          <option value="">—</option>
          ${(units ?? []).map((u) => html`<option value=${u.code} selected=${u.code === v.lead}>${name(u)}</option>`)}
        </select>
      </${Field}>
      <fieldset class="checks"><legend>${t("coordinating")}</legend>
        <label><input type="checkbox" id="task-all-provinces" checked=${v.allProvinces} onChange=${set("allProvinces")} /> ${t("allProvinces")}</label>
        <label><input type="checkbox" id="task-all-ministries" checked=${v.allMinistries} onChange=${set("allMinistries")} /> ${t("allMinistries")}</label>
      </fieldset>
    </div>
    <button type="submit" class="primary" disabled=${busy}>${t("createTask")}</button>
  </form>`;
}
