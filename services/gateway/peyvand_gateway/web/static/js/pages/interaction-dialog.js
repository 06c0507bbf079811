// Log a call, visit or note on the customer's timeline (now, or at a Jalali date and time).
import { html } from "../html.js";
import { api, idempotencyKey } from "../api.js";
import { t, toAscii } from "../i18n.js";
import { Dialog } from "../ui/dialog.js";
import { DateField } from "../ui/datepicker.js";
import { Field, FormError, useForm } from "../ui/forms.js";

const TEHRAN_OFFSET = "+03:30"; // Asia/Tehran has had no DST since 2022

export function InteractionDialog({ customerId, onClose, onDone }) {
  const form = useForm({ kind: "call", summary: "", on: "", time: "" });
  async function onSubmit(e) {
    e.preventDefault();
    const v = form.values;
    const body = { kind: v.kind, summary: v.summary.trim() };
    if (v.on) {
      const time = /^\d{1,2}:\d{2}$/.test(toAscii(v.time).trim()) ? toAscii(v.time).trim().padStart(5, "0") : "12:00";
      body.at = new Date(`${v.on}T${time}:00${TEHRAN_OFFSET}`).toISOString();
    }
    try {
      await form.submit(() => api("POST", `/api/v1/customers/${customerId}/interactions`, { body, headers: { "Idempotency-Key": idempotencyKey() } }));
      onDone();
    } catch { /* shown next to the fields; what was typed stays */ }
  }
  return html`<${Dialog} title=${t("log.title")} onClose=${onClose}>
    <form id="log-form" onSubmit=${onSubmit} novalidate>
      <${Field} as="select" label=${t("log.kind")} name="kind" error=${form.errors.kind} ...${form.bind("kind")}>
        ${["call", "visit", "note"].map((k) => html`<option value=${k}>${t(`tkind.${k}`)}</option>`)}
      </${Field}>
      <${Field} as="textarea" label=${t("log.summary")} name="summary" rows="4" required error=${form.errors.summary} ...${form.bind("summary")} />
      <div class="inline-2">
        <${DateField} label=${t("log.on")} name="on" value=${form.values.on} error=${form.errors.at}
          onChange=${(iso) => form.setValues((v) => ({ ...v, on: iso }))} />
        <${Field} label=${t("log.time")} name="time" dir="ltr" inputmode="numeric" placeholder="10:30" hint=${t("log.time_hint")} ...${form.bind("time")} />
      </div>
      <${FormError} error=${form.failure} />
      <div class="dialog-actions"><button type="submit" id="log-save" disabled=${form.busy}>${t("action.save")}</button>
        <button type="button" class="secondary" onClick=${onClose}>${t("action.close")}</button></div>
    </form>
  </${Dialog}>`;
}
