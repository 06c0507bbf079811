// Renewals due: active policies of a branch ending in the coming weeks, soonest first.
import { html, useEffect, useState } from "../html.js";
import { api, has } from "../api.js";
import { t, tMaybe, num, rials, lang } from "../i18n.js";
import { useStore } from "../store.js";
import { tehranToday, addDays } from "../calendar.js";
import { Field, FormError } from "../ui/forms.js";
import { useProducts, ProductName } from "./products.js";
import { ExpiryCell } from "./customer-policies.js";

const names = new Map();

async function holderName(id) {
  if (!names.has(id)) names.set(id, api("GET", `/api/v1/customers/${id}`).then((c) => c.display_name, () => id));
  return names.get(id);
}

export default function RenewalsPage() {
  const { user } = useStore();
  const products = useProducts();
  const [weeks, setWeeks] = useState("4");
  const [branch, setBranch] = useState(user.branch_codes?.[0] || "");
  const [branches, setBranches] = useState([]);
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [degraded, setDegraded] = useState([]);
  useEffect(() => {
    if (has("GET /api/v1/org/branches") && user.role !== "agent") {
      api("GET", `/api/v1/org/branches${user.region_code ? `?region=${user.region_code}` : ""}`).then(setBranches, () => setBranches([]));
    }
  }, []);
  useEffect(() => {
    (async () => {
      setRows(null);
      try {
        let items;
        if (has("GET /api/v1/renewals")) {
          // With each policy's renewal journey state (campaign); still answers when campaign is down.
          const query = new URLSearchParams({ weeks, limit: "100" });
          if (branch) query.set("branch_code", branch);
          const page = await api("GET", `/api/v1/renewals?${query}`);
          items = page.items.map((r) => ({ ...r.policy, journey_state: r.journey_state }));
          setDegraded(page.degraded || []);
        } else {
          const today = tehranToday();
          const query = new URLSearchParams({ status: "active", term_end_from: today, term_end_to: addDays(today, 7 * +weeks), limit: "200" });
          if (branch) query.set("branch_code", branch);
          items = (await api("GET", `/api/v1/policies?${query}`)).items;
        }
        items.sort((a, b) => a.term_end.localeCompare(b.term_end));
        const withNames = await Promise.all(items.map(async (p) => ({ ...p, holder_name: await holderName(p.holder_id) })));
        setRows(withNames);
        setError(null);
      } catch (e) {
        setError(e);
        setRows([]);
      }
    })();
  }, [weeks, branch]);
  const showBranchPicker = user.role !== "agent" && user.role !== "staff" && branches.length > 0;
  return html`<section class="page">
    <h1>${t("nav.renewals")}</h1>
    <div class="filters">
      <${Field} as="select" label=${t("renewals.window")} name="weeks" value=${weeks} onChange=${(e) => setWeeks(e.currentTarget.value)}>
        ${["1", "2", "4", "8", "12"].map((w) => html`<option value=${w}>${t("renewals.weeks", { n: w })}</option>`)}
      </${Field}>
      ${showBranchPicker && html`<${Field} as="select" label=${t("customer.branch")} name="branch" value=${branch} onChange=${(e) => setBranch(e.currentTarget.value)}>
        <option value="">${t("renewals.all_branches")}</option>
        ${branches.map((b) => html`<option value=${b.code}>${lang() === "fa" ? b.name_fa : b.name_en} (${num(b.code)})</option>`)}
      </${Field}>`}
    </div>
    <${FormError} error=${error} />
    ${degraded.length > 0 && html`<div class="notice warning" role="status">${t("renewals.degraded")}</div>`}
    ${rows === null ? html`<p aria-busy="true">${t("state.loading")}</p>` : rows.length === 0 ? html`<p class="muted">${t("renewals.none")}</p>` : html`
    <p class="muted" aria-live="polite">${t("renewals.count", { n: rows.length })}</p>
    <div class="table-wrap"><table id="renewals">
      <thead><tr><th scope="col">${t("policy.number")}</th><th scope="col">${t("policy.holder")}</th><th scope="col">${t("policy.product")}</th>
        <th scope="col">${t("policy.term_end")}</th><th scope="col">${t("policy.premium")}</th><th scope="col">${t("renewals.quote")}</th>${rows.some((p) => p.journey_state) && html`<th scope="col">${t("renewals.journey")}</th>`}</tr></thead>
      <tbody>${rows.map((p) => html`<tr>
        <td><span dir="ltr" class="ltr">${num(p.policy_number)}</span></td>
        <td><a href=${`#/customers/${p.holder_id}`}><bdi>${p.holder_name}</bdi></a></td>
        <td><${ProductName} code=${p.product_code} products=${products} /></td>
        <td><${ExpiryCell} policy=${p} /></td>
        <td class="num">${rials(p.premium)}</td>
        <td>${p.renewal_quote_id ? t("renewals.quote_ready") : t("renewals.quote_none")}</td>
        ${p.journey_state && html`<td>${tMaybe(`journey.${p.journey_state}`) ?? p.journey_state}</td>`}
      </tr>`)}</tbody>
    </table></div>`}
  </section>`;
}
