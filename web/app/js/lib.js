// The UI library: Preact with its hooks, and htm for templates written as
// tagged template literals (no build step). Files under vendor/ are the npm
// packages' own ES-module builds, unchanged.
import { h, render, Fragment } from "../vendor/preact/dist/preact.mjs";
import htm from "../vendor/htm/dist/htm.mjs";
import { useState, useEffect } from "../vendor/preact/hooks/dist/hooks.mjs";

export { h, render, Fragment };
export { useState, useEffect, useLayoutEffect, useMemo, useRef, useCallback, useReducer } from "../vendor/preact/hooks/dist/hooks.mjs";
export const html = htm.bind(h);

// useChanges re-renders the component whenever subscribe's source says it
// changed; subscribe(f) registers f and returns what unregisters it.
export function useChanges(subscribe) {
  const [, set] = useState(0);
  useEffect(() => subscribe(() => set((n) => n + 1)), []);
}
