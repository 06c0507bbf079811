// Boot: translation tables, the gateway's features, a session left in this tab, then the routes.
import { html, render, useEffect, useState } from "./html.js";
import { useStore, setState, getState } from "./store.js";
import { loadTables, applyDocumentLang, rememberedLang, t } from "./i18n.js";
import { loadFeatures, refreshSession } from "./api.js";
import { match, useHashPath, go } from "./router.js";
import { pagesFor } from "./pages/registry.js";
import { Shell, Toasts, LangSwitch } from "./ui/shell.js";
import { installShortcuts } from "./shortcuts.js";
import LoginPage from "./pages/login.js";

const loaded = new Map();

function PageHost({ page, params }) {
  const [component, setComponent] = useState(() => loaded.get(page.module) || null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (loaded.has(page.module)) { setComponent(() => loaded.get(page.module)); return; }
    setComponent(null);
    import(`./pages/${page.module.slice(2)}`)
      .then((mod) => { loaded.set(page.module, mod.default); setComponent(() => mod.default); })
      .catch(() => setFailed(true));
  }, [page.module]);
  if (failed) return html`<p role="alert">${t("error.page_load")}</p>`;
  if (!component) return html`<p class="loading" aria-busy="true">${t("state.loading")}</p>`;
  const Page = component;
  return html`<${Page} params=${params} key=${JSON.stringify(params)} />`;
}

function App() {
  const { user, features, lang } = useStore();
  const path = useHashPath();
  useEffect(() => { document.getElementById("main")?.focus({ preventScroll: true }); }, [path]);
  if (!user) {
    return html`<div class="app signed-out">
      <div class="corner"><${LangSwitch} /></div>
      <main id="main" tabindex="-1"><${LoginPage} /></main>
      <${Toasts} />
    </div>`;
  }
  const pages = pagesFor(user, features);
  let found = null;
  for (const page of pages) {
    const params = match(page.path, path);
    if (params) { found = { page, params }; break; }
  }
  return html`<${Shell} pages=${pages} path=${path} lang=${lang}>
    ${found ? html`<${PageHost} key=${found.page.path} page=${found.page} params=${found.params} />` : html`<section class="page"><h1>${t("page.not_found")}</h1><p><a href="#/">${t("nav.home")}</a></p></section>`}
  </${Shell}>`;
}

function canOpen(path) {
  const { user, features } = getState();
  return pagesFor(user, features).some((p) => p.path === path);
}

async function boot() {
  await loadTables();
  const lang = rememberedLang(null);
  applyDocumentLang(lang);
  setState({ lang });
  await Promise.all([loadFeatures(), refreshSession()]);
  installShortcuts({
    focusSearch: () => document.getElementById("global-search")?.focus(),
    toggleHelp: () => getState().user && setState({ helpOpen: !getState().helpOpen }),
    h: () => go("/"),
    n: () => canOpen("/customers/new") && go("/customers/new"),
    r: () => canOpen("/renewals") && go("/renewals"),
  });
  const root = document.getElementById("root");
  root.textContent = "";
  render(html`<${App} />`, root);
}

boot();
