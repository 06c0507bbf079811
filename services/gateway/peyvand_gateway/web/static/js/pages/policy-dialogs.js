// Policy actions in dialogs: quote → issue, endorse, renew (from the renewal quote), cancel.
import { html, useEffect, useState } from "../html.js";
import { api, idempotencyKey } from "../api.js";
import { t, date, rials, lang, ltr, toAscii } from "../i18n.js";
import { Dialog } from "../ui/dialog.js";
import { DateField } from "../ui/datepicker.js";
import { Field, FormError, useForm } from "../ui/forms.js";
import { useProducts } from "./products.js";

const ifMatch = (policy) => ({ "If-Match": `"v${policy.version}"` });

/** Rating inputs as name/value rows; a field error on `inputs.x` adds row x so it can be filled. */
function InputsEditor({ rows, setRows, errors }) {
  const missing = Object.keys(errors).filter((f) => f.startsWith("inputs.")).map((f) => f.slice(7)).filter((n) => !rows.some((r) => r.name === n));
  useEffect(() => { if (missing.length) setRows([...rows.filter((r) => r.name || r.value), ...missing.map((name) => ({ name, value: "" }))]); }, [missing.join(",")]);
  const update = (i, key, value) => setRows(rows.map((r, j) => (j === i ? { ...r, [key]: value } : r)));
  return html`<fieldset class="inputs-editor"><legend>${t("quote.inputs")}</legend>
    ${rows.map((row, i) => html`<div class="inputs-row">
      <${Field} label=${t("quote.input_name")} dir="ltr" value=${row.name} onInput=${(e) => update(i, "name", e.currentTarget.value)} />
      <${Field} label=${t("quote.input_value")} dir="auto" value=${row.value} error=${errors[`inputs.${row.name}`]} onInput=${(e) => update(i, "value", e.currentTarget.value)} />
    </div>`)}
    ${errors.inputs && html`<small class="field-error" role="alert">${errors.inputs}</small>`}
    <button type="button" class="small secondary" onClick=${() => setRows([...rows, { name: "", value: "" }])}>${t("quote.add_input")}</button>
  </fieldset>`;
}

const asInputs = (rows) => Object.fromEntries(rows.filter((r) => r.name.trim()).map((r) => [r.name.trim(), r.value.trim()]));

export function QuoteDialog({ customer, onClose, onDone }) {
  const products = useProducts();
  const form = useForm({ product_code: "", term_start: "", term_days: "" });
  const [rows, setRows] = useState([{ name: "", value: "" }]);
  const [quote, setQuote] = useState(null);
  const issue = useForm({});
  async function onQuote(e) {
    e.preventDefault();
    try {
      // The policy belongs to the customer's agent and branch (the API asks for both).
      const body = { product_code: form.values.product_code, holder_id: customer.customer_id, inputs: asInputs(rows), agent_id: customer.agent_id, branch_code: customer.branch_code };
      if (form.values.term_start) body.term_start = form.values.term_start;
      const days = parseInt(toAscii(form.values.term_days), 10);
      if (days > 0) body.term_days = days;
      setQuote(await form.submit(() => api("POST", "/api/v1/quotes", { body })));
    } catch { /* shown next to the fields */ }
  }
  async function onIssue() {
    try {
      const policy = await issue.submit(() => api("POST", "/api/v1/policies", { body: { quote_id: quote.quote_id }, headers: { "Idempotency-Key": idempotencyKey() } }));
      onDone(t("quote.issued", { number: ltr(policy.policy_number) }));
    } catch { /* FormError */ }
  }
  return html`<${Dialog} title=${t("action.new_quote")} onClose=${onClose}>
    <form onSubmit=${onQuote} novalidate>
      <${Field} as="select" label=${t("policy.product")} name="product_code" required error=${form.errors.product_code} ...${form.bind("product_code")}>
        <option value="">${t("form.choose")}</option>
        ${products.map((p) => html`<option value=${p.code}>${lang() === "fa" ? p.name_fa : p.name_en}</option>`)}
      </${Field}>
      <${DateField} label=${t("quote.term_start")} name="term_start" value=${form.values.term_start} error=${form.errors.term_start}
        onChange=${(iso) => form.setValues((v) => ({ ...v, term_start: iso }))} />
      <${Field} label=${t("quote.term_days")} name="term_days" dir="ltr" inputmode="numeric" hint=${t("quote.term_days_hint")} error=${form.errors.term_days} ...${form.bind("term_days")} />
      <${InputsEditor} rows=${rows} setRows=${setRows} errors=${form.errors} />
      <${FormError} error=${form.failure} />
      <div class="dialog-actions"><button type="submit" disabled=${form.busy}>${t("action.get_quote")}</button>
        <button type="button" class="secondary" onClick=${onClose}>${t("action.close")}</button></div>
    </form>
    ${quote && html`<section class="quote-result" aria-live="polite">
      <h3>${t("quote.result")}</h3>
      <dl class="facts">
        <div><dt>${t("quote.net")}</dt><dd>${rials(quote.premium_net)}</dd></div>
        <div><dt>${t("quote.vat")}</dt><dd>${rials(quote.premium_vat)}</dd></div>
        <div><dt>${t("quote.total")}</dt><dd><strong>${rials(quote.premium_total)}</strong></dd></div>
        <div><dt>${t("quote.term")}</dt><dd>${date(quote.term_start)} – ${date(quote.term_end)}</dd></div>
        ${quote.valid_until && html`<div><dt>${t("quote.valid_until")}</dt><dd>${date(quote.valid_until)}</dd></div>`}
      </dl>
      <${FormError} error=${issue.failure} />
      <button type="button" onClick=${onIssue} disabled=${issue.busy}>${t("action.issue_policy")}</button>
    </section>`}
  </${Dialog}>`;
}

export function EndorseDialog({ policy, onClose, onDone }) {
  const form = useForm({ effective_date: "" });
  const [rows, setRows] = useState([{ name: "", value: "" }]);
  async function onSubmit(e) {
    e.preventDefault();
    try {
      const body = { inputs: asInputs(rows) };
      if (form.values.effective_date) body.effective_date = form.values.effective_date;
      await form.submit(() => api("POST", `/api/v1/policies/${policy.policy_id}/endorsements`, { body, headers: ifMatch(policy) }));
      onDone(t("policy.endorsed"));
    } catch { /* shown */ }
  }
  return html`<${Dialog} title=${t("policy.endorse_title", { number: ltr(policy.policy_number) })} onClose=${onClose}>
    <form onSubmit=${onSubmit} novalidate>
      <${DateField} label=${t("policy.effective_date")} name="effective_date" value=${form.values.effective_date} error=${form.errors.effective_date}
        onChange=${(iso) => form.setValues((v) => ({ ...v, effective_date: iso }))} />
      <${InputsEditor} rows=${rows} setRows=${setRows} errors=${form.errors} />
      <${FormError} error=${form.failure} />
      <div class="dialog-actions"><button type="submit" disabled=${form.busy}>${t("action.endorse")}</button>
        <button type="button" class="secondary" onClick=${onClose}>${t("action.close")}</button></div>
    </form>
  </${Dialog}>`;
}

export function RenewDialog({ policy, onClose, onDone }) {
  const [quote, setQuote] = useState(null);
  const form = useForm({});
  useEffect(() => {
    api("GET", `/api/v1/quotes/${policy.renewal_quote_id}`).then(setQuote, (e) => form.setFailure(e));
  }, [policy.renewal_quote_id]);
  async function onRenew() {
    try {
      const renewed = await form.submit(() => api("POST", `/api/v1/policies/${policy.policy_id}/renewal`, { body: { quote_id: policy.renewal_quote_id }, headers: ifMatch(policy) }));
      onDone(t("policy.renewed_as", { number: ltr(renewed.policy_number) }));
    } catch { /* shown */ }
  }
  return html`<${Dialog} title=${t("policy.renew_title", { number: ltr(policy.policy_number) })} onClose=${onClose}>
    ${quote && html`<dl class="facts">
      <div><dt>${t("quote.total")}</dt><dd><strong>${rials(quote.premium_total)}</strong></dd></div>
      <div><dt>${t("quote.term")}</dt><dd>${date(quote.term_start)} – ${date(quote.term_end)}</dd></div>
    </dl>`}
    <${FormError} error=${form.failure} />
    <div class="dialog-actions"><button type="button" onClick=${onRenew} disabled=${form.busy || !quote}>${t("action.renew")}</button>
      <button type="button" class="secondary" onClick=${onClose}>${t("action.close")}</button></div>
  </${Dialog}>`;
}

export function CancelDialog({ policy, onClose, onDone }) {
  const form = useForm({ reason: "", effective_date: "" });
  async function onSubmit(e) {
    e.preventDefault();
    try {
      const body = { reason: form.values.reason };
      if (form.values.effective_date) body.effective_date = form.values.effective_date;
      await form.submit(() => api("POST", `/api/v1/policies/${policy.policy_id}/cancellation`, { body, headers: ifMatch(policy) }));
      onDone(t("policy.cancelled_ok", { number: ltr(policy.policy_number) }));
    } catch { /* shown */ }
  }
  return html`<${Dialog} title=${t("policy.cancel_title", { number: ltr(policy.policy_number) })} onClose=${onClose}>
    <form onSubmit=${onSubmit} novalidate>
      <${Field} as="textarea" label=${t("policy.cancel_reason")} name="reason" required error=${form.errors.reason} ...${form.bind("reason")} />
      <${DateField} label=${t("policy.effective_date")} name="effective_date" value=${form.values.effective_date} error=${form.errors.effective_date}
        onChange=${(iso) => form.setValues((v) => ({ ...v, effective_date: iso }))} />
      <${FormError} error=${form.failure} />
      <div class="dialog-actions"><button type="submit" class="danger" disabled=${form.busy}>${t("action.cancel_policy")}</button>
        <button type="button" class="secondary" onClick=${onClose}>${t("action.close")}</button></div>
    </form>
  </${Dialog}>`;
}
