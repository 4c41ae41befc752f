// Importing a document's tasks from an XLSX workbook (importTasks): a dry
// run first, showing the tasks as read and every bad cell; then the import,
// every row or none.
import { html, useState } from "../lib.js";
import { t, name, fmtDate, fmtNumber } from "../i18n.js";
import { useQuery, upload } from "../gql.js";
import { useLocation, navigate, href } from "../router.js";
import { Page, Loading, ErrorBox, Field } from "../ui.js";

// ImportPage imports into the document ?doc=ID, found first by its number
// or title (?q=…, without diacritics).
export function ImportPage() {
  const { params } = useLocation();
  const id = params.get("doc") ?? "", q = params.get("q") ?? "";
  const found = useQuery("FindDocuments", { search: q.trim() || null }, { skip: !!id });
  const chosen = useQuery("DocumentById", { id }, { skip: !id });
  const units = useQuery("Units", { kinds: ["MINISTRY", "PROVINCE"] }, { skip: !id });
  const [typed, setTyped] = useState(q);
  const doc = chosen.data?.node;
  const list = found.data?.documents;
  return html`<${Page} title=${t("importTitle")} wide>
    ${id ? html`
      <p><a href=${href("/app/import", { q })}>← ${t("importOtherDoc")}</a></p>
      ${chosen.error ? html`<${ErrorBox} error=${chosen.error} retry=${chosen.reload} />` : !doc ? html`<${Loading} />`
        : html`<${ImportForm} key=${doc.id} doc=${doc} units=${units.data?.orgUnits.nodes} />`}`
    : html`
      <form class="asof" role="search" onSubmit=${(e) => { e.preventDefault(); navigate(href("/app/import", { q: typed.trim() })); }}>
        <${Field} id="import-q" label=${t("importFindDoc")} hint=${t("importFindHint")}>
          <input id="import-q" type="search" value=${typed} maxlength="200" aria-describedby="import-q-hint" onInput=${(e) => setTyped(e.currentTarget.value)} />
        </${Field}>
        <button type="submit">${t("show")}</button>
      </form>
      ${found.error ? html`<${ErrorBox} error=${found.error} retry=${found.reload} />` : !list ? html`<${Loading} />` : html`
        <p class="count" role="status">${t("docsN", { n: fmtNumber(list.totalCount) })}</p>
        <ul class="doc-choices" data-testid="doc-choices">${list.nodes.map((d) => html`<li>
          <a href=${href("/app/import", { doc: d.id, q })}>${d.number}</a> – ${d.title}
          <span class="meta">${t("kind_" + d.kind)} · ${fmtDate(d.issueDate)}</span></li>`)}</ul>
        ${list.totalCount > list.nodes.length ? html`<p class="hint">${t("importNarrow", { n: fmtNumber(list.nodes.length) })}</p>` : null}`}`}
  </${Page}>`;
}

// unitNames names the codes (the units' list, when it has them), folding a
// long list into its count.
function unitNames(codes, units) {
  if (codes.length > 4) return t("unitsN", { n: codes.length });
  const byCode = Object.fromEntries((units ?? []).map((u) => [u.code, u]));
  return codes.map((c) => (byCode[c] ? name(byCode[c]) : c)).join("; ");
}

// ImportForm checks a file against the document (a dry run), then imports it.
export function ImportForm({ doc, units }) {
  const [file, setFile] = useState(null);
  const [checked, setChecked] = useState(null); // the dry run's payload
  const [done, setDone] = useState(null); // the import's payload
  const [failed, setFailed] = useState(null);
  const [sent, setSent] = useState(null);
  const [formKey, setFormKey] = useState(0);
  const run = async (dryRun) => {
    setSent(0); setFailed(null);
    if (dryRun) { setChecked(null); setDone(null); }
    try {
      const { importTasks: p } = await upload("ImportTasks", { input: { document: doc.id, dryRun } }, "input.file", file,
        (loaded, total) => setSent(total ? Math.round((100 * loaded) / total) : 0));
      if (dryRun || !p.imported) setChecked(p);
      if (p.imported) { setDone(p); setChecked(null); setFile(null); setFormKey((k) => k + 1); }
      // A bad row is in rowErrors; userErrors then says the same in one line.
      const other = p.userErrors.filter((e) => !(p.errorCount && e.field?.[e.field.length - 1] === "file"));
      if (other.length) setFailed(other.map((e) => e.message));
    } catch (err) {
      setFailed([err.message]);
    }
    setSent(null);
  };
  const ok = checked && !checked.errorCount && !checked.userErrors.length && checked.rowCount > 0;
  return html`<section class="card import-card" aria-labelledby="import-h" data-testid="import">
    <h2 id="import-h">${t("importInto", { number: doc.number })}</h2>
    <p class="hint">${t("importHint")}</p>
    ${done ? html`<div class="notice" role="status" data-testid="import-done">
      <p>${t("imported", { n: fmtNumber(done.tasks.length), m: fmtNumber(done.assignmentCount) })}</p>
      <p><a href=${href("/app/tasks", { doc: doc.id })}>${t("importedList", { number: doc.number })}</a></p>
    </div>` : null}
    ${failed ? html`<div class="error" role="alert">${failed.map((m) => html`<p>${m}</p>`)}</div>` : null}
    <form key=${formKey} onSubmit=${(e) => { e.preventDefault(); if (file) run(true); }} novalidate data-testid="import-form">
      <${Field} id="import-file" label=${t("importFile")} hint=${t("importFileHint")}>
        <input id="import-file" type="file" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          aria-describedby="import-file-hint" onChange=${(e) => { setFile(e.currentTarget.files[0] ?? null); setChecked(null); }} />
      </${Field}>
      ${sent != null ? html`<p><label for="import-progress">${t("uploading", { p: sent })}</label>
        <progress id="import-progress" max="100" value=${sent}>${sent}%</progress></p>` : null}
      <div class="actions">
        <button type="submit" disabled=${!file || sent != null}>${t("importCheck")}</button>
        ${ok ? html`<button type="button" class="primary" disabled=${sent != null} onClick=${() => run(false)} data-testid="import-commit">
          ${t("importCommit", { n: fmtNumber(checked.rowCount) })}</button>` : null}
      </div>
    </form>
    ${checked ? html`<${Preview} p=${checked} units=${units} />` : null}
  </section>`;
}

function Preview({ p, units }) {
  return html`<div data-testid="import-preview">
    <p class="count" role="status" data-testid="import-count">${p.errorCount
      ? t("importBad", { n: fmtNumber(p.rowCount), e: fmtNumber(p.errorCount) })
      : t("importGood", { n: fmtNumber(p.rowCount) })}</p>
    ${p.rowErrors.length ? html`<h3>${t("importErrors")}</h3>
      <div class="scroll" role="region" aria-label=${t("importErrors")} tabindex="0"><table class="row-errors" data-testid="import-errors">
        <thead><tr><th scope="col">${t("importRow")}</th><th scope="col">${t("importColumn")}</th><th scope="col">${t("importProblem")}</th></tr></thead>
        <tbody>${p.rowErrors.map((e) => html`<tr><td>${e.row}</td><td>${e.column}</td><td>${e.message}</td></tr>`)}</tbody>
      </table></div>` : null}
    ${p.rows.length ? html`<h3>${t("importRows")}</h3>
      <div class="scroll" role="region" aria-label=${t("importRows")} tabindex="0"><table class="import-rows" data-testid="import-rows">
        <thead><tr><th scope="col">${t("importRow")}</th><th scope="col">${t("clause")}</th><th scope="col">${t("taskText")}</th>
          <th scope="col">${t("deadlineWritten")}</th><th scope="col">${t("dueResolved")}</th><th scope="col">${t("leadUnit")}</th><th scope="col">${t("coordinating")}</th></tr></thead>
        <tbody>${p.rows.map((r) => html`<tr>
          <td>${r.row}</td><td>${r.number ?? ""}</td><td>${r.title}</td><td>${r.deadlineText}</td>
          <td>${r.dueDate ? fmtDate(r.dueDate) : t("continuous")}</td>
          <td>${unitNames(r.leads, units)}</td><td>${unitNames(r.coordinators, units)}</td>
        </tr>`)}</tbody>
      </table></div>
      ${p.rowCount > p.rows.length ? html`<p class="hint">${t("importMore", { n: fmtNumber(p.rows.length), total: fmtNumber(p.rowCount) })}</p>` : null}` : null}
  </div>`;
}
