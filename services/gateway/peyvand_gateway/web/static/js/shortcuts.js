// Keyboard shortcuts: global ones (search, help, go to) and the current page's own (l, e, q …).
import { useEffect } from "./html.js";

const pageKeys = [];

/** Register a page's single-key shortcuts for as long as the page is shown. */
export function usePageShortcuts(map) {
  useEffect(() => {
    pageKeys.push(map);
    return () => pageKeys.splice(pageKeys.indexOf(map), 1);
  }, [map]);
}

function typing(target) {
  const tag = (target?.tagName || "").toLowerCase();
  return tag === "input" || tag === "textarea" || tag === "select" || target?.isContentEditable;
}

/** Install the document-level listener; `globals` maps keys to actions. */
export function installShortcuts(globals) {
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
      e.preventDefault();
      globals.focusSearch();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || document.querySelector("dialog[open]")) return;
    const key = e.key;
    if (key === "/") { e.preventDefault(); globals.focusSearch(); return; }
    if (key === "?") { e.preventDefault(); globals.toggleHelp(); return; }
    const page = pageKeys[pageKeys.length - 1];
    if (page && page[key]) { e.preventDefault(); page[key](); return; }
    if (globals[key]) { e.preventDefault(); globals[key](); }
  });
}

/** What the help overlay lists: [keys, label key]. */
export const SHORTCUT_HELP = [
  ["/ , Ctrl+K", "help.search"],
  ["↑ ↓ Enter", "help.results"],
  ["?", "help.help"],
  ["h", "help.home"],
  ["n", "help.new_customer"],
  ["r", "help.renewals"],
  ["l", "help.log"],
  ["e", "help.edit"],
  ["q", "help.quote"],
  ["t", "help.ticket"],
  ["Esc", "help.close"],
];
