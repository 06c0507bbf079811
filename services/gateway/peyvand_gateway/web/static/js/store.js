// The app's small shared state (who is signed in, language, toasts) with change listeners.
import { useEffect, useState } from "./html.js";

const state = { user: null, lang: "fa", toasts: [], features: new Set(), helpOpen: false };
const listeners = new Set();

export function getState() {
  return state;
}

export function setState(patch) {
  Object.assign(state, patch);
  for (const listener of [...listeners]) listener();
}

/** Re-render the calling component whenever the shared state changes. */
export function useStore() {
  const [, bump] = useState(0);
  useEffect(() => {
    const listener = () => bump((n) => n + 1);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return state;
}

let toastSeq = 0;
/** A short message in the aria-live region; errors stay until dismissed or replaced. */
export function toast(text, kind = "info") {
  const id = ++toastSeq;
  setState({ toasts: [...state.toasts.filter((t) => t.kind !== "error" || kind !== "error"), { id, text, kind }] });
  if (kind !== "error") setTimeout(() => dismissToast(id), 5000);
}

export function dismissToast(id) {
  setState({ toasts: state.toasts.filter((t) => t.id !== id) });
}
