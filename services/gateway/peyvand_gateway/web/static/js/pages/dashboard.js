// The overview: renewal conversion, open tickets per queue by SLA state, campaign delivery.
import { html, useEffect, useState } from "../html.js";
import { api, has } from "../api.js";
import { t, num } from "../i18n.js";
import { useStore } from "../store.js";
import { Field, FormError } from "../ui/forms.js";

function Tile({ label, value, id }) {
  return html`<div class="tile stat" id=${id}><span class="muted">${label}</span><strong>${value}</strong></div>`;
}

export default function DashboardPage() {
  const { user } = useStore();
  const [days, setDays] = useState("30");
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [queues, setQueues] = useState([]);
  useEffect(() => { if (has("GET /api/v1/queues") && user.role !== "marketing") api("GET", "/api/v1/queues").then(setQueues, () => setQueues([])); }, []);
  useEffect(() => {
    setData(null);
    api("GET", `/api/v1/dashboards/overview?window_days=${days}`).then((d) => { setData(d); setError(null); }, setError);
  }, [days]);
  const queueName = (id) => (queues.find((q) => q.queue_id === id) || {}).name || id || t("dashboard.no_queue");
  const r = data?.renewals;
  const bySla = {};
  for (const row of data?.sla || []) (bySla[row.queue_id] ||= { ok: 0, warning: 0, breached: 0 })[row.sla_state] = row.open_tickets;
  const pct = (x) => (x == null ? "—" : `${num(Math.round(x * 100))}${t("dashboard.percent")}`);
  return html`<section class="page">
    <h1>${t("nav.dashboard")}</h1>
    <div class="filters"><${Field} as="select" label=${t("dashboard.window")} name="days" value=${days} onChange=${(e) => setDays(e.currentTarget.value)}>
      ${["7", "30", "90"].map((d) => html`<option value=${d}>${t("dashboard.days", { n: d })}</option>`)}</${Field}></div>
    <${FormError} error=${error} />
    ${data?.degraded?.length > 0 && html`<div class="notice warning" role="status">${t("c360.degraded", { parts: data.degraded.map((p) => t(`part.${p}`)).join(t("list.sep")) })}</div>`}
    ${data === null && !error ? html`<p aria-busy="true">${t("state.loading")}</p>` : data && html`
    <section class="card" aria-labelledby="dash-renewals"><h2 id="dash-renewals">${t("dashboard.renewals")}</h2>
      ${r ? html`<div class="tiles">
        <${Tile} label=${t("dashboard.policies_due")} value=${num(r.policies)} />
        <${Tile} label=${t("dashboard.with_journey")} value=${num(r.with_journey)} />
        <${Tile} label=${t("dashboard.converted")} value=${num(r.converted)} />
        <${Tile} id="conversion-rate" label=${t("dashboard.conversion")} value=${pct(r.conversion_rate)} />
      </div>` : html`<p class="muted">${t("state.unavailable")}</p>`}
    </section>
    <section class="card" aria-labelledby="dash-sla"><h2 id="dash-sla">${t("dashboard.sla")}</h2>
      ${data.sla == null ? html`<p class="muted">${t("state.unavailable")}</p>` : Object.keys(bySla).length === 0 ? html`<p class="muted">${t("state.none")}</p>` : html`
      <div class="table-wrap"><table id="sla-table"><thead><tr><th scope="col">${t("tickets.queue")}</th>
        ${["ok", "warning", "breached"].map((s) => html`<th scope="col">${t(`sla.${s}`)}</th>`)}</tr></thead>
        <tbody>${Object.entries(bySla).map(([q, c]) => html`<tr><td><bdi>${queueName(q)}</bdi></td>
          ${["ok", "warning", "breached"].map((s) => html`<td class="num">${num(c[s] || 0)}</td>`)}</tr>`)}</tbody></table></div>`}
    </section>
    <section class="card" aria-labelledby="dash-campaigns"><h2 id="dash-campaigns">${t("dashboard.campaigns")}</h2>
      ${data.campaigns ? html`<div class="tiles">${["campaigns", "sent", "delivered", "failed", "opted_out", "converted"].map((k) => html`<${Tile} label=${t(`dashboard.c_${k}`)} value=${num(data.campaigns[k] || 0)} />`)}</div>`
        : html`<p class="muted">${t("state.unavailable")}</p>`}
    </section>`}
  </section>`;
}
