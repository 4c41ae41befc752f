// Pieces shared by the pages.
import { html, useEffect, useRef } from "./lib.js";
import { t } from "./i18n.js";

// Page sets the document title and moves the focus to its heading when it
// is shown, so a screen reader hears where a link led.
export function Page({ title, children, wide = false }) {
  const h1 = useRef(null);
  useEffect(() => {
    document.title = `${title} · ${t("appName")}`;
    if (h1.current && document.activeElement?.tagName !== "INPUT") h1.current.focus({ preventScroll: true });
  }, [title]);
  return html`<div class=${wide ? "page wide" : "page"}>
    <h1 tabindex="-1" ref=${h1}>${title}</h1>
    ${children}
  </div>`;
}

export const StatusBadge = ({ status }) =>
  status ? html`<span class=${"badge st-" + status}>${t("status_" + status)}</span>` : null;

export const Loading = () => html`<p class="loading" role="status">${t("loading")}</p>`;

export function ErrorBox({ error, retry }) {
  if (!error) return null;
  const notFound = error.code === "NOT_FOUND";
  return html`<div class="error" role="alert">
    <p>${notFound ? t("notFoundObject") : error.message}</p>
    ${retry && !notFound ? html`<button type="button" onClick=${retry}>${t("retry")}</button>` : null}
  </div>`;
}

// Field is a labelled form control; hint and error are tied to it by
// aria-describedby.
export function Field({ id, label, hint, error, children }) {
  return html`<div class=${error ? "field invalid" : "field"}>
    <label for=${id}>${label}</label>
    ${children}
    ${hint ? html`<p class="hint" id=${id + "-hint"}>${hint}</p>` : null}
    ${error ? html`<p class="field-error" id=${id + "-error"}>${error}</p>` : null}
  </div>`;
}

export const describedBy = (id, hint, error) =>
  [hint ? id + "-hint" : "", error ? id + "-error" : ""].filter(Boolean).join(" ") || undefined;

// userError finds the message of the userError on field (its last part),
// and messages lists the rest.
export const fieldError = (errors, field) =>
  errors?.find((e) => e.field?.[e.field.length - 1] === field)?.message;

export const STATUSES = ["DONE_ON_TIME", "DONE_LATE", "IN_PROGRESS", "OVERDUE", "CONTINUOUS", "CANCELLED"];
export const KINDS = ["QUYET_DINH", "CHI_THI", "NGHI_QUYET", "CONG_DIEN", "KET_LUAN", "THONG_BAO", "KE_HOACH"];
export const STATES = ["NOT_STARTED", "IN_PROGRESS", "DONE", "CANCELLED"];
