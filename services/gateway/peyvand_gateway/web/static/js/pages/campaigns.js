// Campaigns: create one (name, purpose, channel, template, segment, Jalali schedule in Tehran
// time) and the campaigns of this browser with their state. The API lists no campaigns, so the
// list is the ones created (or opened by id) here; each row reads its state from the API.
import { html, useEffect, useState } from "../html.js";
import { api } from "../api.js";
import { t, num, instant, toAscii } from "../i18n.js";
import { toast } from "../store.js";
import { go } from "../router.js";
import { Field, FormError } from "../ui/forms.js";
import { DateField } from "../ui/datepicker.js";
import { CHANNELS, PURPOSES, StatusBadge, errorsByPath, rememberedCampaigns, rememberCampaign, forgetCampaign } from "./campaign-parts.js";

export default function CampaignsPage() {
  return html`<section class="page">
    <h1>${t("nav.campaigns")}</h1>
    <${CampaignForm} />
    <${KnownCampaigns} />
  </section>`;
}

const BLANK = { name: "", purpose: "marketing", channel: "sms", template_id: "", segment_id: "", date: "", time: "10:00" };

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
      rememberCampaign(created);
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
    <h2 class="span-all">${t("campaign.new")}</h2>
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

function KnownCampaigns() {
  const [known, setKnown] = useState(rememberedCampaigns());
  const [rows, setRows] = useState({});
  const [lookup, setLookup] = useState("");
  useEffect(() => {
    for (const c of known) {
      if (rows[c.campaign_id]) continue;
      api("GET", `/api/v1/campaigns/${encodeURIComponent(c.campaign_id)}/results`).then(
        (d) => setRows((r) => ({ ...r, [c.campaign_id]: d })),
        (e) => setRows((r) => ({ ...r, [c.campaign_id]: { error: e } })),
      );
    }
  }, [known]);
  return html`<section class="card" aria-labelledby="campaigns-h">
    <h2 id="campaigns-h">${t("campaign.known")}</h2>
    <p class="muted">${t("campaign.known_hint")}</p>
    <form class="filters" novalidate onSubmit=${(e) => { e.preventDefault(); const id = lookup.trim(); if (id) go(`/campaigns/${id}`); }}>
      <${Field} label=${t("campaign.open_id")} name="campaign_lookup" dir="ltr" value=${lookup} onInput=${(e) => setLookup(e.currentTarget.value)} />
      <div class="align-end"><button type="submit" class="secondary">${t("campaign.open")}</button></div>
    </form>
    ${known.length === 0 ? html`<p class="muted">${t("state.none")}</p>` : html`<div class="table-wrap"><table id="campaigns">
      <thead><tr><th scope="col">${t("campaign.name")}</th><th scope="col">${t("campaign.status")}</th><th scope="col">${t("template.channel")}</th>
        <th scope="col">${t("campaign.schedule")}</th><th scope="col">${t("campaign.r_sent")}</th><th scope="col"><span class="visually-hidden">${t("c360.actions")}</span></th></tr></thead>
      <tbody>${known.map((c) => {
        const d = rows[c.campaign_id];
        const cmp = d?.campaign;
        return html`<tr key=${c.campaign_id}>
          <td><a href=${`#/campaigns/${c.campaign_id}`}><bdi>${cmp?.name || c.name}</bdi></a><br /><small class="muted"><span dir="ltr" class="ltr">${c.campaign_id}</span></small></td>
          <td>${cmp ? html`<${StatusBadge} status=${cmp.status} />` : d?.error ? html`<span class="muted">${t("state.unavailable")}</span>` : "…"}</td>
          <td>${cmp ? t(`channel.${cmp.channel}`) : ""}</td>
          <td>${cmp?.schedule_at ? instant(cmp.schedule_at) : cmp ? t("campaign.asap") : ""}</td>
          <td class="num">${d?.results ? num(d.results.sent) : ""}</td>
          <td><button type="button" class="icon small" aria-label=${t("campaign.forget", { name: cmp?.name || c.name })}
            onClick=${() => { forgetCampaign(c.campaign_id); setKnown(rememberedCampaigns()); }}>×</button></td>
        </tr>`;
      })}</tbody>
    </table></div>`}
  </section>`;
}
