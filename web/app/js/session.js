// Who is signed in (the Me operation), for every page: undefined while it
// is asked, null when nobody is.
import { useChanges } from "./lib.js";
import { request, forget, onUnauthenticated } from "./gql.js";

let me;
const listeners = new Set();

export function setSession(m) {
  if (!m || m.user?.id !== me?.user?.id) forget();
  me = m ?? null;
  listeners.forEach((f) => f());
}

export const session = () => me;

export async function loadSession() {
  try {
    setSession((await request("Me")).me);
  } catch (e) {
    if (e.code === "UNAUTHENTICATED") setSession(null);
    else throw e;
  }
}

// The session cookie was refused (expired, signed out elsewhere).
export let ended = false;
onUnauthenticated(() => { if (me) { ended = true; setSession(null); } });
export const clearEnded = () => { ended = false; };

const subscribe = (f) => { listeners.add(f); return () => listeners.delete(f); };

export function useSession() {
  useChanges(subscribe);
  return me;
}

// can says whether the caller holds permission on the unit at path (a
// grant on a unit covers the units below it).
export function can(permission, path) {
  const p = me?.permissions?.find((x) => x.permission === permission);
  return !!p && p.orgUnits.some((u) => path.startsWith(u.path));
}

// holds says whether m holds permission on some unit.
export const holds = (m, permission) => !!m?.permissions?.some((p) => p.permission === permission && p.orgUnits.length);

// isNational: the caller reads the whole country (READ_DATA on the root
// unit, whatever their home unit: the Prime Minister's office has its own).
export const isNational = (m = me) =>
  !!m?.permissions?.some((p) => p.permission === "READ_DATA" && p.orgUnits.some((u) => u.path.split("/").filter(Boolean).length === 1));
