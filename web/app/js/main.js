// The app: the layout, the routes and who is signed in.
import { html, render, useState, useEffect, useChanges } from "./lib.js";
import { t, lang, setLang, onLang } from "./i18n.js";
import { mutate } from "./gql.js";
import { useLocation, navigate, href } from "./router.js";
import { useSession, loadSession, setSession, holds } from "./session.js";
import { Page, Loading, ErrorBox } from "./ui.js";
import { SignIn, ChangePassword } from "./pages/signin.js";
import { Dashboard } from "./pages/dashboard.js";
import { TaskList } from "./pages/tasks.js";
import { TaskPage, AssignmentPage } from "./pages/task.js";
import { AlertsPage, AlertsLink } from "./pages/alerts.js";
import { ReportsPage } from "./pages/reports.js";
import { EntryPage, ApprovalsPage } from "./pages/indicators.js";
import { EntryDocumentPage } from "./pages/entry.js";
import { ImportPage } from "./pages/import.js";
import { TargetsPage } from "./pages/targets.js";
import { UsersPage, UserPage, AuditPage, mayAdminister, adminHome } from "./pages/admin.js";

const routes = [
  [/^\/app\/?$/, () => html`<${Dashboard} />`],
  [/^\/app\/tasks\/?$/, () => html`<${TaskList} />`],
  [/^\/app\/tasks\/([^/]+)$/, (m) => html`<${TaskPage} id=${decodeURIComponent(m[1])} />`],
  [/^\/app\/assignments\/([^/]+)$/, (m) => html`<${AssignmentPage} id=${decodeURIComponent(m[1])} />`],
  [/^\/app\/password$/, () => html`<${ChangePassword} />`],
  [/^\/app\/alerts$/, () => html`<${AlertsPage} />`],
  [/^\/app\/reports$/, () => html`<${ReportsPage} />`],
  [/^\/app\/indicators$/, () => html`<${EntryPage} />`],
  [/^\/app\/approvals$/, () => html`<${ApprovalsPage} />`],
  [/^\/app\/documents\/new$/, () => html`<${EntryDocumentPage} />`],
  [/^\/app\/import$/, () => html`<${ImportPage} />`],
  [/^\/app\/targets$/, () => html`<${TargetsPage} />`],
  [/^\/app\/admin\/users\/?$/, () => html`<${UsersPage} />`],
  [/^\/app\/admin\/users\/([^/]+)$/, (m) => html`<${UserPage} id=${decodeURIComponent(m[1])} />`],
  [/^\/app\/admin\/audit$/, () => html`<${AuditPage} />`],
];


function Header({ me, path }) {
  const [busy, setBusy] = useState(false);
  const signOut = async () => {
    setBusy(true);
    try { await mutate("Logout"); } catch { /* the session may be gone already */ }
    setSession(null);
    setBusy(false);
    navigate(href("/app/sign-in", { bye: 1 }));
  };
  const current = (p) => (p === "/app/" ? path === "/app/" || path === "/app" : path.startsWith(p)) ? "page" : undefined;
  return html`<header class="top">
    <a class="skip" href="#main">${t("skip")}</a>
    <a class="brand" href="/app/">${t("appName")}</a>
    ${me ? html`<nav aria-label=${t("mainNav")}>
      <a href="/app/" aria-current=${current("/app/")}>${t("navDashboard")}</a>
      <a href="/app/tasks" aria-current=${current("/app/tasks")}>${t("navTasks")}</a>
      <${AlertsLink} current=${current("/app/alerts")} />
      ${holds(me, "ENTER_KPI") ? html`<a href="/app/indicators" aria-current=${current("/app/indicators")}>${t("navIndicators")}</a>` : null}
      ${holds(me, "APPROVE_KPI") || holds(me, "ACCEPT_KPI") ? html`<a href="/app/approvals" aria-current=${current("/app/approvals")}>${t("navApprovals")}</a>` : null}
      ${holds(me, "CREATE_DOCUMENT") ? html`<a href="/app/documents/new" aria-current=${current("/app/documents") ?? current("/app/import")}>${t("navEntry")}</a>` : null}
      ${holds(me, "CONFIGURE_KPI") ? html`<a href="/app/targets" aria-current=${current("/app/targets")}>${t("navTargets")}</a>` : null}
      <a href="/app/reports" aria-current=${current("/app/reports")}>${t("navReports")}</a>
      ${mayAdminister(me) ? html`<a href=${adminHome(me)} aria-current=${current("/app/admin")}>${t("navAdmin")}</a>` : null}
    </nav>` : null}
    <div class="tools">
      ${me ? html`<span class="who">${me.user.displayName}</span>
        <a href="/app/password" aria-current=${current("/app/password")}>${t("navPassword")}</a>
        <button type="button" class="link" onClick=${signOut} disabled=${busy}>${t("signOut")}</button>` : null}
      <button type="button" class="link lang" lang=${lang() === "vi" ? "en" : "vi"} aria-label=${t("otherLangLabel")}
        onClick=${() => setLang(lang() === "vi" ? "en" : "vi")}>${t("otherLang")}</button>
    </div>
  </header>`;
}

function App() {
  const { path } = useLocation();
  const me = useSession();
  const [error, setError] = useState(null);
  useChanges(onLang);
  useEffect(() => { loadSession().catch(setError); }, []);

  const signInPage = path === "/app/sign-in";
  useEffect(() => {
    if (me === null && !signInPage) navigate(href("/app/sign-in", { next: location.pathname + location.search }), { replace: true });
    if (me && signInPage) navigate(new URLSearchParams(location.search).get("next") || "/app/", { replace: true });
  }, [me, signInPage]);

  let body;
  if (error) body = html`<${Page} title=${t("errorTitle")}><${ErrorBox} error=${error} retry=${() => location.reload()} /></${Page}>`;
  else if (me === undefined) body = html`<${Loading} />`;
  else if (signInPage) body = me ? html`<${Loading} />` : html`<${SignIn} />`;
  else if (!me) body = html`<${Loading} />`;
  else {
    const r = routes.find(([re]) => re.test(path));
    body = r ? r[1](path.match(r[0])) : html`<${Page} title=${t("notFound")}><p><a href="/app/">${t("backHome")}</a></p></${Page}>`;
  }
  return html`<${Header} me=${me} path=${path} />
    <main id="main" tabindex="-1">${body}</main>`;
}

const root = document.getElementById("app");
root.textContent = ""; // the boot message
render(html`<${App} />`, root);
