// Indicator targets: one unit and one period (a month, quarter or year),
// every indicator that can have a target for it, the unit's own target
// beside a field to change or clear it; saved all or none (setTargets).
import { html, useState, useEffect, useLayoutEffect } from "../lib.js";
import { t, name, fmtNumber, fmtTime, today } from "../i18n.js";
import { useQuery, mutate } from "../gql.js";
import { useLocation, navigate, href } from "../router.js";
import { useSession, can } from "../session.js";
import { Page, Loading, ErrorBox, Field } from "../ui.js";

const ORDER = { MONTH: 0, QUARTER: 1, YEAR: 2 };
// periodType of "2024-01", "2024Q1", "2024"; null when it is none.
const typeOf = (p) => (/^\d{4}-(0[1-9]|1[0-2])$/.test(p) ? "MONTH" : /^\d{4}Q[1-4]$/.test(p) ? "QUARTER" : /^\d{4}$/.test(p) ? "YEAR" : null);

export function TargetsPage() {
  const me = useSession();
  const { params } = useLocation();
  const home = me.permissions.find((p) => p.permission === "CONFIGURE_KPI")?.orgUnits[0]?.code ?? me.orgUnit.code;
  const unit = params.get("unit") || home;
  const period = params.get("period") || today().slice(0, 4);
  const [form, setForm] = useState({ unit, period });
  useEffect(() => setForm({ unit, period }), [unit, period]);
  const units = useQuery("Units", { kinds: ["NATIONAL", "MINISTRY", "PROVINCE"] });
  const type = typeOf(period);
  const { data, error, reload } = useQuery("TargetsGrid", { unit, period }, { skip: !type });
  const [cells, setCells] = useState({});
  const [errors, setErrors] = useState(null);
  const [saved, setSaved] = useState(null);
  const [busy, setBusy] = useState(false);

  const rows = (data?.indicators ?? []).filter((i) => ORDER[i.periodType] <= ORDER[type]);
  const current = Object.fromEntries((data?.kpiTargets ?? []).map((x) => [x.indicator.id, x]));
  useLayoutEffect(() => { setCells({}); setErrors(null); }, [data]); // before anyone can type (see indicators.js)
  const unitRow = units.data?.orgUnits.nodes.find((u) => u.code === unit);
  const mayEdit = unitRow ? can("CONFIGURE_KPI", unitRow.path ?? "") : false;

  // changed: the rows whose field differs from the target saved.
  const changed = rows.filter((i) => i.id in cells && cells[i.id].trim() !== (current[i.id] ? String(current[i.id].value) : ""));
  const save = async () => {
    if (!changed.length) return;
    setBusy(true); setErrors(null); setSaved(null);
    try {
      const targets = changed.map((i) => ({ indicator: i.id, orgUnit: unit, period, value: cells[i.id].trim() === "" ? null : Number(cells[i.id]) }));
      const { setTargets: p } = await mutate("SetTargets", { input: { targets } });
      if (p.userErrors.length) {
        // targets.<index>.value → that row.
        setErrors(p.userErrors.map((e) => {
          const k = e.field.indexOf("targets");
          const at = k >= 0 ? Number(e.field[k + 1]) : NaN;
          return { id: Number.isInteger(at) ? changed[at]?.id : null, message: e.message };
        }));
      } else {
        setSaved(p.count);
        reload();
      }
    } catch (e) {
      setErrors([{ id: null, message: e.message }]);
    }
    setBusy(false);
  };
  const rowError = (id) => errors?.find((e) => e.id === id)?.message;
  const general = errors?.filter((e) => !e.id || !rows.some((i) => i.id === e.id));

  return html`<${Page} title=${t("targetsTitle")} wide>
    <form class="asof" onSubmit=${(e) => { e.preventDefault(); navigate(href("/app/targets", { unit: form.unit, period: form.period.trim() })); }}>
      <${Field} id="targets-unit" label=${t("unit")}>
        <select id="targets-unit" value=${form.unit} onChange=${(e) => setForm({ ...form, unit: e.currentTarget.value })}>
          ${(units.data?.orgUnits.nodes ?? [{ code: unit, name: unit }]).map((u) => html`<option value=${u.code} selected=${u.code === form.unit}>${name(u)}</option>`)}
        </select>
      </${Field}>
      <${Field} id="targets-period" label=${t("period")} hint=${t("periodHint")}>
        <input id="targets-period" value=${form.period} maxlength="7" aria-describedby="targets-period-hint"
          onInput=${(e) => setForm({ ...form, period: e.currentTarget.value })} />
      </${Field}>
      <button type="submit">${t("show")}</button>
    </form>
    <p class="hint">${unit === "VN" ? t("targetsNational") : t("targetsOwn")}</p>
    ${!type ? html`<div class="error" role="alert"><p>${t("badPeriod", { period })}</p></div>` : null}
    ${saved != null ? html`<p class="notice" role="status" data-testid="targets-saved">${t("targetsSaved", { n: saved })}</p>` : null}
    ${general?.length ? html`<div class="error" role="alert">${general.map((e) => html`<p>${e.message}</p>`)}</div>` : null}
    ${!type ? null : error ? html`<${ErrorBox} error=${error} retry=${reload} />` : !data ? html`<${Loading} />` : html`
    <form onSubmit=${(e) => { e.preventDefault(); save(); }} novalidate data-testid="targets-grid">
      <div class="scroll" role="region" aria-label=${t("targetsTitle")} tabindex="0">
      <table class="entry targets">
        <thead><tr><th scope="col">${t("indicator")}</th><th scope="col">${t("targetNow")}</th><th scope="col">${t("targetNew")}</th></tr></thead>
        <tbody>${rows.map((i) => {
          const id = "tg-" + i.code.replace(/\W/g, "_"), now = current[i.id], err = rowError(i.id);
          return html`<tr data-code=${i.code} class=${err ? "bad" : ""}>
            <th scope="row"><label for=${id}>${name(i)}</label><span class="meta">${i.code} · ${i.unit} · ${t("period_" + i.periodType)} · ${t("dir_" + i.direction)}</span></th>
            <td data-testid="target-now">${now ? html`${fmtNumber(now.value, 2)}<span class="meta">${fmtTime(now.updatedAt)}</span>` : "—"}</td>
            <td><input id=${id} type="number" step="any" inputmode="decimal" disabled=${!mayEdit}
                value=${i.id in cells ? cells[i.id] : now ? String(now.value) : ""}
                onInput=${(e) => { const typed = e.currentTarget.value; setCells((cs) => ({ ...cs, [i.id]: typed })); }}
                aria-invalid=${err ? "true" : undefined} aria-describedby=${err ? id + "-msg" : undefined} />
              ${err ? html`<p class="field-error" id=${id + "-msg"}>${err}</p>` : null}</td>
          </tr>`;
        })}</tbody>
      </table></div>
      ${mayEdit ? html`<div class="actions">
        <button type="submit" class="primary" disabled=${busy || !changed.length}>${t("saveTargets", { n: changed.length })}</button>
        <span class="hint">${t("targetsClearHint")}</span>
      </div>` : html`<p class="notice">${t("cannotSetTargets")}</p>`}
    </form>`}
  </${Page}>`;
}
