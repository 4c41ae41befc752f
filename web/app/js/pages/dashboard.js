// The dashboard: the national one for those who read the whole country,
// the unit's own for a ministry or a province. Every figure links to the
// task list filtered to what it counts.
import { html, useState, useMemo } from "../lib.js";
import { t, name, lang, fmtDate, fmtNumber, today } from "../i18n.js";
import { useQuery } from "../gql.js";
import { useLocation, navigate, href } from "../router.js";
import { useSession, isNational } from "../session.js";
import { Page, Loading, ErrorBox, STATUSES } from "../ui.js";

export const REVIEW_DATE = "2023-12-21";

// taskLink is the task list counting what a figure counts.
const taskLink = (asOf, unit, status) => href("/app/tasks", { asOf, status, assignee: unit ?? "" });

export function Dashboard() {
  const me = useSession();
  const { params } = useLocation();
  const national = isNational(me);
  const unit = national ? null : me.orgUnit.code;
  const asOf = /^\d{4}-\d{2}-\d{2}$/.test(params.get("asOf") ?? "") ? params.get("asOf") : today();
  const setAsOf = (d) => navigate(href("/app/", { asOf: d }), { replace: true });
  const title = national ? t("dashboardTitle") : t("unitDashboardTitle", { unit: name(me.orgUnit) });

  return html`<${Page} title=${title} wide>
    <form class="asof" onSubmit=${(e) => e.preventDefault()}>
      <label for="asof">${t("asOf")}</label>
      <input id="asof" type="date" value=${asOf} max=${today()} onChange=${(e) => e.currentTarget.value && setAsOf(e.currentTarget.value)} />
      <button type="button" aria-pressed=${asOf === REVIEW_DATE} onClick=${() => setAsOf(REVIEW_DATE)}>${t("reviewDate")}</button>
      <button type="button" aria-pressed=${asOf === today()} onClick=${() => setAsOf(today())}>${t("today")}</button>
    </form>
    <${Summary} asOf=${asOf} unit=${unit} />
    <div class="columns">
      <${Overdue} asOf=${asOf} unit=${unit} />
      <${KpiTiles} asOf=${asOf} unit=${unit ?? "VN"} />
    </div>
    ${national ? html`<${Compare} asOf=${asOf} />` : html`<${Completeness} asOf=${asOf} unit=${me.orgUnit} />`}
  </${Page}>`;
}

function Summary({ asOf, unit }) {
  const { data, error, loading, reload } = useQuery("DashboardSummary", { asOf, unit });
  if (!data) return error ? html`<${ErrorBox} error=${error} retry=${reload} />` : html`<${Loading} />`;
  const s = data.summary;
  return html`<section aria-labelledby="by-status" class=${loading ? "stale" : ""}>
    <h2 id="by-status">${t("tasksByStatus")}</h2>
    <ul class="tiles" data-testid="status-tiles">
      <li class="tile total">
        <a href=${taskLink(asOf, unit, "")} data-status="ALL">
          <span class="figure">${fmtNumber(s.taskCount)}</span>
          <span class="label">${t("totalTasks")}</span>
        </a>
        <span class="sub">${t("documentsCount", { n: fmtNumber(s.documentCount) })} · ${t("assignmentsCount", { n: fmtNumber(s.assignmentCount) })}</span>
      </li>
      ${s.byStatus.map((b) => html`<li class=${"tile st-" + b.status}>
        <a href=${taskLink(asOf, unit, b.status)} data-status=${b.status}>
          <span class="figure">${fmtNumber(b.count)}</span>
          <span class="label">${t("status_" + b.status)}</span>
        </a>
      </li>`)}
      <li class="tile alerts">
        <a href="/app/alerts">
          <span class="figure" data-testid="unread-alerts">${fmtNumber(data.unreadAlertCount)}</span>
          <span class="label">${t("unreadAlerts")}</span>
        </a>
      </li>
    </ul>
  </section>`;
}

function Overdue({ asOf, unit }) {
  const { data, error, reload } = useQuery("OverdueTasks", { asOf, unit });
  return html`<section aria-labelledby="overdue" class="panel">
    <h2 id="overdue">${t("overdueTitle")}</h2>
    ${!data ? (error ? html`<${ErrorBox} error=${error} retry=${reload} />` : html`<${Loading} />`)
      : data.tasks.totalCount === 0 ? html`<p>${t("overdueNone")}</p>`
      : html`<ol class="overdue">
          ${data.tasks.nodes.map((x) => html`<li>
            <a href=${"/app/tasks/" + encodeURIComponent(x.id)}>${x.title}</a>
            <span class="meta">${x.document.number} · ${x.deadlineText} · ${t("dueOn", { date: fmtDate(x.dueDate) })}</span>
          </li>`)}
        </ol>
        <p><a href=${href("/app/tasks", { asOf, status: "OVERDUE", assignee: unit ?? "", sort: "DUE_DATE" })}>${t("seeAllOverdue", { n: fmtNumber(data.tasks.totalCount) })}</a></p>`}
  </section>`;
}

// period arithmetic on "YYYY-MM".
const monthOf = (d) => d.slice(0, 7);
function addMonths(p, n) {
  const [y, m] = p.split("-").map(Number);
  const k = y * 12 + (m - 1) + n;
  return `${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, "0")}`;
}

function KpiTiles({ asOf, unit }) {
  const groups = useQuery("KpiGroups", {});
  const headline = groups.data?.indicatorGroups.find((g) => g.code === "P06") ?? groups.data?.indicatorGroups[0];
  const picked = (headline?.indicators ?? []).filter((i) => i.periodType === "MONTH").slice(0, 4);
  const ids = [0, 1, 2, 3].map((i) => picked[Math.min(i, picked.length - 1)]?.id);
  const to = monthOf(asOf);
  // Four years back, so the latest figure shows even when the last months
  // have none yet; the trend is the 12 months up to it.
  const vars = { unit, from: addMonths(to, -47), to, i0: ids[0], i1: ids[1], i2: ids[2], i3: ids[3] };
  const tiles = useQuery("KpiTiles", vars, { skip: !picked.length });
  const error = groups.error ?? tiles.error;
  return html`<section aria-labelledby="kpi" class="panel">
    <h2 id="kpi">${headline ? name(headline) : t("kpiTitle")}</h2>
    ${error ? html`<${ErrorBox} error=${error} retry=${tiles.reload} />`
      : !tiles.data ? html`<${Loading} />`
      : html`<ul class="kpis">${picked.map((ind, i) => html`<${KpiTile} indicator=${ind} series=${tiles.data["t" + i]} />`)}</ul>`}
  </section>`;
}

function KpiTile({ indicator, series }) {
  const at = series.findLastIndex((p) => p.value != null);
  const last = series[at];
  const pct = indicator.kind === "PERCENT" || indicator.kind === "RATIO";
  const fmt = (v) => (v == null ? "" : fmtNumber(v, pct ? 1 : 0) + (indicator.unit === "%" ? "%" : ""));
  return html`<li class="kpi">
    <h3>${name(indicator)}</h3>
    ${last ? html`<p class="figure">${fmt(last.value)} <span class="unit">${indicator.unit === "%" ? "" : indicator.unit}</span></p>
      <p class="meta">${t("kpiPeriod", { p: last.period })}${last.target != null ? " · " + t("kpiTarget", { v: fmt(last.target) }) : ""}
        ${last.attainment != null ? html` · <strong>${t("kpiAttainment", { v: fmtNumber(last.attainment, 0) })}</strong>` : ""}</p>
      <${Spark} series=${series.slice(Math.max(0, at - 11), at + 1)} label=${t("kpiTrend", { p: last.period })} />`
    : html`<p class="meta">${t("kpiNoData")}</p>`}
  </li>`;
}

// Completeness is the unit's reporting of its indicators for the month
// before the dashboard's (the last one whose values are due): expected,
// submitted and on time, linking to the entry grid of that month.
function Completeness({ asOf, unit }) {
  const period = addMonths(monthOf(asOf), -1);
  const { data, error, reload } = useQuery("UnitCompleteness", { period, level: unit.kind });
  const row = data?.kpiCompleteness.find((r) => r.orgUnit.code === unit.code);
  const pct = (v) => (v == null ? "–" : fmtNumber(v, 0) + "%");
  return html`<section aria-labelledby="completeness" class="panel" data-testid="completeness">
    <h2 id="completeness">${t("completenessTitle", { p: period })}</h2>
    ${error ? html`<${ErrorBox} error=${error} retry=${reload} />`
      : !data ? html`<${Loading} />`
      : !row || row.expected === 0 ? html`<p class="meta">${t("completenessNone")}</p>`
      : html`<p><a href=${href("/app/indicators", { period })}>${t("completenessFigures", {
          s: fmtNumber(row.submitted), e: fmtNumber(row.expected), c: pct(row.completeness), o: fmtNumber(row.onTime), tl: pct(row.timeliness) })}</a></p>`}
  </section>`;
}

// Spark draws a series as a small line, described for screen readers.
function Spark({ series, label }) {
  const pts = series.map((p, i) => [i, p.value]).filter(([, v]) => v != null);
  if (pts.length < 2) return null;
  const vs = pts.map(([, v]) => v);
  const lo = Math.min(...vs), hi = Math.max(...vs), span = hi - lo || 1;
  const w = 160, h = 36, n = series.length - 1 || 1;
  const d = pts.map(([i, v], k) => `${k ? "L" : "M"}${((i / n) * w).toFixed(1)},${(h - 2 - ((v - lo) / span) * (h - 4)).toFixed(1)}`).join(" ");
  return html`<svg class="spark" viewBox=${`0 0 ${w} ${h}`} preserveAspectRatio="none" height=${h} role="img" aria-label=${label}>
    <path d=${d} fill="none" stroke="currentColor" stroke-width="2" vector-effect="non-scaling-stroke" />
  </svg>`;
}

// Compare shows every province or ministry: the chart of the reports and
// a table of the same counts that sorts by any column.
function Compare({ asOf }) {
  const [level, setLevel] = useState("PROVINCE");
  const [sort, setSort] = useState({ col: "OVERDUE", desc: true });
  const status = useQuery("StatusByUnit", { level, asOf });
  const error = status.error;
  const rows = useMemo(() => status.data?.statusByUnit.map((s) => ({
    orgUnit: s.orgUnit, taskCount: s.taskCount,
    counts: Object.fromEntries(s.byStatus.map((b) => [b.status, b.count])),
  })), [status.data]);
  const sorted = useMemo(() => {
    if (!rows) return null;
    const v = (r) => (sort.col === "unit" ? name(r.orgUnit) : sort.col === "total" ? r.taskCount : r.counts[sort.col]);
    return [...rows].sort((a, b) => {
      const x = v(a), y = v(b);
      const c = typeof x === "string" ? x.localeCompare(y, lang()) : x - y;
      return (sort.desc ? -c : c) || a.orgUnit.code.localeCompare(b.orgUnit.code);
    });
  }, [rows, sort, lang()]);
  const levelName = level === "PROVINCE" ? t("provinces") : t("ministries");
  const chart = href(`/charts/status-by-unit.svg`, { level, asOf, lang: lang() === "en" ? "en" : "", width: 900 });
  const header = (col, label) => {
    const active = sort.col === col;
    return html`<th scope="col" aria-sort=${active ? (sort.desc ? "descending" : "ascending") : undefined}>
      <button type="button" class="sort" onClick=${() => setSort({ col, desc: active ? !sort.desc : col !== "unit" })}>
        ${label}<span aria-hidden="true">${active ? (sort.desc ? " ▼" : " ▲") : ""}</span>
      </button></th>`;
  };
  return html`<section aria-labelledby="compare" class="panel compare">
    <h2 id="compare">${t("compareTitle")}</h2>
    <div class="tabs" role="group" aria-label=${t("unit")}>
      ${["PROVINCE", "MINISTRY"].map((l) => html`<button type="button" aria-pressed=${level === l} onClick=${() => setLevel(l)}>
        ${l === "PROVINCE" ? t("provinces") : t("ministries")}</button>`)}
    </div>
    <details class="chart">
      <summary>${t("showChart")}: ${levelName}</summary>
      <img src=${chart} alt=${t("chartAlt", { level: levelName.toLowerCase(), date: fmtDate(asOf) })} width="900" loading="lazy" />
    </details>
    ${error ? html`<${ErrorBox} error=${error} />`
      : !sorted ? html`<${Loading} />`
      : html`<div class="scroll" role="region" aria-label=${levelName} tabindex="0">
        <table class="compare-table" data-testid="compare-table">
          <caption class="sr-only">${levelName} · ${t("asOf")} ${fmtDate(asOf)}</caption>
          <thead><tr>
            ${header("unit", t("unit"))}${header("total", t("total"))}
            ${STATUSES.map((s) => header(s, t("status_" + s)))}
          </tr></thead>
          <tbody>${sorted.map((r) => html`<tr>
            <th scope="row">${name(r.orgUnit)}</th>
            <td><a href=${taskLink(asOf, r.orgUnit.code, "")}>${fmtNumber(r.taskCount)}</a></td>
            ${STATUSES.map((s) => html`<td class=${r.counts[s] && s === "OVERDUE" ? "hot" : ""}>
              <a href=${taskLink(asOf, r.orgUnit.code, s)}>${fmtNumber(r.counts[s])}</a></td>`)}
          </tr>`)}</tbody>
        </table></div>`}
  </section>`;
}

