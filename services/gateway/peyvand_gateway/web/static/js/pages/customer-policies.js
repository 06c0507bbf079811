// The 360° page's policies: status, expiry (within 30 days highlighted), and lifecycle actions.
import { html, useState } from "../html.js";
import { has } from "../api.js";
import { t, num, date, rials } from "../i18n.js";
import { daysUntil } from "../calendar.js";
import { useProducts, ProductName } from "./products.js";
import { EndorseDialog, RenewDialog, CancelDialog } from "./policy-dialogs.js";

export const EXPIRY_WARNING_DAYS = 30;

export function ExpiryCell({ policy }) {
  const days = daysUntil(policy.term_end);
  const soon = policy.status === "active" && days !== null && days >= 0 && days <= EXPIRY_WARNING_DAYS;
  return html`<span class=${soon ? "expiring" : ""}>${date(policy.term_end)}
    ${soon && html` <span class="badge warn">${days === 0 ? t("policy.expires_today") : t("policy.expires_in", { n: days })}</span>`}</span>`;
}

export function PoliciesSection({ policies, customer, canWork, onChanged }) {
  const products = useProducts();
  const [action, setAction] = useState(null);
  const can = {
    endorse: canWork && has("POST /api/v1/policies/{policy_id}/endorsements"),
    renew: canWork && has("POST /api/v1/policies/{policy_id}/renewal") && has("GET /api/v1/quotes/{quote_id}"),
    cancel: canWork && has("POST /api/v1/policies/{policy_id}/cancellation"),
  };
  const done = (message) => { setAction(null); onChanged(message); };
  return html`<section class="card" aria-labelledby="policies-h">
    <h2 id="policies-h">${t("c360.policies")}</h2>
    ${policies == null ? html`<p class="muted">${t("state.unavailable")}</p>` : policies.length === 0 ? html`<p class="muted">${t("state.none")}</p>` : html`
    <div class="table-wrap"><table class="policies" id="policies">
      <thead><tr>
        <th scope="col">${t("policy.number")}</th><th scope="col">${t("policy.product")}</th><th scope="col">${t("policy.status")}</th>
        <th scope="col">${t("policy.term_end")}</th><th scope="col">${t("policy.premium")}</th><th scope="col"><span class="visually-hidden">${t("c360.actions")}</span></th>
      </tr></thead>
      <tbody>${policies.map((p) => {
        const active = p.status === "active";
        return html`<tr class=${daysUntil(p.term_end) <= EXPIRY_WARNING_DAYS && daysUntil(p.term_end) >= 0 && active ? "row-expiring" : ""}>
          <td><span dir="ltr" class="ltr">${num(p.policy_number)}</span></td>
          <td><${ProductName} code=${p.product_code} products=${products} /></td>
          <td><span class=${`badge pstatus-${p.status}`}>${t(`pstatus.${p.status}`)}</span></td>
          <td><${ExpiryCell} policy=${p} /></td>
          <td class="num">${rials(p.premium)}</td>
          <td class="row-actions">
            ${active && can.endorse && html`<button type="button" class="small secondary" onClick=${() => setAction({ kind: "endorse", policy: p })}>${t("action.endorse")}</button>`}
            ${active && can.renew && p.renewal_quote_id && html`<button type="button" class="small secondary" onClick=${() => setAction({ kind: "renew", policy: p })}>${t("action.renew")}</button>`}
            ${active && can.cancel && html`<button type="button" class="small danger" onClick=${() => setAction({ kind: "cancel", policy: p })}>${t("action.cancel_policy")}</button>`}
          </td>
        </tr>`;
      })}</tbody>
    </table></div>`}
    ${action?.kind === "endorse" && html`<${EndorseDialog} policy=${action.policy} onClose=${() => setAction(null)} onDone=${done} />`}
    ${action?.kind === "renew" && html`<${RenewDialog} policy=${action.policy} onClose=${() => setAction(null)} onDone=${done} />`}
    ${action?.kind === "cancel" && html`<${CancelDialog} policy=${action.policy} onClose=${() => setAction(null)} onDone=${done} />`}
  </section>`;
}
