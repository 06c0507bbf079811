// The frame around every page: header (search, nav by role, language, help, sign out), toasts, help.
import { html } from "../html.js";
import { dismissToast, setState, useStore } from "../store.js";
import { t, setLang } from "../i18n.js";
import { signOut } from "../api.js";
import { go } from "../router.js";
import { SearchBox } from "./search.js";
import { SHORTCUT_HELP } from "../shortcuts.js";
import { Dialog } from "./dialog.js";

export function Toasts() {
  const { toasts } = useStore();
  return html`<div class="toasts" role="status" aria-live="polite">
    ${toasts.map((item) => html`<div class=${`toast ${item.kind}`} role=${item.kind === "error" ? "alert" : undefined}>
      <span>${item.text}</span>
      <button type="button" class="icon" aria-label=${t("action.close")} onClick=${() => dismissToast(item.id)}>×</button>
    </div>`)}
  </div>`;
}

export function HelpOverlay() {
  const { helpOpen } = useStore();
  if (!helpOpen) return null;
  return html`<${Dialog} title=${t("help.title")} onClose=${() => setState({ helpOpen: false })}>
    <table class="shortcuts">
      <tbody>${SHORTCUT_HELP.map(([keys, label]) => html`<tr><td><kbd dir="ltr">${keys}</kbd></td><td>${t(label)}</td></tr>`)}</tbody>
    </table>
  </${Dialog}>`;
}

export function LangSwitch() {
  const { lang } = useStore();
  const next = lang === "fa" ? "en" : "fa";
  return html`<button type="button" class="lang-switch" lang=${next} onClick=${() => setLang(next)} aria-label=${t("lang.switch_to")}>${t("lang.other")}</button>`;
}

/** The skip link moves focus to the page's content; it must not follow "#main" as a hash route. */
function skipToMain(e) {
  e.preventDefault();
  document.getElementById("main")?.focus();
}

export function Shell({ pages, path, children }) {
  const { user } = useStore();
  const navPages = pages.filter((p) => p.nav);
  return html`<div class="app">
    <a class="skip-link" href="#main" onClick=${skipToMain}>${t("a11y.skip")}</a>
    <header class="topbar">
      <a class="brand" href="#/">${t("app.name")}</a>
      <${SearchBox} />
      <div class="user-box">
        <span class="who"><bdi>${user.display_name}</bdi> · ${t(`role.${user.role}`)}</span>
        <${LangSwitch} />
        <button type="button" class="icon" aria-label=${t("help.title")} onClick=${() => setState({ helpOpen: true })}>?</button>
        <button type="button" class="secondary" id="sign-out" onClick=${async () => { await signOut(); go("/"); }}>${t("action.sign_out")}</button>
      </div>
    </header>
    <nav class="mainnav" aria-label=${t("nav.label")}>
      <ul>${navPages.map((p) => html`<li><a href=${`#${p.path}`} aria-current=${p.path === path ? "page" : undefined}>${t(p.nav)}</a></li>`)}</ul>
    </nav>
    <main id="main" tabindex="-1">${children}</main>
    <${Toasts} />
    <${HelpOverlay} />
  </div>`;
}
