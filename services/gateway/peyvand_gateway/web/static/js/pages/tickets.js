// Tickets: the queue (filter by queue, status, SLA) with an SLA countdown, and "my tickets".
import { html, useEffect, useState } from "../html.js";
import { api, has } from "../api.js";
import { t, num } from "../i18n.js";
import { useStore } from "../store.js";
import { Field, FormError } from "../ui/forms.js";
import { SlaCountdown, ticketMoment } from "./ticket-parts.js";

export default function TicketsPage() {
  const { user } = useStore();
  const supervisor = user.role !== "agent" && has("GET /api/v1/queues");
  const [filters, setFilters] = useState({ mine: user.role === "agent" ? "1" : "", queue_id: "", status: "", sla_state: "" });
  const [queues, setQueues] = useState([]);
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { if (supervisor) api("GET", "/api/v1/queues").then(setQueues, () => setQueues([])); }, []);
  useEffect(() => {
    setRows(null);
    const query = new URLSearchParams({ limit: "100" });
    if (filters.mine) query.set("assignee_id", "me");
    for (const key of ["queue_id", "status", "sla_state"]) if (filters[key]) query.set(key, filters[key]);
    api("GET", `/api/v1/tickets?${query}`).then((page) => { setRows(page.items); setError(null); }, (e) => { setError(e); setRows([]); });
  }, [filters.mine, filters.queue_id, filters.status, filters.sla_state]);
  const set = (key) => (e) => setFilters((f) => ({ ...f, [key]: e.currentTarget.value }));
  return html`<section class="page">
    <h1>${t("nav.tickets")}</h1>
    <div class="filters">
      <${Field} as="select" label=${t("tickets.whose")} name="mine" value=${filters.mine} onChange=${set("mine")}>
        <option value="">${t("tickets.all")}</option><option value="1">${t("tickets.mine")}</option></${Field}>
      ${supervisor && html`<${Field} as="select" label=${t("tickets.queue")} name="queue_id" value=${filters.queue_id} onChange=${set("queue_id")}>
        <option value="">${t("tickets.all")}</option>${queues.map((q) => html`<option value=${q.queue_id}>${q.name}</option>`)}</${Field}>`}
      <${Field} as="select" label=${t("tickets.status")} name="status" value=${filters.status} onChange=${set("status")}>
        <option value="">${t("tickets.all")}</option>${["new", "open", "pending_customer", "resolved", "closed"].map((s) => html`<option value=${s}>${t(`tstatus.${s}`)}</option>`)}</${Field}>
      <${Field} as="select" label=${t("tickets.sla")} name="sla_state" value=${filters.sla_state} onChange=${set("sla_state")}>
        <option value="">${t("tickets.all")}</option>${["ok", "warning", "breached"].map((s) => html`<option value=${s}>${t(`sla.${s}`)}</option>`)}</${Field}>
    </div>
    <${FormError} error=${error} />
    ${rows === null ? html`<p aria-busy="true">${t("state.loading")}</p>` : rows.length === 0 ? html`<p class="muted">${t("state.none")}</p>` : html`
    <div class="table-wrap"><table id="tickets">
      <thead><tr><th scope="col">${t("tickets.number")}</th><th scope="col">${t("tickets.subject")}</th><th scope="col">${t("tickets.status")}</th>
        <th scope="col">${t("tickets.priority")}</th><th scope="col">${t("tickets.sla")}</th><th scope="col">${t("tickets.opened")}</th></tr></thead>
      <tbody>${rows.map((tk) => html`<tr class=${`sla-${tk.sla_state}`}>
        <td><a href=${`#/tickets/${tk.ticket_id}`}><span dir="ltr" class="ltr">${num(tk.ticket_number)}</span></a></td>
        <td><bdi>${tk.subject}</bdi></td>
        <td>${t(`tstatus.${tk.status}`)}</td>
        <td><span dir="ltr" class="ltr">${tk.priority}</span></td>
        <td><${SlaCountdown} ticket=${tk} /></td>
        <td>${ticketMoment(tk.created_at)}</td>
      </tr>`)}</tbody>
    </table></div>`}
  </section>`;
}
