// Reports: the files reportLinks gives for a period, per unit.
import { html, useState } from "../lib.js";
import { t, name, fmtTime, today } from "../i18n.js";
import { useQuery } from "../gql.js";
import { useLocation, navigate, href } from "../router.js";
import { Page, Loading, ErrorBox, Field } from "../ui.js";

// The last month ended, "YYYY-MM".
function lastMonth() {
  const [y, m] = today().split("-").map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, "0")}`;
}

export function ReportsPage() {
  const { params } = useLocation();
  const period = params.get("period") || lastMonth();
  const [typed, setTyped] = useState(period);
  const { data, error, reload } = useQuery("ReportLinks", { period });
  const submit = (e) => { e.preventDefault(); navigate(href("/app/reports", { period: typed.trim() })); };
  return html`<${Page} title=${t("reportsTitle")} wide>
    <form class="asof" onSubmit=${submit}>
      <${Field} id="period" label=${t("period")} hint=${t("periodHint")}>
        <input id="period" value=${typed} onInput=${(e) => setTyped(e.currentTarget.value)} aria-describedby="period-hint" maxlength="7" />
      </${Field}>
      <button type="submit" class="primary">${t("show")}</button>
    </form>
    ${error ? html`<${ErrorBox} error=${error} retry=${reload} />` : null}
    ${!data ? (error ? null : html`<${Loading} />`) : html`<div class="scroll" role="region" aria-label=${t("reportsTitle")} tabindex="0">
      <table class="report-links" data-testid="report-links">
        <thead><tr><th scope="col">${t("unit")}</th><th scope="col">${t("files")}</th><th scope="col">${t("frozen")}</th></tr></thead>
        <tbody>${data.reportLinks.map((r) => html`<tr>
          <th scope="row">${name(r.orgUnit)}</th>
          <td class="links">
            <a href=${r.xlsx} download aria-label=${`${name(r.orgUnit)} XLSX`}>XLSX</a>
            <a href=${r.pdf} download aria-label=${`${name(r.orgUnit)} PDF`}>PDF</a>
            <a href=${r.csv} download aria-label=${`${name(r.orgUnit)} CSV`}>CSV</a>
          </td>
          <td>${r.snapshot ? html`${fmtTime(r.snapshot.createdAt)}:
            <a href=${r.snapshot.xlsx} download>XLSX</a> <a href=${r.snapshot.pdf} download>PDF</a>` : "—"}</td>
        </tr>`)}</tbody>
      </table></div>`}
  </${Page}>`;
}
