// Subscriptions over WebSocket (graphql-transport-ws, README "Live
// updates"): the session cookie goes with the upgrade. One connection for
// the app, opened while someone subscribes, reopened after a drop with a
// growing pause; nothing is replayed, so a subscriber is told when it
// (re)connects and reads again what it shows.
import { operation } from "./gql.js";

let ws = null;
let nextId = 1;
let retry = 0;
const subs = new Map(); // id → {name, variables, onData, onConnect}

function send(msg) { if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg)); }

async function start(id, s) {
  const op = await operation(s.name);
  send({ id, type: "subscribe", payload: { operationName: s.name, query: op.query, variables: s.variables,
    extensions: { persistedQuery: { version: 1, sha256Hash: op.sha256 } } } });
}

function connect() {
  if (ws || !subs.size) return;
  const url = new URL("/query", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  ws = new WebSocket(url, "graphql-transport-ws");
  ws.onopen = () => send({ type: "connection_init", payload: {} });
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === "connection_ack") {
      retry = 0;
      for (const [id, s] of subs) { start(id, s); s.onConnect?.(); }
    } else if (m.type === "ping") send({ type: "pong" });
    else if (m.type === "next") subs.get(m.id)?.onData(m.payload.data);
    else if (m.type === "error" || m.type === "complete") {
      // Dropped (a slow subscriber, signed out): subscribe again after a pause.
      const s = subs.get(m.id);
      if (s) setTimeout(() => subs.has(m.id) && start(m.id, s), 5000);
    }
  };
  ws.onclose = (e) => {
    ws = null;
    if (!subs.size || e.code === 4401 || e.code === 4403) return; // not signed in: nothing to do
    retry = Math.min(retry + 1, 6);
    setTimeout(connect, 1000 * 2 ** retry);
  };
}

// subscribe starts the subscription name; onData gets each event's data,
// onConnect is called on every (re)connection. It returns what stops it.
export function subscribe(name, variables, onData, onConnect) {
  const id = String(nextId++);
  const s = { name, variables, onData, onConnect };
  subs.set(id, s);
  if (ws?.readyState === WebSocket.OPEN) { start(id, s); onConnect?.(); } else connect();
  return () => {
    subs.delete(id);
    send({ id, type: "complete" });
    if (!subs.size && ws) { ws.close(1000); ws = null; }
  };
}
