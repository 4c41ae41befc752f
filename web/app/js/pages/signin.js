// Sign-in, and changing one's own password.
import { html, useState } from "../lib.js";
import { t } from "../i18n.js";
import { mutate } from "../gql.js";
import { useLocation, navigate, href } from "../router.js";
import { setSession, ended, clearEnded } from "../session.js";
import { Page, Field, ErrorBox, describedBy, fieldError } from "../ui.js";

export function SignIn() {
  const { params } = useLocation();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState(null);
  const [failure, setFailure] = useState(null);
  const notice = params.get("changed") ? t("passwordChangedSignIn") : params.get("bye") ? t("signedOut") : ended ? t("sessionEnded") : "";

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setErrors(null); setFailure(null);
    try {
      const { login } = await mutate("Login", { input: { username: username.trim(), password } });
      if (login.userErrors.length) {
        setErrors(login.userErrors);
        setPassword("");
      } else {
        clearEnded();
        setSession(login.me);
        navigate(params.get("next") || "/app/", { replace: true });
      }
    } catch (err) {
      setFailure(err);
    }
    setBusy(false);
  };
  // The API's messages are shown as they come: wrong credentials and the
  // lockout ("thử lại sau 15 phút") alike.
  const general = errors?.map((e) => e.message);
  return html`<${Page} title=${t("signInTitle")}>
    <form class="card narrow" onSubmit=${submit} novalidate>
      <p class="lead">${t("appLong")}</p>
      ${notice ? html`<p class="notice" role="status">${notice}</p>` : null}
      ${general ? html`<div class="error" role="alert" id="signin-error">${general.map((m) => html`<p>${m}</p>`)}</div>` : null}
      <${ErrorBox} error=${failure} />
      <${Field} id="username" label=${t("username")}>
        <input id="username" name="username" autocomplete="username" required value=${username}
          aria-describedby=${general ? "signin-error" : undefined}
          onInput=${(e) => setUsername(e.currentTarget.value)} />
      </${Field}>
      <${Field} id="password" label=${t("password")}>
        <input id="password" name="password" type="password" autocomplete="current-password" required value=${password}
          onInput=${(e) => setPassword(e.currentTarget.value)} />
      </${Field}>
      <button type="submit" class="primary" disabled=${busy}>${busy ? t("signingIn") : t("signInButton")}</button>
    </form>
  </${Page}>`;
}

export function ChangePassword() {
  const [v, setV] = useState({ current: "", next: "", again: "" });
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState(null);
  const [failure, setFailure] = useState(null);
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.value });

  const submit = async (e) => {
    e.preventDefault();
    setErrors(null); setFailure(null);
    if (v.next !== v.again) {
      setErrors([{ field: ["input", "again"], message: t("passwordsDiffer") }]);
      return;
    }
    setBusy(true);
    try {
      const { changePassword } = await mutate("ChangePassword", { input: { currentPassword: v.current, newPassword: v.next } });
      if (changePassword.userErrors.length) setErrors(changePassword.userErrors);
      else {
        // Changing the password ends every session, this one too.
        setSession(null);
        navigate(href("/app/sign-in", { changed: 1 }), { replace: true });
        return;
      }
    } catch (err) {
      setFailure(err);
    }
    setBusy(false);
  };
  const err = (f) => fieldError(errors, f);
  const other = errors?.filter((e) => !["currentPassword", "newPassword", "again"].includes(e.field?.[e.field.length - 1]));
  return html`<${Page} title=${t("changePasswordTitle")}>
    <form class="card narrow" onSubmit=${submit} novalidate>
      ${other?.length ? html`<div class="error" role="alert">${other.map((e) => html`<p>${e.message}</p>`)}</div>` : null}
      <${ErrorBox} error=${failure} />
      <${Field} id="current" label=${t("currentPassword")} error=${err("currentPassword")}>
        <input id="current" type="password" autocomplete="current-password" required value=${v.current} onInput=${set("current")}
          aria-invalid=${err("currentPassword") ? "true" : undefined} aria-describedby=${describedBy("current", null, err("currentPassword"))} />
      </${Field}>
      <${Field} id="next" label=${t("newPassword")} hint=${t("newPasswordHint")} error=${err("newPassword")}>
        <input id="next" type="password" autocomplete="new-password" required minlength="10" value=${v.next} onInput=${set("next")}
          aria-invalid=${err("newPassword") ? "true" : undefined} aria-describedby=${describedBy("next", true, err("newPassword"))} />
      </${Field}>
      <${Field} id="again" label=${t("confirmPassword")} error=${err("again")}>
        <input id="again" type="password" autocomplete="new-password" required value=${v.again} onInput=${set("again")}
          aria-invalid=${err("again") ? "true" : undefined} aria-describedby=${describedBy("again", null, err("again"))} />
      </${Field}>
      <button type="submit" class="primary" disabled=${busy}>${busy ? t("saving") : t("save")}</button>
    </form>
  </${Page}>`;
}
