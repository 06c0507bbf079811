// A new campaign: name, purpose, channel, a template that fits them, a segment, and a Jalali
// send date in Tehran time; created as a draft and opened on its own page.
import { html, useEffect, useState } from "../html.js";
import { api } from "../api.js";
import { t, num, toAscii } from "../i18n.js";
import { toast } from "../store.js";
import { go } from "../router.js";
import { Field, FormError } from "../ui/forms.js";
import { DateField } from "../ui/datepicker.js";
import { CHANNELS, PURPOSES, errorsByPath } from "./campaign-parts.js";

const BLANK = { name: "", purpose: "marketing", channel: "sms", template_id: "", segment_id: "", date: "", time: "10:00" };

export default function NewCampaignPage() {
  return html`<section class="page">
    <p><a href="#/campaigns">${t("campaign.back")}</a></p>
    <h1>${t("campaign.new")}</h1>
    <${CampaignForm} />
  </section>`;
}

function CampaignForm() {
  const [values, setValues] = useState(() => ({ ...BLANK, time: num(BLANK.time) }));
  const [templates, setTemplates] = useState([]);
  const [segments, setSegments] = useState([]);
  const [failure, setFailure] = useState(null);
  const [timeBad, setTimeBad] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api("GET", "/api/v1/templates").then(setTemplates, () => setTemplates([]));
    api("GET", "/api/v1/segments?limit=200").then(setSegments, () => setSegments([]));
  }, []);
  const errors = errorsByPath(failure);
  const set = (key) => (e) => { const v = e.currentTarget.value; setValues((x) => ({ ...x, [key]: v })); };
  const fitting = templates.filter((x) => x.channel === values.channel && x.purpose === values.purpose);
  useEffect(() => {
    if (values.template_id && !fitting.some((x) => x.template_id === values.template_id)) setValues((x) => ({ ...x, template_id: "" }));
  }, [values.channel, values.purpose, templates.length]);

  function scheduleAt() {
    if (!values.date) return "";
    const time = toAscii(values.time).trim() || "00:00";
    const m = /^(\d{1,2}):(\d{2})$/.exec(time);
    if (!m || +m[1] > 23 || +m[2] > 59) return null;
    return `${values.date}T${m[1].padStart(2, "0")}:${m[2]}:00+03:30`; // Tehran, no DST since 2022
  }
  async function onSubmit(e) {
    e.preventDefault();
    const schedule_at = scheduleAt();
    setTimeBad(schedule_at === null);
    if (schedule_at === null) return;
    setBusy(true);
    setFailure(null);
    try {
      const body = { name: values.name, purpose: values.purpose, channel: values.channel, template_ids: { [values.channel]: values.template_id }, segment_id: values.segment_id, schedule_at };
      const created = await api("POST", "/api/v1/campaigns", { body });
      toast(t("campaign.created", { name: created.name }), "success");
      go(`/campaigns/${created.campaign_id}`);
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  }
  const templateError = errors[`template_ids.${values.channel}`] || errors.template_ids;
  return html`<form class="form-grid" id="campaign-form" novalidate onSubmit=${onSubmit}>
    <${Field} label=${t("campaign.name")} name="name" value=${values.name} error=${errors.name} onInput=${set("name")} />
    <${Field} as="select" label=${t("template.purpose")} name="purpose" value=${values.purpose} error=${errors.purpose} onChange=${set("purpose")}>
      ${PURPOSES.map((p) => html`<option value=${p}>${t(`purpose.${p}`)}</option>`)}</${Field}>
    <${Field} as="select" label=${t("template.channel")} name="channel" value=${values.channel} error=${errors.channel} onChange=${set("channel")}>
      ${CHANNELS.map((c) => html`<option value=${c}>${t(`channel.${c}`)}</option>`)}</${Field}>
    <${Field} as="select" label=${t("campaign.template")} name="template_id" value=${values.template_id} error=${templateError}
      hint=${fitting.length === 0 ? t("campaign.no_template") : undefined} onChange=${set("template_id")}>
      <option value="">${t("form.choose")}</option>${fitting.map((x) => html`<option value=${x.template_id}>${x.name}</option>`)}</${Field}>
    <${Field} as="select" label=${t("campaign.segment")} name="segment_id" value=${values.segment_id} error=${errors.segment_id || errors.segment_rule_json} onChange=${set("segment_id")}>
      <option value="">${t("form.choose")}</option>${segments.map((s) => html`<option value=${s.segment_id}>${s.name}</option>`)}</${Field}>
    <${DateField} label=${t("campaign.schedule_date")} name="schedule_date" value=${values.date} error=${errors.schedule_at}
      onChange=${(iso) => setValues((x) => ({ ...x, date: iso }))} />
    <${Field} label=${t("campaign.schedule_time")} name="schedule_time" dir="ltr" inputmode="numeric" value=${values.time}
      hint=${t("campaign.schedule_hint")} error=${timeBad ? t("campaign.time_invalid") : undefined} onInput=${set("time")} />
    <div class="form-foot">
      <${FormError} error=${failure} />
      <button type="submit" id="campaign-save" disabled=${busy}>${t("campaign.create")}</button>
    </div>
  </form>`;
}
