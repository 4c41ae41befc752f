// Administration: users (made, disabled, passwords reset), their roles on
// units, their API tokens, and the audit log with its filters. Only what the
// API offers an administrator; the server decides what each may do.
import { html, useState, useEffect } from "../lib.js";
import { t, name, fmtTime, fmtNumber } from "../i18n.js";
import { useQuery, mutate } from "../gql.js";
import { useLocation, navigate, href } from "../router.js";
import { useSession, holds } from "../session.js";
import { Page, Loading, ErrorBox, Field, describedBy, fieldError } from "../ui.js";

export const ROLES = ["ADMIN", "NATIONAL_VIEWER", "COORDINATOR", "MINISTRY_EDITOR", "PROVINCE_EDITOR", "PROVINCE_APPROVER", "VIEWER"];
const UNIT_KINDS = ["NATIONAL", "MINISTRY", "PROVINCE"];

// mayAdminister: the administration pages are for those holding one of
// these permissions somewhere.
export const mayAdminister = (me) => holds(me, "ADMIN_USERS") || holds(me, "ADMIN_POLICY") || holds(me, "READ_AUDIT");
export const adminHome = (me) => (holds(me, "ADMIN_USERS") || holds(me, "ADMIN_POLICY") ? "/app/admin/users" : "/app/admin/audit");

function AdminTabs({ current }) {
  const me = useSession();
  const tab = (path, key, show) => show ? html`<a class="tab" href=${path} aria-current=${current === path ? "page" : undefined}>${t(key)}</a>` : null;
  return html`<nav class="tabs" aria-label=${t("adminNav")}>
    ${tab("/app/admin/users", "adminUsers", holds(me, "ADMIN_USERS") || holds(me, "ADMIN_POLICY"))}
    ${tab("/app/admin/audit", "adminAudit", holds(me, "READ_AUDIT"))}
  </nav>`;
}

const Problems = ({ errors, except = [] }) => {
  const rest = errors?.filter((e) => !except.includes(e.field?.[e.field.length - 1]));
  return rest?.length ? html`<div class="error" role="alert">${rest.map((e) => html`<p>${e.message}</p>`)}</div>` : null;
};

// useAction runs a mutation whose payload (data[field], or the first
// payload it holds) has userErrors.
function useAction(op, done) {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState(null);
  const run = async (vars) => {
    setBusy(true); setErrors(null);
    try {
      const data = await mutate(op, vars);
      const p = Object.values(data).find((x) => x);
      if (p.userErrors.length) setErrors(p.userErrors);
      else await done?.(p);
    } catch (e) {
      setErrors([{ field: [], message: e.message }]);
    }
    setBusy(false);
  };
  return { busy, errors, run };
}

const grantsText = (grants) => grants.map((g) => `${t("grant_" + g.role)} (${name(g.orgUnit)})`).join("; ");

// --- users ----------------------------------------------------------------

export function UsersPage() {
  const { params } = useLocation();
  const q = params.get("q") ?? "", state = params.get("state") ?? "", after = params.get("after") ?? "";
  const filter = { search: q.trim() || null, disabled: state === "disabled" ? true : state === "active" ? false : null };
  const { data, error, reload } = useQuery("AdminUsers", { filter, after: after || null });
  const [form, setForm] = useState({ q, state });
  useEffect(() => setForm({ q, state }), [params.toString()]);
  const list = data?.users;
  return html`<${Page} title=${t("adminUsers")} wide>
    <${AdminTabs} current="/app/admin/users" />
    <form class="asof" role="search" onSubmit=${(e) => { e.preventDefault(); navigate(href("/app/admin/users", form)); }}>
      <${Field} id="user-q" label=${t("userSearch")}>
        <input id="user-q" type="search" value=${form.q} onInput=${(e) => setForm({ ...form, q: e.currentTarget.value })} />
      </${Field}>
      <${Field} id="user-state" label=${t("userState")}>
        <select id="user-state" value=${form.state} onChange=${(e) => setForm({ ...form, state: e.currentTarget.value })}>
          ${[["", "any"], ["active", "userActive"], ["disabled", "userDisabled"]].map(([v, k]) => html`<option value=${v} selected=${v === form.state}>${t(k)}</option>`)}
        </select>
      </${Field}>
      <button type="submit">${t("show")}</button>
    </form>
    ${error ? html`<${ErrorBox} error=${error} retry=${reload} />` : !list ? html`<${Loading} />` : html`
      <p class="count" role="status" data-testid="user-count">${t("usersN", { n: fmtNumber(list.totalCount) })}</p>
      <div class="scroll" role="region" aria-label=${t("adminUsers")} tabindex="0"><table class="users" data-testid="users">
        <thead><tr><th scope="col">${t("username")}</th><th scope="col">${t("displayName")}</th><th scope="col">${t("homeUnit")}</th>
          <th scope="col">${t("roles")}</th><th scope="col">${t("userState")}</th></tr></thead>
        <tbody>${list.nodes.map((u) => html`<tr data-username=${u.username}>
          <th scope="row"><a href=${"/app/admin/users/" + encodeURIComponent(u.id)}>${u.username}</a></th>
          <td data-label=${t("displayName")}>${u.displayName}</td><td data-label=${t("homeUnit")}>${name(u.orgUnit)}</td>
          <td data-label=${t("roles")}>${grantsText(u.grants)}</td>
          <td data-label=${t("userState")}>${u.disabled ? html`<span class="badge off">${t("userDisabled")}</span>` : t("userActive")}</td>
        </tr>`)}</tbody>
      </table></div>
      <nav class="pager" aria-label=${t("pages")}>
        ${after ? html`<a href=${href("/app/admin/users", { q, state })}>${t("firstPage")}</a>` : null}
        ${list.pageInfo.hasNextPage ? html`<a href=${href("/app/admin/users", { q, state, after: list.pageInfo.endCursor })}>${t("nextPage")}</a>` : null}
      </nav>`}
    <${NewUser} onMade=${(u) => navigate("/app/admin/users/" + encodeURIComponent(u.id))} />
  </${Page}>`;
}

function NewUser({ onMade }) {
  const blank = { username: "", displayName: "", email: "", orgUnit: "", password: "" };
  const [v, setV] = useState(blank);
  const units = useQuery("Units", { kinds: UNIT_KINDS });
  const { busy, errors, run } = useAction("CreateUser", (p) => { setV(blank); onMade(p.user); });
  const fields = Object.keys(blank);
  const input = (k, label, type = "text", hint) => {
    const id = "new-" + k, err = fieldError(errors, k);
    return html`<${Field} id=${id} label=${label} hint=${hint} error=${err}>
      <input id=${id} type=${type} value=${v[k]} autocomplete=${type === "password" ? "new-password" : "off"}
        onInput=${(e) => setV({ ...v, [k]: e.currentTarget.value })}
        aria-invalid=${err ? "true" : undefined} aria-describedby=${describedBy(id, hint, err)} />
    </${Field}>`;
  };
  const unitErr = fieldError(errors, "orgUnit");
  return html`<details class="card new-user">
    <summary>${t("newUser")}</summary>
    <form onSubmit=${(e) => { e.preventDefault(); run({ input: { ...v, email: v.email || null } }); }} novalidate data-testid="new-user">
      <${Problems} errors=${errors} except=${fields} />
      <div class="grid2">
        ${input("username", t("username"))}
        ${input("displayName", t("displayName"))}
        ${input("email", t("email"), "email")}
        <${Field} id="new-orgUnit" label=${t("homeUnit")} error=${unitErr}>
          <select id="new-orgUnit" value=${v.orgUnit} onChange=${(e) => setV({ ...v, orgUnit: e.currentTarget.value })}
            aria-invalid=${unitErr ? "true" : undefined} aria-describedby=${describedBy("new-orgUnit", null, unitErr)}>
            <option value="">—</option>
            ${(units.data?.orgUnits.nodes ?? []).map((u) => html`<option value=${u.code} selected=${u.code === v.orgUnit}>${name(u)}</option>`)}
          </select>
        </${Field}>
        ${input("password", t("password"), "password", t("newPasswordHint"))}
      </div>
      <button type="submit" class="primary" disabled=${busy}>${t("createUser")}</button>
    </form>
  </details>`;
}

// --- one user: state, password, roles, tokens ------------------------------

export function UserPage({ id }) {
  const me = useSession();
  const { data, error, reload } = useQuery("AdminUser", { id });
  const u = data?.node;
  if (!u) return html`<${Page} title=${t("adminUser")}>${error ? html`<${ErrorBox} error=${error} retry=${reload} />` : html`<${Loading} />`}</${Page}>`;
  return html`<${Page} title=${t("adminUserOf", { name: u.displayName })} wide>
    <${AdminTabs} current="/app/admin/users" />
    <p><a href="/app/admin/users">← ${t("adminUsers")}</a>
      ${holds(me, "READ_AUDIT") ? html` · <a href=${href("/app/admin/audit", { actor: u.id, who: u.username })}>${t("auditOf", { name: u.username })}</a>` : null}</p>
    <dl class="facts" data-testid="user-facts">
      <div><dt>${t("username")}</dt><dd>${u.username}</dd></div>
      <div><dt>${t("email")}</dt><dd>${u.email || "—"}</dd></div>
      <div><dt>${t("homeUnit")}</dt><dd>${name(u.orgUnit)}</dd></div>
      <div><dt>${t("userState")}</dt><dd data-testid="user-state">${u.disabled ? t("userDisabled") : t("userActive")}</dd></div>
      <div><dt>${t("createdAt")}</dt><dd>${fmtTime(u.createdAt)}</dd></div>
    </dl>
    <div class="columns">
      <${Roles} u=${u} />
      <${Account} u=${u} />
    </div>
    <${Tokens} u=${u} tokens=${data.apiTokens} onChange=${reload} />
  </${Page}>`;
}

function Account({ u }) {
  const toggle = useAction("SetUserDisabled");
  const [password, setPassword] = useState("");
  const [reset, setReset] = useState(false);
  const pw = useAction("ResetPassword", () => { setPassword(""); setReset(true); });
  const err = fieldError(pw.errors, "password");
  return html`<section class="panel" aria-labelledby="account-h">
    <h2 id="account-h">${t("account")}</h2>
    <${Problems} errors=${toggle.errors} />
    <p><button type="button" disabled=${toggle.busy} data-testid="toggle-user" onClick=${() => toggle.run({ user: u.id, disable: !u.disabled })}>
      ${u.disabled ? t("enableUser") : t("disableUser")}</button></p>
    <p class="hint">${u.disabled ? t("enableHint") : t("disableHint")}</p>
    <form onSubmit=${(e) => { e.preventDefault(); setReset(false); pw.run({ input: { user: u.id, password } }); }} novalidate>
      ${reset ? html`<p class="notice" role="status">${t("passwordReset")}</p>` : null}
      <${Problems} errors=${pw.errors} except=${["password"]} />
      <${Field} id="reset-password" label=${t("newPassword")} hint=${t("resetHint")} error=${err}>
        <input id="reset-password" type="password" autocomplete="new-password" value=${password} onInput=${(e) => setPassword(e.currentTarget.value)}
          aria-invalid=${err ? "true" : undefined} aria-describedby=${describedBy("reset-password", true, err)} />
      </${Field}>
      <button type="submit" disabled=${pw.busy || !password}>${t("resetPassword")}</button>
    </form>
  </section>`;
}

function Roles({ u }) {
  const units = useQuery("Units", { kinds: UNIT_KINDS });
  const [v, setV] = useState({ role: "VIEWER", orgUnit: "" });
  const change = useAction("ChangeRole");
  return html`<section class="panel" aria-labelledby="roles-h">
    <h2 id="roles-h">${t("roles")}</h2>
    <${Problems} errors=${change.errors} />
    ${u.grants.length ? html`<ul class="grants" data-testid="grants">${u.grants.map((g) => html`<li>
      <span>${t("grant_" + g.role)} · ${name(g.orgUnit)}</span>
      <button type="button" class="link" disabled=${change.busy}
        aria-label=${t("revokeRoleOf", { role: t("grant_" + g.role), unit: name(g.orgUnit) })}
        onClick=${() => change.run({ input: { user: u.id, role: g.role, orgUnit: g.orgUnit.code }, grant: false })}>${t("revoke")}</button>
    </li>`)}</ul>` : html`<p>${t("noRoles")}</p>`}
    <form onSubmit=${(e) => { e.preventDefault(); change.run({ input: { user: u.id, ...v }, grant: true }); }} data-testid="grant-form">
      <h3>${t("grantRole")}</h3>
      <div class="grid2">
        <${Field} id="grant-role" label=${t("role")}>
          <select id="grant-role" value=${v.role} onChange=${(e) => setV({ ...v, role: e.currentTarget.value })}>
            ${ROLES.map((r) => html`<option value=${r} selected=${r === v.role}>${t("grant_" + r)}</option>`)}
          </select>
        </${Field}>
        <${Field} id="grant-unit" label=${t("onUnit")}>
          <select id="grant-unit" value=${v.orgUnit} onChange=${(e) => setV({ ...v, orgUnit: e.currentTarget.value })}>
            <option value="">—</option>
            ${(units.data?.orgUnits.nodes ?? []).map((x) => html`<option value=${x.code} selected=${x.code === v.orgUnit}>${name(x)}</option>`)}
          </select>
        </${Field}>
      </div>
      <button type="submit" class="primary" disabled=${change.busy || !v.orgUnit}>${t("grant")}</button>
    </form>
  </section>`;
}

function Tokens({ u, tokens, onChange }) {
  const [v, setV] = useState({ name: "", expiresOn: "" });
  const [made, setMade] = useState(null);
  const create = useAction("CreateApiToken", (p) => { setMade(p.token); setV({ name: "", expiresOn: "" }); onChange(); });
  const revoke = useAction("RevokeApiToken", onChange);
  const nameErr = fieldError(create.errors, "name"), expErr = fieldError(create.errors, "expiresAt");
  return html`<section class="panel" aria-labelledby="tokens-h">
    <h2 id="tokens-h">${t("apiTokens")}</h2>
    <${Problems} errors=${revoke.errors} />
    ${tokens.length ? html`<div class="scroll" role="region" aria-label=${t("apiTokens")} tabindex="0"><table class="tokens" data-testid="tokens">
      <thead><tr><th scope="col">${t("tokenName")}</th><th scope="col">${t("tokenPrefix")}</th><th scope="col">${t("createdAt")}</th>
        <th scope="col">${t("expiresAt")}</th><th scope="col">${t("lastUsedAt")}</th><th scope="col"><span class="sr-only">${t("actions")}</span></th></tr></thead>
      <tbody>${tokens.map((k) => html`<tr>
        <th scope="row">${k.name}</th><td><code>${k.prefix}…</code></td><td>${fmtTime(k.createdAt)}</td>
        <td>${k.expiresAt ? fmtTime(k.expiresAt) : "—"}</td><td>${k.lastUsedAt ? fmtTime(k.lastUsedAt) : "—"}</td>
        <td>${k.revokedAt ? html`<span class="badge off">${t("revokedAt", { at: fmtTime(k.revokedAt) })}</span>`
          : html`<button type="button" disabled=${revoke.busy} aria-label=${t("revokeToken", { name: k.name })}
              onClick=${() => revoke.run({ input: { apiToken: k.id } })}>${t("revoke")}</button>`}</td>
      </tr>`)}</tbody>
    </table></div>` : html`<p>${t("noTokens")}</p>`}
    ${made ? html`<div class="notice" role="status" data-testid="token-made">
      <p>${t("tokenOnce")}</p><p><code class="token">${made}</code></p></div>` : null}
    <form onSubmit=${(e) => { e.preventDefault(); setMade(null); create.run({ input: { user: u.id, name: v.name,
      expiresAt: v.expiresOn ? v.expiresOn + "T23:59:59+07:00" : null } }); }} novalidate data-testid="token-form">
      <h3>${t("newToken")}</h3>
      <${Problems} errors=${create.errors} except=${["name", "expiresAt"]} />
      <div class="grid2">
        <${Field} id="token-name" label=${t("tokenName")} error=${nameErr}>
          <input id="token-name" value=${v.name} maxlength="100" onInput=${(e) => setV({ ...v, name: e.currentTarget.value })}
            aria-invalid=${nameErr ? "true" : undefined} aria-describedby=${describedBy("token-name", null, nameErr)} />
        </${Field}>
        <${Field} id="token-expires" label=${t("expiresAt")} hint=${t("expiresHint")} error=${expErr}>
          <input id="token-expires" type="date" value=${v.expiresOn} onInput=${(e) => setV({ ...v, expiresOn: e.currentTarget.value })}
            aria-invalid=${expErr ? "true" : undefined} aria-describedby=${describedBy("token-expires", true, expErr)} />
        </${Field}>
      </div>
      <button type="submit" class="primary" disabled=${create.busy}>${t("createToken")}</button>
    </form>
  </section>`;
}

// --- the audit log -----------------------------------------------------------

const isDate = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s ?? "");
const nextDay = (d) => new Date(Date.parse(d + "T00:00:00Z") + 86400000).toISOString().slice(0, 10);

export function AuditPage() {
  const { params } = useLocation();
  const f = Object.fromEntries(["action", "actor", "who", "from", "to", "after"].map((k) => [k, params.get(k) ?? ""]));
  // Days of Asia/Ho_Chi_Minh, "to" included.
  const filter = {
    action: f.action.trim() || null, actor: f.actor || null,
    from: isDate(f.from) ? f.from + "T00:00:00+07:00" : null,
    to: isDate(f.to) ? nextDay(f.to) + "T00:00:00+07:00" : null,
  };
  const { data, error, reload } = useQuery("AuditLog", { filter, after: f.after || null });
  const [form, setForm] = useState(f);
  useEffect(() => setForm(f), [params.toString()]);
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const list = data?.auditLog;
  const kept = { action: f.action, actor: f.actor, who: f.who, from: f.from, to: f.to };
  return html`<${Page} title=${t("adminAudit")} wide>
    <${AdminTabs} current="/app/admin/audit" />
    <form class="filters" onSubmit=${(e) => { e.preventDefault(); navigate(href("/app/admin/audit", { ...form, after: "" })); }} data-testid="audit-filter">
      <div class="grid">
        <${Field} id="audit-action" label=${t("auditAction")} hint=${t("auditActionHint")}>
          <input id="audit-action" value=${form.action} onInput=${set("action")} aria-describedby="audit-action-hint" />
        </${Field}>
        <${Field} id="audit-from" label=${t("fromDay")}><input id="audit-from" type="date" value=${form.from} onInput=${set("from")} /></${Field}>
        <${Field} id="audit-to" label=${t("toDay")}><input id="audit-to" type="date" value=${form.to} onInput=${set("to")} /></${Field}>
      </div>
      ${f.actor ? html`<p>${t("auditActor", { name: f.who || f.actor })}
        <a href=${href("/app/admin/audit", { ...kept, actor: "", who: "" })}>${t("auditAnyActor")}</a></p>` : null}
      <div class="actions"><button type="submit" class="primary">${t("show")}</button>
        <a href="/app/admin/audit">${t("clearFilters")}</a></div>
    </form>
    ${error ? html`<${ErrorBox} error=${error} retry=${reload} />` : !list ? html`<${Loading} />` : html`
      <p class="count" role="status" data-testid="audit-count">${t("auditN", { n: fmtNumber(list.totalCount) })}</p>
      <div class="scroll" role="region" aria-label=${t("adminAudit")} tabindex="0"><table class="audit" data-testid="audit">
        <thead><tr><th scope="col">${t("auditAt")}</th><th scope="col">${t("auditWho")}</th><th scope="col">${t("auditAction")}</th>
          <th scope="col">${t("auditObject")}</th><th scope="col">${t("auditDetail")}</th></tr></thead>
        <tbody>${list.nodes.map((e) => html`<tr data-action=${e.action}>
          <td data-label=${t("auditAt")}>${fmtTime(e.at)}</td>
          <td data-label=${t("auditWho")}>${e.actor}<span class="meta">${e.via}${e.clientIp ? " · " + e.clientIp : ""}</span></td>
          <td data-label=${t("auditAction")}><a href=${href("/app/admin/audit", { ...kept, action: e.action, after: "" })}>${e.action}</a></td>
          <td data-label=${t("auditObject")}>${e.objectType} ${e.objectId}<span class="meta">${e.orgPath}</span></td>
          <td data-label=${t("auditDetail")}><code class="detail">${e.detail}</code></td>
        </tr>`)}</tbody>
      </table></div>
      <nav class="pager" aria-label=${t("pages")}>
        ${f.after ? html`<a href=${href("/app/admin/audit", kept)}>${t("firstPage")}</a>` : null}
        ${list.pageInfo.hasNextPage ? html`<a href=${href("/app/admin/audit", { ...kept, after: list.pageInfo.endCursor })}>${t("nextPage")}</a>` : null}
      </nav>`}
  </${Page}>`;
}
