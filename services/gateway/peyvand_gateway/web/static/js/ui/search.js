// The one search box, always on screen: names (any spelling), national id, mobile, policy number.
import { html, useEffect, useRef, useState } from "../html.js";
import { api } from "../api.js";
import { t, num } from "../i18n.js";
import { go } from "../router.js";
import { errorMessage } from "./forms.js";

export function primaryMobile(customer) {
  const points = (customer.contact_points || []).filter((p) => p.kind === "mobile");
  return (points.find((p) => p.primary) || points[0] || {}).value || "";
}

export function SearchBox() {
  const [q, setQ] = useState("");
  const [hits, setHits] = useState(null);
  const [active, setActive] = useState(-1);
  const [error, setError] = useState(null);
  const seq = useRef(0);
  const input = useRef(null);

  useEffect(() => {
    const query = q.trim();
    if (!query) { setHits(null); setError(null); return; }
    const mine = ++seq.current;
    const timer = setTimeout(async () => {
      try {
        const page = await api("GET", `/api/v1/customers?q=${encodeURIComponent(query)}&limit=10`);
        if (mine === seq.current) { setHits(page.items); setActive(page.items.length ? 0 : -1); setError(null); }
      } catch (e) {
        if (mine === seq.current) { setHits([]); setError(e); }
      }
    }, 200);
    return () => clearTimeout(timer);
  }, [q]);

  function open(hit) {
    setQ(""); setHits(null);
    go(`/customers/${hit.customer.customer_id}`);
  }
  function onKey(e) {
    if (e.key === "ArrowDown" && hits?.length) { e.preventDefault(); setActive((active + 1) % hits.length); }
    else if (e.key === "ArrowUp" && hits?.length) { e.preventDefault(); setActive((active - 1 + hits.length) % hits.length); }
    else if (e.key === "Enter" && hits?.[active]) { e.preventDefault(); open(hits[active]); }
    else if (e.key === "Escape") { setQ(""); setHits(null); input.current.blur(); }
  }
  const expanded = hits !== null;
  return html`<div class="search" role="search">
    <label for="global-search" class="visually-hidden">${t("search.label")}</label>
    <input id="global-search" ref=${input} type="search" autocomplete="off"
      role="combobox" aria-expanded=${expanded ? "true" : "false"} aria-controls="search-results" aria-autocomplete="list"
      aria-activedescendant=${active >= 0 && hits?.[active] ? `hit-${active}` : undefined}
      placeholder=${t("search.placeholder")} value=${q} onInput=${(e) => setQ(e.currentTarget.value)} onKeyDown=${onKey}
      onBlur=${() => setTimeout(() => setHits(null), 150)} />
    ${!q && html`<kbd class="search-kbd" aria-hidden="true">/</kbd>`}
    <ul id="search-results" role="listbox" aria-label=${t("search.results")} hidden=${!expanded}>
      ${error && html`<li class="search-empty" role="option" aria-disabled="true">${errorMessage(error)}</li>`}
      ${hits && !hits.length && !error && html`<li class="search-empty" role="option" aria-disabled="true">${t("search.none")}</li>`}
      ${(hits || []).map((hit, i) => html`<li id=${`hit-${i}`} role="option" aria-selected=${i === active ? "true" : "false"}
          class=${i === active ? "active" : ""} onMouseDown=${(e) => { e.preventDefault(); open(hit); }}>
          <span class="hit-name"><bdi>${hit.customer.display_name}</bdi></span>
          <span class="hit-meta">
            <span dir="ltr" class="ltr">${num(hit.customer.customer_number)}</span>
            ${primaryMobile(hit.customer) && html` · <span dir="ltr" class="ltr">${num(primaryMobile(hit.customer))}</span>`}
            · ${t(`matched.${hit.matched_on}`)}
          </span>
        </li>`)}
    </ul>
    <div class="visually-hidden" aria-live="polite">${hits ? t("search.count", { n: hits.length }) : ""}</div>
  </div>`;
}
