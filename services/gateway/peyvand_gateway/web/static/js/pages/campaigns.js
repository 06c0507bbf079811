// Campaigns: every campaign newest first (a page at a time, filtered by status), with its send
// time in Tehran (Jalali in fa, Gregorian in en) and a link to its results page. Results are
// not in the list: the service counts them from every delivery of a campaign, one at a time.
import { html, useEffect, useState } from "../html.js";
import { api, has } from "../api.js";
import { t, instant } from "../i18n.js";
import { Field, FormError } from "../ui/forms.js";
import { STATUSES, StatusBadge } from "./campaign-parts.js";

const PAGE = 20;

export default function CampaignsPage() {
  const [status, setStatus] = useState("");
  const [rows, setRows] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function load(cursor) {
    setBusy(true);
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (status) query.set("status", status);
    if (cursor) query.set("cursor", cursor);
    try {
      const page = await api("GET", `/api/v1/campaigns?${query}`);
      setRows((r) => (cursor ? [...(r || []), ...page.items] : page.items));
      setNext(page.next_cursor);
      setError(null);
    } catch (e) {
      setError(e);
      if (!cursor) setRows([]);
    } finally {
      setBusy(false);
    }
  }
  useEffect(() => { setRows(null); setNext(null); load(""); }, [status]);
  return html`<section class="page">
    <div class="card-head"><h1>${t("nav.campaigns")}</h1>
      ${has("POST /api/v1/campaigns") && html`<a class="button" id="campaign-new" href="#/campaigns/new">${t("campaign.new")}</a>`}</div>
    <div class="filters">
      <${Field} as="select" label=${t("campaign.status")} name="status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        <option value="">${t("tickets.all")}</option>${STATUSES.map((s) => html`<option value=${s}>${t(`cmpstatus.${s}`)}</option>`)}</${Field}>
    </div>
    <${FormError} error=${error} />
    ${rows === null ? html`<p aria-busy="true">${t("state.loading")}</p>` : rows.length === 0 ? html`<p class="muted" id="campaigns-none">${t("state.none")}</p>` : html`
    <div class="table-wrap"><table id="campaigns">
      <thead><tr><th scope="col">${t("campaign.name")}</th><th scope="col">${t("campaign.status")}</th><th scope="col">${t("template.channel")}</th>
        <th scope="col">${t("campaign.schedule")}</th><th scope="col">${t("campaign.created_at")}</th><th scope="col"><span class="visually-hidden">${t("campaign.results")}</span></th></tr></thead>
      <tbody>${rows.map((c) => html`<tr key=${c.campaign_id}>
        <td><a href=${`#/campaigns/${c.campaign_id}`}><bdi>${c.name}</bdi></a></td>
        <td><${StatusBadge} status=${c.status} /></td>
        <td>${t(`channel.${c.channel}`)}</td>
        <td class="schedule">${c.schedule_at ? instant(c.schedule_at) : t("campaign.asap")}</td>
        <td>${instant(c.created_at)}</td>
        <td><a href=${`#/campaigns/${c.campaign_id}`} aria-label=${t("campaign.results_of", { name: c.name })}>${t("campaign.results")}</a></td>
      </tr>`)}</tbody>
    </table></div>`}
    ${next && html`<p><button type="button" class="secondary" id="campaigns-more" disabled=${busy} onClick=${() => load(next)}>${t("campaign.more")}</button></p>`}
  </section>`;
}
