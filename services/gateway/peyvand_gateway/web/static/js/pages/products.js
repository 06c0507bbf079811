// The product catalogue's names (fetched once per session) for showing product codes to people.
import { html, useEffect, useState } from "../html.js";
import { api, has } from "../api.js";
import { lang } from "../i18n.js";

let cache = null;

export function loadProducts() {
  if (!cache) cache = has("GET /api/v1/products") ? api("GET", "/api/v1/products").catch(() => { cache = null; return []; }) : Promise.resolve([]);
  return cache;
}

export function useProducts() {
  const [products, setProducts] = useState([]);
  useEffect(() => { loadProducts().then(setProducts); }, []);
  return products;
}

export function ProductName({ code, products }) {
  const p = products.find((x) => x.code === code);
  return html`<span>${p ? (lang() === "fa" ? p.name_fa : p.name_en) || code : code}</span>`;
}
