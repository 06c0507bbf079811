// Pieces shared by the ticket pages: SLA countdown, moments, and the "open a ticket" dialog.
import { html, useEffect, useState } from "../html.js";
import { api, idempotencyKey } from "../api.js";
import { t, num, instant } from "../i18n.js";
import { Dialog } from "../ui/dialog.js";
import { Field, FormError, useForm } from "../ui/forms.js";

export function ticketMoment(moment) {
  return moment?.utc ? instant(moment.utc) : "";
}

function useNow(everyMs = 30000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => { const id = setInterval(() => setNow(Date.now()), everyMs); return () => clearInterval(id); }, []);
  return now;
}

/** Time left to the next SLA target (first response, else resolution), or how late it is. */
export function SlaCountdown({ ticket }) {
  const now = useNow();
  const done = ["resolved", "closed"].includes(ticket.status);
  const due = !ticket.first_responded_at?.utc && ticket.first_response_due?.utc ? ticket.first_response_due : ticket.resolution_due;
  const state = ticket.sla_state || "ok";
  if (done || !due?.utc) return html`<span class=${`badge sla-badge-${state}`}>${t(`sla.${state}`)}</span>`;
  const minutes = Math.round((Date.parse(due.utc) - now) / 60000);
  const span = Math.abs(minutes);
  const text = span >= 60 * 24 ? t("sla.days", { n: Math.floor(span / 1440) }) : span >= 60 ? t("sla.hours", { h: Math.floor(span / 60), m: span % 60 }) : t("sla.minutes", { n: span });
  return html`<span class=${`badge sla-badge-${minutes < 0 ? "breached" : state}`} title=${ticketMoment(due)}>
    ${ticket.sla_paused ? t("sla.paused") : minutes < 0 ? t("sla.late", { time: text }) : t("sla.left", { time: text })}</span>`;
}

const TYPES = ["service_request", "complaint", "claim_inquiry", "incident"];
const LEVELS = ["high", "medium", "low"];

export function OpenTicketDialog({ customer, policies, onClose, onDone }) {
  const form = useForm({ type: "service_request", category: "", channel: "branch_visit", subject: "", description: "", impact: "medium", urgency: "medium", policy_number: "" });
  async function onSubmit(e) {
    e.preventDefault();
    try {
      const body = { ...form.values, customer_id: customer.customer_id };
      const answer = await form.submit(() => api("POST", "/api/v1/tickets", { body, headers: { "Idempotency-Key": idempotencyKey() } }));
      onDone(answer.ticket);
    } catch { /* shown beside the fields */ }
  }
  const select = (name, values, prefix) => html`<${Field} as="select" label=${t(`ticket.${name}`)} name=${name} error=${form.errors[name]} ...${form.bind(name)}>
    ${values.map((v) => html`<option value=${v}>${t(`${prefix}.${v}`)}</option>`)}</${Field}>`;
  return html`<${Dialog} title=${t("action.open_ticket")} onClose=${onClose} wide>
    <form id="ticket-form" onSubmit=${onSubmit} novalidate>
      <div class="inline-2">${select("type", TYPES, "ttype")}
        <${Field} label=${t("ticket.category")} name="category" dir="ltr" required hint=${t("ticket.category_hint")} error=${form.errors.category} ...${form.bind("category")} /></div>
      <${Field} label=${t("ticket.subject")} name="subject" required error=${form.errors.subject} ...${form.bind("subject")} />
      <${Field} as="textarea" label=${t("ticket.description")} name="description" error=${form.errors.description} ...${form.bind("description")} />
      <div class="inline-2">${select("impact", LEVELS, "level")}${select("urgency", LEVELS, "level")}</div>
      ${policies?.length > 0 && html`<${Field} as="select" label=${t("ticket.policy_number")} name="policy_number" ...${form.bind("policy_number")}>
        <option value="">—</option>${policies.map((p) => html`<option value=${p.policy_number}>${num(p.policy_number)}</option>`)}</${Field}>`}
      <${FormError} error=${form.failure} />
      <div class="dialog-actions"><button type="submit" id="ticket-save" disabled=${form.busy}>${t("action.open_ticket")}</button>
        <button type="button" class="secondary" onClick=${onClose}>${t("action.close")}</button></div>
    </form>
  </${Dialog}>`;
}
