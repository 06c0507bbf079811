// Message templates: write one (channel, purpose, fa/en bodies, email subjects) with the
// placeholders it may use, see it rendered, and the catalogue (built-in and saved templates).
// The preview endpoint renders stored templates only, so the draft is shown with its
// placeholders marked while typing, and the saved template is rendered live by the API.
import { html, useEffect, useRef, useState } from "../html.js";
import { api } from "../api.js";
import { t, ltr } from "../i18n.js";
import { toast } from "../store.js";
import { Field, FormError } from "../ui/forms.js";
import { CHANNELS, PURPOSES, errorsByPath } from "./campaign-parts.js";

// What the campaign service fills in (domain/templates.py); it checks them again on save.
const PLACEHOLDERS = ["customer_name", "policy_number", "product_name", "end_date", "premium", "agent_name", "agent_phone", "days_left", "survey_url", "unsubscribe_url"];
const EMAIL_ONLY = new Set(["unsubscribe_url"]);
const BLANK = { name: "", channel: "sms", purpose: "marketing", body_fa: "", body_en: "", subject_fa: "", subject_en: "" };

/** The campaign service's English placeholder messages, translated. */
function placeholderMessage(message) {
  let m = /^\{(\w+)\} is not a known placeholder/.exec(message);
  if (m) return t("fieldmsg.placeholder_unknown", { name: ltr(`{${m[1]}}`) });
  m = /^\{(\w+)\} is only allowed in email/.exec(message);
  if (m) return t("fieldmsg.placeholder_email_only", { name: ltr(`{${m[1]}}`) });
  if (message.startsWith("malformed braces")) return t("fieldmsg.placeholder_malformed", { example: ltr("{name}"), open: ltr("{{"), close: ltr("}}") });
  return undefined;
}

export default function TemplatesPage() {
  const [templates, setTemplates] = useState(null);
  const [listError, setListError] = useState(null);
  const [previewId, setPreviewId] = useState("");
  const load = () => api("GET", "/api/v1/templates").then((x) => { setTemplates(x); setListError(null); }, (e) => { setListError(e); setTemplates([]); });
  useEffect(() => { load(); }, []);
  const previewed = (templates || []).find((x) => x.template_id === previewId);
  return html`<section class="page">
    <h1>${t("nav.templates")}</h1>
    <div class="grid-2">
      <${TemplateForm} onSaved=${(tpl) => { setPreviewId(tpl.template_id); load(); }} />
      <${LivePreview} templateId=${previewId} template=${previewed} />
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
          <td><button type="button" class="secondary small" aria-label=${t("template.preview_of", { name: x.name })} onClick=${() => setPreviewId(x.template_id)}>${t("template.preview")}</button></td>
        </tr>`)}</tbody>
      </table></div>`}
    </section>
  </section>`;
}

function TemplateForm({ onSaved }) {
  const [values, setValues] = useState(BLANK);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const lastBody = useRef("body_fa");
  const errors = errorsByPath(failure, placeholderMessage);
  const email = values.channel === "email";
  const bind = (key) => ({
    name: key,
    value: values[key],
    error: fieldError(key),
    onInput: (e) => { const v = e.currentTarget.value; setValues((x) => ({ ...x, [key]: v })); },
    onChange: (e) => { const v = e.currentTarget.value; setValues((x) => ({ ...x, [key]: v })); },
  });
  function fieldError(key) {
    const path = { body_fa: "bodies.fa", body_en: "bodies.en", subject_fa: "subjects.fa", subject_en: "subjects.en" }[key] || key;
    return errors[path];
  }
  function insert(name) {
    const key = lastBody.current;
    const el = document.querySelector(`#template-form [name=${key}]`);
    const text = values[key];
    const at = el && el.selectionStart != null ? el.selectionStart : text.length;
    const next = `${text.slice(0, at)}{${name}}${text.slice(at)}`;
    setValues((x) => ({ ...x, [key]: next }));
    if (el) requestAnimationFrame(() => { el.focus(); el.setSelectionRange(at + name.length + 2, at + name.length + 2); });
  }
  async function onSubmit(e) {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    const bodies = { fa: values.body_fa };
    if (values.body_en.trim()) bodies.en = values.body_en;
    const subjects = {};
    if (email) {
      subjects.fa = values.subject_fa;
      if (values.body_en.trim()) subjects.en = values.subject_en;
    }
    try {
      const saved = await api("POST", "/api/v1/templates", { body: { name: values.name, channel: values.channel, purpose: values.purpose, bodies, subjects } });
      toast(t("template.saved", { name: saved.name }), "success");
      setValues(BLANK);
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
    <${Field} as="textarea" label=${t("template.body_fa")} rows="4" dir="rtl" hint=${t("template.body_hint", { example: ltr("{customer_name}") })} onFocus=${() => { lastBody.current = "body_fa"; }} ...${bind("body_fa")} />
    ${email && html`<${Field} label=${t("template.subject_en")} dir="ltr" ...${bind("subject_en")} />`}
    <${Field} as="textarea" label=${t("template.body_en")} rows="3" dir="ltr" onFocus=${() => { lastBody.current = "body_en"; }} ...${bind("body_en")} />
    <${DraftView} values=${values} />
    <${FormError} error=${failure} />
    <div class="form-foot"><button type="submit" id="template-save" disabled=${busy}>${t("template.save")}</button></div>
  </form>`;
}

/** The draft as typed (debounced), placeholders marked: what the API will fill in once saved. */
function DraftView({ values }) {
  const [shown, setShown] = useState(values);
  useEffect(() => { const timer = setTimeout(() => setShown(values), 250); return () => clearTimeout(timer); }, [values.body_fa, values.body_en, values.subject_fa, values.channel]);
  if (!shown.body_fa.trim() && !shown.body_en.trim()) return null;
  const mark = (text) => text.split(/(\{[a-z][a-z0-9_]*\})/g).map((part) => (/^\{[a-z][a-z0-9_]*\}$/.test(part) ? html`<mark dir="ltr" class="ph">${part}</mark>` : part));
  const length = [...shown.body_fa].length;
  return html`<div class="draft-view" id="template-draft">
    <span class="label">${t("template.draft")}</span>
    ${shown.channel === "email" && shown.subject_fa && html`<p dir="rtl"><strong>${mark(shown.subject_fa)}</strong></p>`}
    ${shown.body_fa && html`<p dir="rtl" class="message">${mark(shown.body_fa)}</p>`}
    ${shown.body_en && html`<p dir="ltr" lang="en" class="message">${mark(shown.body_en)}</p>`}
    <small class="muted">${t("template.chars", { n: length })}</small>
  </div>`;
}

/** A stored template rendered by the API (debounced on every change of language or customer). */
function LivePreview({ templateId, template }) {
  const [language, setLanguage] = useState("fa");
  const [customer, setCustomer] = useState("");
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!templateId) return undefined;
    let live = true;
    setBusy(true);
    const timer = setTimeout(async () => {
      try {
        const body = { template_id: templateId, language, customer_id: customer.trim() };
        const rendered = await api("POST", "/api/v1/templates/preview", { body });
        if (live) { setAnswer(rendered); setError(null); }
      } catch (e) {
        if (live) { setAnswer(null); setError(e); }
      } finally {
        if (live) setBusy(false);
      }
    }, 300);
    return () => { live = false; clearTimeout(timer); };
  }, [templateId, language, customer]);
  return html`<section class="card" aria-labelledby="tpl-preview-h" id="template-preview">
    <h2 id="tpl-preview-h">${t("template.live_preview")}</h2>
    ${!templateId ? html`<p class="muted">${t("template.preview_empty")}</p>` : html`
      <p class="muted"><bdi>${template?.name || templateId}</bdi></p>
      <div class="inline-2 even">
        <${Field} as="select" label=${t("template.preview_language")} name="preview_language" value=${language} onChange=${(e) => setLanguage(e.currentTarget.value)}>
          <option value="fa">${t("lang.fa")}</option><option value="en">${t("lang.en")}</option></${Field}>
        <${Field} label=${t("template.preview_customer")} name="preview_customer" dir="ltr" value=${customer} hint=${t("template.preview_customer_hint")}
          onInput=${(e) => setCustomer(e.currentTarget.value)} />
      </div>
      <${FormError} error=${error} />
      <div aria-live="polite" aria-busy=${busy ? "true" : "false"}>${answer && html`<div class="preview-box" id="template-rendered">
        ${answer.subject && html`<p dir="auto"><strong>${answer.subject}</strong></p>`}
        <p dir="auto" class="message" id="template-rendered-body">${answer.body}</p>
        ${answer.sms_segments > 0 && html`<small class="muted">${t("template.sms_parts", { n: answer.sms_segments })} · <span dir="ltr" class="ltr">${answer.sms_encoding.toUpperCase()}</span></small>`}
      </div>`}</div>`}
  </section>`;
}
