// One ticket: details with SLA, the conversation (replies and internal notes), and the work on it.
import { html, useCallback, useEffect, useState } from "../html.js";
import { api, has } from "../api.js";
import { t, num } from "../i18n.js";
import { useStore, toast } from "../store.js";
import { Field, FormError, useForm } from "../ui/forms.js";
import { SlaCountdown, ticketMoment } from "./ticket-parts.js";

const NEXT = { new: ["open", "pending_customer", "resolved"], open: ["pending_customer", "resolved"], pending_customer: ["open", "resolved"], resolved: ["open", "closed"], closed: [] };

export default function TicketPage({ params }) {
  const { user } = useStore();
  const [ticket, setTicket] = useState(null);
  const [replies, setReplies] = useState([]);
  const [error, setError] = useState(null);
  const load = useCallback(async () => {
    try {
      const [tk, page] = await Promise.all([api("GET", `/api/v1/tickets/${params.id}`), api("GET", `/api/v1/tickets/${params.id}/replies?include_notes=true`)]);
      setTicket(tk); setReplies(page.items); setError(null);
    } catch (e) { setError(e); }
  }, [params.id]);
  useEffect(() => { load(); }, [load]);
  if (error && !ticket) return html`<section class="page"><${FormError} error=${error} /></section>`;
  if (!ticket) return html`<section class="page"><p aria-busy="true">${t("state.loading")}</p></section>`;
  const ifMatch = { "If-Match": `"v${ticket.version}"` };
  const supervisor = user.role !== "agent" && has("POST /api/v1/tickets/{ticket_id}/assignment");
  return html`<section class="page">
    <header class="profile"><div>
      <h1><span dir="ltr" class="ltr">${num(ticket.ticket_number)}</span> · <bdi>${ticket.subject}</bdi></h1>
      <dl class="facts">
        <div><dt>${t("tickets.status")}</dt><dd>${t(`tstatus.${ticket.status}`)}</dd></div>
        <div><dt>${t("ticket.type")}</dt><dd>${t(`ttype.${ticket.type}`)}</dd></div>
        <div><dt>${t("tickets.priority")}</dt><dd dir="ltr" class="ltr">${ticket.priority}</dd></div>
        <div><dt>${t("tickets.sla")}</dt><dd><${SlaCountdown} ticket=${ticket} /></dd></div>
        <div><dt>${t("tickets.opened")}</dt><dd>${ticketMoment(ticket.created_at)}</dd></div>
        <div><dt>${t("policy.holder")}</dt><dd><a href=${`#/customers/${ticket.customer_id}`}>${t("ticket.open_customer")}</a></dd></div>
        ${ticket.policy_number && html`<div><dt>${t("policy.number")}</dt><dd><span dir="ltr" class="ltr">${num(ticket.policy_number)}</span></dd></div>`}
      </dl>
      ${ticket.description && html`<p dir="auto">${ticket.description}</p>`}
    </div></header>
    <div class="grid-2">
      <section class="card" aria-labelledby="conv-h"><h2 id="conv-h">${t("ticket.conversation")}</h2>
        ${replies.length === 0 ? html`<p class="muted">${t("state.none")}</p>` : html`<ol class="timeline" id="replies">${replies.map((r) => html`<li>
          <span class="tl-kind">${r.public ? (r.from_customer ? t("ticket.from_customer") : t("ticket.reply")) : t("ticket.note")}</span>
          <span class="tl-summary" dir="auto">${r.body}</span><time>${ticketMoment(r.at)}</time></li>`)}</ol>`}
        <${TextAction} label=${t("ticket.reply")} id="reply" path=${`/api/v1/tickets/${ticket.ticket_id}/replies`} headers=${ifMatch} onDone=${load} />
        <${TextAction} label=${t("ticket.note")} id="note" path=${`/api/v1/tickets/${ticket.ticket_id}/notes`} headers=${ifMatch} onDone=${load} />
      </section>
      <section class="card"><h2>${t("ticket.work")}</h2>
        <${StatusAction} key=${ticket.status} ticket=${ticket} headers=${ifMatch} onDone=${load} />
        ${supervisor && html`<${AssignAction} key=${`${ticket.queue_id}/${ticket.assignee_id}`} ticket=${ticket} headers=${ifMatch} onDone=${load} />`}
      </section>
    </div>
  </section>`;
}

function TextAction({ label, id, path, headers, onDone }) {
  const form = useForm({ body: "" });
  async function onSubmit(e) {
    e.preventDefault();
    try {
      await form.submit((v) => api("POST", path, { body: { body: v.body }, headers }));
      form.setValues({ body: "" });
      toast(t("ticket.saved"), "success");
      onDone();
    } catch { /* shown */ }
  }
  return html`<form id=${`${id}-form`} onSubmit=${onSubmit} novalidate>
    <${Field} as="textarea" label=${label} name="body" rows="3" error=${form.errors.body} ...${form.bind("body")} />
    <${FormError} error=${form.failure} />
    <div><button type="submit" class="secondary" disabled=${form.busy}>${t("action.send")}</button></div>
  </form>`;
}

function StatusAction({ ticket, headers, onDone }) {
  const next = NEXT[ticket.status] || [];
  const form = useForm({ status: next[0] || "", note: "" });
  if (!next.length) return null;
  async function onSubmit(e) {
    e.preventDefault();
    try {
      await form.submit((v) => api("POST", `/api/v1/tickets/${ticket.ticket_id}/status`, { body: v, headers }));
      toast(t("ticket.saved"), "success");
      onDone();
    } catch { /* shown */ }
  }
  return html`<form id="status-form" onSubmit=${onSubmit} novalidate>
    <${Field} as="select" label=${t("ticket.change_status")} name="status" error=${form.errors.status} ...${form.bind("status")}>
      ${next.map((s) => html`<option value=${s}>${t(`tstatus.${s}`)}</option>`)}</${Field}>
    <${Field} label=${t("ticket.status_note")} name="note" error=${form.errors.note} ...${form.bind("note")} />
    <${FormError} error=${form.failure} />
    <div><button type="submit" disabled=${form.busy}>${t("action.save")}</button></div>
  </form>`;
}

function AssignAction({ ticket, headers, onDone }) {
  const [queues, setQueues] = useState([]);
  const form = useForm({ assignee_id: ticket.assignee_id || "", queue_id: ticket.queue_id || "" });
  useEffect(() => { api("GET", "/api/v1/queues").then(setQueues, () => setQueues([])); }, []);
  const queue = queues.find((q) => q.queue_id === form.values.queue_id);
  async function onSubmit(e) {
    e.preventDefault();
    try {
      await form.submit((v) => api("POST", `/api/v1/tickets/${ticket.ticket_id}/assignment`, { body: { assignee_id: v.assignee_id, queue_id: v.queue_id }, headers }));
      toast(t("ticket.saved"), "success");
      onDone();
    } catch { /* shown */ }
  }
  return html`<form id="assign-form" onSubmit=${onSubmit} novalidate>
    <h3>${t("ticket.reassign")}</h3>
    <${Field} as="select" label=${t("tickets.queue")} name="queue_id" ...${form.bind("queue_id")}>
      <option value="">—</option>${queues.map((q) => html`<option value=${q.queue_id}>${q.name}</option>`)}</${Field}>
    ${queue?.members?.length
      ? html`<${Field} as="select" label=${t("ticket.assignee")} name="assignee_id" error=${form.errors.assignee_id} ...${form.bind("assignee_id")}>
          <option value="">—</option>${queue.members.map((m) => html`<option value=${m.user_id}>${m.display_name || m.user_id}</option>`)}</${Field}>`
      : html`<${Field} label=${t("ticket.assignee")} name="assignee_id" dir="ltr" error=${form.errors.assignee_id} ...${form.bind("assignee_id")} />`}
    <${FormError} error=${form.failure} />
    <div><button type="submit" class="secondary" disabled=${form.busy}>${t("ticket.assign")}</button></div>
  </form>`;
}
