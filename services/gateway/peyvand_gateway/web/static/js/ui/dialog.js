// A modal dialog on the native <dialog> element (focus stays inside; Esc closes; focus returns).
import { html, useEffect, useRef } from "../html.js";
import { t } from "../i18n.js";

export function Dialog({ title, onClose, children, wide = false }) {
  const ref = useRef(null);
  useEffect(() => {
    const opener = document.activeElement;
    const dialog = ref.current;
    dialog.showModal();
    const first = dialog.querySelector("input:not([type=hidden]), select, textarea, button:not(.dialog-close)");
    if (first) first.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (opener && opener.focus) opener.focus();
    };
  }, []);
  const titleId = `dlg-${title.replace(/\W+/g, "")}-${Math.random().toString(36).slice(2, 7)}`;
  return html`<dialog ref=${ref} class=${wide ? "wide" : ""} aria-labelledby=${titleId} onCancel=${(e) => { e.preventDefault(); onClose(); }}>
    <header class="dialog-head">
      <h2 id=${titleId}>${title}</h2>
      <button type="button" class="dialog-close icon" aria-label=${t("action.close")} onClick=${onClose}>×</button>
    </header>
    ${children}
  </dialog>`;
}
