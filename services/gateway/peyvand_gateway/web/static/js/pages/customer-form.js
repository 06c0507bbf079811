// Create or edit a customer: field errors beside the fields, the duplicate warning with an
// override, and a stale version (If-Match) answered without losing what was typed.
import { html, useEffect, useState } from "../html.js";
import { api, idempotencyKey } from "../api.js";
import { t, num, toAscii } from "../i18n.js";
import { useStore } from "../store.js";
import { go } from "../router.js";
import { Dialog } from "../ui/dialog.js";
import { DateField } from "../ui/datepicker.js";
import { Field, FormError, fieldErrors, useForm } from "../ui/forms.js";

const TEXT_FIELDS = ["first_name", "last_name", "father_name", "national_id", "org_name", "legal_id", "economic_code", "gender", "preferred_channel", "language", "branch_code", "birth_date"];
const EMPTY = { kind: "person", mobile: "", email: "", ...Object.fromEntries(TEXT_FIELDS.map((f) => [f, ""])) };
const LTR_FIELDS = new Set(["national_id", "legal_id", "economic_code", "branch_code", "mobile", "email"]);

function fromCustomer(c) {
  const point = (kind) => ((c.contact_points || []).filter((p) => p.kind === kind).find((p) => p.primary) || (c.contact_points || []).find((p) => p.kind === kind) || {}).value || "";
  const values = { ...EMPTY, ...Object.fromEntries(TEXT_FIELDS.map((f) => [f, c[f] || ""])), kind: c.kind, mobile: point("mobile"), email: point("email") };
  if (values.gender === "unspecified") values.gender = "";
  return values;
}

/** The request body (only what changed when editing) and which form field each contact point came from. */
function buildBody(values, original) {
  const body = {};
  const base = original ? fromCustomer(original) : EMPTY;
  for (const f of TEXT_FIELDS) {
    const value = LTR_FIELDS.has(f) ? toAscii(values[f]).trim() : values[f].trim();
    if (!original ? value : value !== base[f]) body[f] = value;
  }
  if (!original) body.kind = values.kind;
  const pointFields = [];
  if (!original || toAscii(values.mobile).trim() !== base.mobile || values.email.trim() !== base.email) {
    const kept = (original?.contact_points || []).filter((p) => p.kind !== "mobile" && p.kind !== "email");
    const points = kept.map((p) => ({ ...p }));
    kept.forEach(() => pointFields.push(null));
    if (toAscii(values.mobile).trim()) { points.push({ kind: "mobile", value: toAscii(values.mobile).trim(), primary: true }); pointFields.push("mobile"); }
    if (values.email.trim()) { points.push({ kind: "email", value: values.email.trim(), primary: true }); pointFields.push("email"); }
    if (points.length || original) body.contact_points = points;
  }
  return { body, pointFields };
}

/** API field names (contact_points[1].value) → this form's field names (mobile). */
function mapErrors(errors, pointFields) {
  const out = {};
  for (const [field, message] of Object.entries(errors)) {
    const m = /^contact_points\[(\d+)\]/.exec(field);
    out[m ? pointFields[+m[1]] || "mobile" : field] = message;
  }
  return out;
}

export default function CustomerFormPage({ params }) {
  const editing = Boolean(params.id);
  const { user } = useStore();
  const form = useForm({ ...EMPTY, branch_code: user.branch_codes?.[0] || "" });
  const [original, setOriginal] = useState(null);
  const [duplicates, setDuplicates] = useState(null);
  const [loadError, setLoadError] = useState(null);

  async function fetchCurrent() {
    return api("GET", `/api/v1/customers/${encodeURIComponent(params.id)}`);
  }
  useEffect(() => {
    if (!editing) return;
    fetchCurrent().then((c) => { setOriginal(c); form.setValues(fromCustomer(c)); }, setLoadError);
  }, [params.id]);

  async function save(override = false) {
    const { body, pointFields } = buildBody(form.values, original);
    if (override) body.override_duplicate_warning = true;
    try {
      const saved = await form.submit(() =>
        editing
          ? api("PATCH", `/api/v1/customers/${original.customer_id}`, { body, headers: { "If-Match": `"v${original.version}"` } })
          : api("POST", "/api/v1/customers", { body, headers: { "Idempotency-Key": idempotencyKey() } }),
      );
      setDuplicates(null);
      go(`/customers/${saved.customer_id}`);
    } catch (error) {
      if (error.code === "CUSTOMER_DUPLICATE" && error.problem.duplicate_warnings) setDuplicates(error.problem.duplicate_warnings);
      form.setErrors(mapErrors(fieldErrors(error), pointFields));
    }
  }
  async function reloadVersion() {
    const latest = await fetchCurrent();
    setOriginal(latest); // the typed values stay; the next save is checked against the latest version
    form.setFailure(null);
  }
  const onSubmit = (e) => { e.preventDefault(); save(false); };
  if (loadError) return html`<section class="page"><${FormError} error=${loadError} /></section>`;
  if (editing && !original) return html`<section class="page"><p aria-busy="true">${t("state.loading")}</p></section>`;
  const f = (name, extra = {}) => html`<${Field} label=${t(`customer.${name}`)} name=${name} dir=${LTR_FIELDS.has(name) ? "ltr" : undefined} error=${form.errors[name]} ...${form.bind(name)} ...${extra} />`;
  const org = form.values.kind === "organisation";
  return html`<section class="page">
    <h1>${editing ? html`${t("customer.edit_title")}: <bdi>${original.display_name}</bdi>` : t("customer.new_title")}</h1>
    <form id="customer-form" class="form-grid" onSubmit=${onSubmit} novalidate>
      ${!editing && html`<${Field} as="select" label=${t("customer.kind")} name="kind" ...${form.bind("kind")}>
        <option value="person">${t("kind.person")}</option><option value="organisation">${t("kind.organisation")}</option></${Field}>`}
      ${org ? html`${f("org_name")}${f("legal_id", { inputmode: "numeric" })}${f("economic_code", { inputmode: "numeric" })}`
        : html`${f("first_name", { required: true })}${f("last_name", { required: true })}${f("father_name")}${f("national_id", { inputmode: "numeric" })}
          <${DateField} label=${t("customer.birth_date")} name="birth_date" value=${form.values.birth_date} error=${form.errors.birth_date}
            onChange=${(iso) => form.setValues((v) => ({ ...v, birth_date: iso }))} />
          <${Field} as="select" label=${t("customer.gender")} name="gender" error=${form.errors.gender} ...${form.bind("gender")}>
            <option value="">${t("form.choose")}</option><option value="female">${t("gender.female")}</option><option value="male">${t("gender.male")}</option></${Field}>`}
      ${f("mobile", { inputmode: "tel", autocomplete: "off", placeholder: "09121234567" })}
      ${f("email", { type: "email" })}
      <${Field} as="select" label=${t("customer.preferred_channel")} name="preferred_channel" error=${form.errors.preferred_channel} ...${form.bind("preferred_channel")}>
        <option value="">${t("form.choose")}</option>${["sms", "email", "push", "phone"].map((c) => html`<option value=${c}>${t(`channel.${c}`)}</option>`)}</${Field}>
      ${f("branch_code", { inputmode: "numeric" })}
      <div class="form-foot">
        <${FormError} error=${form.failure} />
        ${form.failure?.code === "VERSION_CONFLICT" && html`<button type="button" class="secondary" onClick=${reloadVersion}>${t("form.reload_keep")}</button>`}
        <button type="submit" id="customer-save" disabled=${form.busy}>${t("action.save")}</button>
        <a class="button secondary" href=${editing ? `#/customers/${params.id}` : "#/"}>${t("action.cancel")}</a>
      </div>
    </form>
    ${duplicates && html`<${Dialog} title=${t("dup.title")} onClose=${() => setDuplicates(null)} wide>
      <p>${t("dup.explain")}</p>
      <ul class="plain dup-list">${duplicates.map((d) => html`<li>
        <a href=${`#/customers/${d.customer_id}`} target="_blank" rel="noopener"><bdi>${d.display_name}</bdi></a>
        <span class="muted"> — ${(d.reasons || []).map((r) => t(`matched.${r}`)).join(t("list.sep"))} (${t("merge.score")}: ${num(d.score)})</span></li>`)}</ul>
      <div class="dialog-actions">
        <button type="button" class="secondary" onClick=${() => setDuplicates(null)}>${t("dup.back")}</button>
        <button type="button" id="dup-override" class="danger" onClick=${() => save(true)} disabled=${form.busy}>${t("dup.override")}</button>
      </div>
    </${Dialog}>`}
  </section>`;
}
