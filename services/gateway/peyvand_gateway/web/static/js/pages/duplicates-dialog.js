// Likely duplicates of this customer, and merging one into this one (the survivor).
import { html, useEffect, useState } from "../html.js";
import { api } from "../api.js";
import { t, num } from "../i18n.js";
import { Dialog } from "../ui/dialog.js";
import { FormError, useForm } from "../ui/forms.js";

export function DuplicatesDialog({ customer, onClose, onDone }) {
  const [candidates, setCandidates] = useState(null);
  const [confirm, setConfirm] = useState(null);
  const form = useForm({});
  useEffect(() => {
    (async () => {
      try {
        const page = await api("GET", `/api/v1/customers/${customer.customer_id}/duplicates?limit=20`);
        const withNames = await Promise.all(page.items.map(async (c) => {
          const other = c.other_customer_id === customer.customer_id ? c.customer_id : c.other_customer_id;
          try { return { ...c, other, other_customer: await api("GET", `/api/v1/customers/${other}`) }; } catch { return { ...c, other }; }
        }));
        setCandidates(withNames);
      } catch (e) {
        form.setFailure(e);
        setCandidates([]);
      }
    })();
  }, [customer.customer_id]);
  async function merge(candidate) {
    try {
      await form.submit(() => api("POST", `/api/v1/customers/${customer.customer_id}/merge`, { body: { merged_id: candidate.other } }));
      onDone(t("merge.done"));
    } catch { /* shown */ }
  }
  return html`<${Dialog} title=${t("merge.title")} onClose=${onClose} wide>
    <${FormError} error=${form.failure} />
    ${candidates === null ? html`<p aria-busy="true">${t("state.loading")}</p>` : candidates.length === 0 ? html`<p>${t("merge.none")}</p>` : html`
    <table><thead><tr><th scope="col">${t("customer.name")}</th><th scope="col">${t("merge.score")}</th><th scope="col">${t("merge.reasons")}</th><th scope="col"></th></tr></thead>
    <tbody>${candidates.map((c) => html`<tr>
      <td><a href=${`#/customers/${c.other}`}><bdi>${c.other_customer?.display_name || c.other}</bdi></a>
        ${c.other_customer && html` <span dir="ltr" class="ltr muted">${num(c.other_customer.customer_number)}</span>`}</td>
      <td class="num">${num(c.score)}</td>
      <td>${(c.reasons || []).map((r) => t(`matched.${r}`)).join(t("list.sep"))}</td>
      <td>${confirm === c.other
        ? html`<button type="button" class="danger small" onClick=${() => merge(c)} disabled=${form.busy}>${t("merge.confirm")}</button>`
        : html`<button type="button" class="secondary small" onClick=${() => setConfirm(c.other)}>${t("merge.into_this")}</button>`}</td>
    </tr>`)}</tbody></table>`}
    <p class="muted">${t("merge.explain", { name: customer.display_name })}</p>
  </${Dialog}>`;
}
