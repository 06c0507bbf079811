// Message templates: write one (channel, purpose, fa/en bodies, email subjects) with the
// placeholders it may use, see it rendered by the API as it is typed (debounced), and the
// catalogue (built-in and saved templates), any of which can be previewed the same way.
import { html, useEffect, useState } from "../html.js";
import { api } from "../api.js";
import { t, ltr } from "../i18n.js";
import { toast } from "../store.js";
import { Field, FormError } from "../ui/forms.js";
import { CHANNELS, PURPOSES, errorsByPath } from "./campaign-parts.js";

// What the campaign service fills in (domain/templates.py); it checks them again on save.
const PLACEHOLDERS = ["customer_name", "policy_number", "product_name", "end_date", "premium", "agent_name", "agent_phone", "days_left", "survey_url", "unsubscribe_url"];
const EMAIL_ONLY = new Set(["unsubscribe_url"]);
const BLANK = { name: "", channel: "sms", purpose: "marketing", body_fa: "", body_en: "", subject_fa: "", subject_en: "" };
const PATHS = { body_fa: "bodies.fa", body_en: "bodies.en", subject_fa: "subjects.fa", subject_en: "subjects.en" };
export const PREVIEW_DELAY_MS = 300;

/** The campaign service's English placeholder messages, translated. */
function placeholderMessage(message) {
  let m = /^\{(\w+)\} is not a known placeholder/.exec(message);
  if (m) return t("fieldmsg.placeholder_unknown", { name: ltr(`{${m[1]}}`) });
  m = /^\{(\w+)\} is only allowed in email/.exec(message);
  if (m) return t("fieldmsg.placeholder_email_only", { name: ltr(`{${m[1]}}`) });
  if (message.startsWith("malformed braces")) return t("fieldmsg.placeholder_malformed", { example: ltr("{name}"), open: ltr("{{"), close: ltr("}}") });
  return undefined;
}

/** The form's values as the API's template fields (bodies and, for email, subjects by language). */
function asTemplate(values) {
  const bodies = { fa: values.body_fa };
  if (values.body_en.trim()) bodies.en = values.body_en;
  const subjects = {};
  if (values.channel === "email") {
    subjects.fa = values.subject_fa;
    if (values.body_en.trim()) subjects.en = values.subject_en;
  }
  return { channel: values.channel, purpose: values.purpose, bodies, subjects };
}

export default function TemplatesPage() {
  const [templates, setTemplates] = useState(null);
  const [listError, setListError] = useState(null);
  const [values, setValues] = useState(BLANK);
  // What the preview shows: the draft being typed, or a stored template (by id).
  const [source, setSource] = useState({ kind: "draft" });
  const [draftFailure, setDraftFailure] = useState(null);
  const load = () => api("GET", "/api/v1/templates").then((x) => { setTemplates(x); setListError(null); }, (e) => { setListError(e); setTemplates([]); });
  useEffect(() => { load(); }, []);
  const previewId = source.kind === "stored" ? source.id : "";
  const edit = (next) => { setValues(next); setSource({ kind: "draft" }); };
  return html`<section class="page">
    <h1>${t("nav.templates")}</h1>
    <div class="grid-2">
      <${TemplateForm} values=${values} setValues=${edit} previewFailure=${draftFailure}
        onSaved=${(tpl) => { setValues(BLANK); setSource({ kind: "stored", id: tpl.template_id }); load(); }} />
      <${LivePreview} source=${source} values=${values} templates=${templates || []} onDraftFailure=${setDraftFailure} />
    </div>
    <section class="card" aria-labelledby="templates-h">
      <h2 id="templates-h">${t("template.list")}</h2>
      <${FormError} error=${listError} />
      ${templates === null ? html`<p aria-busy="true">${t("state.loading")}</p>` : templates.length === 0 ? html`<p class="muted">${t("state.none")}</p>` : html`
      <div class="table-wrap"><table id="templates">
        <thead><tr><th scope="col">${t("template.name")}</th><th scope="col">${t("template.channel")}</th><th scope="col">${t("template.purpose")}</th>
          <th scope="col">${t("template.languages")}</th><th scope="col"><span class="visually-hidden">${t("c360.actions")}</span></th></tr></thead>
        <tbody>${templates.map((x) => html`<tr key=${x.template_id} class=${x.template_id === previewId ? "selected-row" : ""}>
          <td><bdi>${x.name}</bdi> ${x.built_in && html`<span class="badge">${t("template.built_in")}</span>`}<br /><small class="muted"><span dir="ltr" class="ltr">${x.template_id}</span></small></td>
          <td>${t(`channel.${x.channel}`)}</td><td>${t(`purpose.${x.purpose}`)}</td>
          <td>${Object.keys(x.bodies || {}).map((l) => t(`lang.${l}`)).join(t("list.sep"))}</td>
          <td><button type="button" class="secondary small" aria-label=${t("template.preview_of", { name: x.name })} onClick=${() => setSource({ kind: "stored", id: x.template_id })}>${t("template.preview")}</button></td>
        </tr>`)}</tbody>
      </table></div>`}
    </section>
  </section>`;
}

function TemplateForm({ values, setValues, previewFailure, onSaved }) {
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const [lastBody, setLastBody] = useState("body_fa");
  const saveErrors = errorsByPath(failure, placeholderMessage);
  // The live preview checks the draft as it is typed: its field errors are named draft.<path>.
  const previewErrors = errorsByPath(previewFailure, placeholderMessage);
  const email = values.channel === "email";
  const fieldError = (key) => {
    const path = PATHS[key] || key;
    return saveErrors[path] || previewErrors[`draft.${path}`];
  };
  const change = (key) => (e) => {
    const v = e.currentTarget.value;
    if (values[key] === v) return;
    setFailure(null); // a save error is about the text as it was; the live check takes over
    setValues({ ...values, [key]: v });
  };
  const bind = (key) => ({ name: key, value: values[key], error: fieldError(key), onInput: change(key), onChange: change(key) });
  function insert(name) {
    const el = document.querySelector(`#template-form [name=${lastBody}]`);
    const text = values[lastBody];
    const at = el && el.selectionStart != null ? el.selectionStart : text.length;
    setValues({ ...values, [lastBody]: `${text.slice(0, at)}{${name}}${text.slice(at)}` });
    if (el) requestAnimationFrame(() => { el.focus(); el.setSelectionRange(at + name.length + 2, at + name.length + 2); });
  }
  async function onSubmit(e) {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const saved = await api("POST", "/api/v1/templates", { body: { name: values.name, ...asTemplate(values) } });
      toast(t("template.saved", { name: saved.name }), "success");
      onSaved(saved);
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  }
  const allowed = PLACEHOLDERS.filter((p) => email || !EMAIL_ONLY.has(p));
  return html`<form class="card" id="template-form" novalidate onSubmit=${onSubmit}>
    <h2>${t("template.new")}</h2>
    <${Field} label=${t("template.name")} ...${bind("name")} />
    <div class="inline-2 even">
      <${Field} as="select" label=${t("template.channel")} ...${bind("channel")}>${CHANNELS.map((c) => html`<option value=${c}>${t(`channel.${c}`)}</option>`)}</${Field}>
      <${Field} as="select" label=${t("template.purpose")} ...${bind("purpose")}>${PURPOSES.map((p) => html`<option value=${p}>${t(`purpose.${p}`)}</option>`)}</${Field}>
    </div>
    <div class="placeholders" role="group" aria-label=${t("template.placeholders")}>
      <span class="label">${t("template.placeholders")}</span>
      ${allowed.map((p) => html`<button type="button" class="chip" dir="ltr" aria-label=${t("template.insert", { name: p })} onClick=${() => insert(p)}>{${p}}</button>`)}
    </div>
    ${email && html`<${Field} label=${t("template.subject_fa")} dir="rtl" ...${bind("subject_fa")} />`}
    <${Field} as="textarea" label=${t("template.body_fa")} rows="4" dir="rtl" hint=${t("template.body_hint", { example: ltr("{customer_name}") })} onFocus=${() => setLastBody("body_fa")} ...${bind("body_fa")} />
    ${email && html`<${Field} label=${t("template.subject_en")} dir="ltr" ...${bind("subject_en")} />`}
    <${Field} as="textarea" label=${t("template.body_en")} rows="3" dir="ltr" onFocus=${() => setLastBody("body_en")} ...${bind("body_en")} />
    <small class="muted" id="template-chars">${t("template.chars", { n: [...values.body_fa].length })}</small>
    <${FormError} error=${failure} />
    <div class="form-foot"><button type="submit" id="template-save" disabled=${busy}>${t("template.save")}</button></div>
  </form>`;
}

/** The draft (as typed) or a stored template, rendered by the API ~300 ms after the last change. */
function LivePreview({ source, values, templates, onDraftFailure }) {
  const [language, setLanguage] = useState("fa");
  const [customer, setCustomer] = useState("");
  const [policy, setPolicy] = useState("");
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const draft = source.kind === "draft" ? asTemplate(values) : null;
  const draftKey = draft ? JSON.stringify(draft) : "";
  const hasText = draft ? Boolean((draft.bodies[language] || draft.bodies.fa || "").trim()) : true;
  useEffect(() => {
    if (!hasText) { setAnswer(null); setError(null); onDraftFailure(null); return undefined; }
    let live = true;
    setBusy(true);
    const timer = setTimeout(async () => {
      const body = { language, customer_id: customer.trim(), policy_id: policy.trim(), ...(draft ? { draft } : { template_id: source.id }) };
      try {
        const rendered = await api("POST", "/api/v1/templates/preview", { body });
        if (live) { setAnswer(rendered); setError(null); onDraftFailure(null); }
      } catch (e) {
        if (!live) return;
        setAnswer(null);
        // A draft's field problems sit under the form's fields; anything else shows here.
        const onFields = draft && (e.errors || []).some((x) => x.field.startsWith("draft."));
        onDraftFailure(onFields ? e : null);
        setError(e);
      } finally {
        if (live) setBusy(false);
      }
    }, PREVIEW_DELAY_MS);
    return () => { live = false; clearTimeout(timer); };
  }, [source.kind, source.id, draftKey, language, customer, policy, hasText]);
  const stored = source.kind === "stored" ? templates.find((x) => x.template_id === source.id) : null;
  const draftProblem = error && draft && (error.errors || []).some((x) => x.field.startsWith("draft."));
  return html`<section class="card" aria-labelledby="tpl-preview-h" id="template-preview">
    <h2 id="tpl-preview-h">${t("template.live_preview")}</h2>
    <p class="muted" id="template-preview-source">${draft ? t("template.preview_draft") : html`<bdi>${stored?.name || source.id}</bdi>`}</p>
    <div class="inline-2 even">
      <${Field} as="select" label=${t("template.preview_language")} name="preview_language" value=${language} onChange=${(e) => setLanguage(e.currentTarget.value)}>
        <option value="fa">${t("lang.fa")}</option><option value="en">${t("lang.en")}</option></${Field}>
      <${Field} label=${t("template.preview_customer")} name="preview_customer" dir="ltr" value=${customer} hint=${t("template.preview_customer_hint")}
        onInput=${(e) => setCustomer(e.currentTarget.value)} />
    </div>
    <${Field} label=${t("template.preview_policy")} name="preview_policy" dir="ltr" value=${policy} onInput=${(e) => setPolicy(e.currentTarget.value)} />
    ${draftProblem ? html`<p class="muted" id="template-preview-blocked">${t("template.preview_fix_fields")}</p>` : html`<${FormError} error=${error} />`}
    <div aria-live="polite" aria-busy=${busy ? "true" : "false"}>
      ${!hasText && html`<p class="muted">${t("template.preview_empty")}</p>`}
      ${hasText && answer && html`<div class="preview-box" id="template-rendered">
        ${answer.subject && html`<p dir="auto"><strong>${answer.subject}</strong></p>`}
        <p dir="auto" class="message" id="template-rendered-body">${answer.body}</p>
        ${answer.sms_segments > 0 && html`<small class="muted">${t("template.sms_parts", { n: answer.sms_segments })} · <span dir="ltr" class="ltr">${answer.sms_encoding.toUpperCase()}</span></small>`}
        ${answer.sample_values?.length > 0 && html`<p class="muted" id="template-sample-values"><small>${t("template.sample_values")} ${answer.sample_values.map((n) => html`<mark dir="ltr" class="ph">{${n}}</mark> `)}</small></p>`}
      </div>`}
    </div>
  </section>`;
}
