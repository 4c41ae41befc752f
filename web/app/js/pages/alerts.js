// The alerts inbox, and the unread count in the top bar, kept live by the
// alertRaised subscription.
import { html, useState, useEffect } from "../lib.js";
import { t, name, fmtDate, fmtTime, fmtNumber } from "../i18n.js";
import { useQuery, mutate } from "../gql.js";
import { subscribe } from "../live.js";
import { useLocation, href } from "../router.js";
import { can } from "../session.js";
import { Page, Loading, ErrorBox } from "../ui.js";

// The count is read again when an alert is raised, on every (re)connection
// and after acknowledging here.
const counters = new Set();
export const recount = () => counters.forEach((f) => f());

export function AlertsLink({ current }) {
  const { data, reload } = useQuery("UnreadAlerts", {});
  useEffect(() => {
    counters.add(reload);
    const stop = subscribe("AlertRaised", {}, reload, reload);
    return () => { counters.delete(reload); stop(); };
  }, []);
  const n = data?.unreadAlertCount ?? 0;
  return html`<a href="/app/alerts" aria-current=${current} data-testid="alerts-link">
    ${t("navAlerts")}${n ? html` <span class="count-badge" aria-label=${t("unreadN", { n })}>${fmtNumber(n)}</span>` : null}</a>`;
}

export function AlertsPage() {
  const { params } = useLocation();
  const all = params.get("all") === "1";
  const after = params.get("after") ?? "";
  const { data, error, reload } = useQuery("Alerts", { acknowledged: all ? null : false, after: after || null });
  const [chosen, setChosen] = useState(new Set());
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState(null);
  useEffect(() => setChosen(new Set()), [all, after]);

  const list = data?.alerts;
  const mine = (a) => !a.acknowledgedAt && can("ACKNOWLEDGE_ALERT", a.orgUnit.path);
  const acknowledge = async (ids) => {
    if (!ids.length) return;
    setBusy(true); setProblems(null);
    try {
      const { acknowledgeAlerts: p } = await mutate("AcknowledgeAlerts", { input: { alerts: ids } });
      if (p.userErrors.length) setProblems(p.userErrors.map((e) => e.message));
      setChosen(new Set());
      recount();
      reload();
    } catch (e) {
      setProblems([e.message]);
    }
    setBusy(false);
  };
  const toggle = (id) => { const s = new Set(chosen); s.has(id) ? s.delete(id) : s.add(id); setChosen(s); };
  const open = list?.nodes.filter(mine) ?? [];

  return html`<${Page} title=${t("alertsTitle")} wide>
    <div class="tabs" role="group" aria-label=${t("alertsTitle")}>
      <a class="tab" href="/app/alerts" aria-current=${all ? undefined : "page"}>${t("alertsUnread")}</a>
      <a class="tab" href="/app/alerts?all=1" aria-current=${all ? "page" : undefined}>${t("alertsOpen")}</a>
    </div>
    ${problems ? html`<div class="error" role="alert">${problems.map((m) => html`<p>${m}</p>`)}</div>` : null}
    ${!list ? (error ? html`<${ErrorBox} error=${error} retry=${reload} />` : html`<${Loading} />`) : html`
      <p class="count" role="status" data-testid="alert-count">${t("alertsCount", { n: fmtNumber(list.totalCount) })}</p>
      ${open.length ? html`<div class="actions">
        <button type="button" class="primary" disabled=${busy || !chosen.size} onClick=${() => acknowledge([...chosen])}>${t("ackChosen", { n: chosen.size })}</button>
        <button type="button" disabled=${busy} onClick=${() => acknowledge(open.map((a) => a.id))}>${t("ackPage", { n: open.length })}</button>
      </div>` : null}
      ${list.nodes.length === 0 ? html`<p>${t("alertsNone")}</p>` : html`<ul class="alert-list" data-testid="alerts">
        ${list.nodes.map((a) => html`<li class=${"alert k-" + a.kind + (a.acknowledgedAt ? " read" : "")}>
          ${mine(a) ? html`<input type="checkbox" id=${"ack-" + a.id} checked=${chosen.has(a.id)} onChange=${() => toggle(a.id)} />` : html`<span class="nobox"></span>`}
          <div>
            <label for=${mine(a) ? "ack-" + a.id : undefined} class="kind">${t("alert_" + a.kind)}${a.escalated ? " · " + t("escalated") : ""}</label>
            <p>${a.assignment ? html`<a href=${"/app/assignments/" + encodeURIComponent(a.assignment.id)}>${a.assignment.task.title}</a>` : null}</p>
            <p class="meta">${name(a.orgUnit)} · ${t("dueOn", { date: fmtDate(a.dueDate) })} · ${fmtTime(a.raisedAt)}
              ${a.acknowledgedAt ? " · " + t("ackBy", { who: a.acknowledgedBy?.displayName ?? "", at: fmtTime(a.acknowledgedAt) }) : ""}</p>
          </div>
        </li>`)}
      </ul>`}
      <nav class="pager" aria-label=${t("alertsTitle")}>
        ${after ? html`<a href=${href("/app/alerts", { all: all ? 1 : "" })}>${t("firstPage")}</a>` : null}
        ${list.pageInfo.hasNextPage ? html`<a href=${href("/app/alerts", { all: all ? 1 : "", after: list.pageInfo.endCursor })}>${t("nextPage")} →</a>` : null}
      </nav>`}
  </${Page}>`;
}
