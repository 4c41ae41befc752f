// Indicator values: the entry grid of one unit and month (every indicator
// the unit reports, all saved or none, problems inline, jumps to confirm),
// and the queue of values awaiting approval or acceptance.
import { html, useState, useEffect, useLayoutEffect } from "../lib.js";
import { t, name, fmtNumber, fmtTime, today } from "../i18n.js";
import { useQuery, mutate } from "../gql.js";
import { useLocation, navigate, href } from "../router.js";
import { useSession, can, holds } from "../session.js";
import { Page, Loading, ErrorBox, Field } from "../ui.js";

const LOCKED = ["APPROVED", "ACCEPTED"];
const twoInputs = (k) => k === "RATIO" || k === "PERCENT";

function lastMonth() {
  const [y, m] = today().split("-").map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, "0")}`;
}

// cells are the inputs of a row, as typed (strings).
const cellsOf = (v) => ({
  value: v?.value != null ? String(v.value) : "",
  numerator: v?.numerator != null ? String(v.numerator) : "",
  denominator: v?.denominator != null ? String(v.denominator) : "",
});

export function EntryPage() {
  const me = useSession();
  const { params } = useLocation();
  const unit = me.orgUnit;
  const period = /^\d{4}-\d{2}$/.test(params.get("period") ?? "") ? params.get("period") : lastMonth();
  const { data, error, reload } = useQuery("EntryGrid", { unit: unit.code, period });
  const [cells, setCells] = useState({});
  const [problems, setProblems] = useState({});
  const [warnings, setWarnings] = useState(null);
  const [other, setOther] = useState(null);
  const [saved, setSaved] = useState(null);
  const [busy, setBusy] = useState(false);

  const rows = (data?.indicators ?? []).filter((i) => i.periodType === "MONTH" && i.reportingUnitKinds.includes(unit.kind));
  const values = Object.fromEntries((data?.dataValues.nodes ?? []).filter((v) => v.orgUnit.code === unit.code).map((v) => [v.indicator.id, v]));
  // The grid shows the values read as soon as they are drawn: reset before
  // anyone can type (a layout effect; a plain effect runs a frame later and
  // wiped what was typed meanwhile).
  useLayoutEffect(() => {
    setCells(Object.fromEntries(rows.map((i) => [i.id, cellsOf(values[i.id])])));
    setProblems({}); setWarnings(null);
  }, [data]);
  // From the cells as they are, not as this render saw them: two inputs
  // before the next render keep both.
  const set = (id, k) => (e) => {
    const typed = e.currentTarget.value;
    setCells((cs) => ({ ...cs, [id]: { ...(cs[id] ?? cellsOf(values[id])), [k]: typed } }));
  };

  const send = async (submit, confirmJumps = false) => {
    const sent = [];
    const input = [];
    for (const i of rows) {
      const c = cells[i.id], v = values[i.id];
      if (!c || LOCKED.includes(v?.state)) continue;
      const filled = twoInputs(i.kind) ? c.numerator !== "" || c.denominator !== "" : c.value !== "";
      if (!filled) continue;
      const x = { indicator: i.id, orgUnit: unit.code, period, expectedVersion: v?.version ?? 0 };
      if (twoInputs(i.kind)) { x.numerator = Number(c.numerator); x.denominator = Number(c.denominator); }
      else x.value = Number(c.value);
      input.push(x); sent.push(i.id);
    }
    if (!input.length) return;
    setBusy(true); setSaved(null); setOther(null);
    try {
      const { submitDataValues: p } = await mutate("SubmitValues", { input: { values: input, submit, confirmJumps } });
      const at = (list) => Object.fromEntries(list.map((x) => [sent[x.index], x.message]));
      setProblems(at(p.problems));
      // The warnings' own userError (on confirmJumps) is what the warning box says.
      const others = p.userErrors.filter((e) => !(p.warnings.length && e.field?.[e.field.length - 1] === "confirmJumps"));
      if (others.length) setOther(others.map((e) => e.message));
      if (p.warnings.length && !p.values.length) setWarnings({ submit, messages: at(p.warnings) });
      else setWarnings(null);
      if (p.values.length) { setSaved({ submit, n: p.values.length }); reload(); }
    } catch (e) {
      setOther([e.message]);
    }
    setBusy(false);
  };

  const mayEnter = can("ENTER_KPI", unit.path);
  return html`<${Page} title=${t("entryTitle", { unit: name(unit), period })} wide>
    <form class="asof" onSubmit=${(e) => { e.preventDefault(); navigate(href("/app/indicators", { period: e.currentTarget.elements.period.value })); }}>
      <${Field} id="period" label=${t("period")}>
        <input id="period" name="period" type="month" value=${period} />
      </${Field}>
      <button type="submit">${t("show")}</button>
    </form>
    ${!mayEnter ? html`<p class="notice">${t("cannotEnter")}</p>` : null}
    ${saved ? html`<p class="notice" role="status" data-testid="values-saved">${saved.submit ? t("valuesSubmitted", saved) : t("valuesSaved", saved)}</p>` : null}
    ${other ? html`<div class="error" role="alert">${other.map((m) => html`<p>${m}</p>`)}</div>` : null}
    ${Object.keys(problems).length ? html`<div class="error" role="alert"><p>${t("valuesProblems", { n: Object.keys(problems).length })}</p></div>` : null}
    ${warnings ? html`<div class="conflict" role="alert" data-testid="jump-warning">
      <p>${t("jumpWarning", { n: Object.keys(warnings.messages).length })}</p>
      <button type="button" class="primary" disabled=${busy} onClick=${() => send(warnings.submit, true)}>${t("confirmJumps")}</button>
    </div>` : null}
    ${error ? html`<${ErrorBox} error=${error} retry=${reload} />` : !data ? html`<${Loading} />` : html`
    <form onSubmit=${(e) => e.preventDefault()} data-testid="entry-grid">
      <div class="scroll" role="region" aria-label=${t("entryTitle", { unit: name(unit), period })} tabindex="0">
      <table class="entry">
        <thead><tr><th scope="col">${t("indicator")}</th><th scope="col">${t("figure")}</th><th scope="col">${t("state")}</th></tr></thead>
        <tbody>${rows.map((i) => {
          const v = values[i.id], c = cells[i.id] ?? cellsOf(v), locked = LOCKED.includes(v?.state) || !mayEnter;
          const msg = problems[i.id] ?? warnings?.messages[i.id];
          const id = "v-" + i.code.replace(/\W/g, "_");
          return html`<tr data-code=${i.code} class=${problems[i.id] ? "bad" : warnings?.messages[i.id] ? "warn" : ""}>
            <th scope="row"><label for=${id}>${name(i)}</label><span class="meta">${i.code} · ${i.unit}</span></th>
            <td>${twoInputs(i.kind) ? html`<span class="pair">
                <input id=${id} type="number" step="any" inputmode="decimal" value=${c.numerator} disabled=${locked} onInput=${set(i.id, "numerator")} aria-label=${name(i) + ": " + t("numerator")} aria-describedby=${msg ? id + "-msg" : undefined} />
                <span aria-hidden="true">/</span>
                <input type="number" step="any" inputmode="decimal" value=${c.denominator} disabled=${locked} onInput=${set(i.id, "denominator")} aria-label=${name(i) + ": " + t("denominator")} />
              </span>`
              : html`<input id=${id} type="number" step="any" inputmode="decimal" value=${c.value} disabled=${locked} onInput=${set(i.id, "value")} aria-describedby=${msg ? id + "-msg" : undefined} />`}
              ${msg ? html`<p class=${problems[i.id] ? "field-error" : "hint warn"} id=${id + "-msg"}>${msg}</p>` : null}</td>
            <td>${v ? html`<span class=${"badge val-" + v.state}>${t("val_" + v.state)}</span>${v.reason ? html`<span class="meta">${v.reason}</span>` : null}` : "—"}</td>
          </tr>`;
        })}</tbody>
      </table></div>
      ${mayEnter ? html`<div class="actions">
        <button type="button" disabled=${busy} onClick=${() => send(false)}>${t("saveDraft")}</button>
        <button type="button" class="primary" disabled=${busy} onClick=${() => send(true)}>${t("submitValues")}</button>
      </div>` : null}
    </form>`}
  </${Page}>`;
}

// ApprovalsPage lists the values awaiting the caller: SUBMITTED for an
// approver, APPROVED for a coordinator who accepts.
export function ApprovalsPage() {
  const me = useSession();
  const accept = !holds(me, "APPROVE_KPI") && holds(me, "ACCEPT_KPI");
  const state = accept ? "APPROVED" : "SUBMITTED";
  const { data, error, reload } = useQuery("ValueQueue", { states: [state], after: null });
  const [chosen, setChosen] = useState(new Set());
  const [busy, setBusy] = useState(false);
  const [msgs, setMsgs] = useState(null);
  const list = data?.dataValues;
  const decide = async (ids) => {
    setBusy(true); setMsgs(null);
    try {
      const d = await mutate("DecideValues", { ids: { values: ids }, accept });
      const p = accept ? d.acceptDataValues : d.approveDataValues;
      const problems = [...p.userErrors, ...p.problems].map((x) => x.message);
      setMsgs(problems.length ? problems : null);
      setChosen(new Set());
      reload();
    } catch (e) {
      setMsgs([e.message]);
    }
    setBusy(false);
  };
  const toggle = (id) => { const s = new Set(chosen); s.has(id) ? s.delete(id) : s.add(id); setChosen(s); };
  return html`<${Page} title=${t(accept ? "acceptTitle" : "approveTitle")} wide>
    ${msgs ? html`<div class="error" role="alert">${msgs.map((m) => html`<p>${m}</p>`)}</div>` : null}
    ${error ? html`<${ErrorBox} error=${error} retry=${reload} />` : !list ? html`<${Loading} />` : html`
      <p class="count" role="status" data-testid="queue-count">${t("queueCount", { n: fmtNumber(list.totalCount) })}</p>
      ${list.nodes.length ? html`<div class="actions">
        <button type="button" class="primary" disabled=${busy || !chosen.size} onClick=${() => decide([...chosen])}>${t(accept ? "acceptN" : "approveN", { n: chosen.size })}</button>
        <button type="button" disabled=${busy} onClick=${() => decide(list.nodes.map((v) => v.id))}>${t(accept ? "acceptAll" : "approveAll", { n: list.nodes.length })}</button>
      </div>
      <div class="scroll" role="region" aria-label=${t("queue")} tabindex="0"><table class="queue" data-testid="queue">
        <thead><tr><th scope="col"><span class="sr-only">${t("choose")}</span></th><th scope="col">${t("indicator")}</th><th scope="col">${t("unit")}</th>
          <th scope="col">${t("period")}</th><th scope="col">${t("figure")}</th><th scope="col">${t("by")}</th></tr></thead>
        <tbody>${list.nodes.map((v) => html`<tr>
          <td><input type="checkbox" id=${"q-" + v.id} checked=${chosen.has(v.id)} onChange=${() => toggle(v.id)} /></td>
          <th scope="row"><label for=${"q-" + v.id}>${name(v.indicator)}</label><span class="meta">${v.indicator.code}</span></th>
          <td>${name(v.orgUnit)}</td><td>${v.period}</td>
          <td>${v.value != null ? fmtNumber(v.value, 2) : `${fmtNumber(v.numerator, 2)} / ${fmtNumber(v.denominator, 2)}`} ${v.indicator.unit}</td>
          <td>${v.enteredBy?.displayName ?? ""}<span class="meta">${fmtTime(v.submittedAt)}</span></td>
        </tr>`)}</tbody>
      </table></div>` : html`<p>${t("queueEmpty")}</p>`}`}
  </${Page}>`;
}
