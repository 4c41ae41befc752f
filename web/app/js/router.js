// Client-side routes under /app/: links are ordinary <a href>, taken over
// here so a click does not reload the page; the address holds every
// filter, so a view can be shared and the back button works.
import { useChanges } from "./lib.js";

const listeners = new Set();
const changed = () => listeners.forEach((f) => f());

export function navigate(to, { replace = false } = {}) {
  history[replace ? "replaceState" : "pushState"](null, "", to);
  changed();
}

addEventListener("popstate", changed);

document.addEventListener("click", (e) => {
  const a = e.target.closest?.("a[href]");
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.target || a.hasAttribute("download")) return;
  const u = new URL(a.href, location.href);
  if (u.origin !== location.origin || !u.pathname.startsWith("/app/")) return;
  e.preventDefault();
  navigate(u.pathname + u.search + u.hash);
});

// useLocation re-renders on every change of address.
const subscribe = (f) => { listeners.add(f); return () => listeners.delete(f); };

export function useLocation() {
  useChanges(subscribe);
  return { path: location.pathname, params: new URLSearchParams(location.search) };
}

// href builds a path with the non-empty params.
export function href(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) v.forEach((x) => x !== "" && x != null && q.append(k, x));
    else if (v !== "" && v != null && v !== false) q.set(k, v);
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
