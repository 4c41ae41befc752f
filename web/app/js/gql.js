// The GraphQL client: operations are files (ops/*.graphql) that the server
// lists with their SHA-256 in ops.json, so every request is an automatic
// persisted query (the hash alone; the text too only when the server has
// not seen it yet). Mutations carry the X-CSRF-Token header from the
// p06_csrf cookie, as README "Signing in" asks of a single-page app.
// Query results are kept per operation and variables (shown at once when a
// page is visited again, then refreshed), and objects a mutation returns
// are merged by node id into every kept result that holds them.
import { useState, useEffect } from "./lib.js";
import { lang } from "./i18n.js";

const manifest = fetch(new URL("../ops.json", import.meta.url)).then((r) => r.json());

export class GraphQLError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join("\n"));
    this.errors = errors;
    this.code = errors[0]?.extensions?.code ?? "";
  }
}

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)p06_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : "";
}

const unauthenticated = new Set();
// onUnauthenticated(f) calls f when the server refuses the session.
export const onUnauthenticated = (f) => { unauthenticated.add(f); return () => unauthenticated.delete(f); };

async function post(body) {
  const res = await fetch("/query", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "Accept-Language": lang(), "X-CSRF-Token": csrfToken() },
    body: JSON.stringify(body),
  });
  try {
    return await res.json();
  } catch {
    throw new GraphQLError([{ message: `HTTP ${res.status}`, extensions: { code: "HTTP" } }]);
  }
}

const notPersisted = (r) => r.errors?.some((e) => e.message === "PersistedQueryNotFound" || e.extensions?.code === "PERSISTED_QUERY_NOT_FOUND");

// operation is the text and hash of the operation called name.
export async function operation(name) {
  const op = (await manifest)[name];
  if (!op) throw new Error("no operation " + name);
  return op;
}

// request runs the operation called name; it resolves to its data, or
// rejects with a GraphQLError.
export async function request(name, variables = {}) {
  const op = await operation(name);
  const extensions = { persistedQuery: { version: 1, sha256Hash: op.sha256 } };
  let r = await post({ operationName: name, variables, extensions });
  if (notPersisted(r)) r = await post({ operationName: name, query: op.query, variables, extensions });
  if (r.errors?.length) {
    const err = new GraphQLError(r.errors);
    if (err.code === "UNAUTHENTICATED") unauthenticated.forEach((f) => f());
    throw err;
  }
  return r.data;
}

// upload runs the mutation name with files, as the GraphQL multipart
// request convention sends them (README "Progress reports and evidence"):
// variables[field] is filled with the files (an array), or with the one
// file when files is a File. onProgress(sent, total) follows the upload
// (fetch cannot tell it, so this is XMLHttpRequest).
export async function upload(name, variables, field, files, onProgress) {
  const op = await operation(name);
  const many = Array.isArray(files);
  const list = many ? files : [files];
  const vars = structuredClone(variables);
  const path = field.split(".");
  path.reduce((o, k, i) => (i === path.length - 1 ? (o[k] = many ? list.map(() => null) : null) : o[k]), vars);
  const form = new FormData();
  form.append("operations", JSON.stringify({ operationName: name, query: op.query, variables: vars }));
  form.append("map", JSON.stringify(Object.fromEntries(list.map((_, i) => [String(i), [many ? `variables.${field}.${i}` : `variables.${field}`]]))));
  list.forEach((f, i) => form.append(String(i), f, f.name));
  const r = await new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open("POST", "/query");
    x.setRequestHeader("X-CSRF-Token", csrfToken());
    x.setRequestHeader("Accept-Language", lang());
    x.upload.onprogress = (e) => onProgress?.(e.loaded, e.total);
    x.onload = () => {
      try { resolve(JSON.parse(x.responseText)); } catch { reject(new GraphQLError([{ message: `HTTP ${x.status}`, extensions: { code: "HTTP" } }])); }
    };
    x.onerror = () => reject(new GraphQLError([{ message: "network error", extensions: { code: "HTTP" } }]));
    x.send(form);
  });
  if (r.errors?.length) throw new GraphQLError(r.errors);
  remember(r.data);
  return r.data;
}

// --- the cache -----------------------------------------------------------

const results = new Map(); // key → data
const watchers = new Map(); // key → Set of callbacks
const key = (name, vars) => name + " " + JSON.stringify(vars ?? {});

function notify(k) { watchers.get(k)?.forEach((f) => f()); }

// merge copies the fields of every object with an id in from into the
// objects with the same id in into, wherever they are.
function mergeInto(into, byId) {
  if (Array.isArray(into)) { into.forEach((x) => mergeInto(x, byId)); return; }
  if (!into || typeof into !== "object") return;
  if (into.id && byId.has(into.id)) Object.assign(into, byId.get(into.id));
  for (const v of Object.values(into)) mergeInto(v, byId);
}

function collect(o, byId = new Map()) {
  if (Array.isArray(o)) { o.forEach((x) => collect(x, byId)); return byId; }
  if (!o || typeof o !== "object") return byId;
  if (o.id) byId.set(o.id, { ...(byId.get(o.id) ?? {}), ...o });
  for (const v of Object.values(o)) collect(v, byId);
  return byId;
}

// remember merges the objects of data into every kept result.
export function remember(data) {
  const byId = collect(data);
  if (!byId.size) return;
  for (const [k, v] of results) { mergeInto(v, byId); notify(k); }
}

// mutate runs a mutation and merges what it returns into the cache.
export async function mutate(name, variables) {
  const data = await request(name, variables);
  remember(data);
  return data;
}

// useQuery runs a query when its variables change (skip: not yet),
// showing a kept result at once while it is refreshed.
export function useQuery(name, vars, { skip = false } = {}) {
  const k = key(name, vars);
  const [state, setState] = useState({ k: null, error: null, loading: false });
  const [, redraw] = useState(0);
  const run = () => {
    setState({ k, error: null, loading: true });
    request(name, vars).then(
      (data) => { results.set(k, data); setState((s) => (s.k === k ? { k, error: null, loading: false } : s)); notify(k); },
      (error) => setState((s) => (s.k === k ? { k, error, loading: false } : s)),
    );
  };
  useEffect(() => { if (!skip) run(); }, [k, skip]);
  useEffect(() => {
    const f = () => redraw((n) => n + 1);
    if (!watchers.has(k)) watchers.set(k, new Set());
    watchers.get(k).add(f);
    return () => watchers.get(k).delete(f);
  }, [k]);
  const mine = state.k === k;
  return { data: results.get(k), error: mine ? state.error : null, loading: mine ? state.loading : !skip, reload: run };
}

// forget drops every kept result (signing out, another user).
export function forget() { results.clear(); }
