// Start page: what the user can do from here (search first), by role.
import { html } from "../html.js";
import { t } from "../i18n.js";
import { useStore } from "../store.js";
import { pagesFor } from "./registry.js";

export default function HomePage() {
  const { user, features } = useStore();
  const pages = pagesFor(user, features).filter((p) => p.nav && p.path !== "/");
  return html`<section class="page">
    <h1>${t("home.greeting", { name: user.display_name })}</h1>
    <p>${t("home.search_hint")}</p>
    ${pages.length > 0 && html`<ul class="tiles">${pages.map((p) => html`<li><a class="tile" href=${`#${p.path}`}>${t(p.nav)}</a></li>`)}</ul>`}
    <p class="muted">${t("home.help_hint")}</p>
  </section>`;
}
