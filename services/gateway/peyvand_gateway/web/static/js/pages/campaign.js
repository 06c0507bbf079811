// One campaign: its settings, start / pause / stop (each checks the version read), and results.
import { html, useCallback, useEffect, useState } from "../html.js";
import { api, has } from "../api.js";
import { t, num, instant } from "../i18n.js";
import { toast } from "../store.js";
import { Field, FormError } from "../ui/forms.js";
import { StatusBadge, Stat, ruleSummary } from "./campaign-parts.js";

// Which actions each status offers (the campaign service's transitions).
const ACTIONS = {
  draft: ["start", "stop"],
  scheduled: ["start", "stop"],
  running: ["pause", "stop"],
  paused: ["start", "stop"],
  stopped: [],
  completed: [],
};
const RESULT_KEYS = ["sent", "delivered", "failed", "opted_out", "converted", "customers_messaged", "queued", "skipped"];

export default function CampaignPage({ params }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [segments, setSegments] = useState([]);
  const [templates, setTemplates] = useState([]);
  const load = useCallback(async () => {
    try {
      const d = await api("GET", `/api/v1/campaigns/${encodeURIComponent(params.id)}/results`);
      setData(d);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [params.id]);
  useEffect(() => { load(); }, [load]);
  useEffect(() => {
    if (has("GET /api/v1/segments")) api("GET", "/api/v1/segments?limit=200").then(setSegments, () => {});
    if (has("GET /api/v1/templates")) api("GET", "/api/v1/templates").then(setTemplates, () => {});
  }, []);
  if (error && !data) return html`<section class="page"><h1>${t("campaign.title")}</h1><${FormError} error=${error} />
    <p><a href="#/campaigns">${t("campaign.back")}</a></p></section>`;
  if (!data) return html`<section class="page"><p aria-busy="true">${t("state.loading")}</p></section>`;
  const c = data.campaign;
  const r = data.results;
  const segment = segments.find((s) => s.segment_id === c.segment_id);
  const rate = r.conversion_rate == null ? "—" : `${num((r.conversion_rate * 100).toFixed(1).replace(/\.0$/, ""))}${t("dashboard.percent")}`;
  return html`<section class="page">
    <p><a href="#/campaigns">${t("campaign.back")}</a></p>
    <header class="profile"><div>
      <h1 id="campaign-name"><bdi>${c.name}</bdi></h1>
      <dl class="facts">
        <div><dt>${t("campaign.status")}</dt><dd id="campaign-status"><${StatusBadge} status=${c.status} /></dd></div>
        <div><dt>${t("template.purpose")}</dt><dd>${t(`purpose.${c.purpose}`)}</dd></div>
        <div><dt>${t("template.channel")}</dt><dd>${t(`channel.${c.channel}`)}</dd></div>
        <div><dt>${t("campaign.schedule")}</dt><dd>${c.schedule_at ? instant(c.schedule_at) : t("campaign.asap")}</dd></div>
        <div><dt>${t("campaign.segment")}</dt><dd>${segment ? html`<bdi>${segment.name}</bdi>` : c.segment_rule_json ? html`<bdi>${ruleSummary(c.segment_rule_json)}</bdi>` : html`<span dir="ltr" class="ltr">${c.segment_id}</span>`}</dd></div>
        <div><dt>${t("campaign.template")}</dt><dd>${Object.values(c.template_ids || {}).map((id) => {
          const tpl = templates.find((x) => x.template_id === id);
          return tpl ? html`<bdi>${tpl.name}</bdi>` : html`<span dir="ltr" class="ltr">${id}</span>`;
        })}</dd></div>
        <div><dt>${t("campaign.id")}</dt><dd><span dir="ltr" class="ltr">${c.campaign_id}</span></dd></div>
      </dl>
    </div>
    <${Actions} key=${`${c.status}/${c.version}`} campaign=${c} onDone=${load} /></header>
    <section class="card" aria-labelledby="results-h">
      <div class="card-head"><h2 id="results-h">${t("campaign.results")}</h2>
        <button type="button" class="secondary small" id="results-refresh" onClick=${load}>${t("campaign.refresh")}</button></div>
      <div class="tiles" id="campaign-results">
        ${RESULT_KEYS.slice(0, 5).map((k) => html`<${Stat} id=${`result-${k}`} label=${t(`campaign.r_${k}`)} value=${num(r[k] || 0)} />`)}
        <${Stat} id="result-conversion" label=${t("campaign.r_conversion_rate")} value=${rate} />
      </div>
      <p class="muted">${RESULT_KEYS.slice(5).map((k) => `${t(`campaign.r_${k}`)}: ${num(r[k] || 0)}`).join(t("list.sep"))}</p>
    </section>
  </section>`;
}

function Actions({ campaign, onDone }) {
  const [reason, setReason] = useState("");
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState("");
  const actions = (ACTIONS[campaign.status] || []).filter((a) => has(`POST /api/v1/campaigns/{campaign_id}/${a}`));
  if (!actions.length) return null;
  async function act(action) {
    setBusy(action);
    setFailure(null);
    try {
      await api("POST", `/api/v1/campaigns/${campaign.campaign_id}/${action}`, { body: { reason }, headers: { "If-Match": `"v${campaign.version}"` } });
      toast(t(`campaign.done_${action}`), "success");
      onDone();
    } catch (e) {
      setFailure(e);
      if (e.code === "VERSION_CONFLICT") onDone();
    } finally {
      setBusy("");
    }
  }
  const label = (a) => (a === "start" && campaign.status === "paused" ? t("campaign.resume") : t(`campaign.${a}`));
  return html`<div class="campaign-actions">
    <div class="actions" role="toolbar" aria-label=${t("c360.actions")}>
      ${actions.map((a) => html`<button type="button" id=${`campaign-${a}`} class=${a === "stop" ? "danger" : a === "pause" ? "secondary" : ""} disabled=${!!busy} onClick=${() => act(a)}>${label(a)}</button>`)}
    </div>
    <${Field} label=${t("campaign.reason")} name="reason" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} />
    <${FormError} error=${failure} />
  </div>`;
}
