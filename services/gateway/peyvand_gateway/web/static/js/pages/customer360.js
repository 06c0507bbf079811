// The customer 360° page: profile, contacts and consent, household, policies, timeline, actions.
import { html, useCallback, useEffect, useMemo, useState } from "../html.js";
import { api, has } from "../api.js";
import { t, num, date, ltr } from "../i18n.js";
import { useStore, toast } from "../store.js";
import { go } from "../router.js";
import { usePageShortcuts } from "../shortcuts.js";
import { errorMessage } from "../ui/forms.js";
import { ContactsSection, HouseholdSection, TimelineSection, TicketsSection, MessagesSection } from "./customer-sections.js";
import { OpenTicketDialog } from "./ticket-parts.js";
import { PoliciesSection } from "./customer-policies.js";
import { CustomerTasksSection } from "./customer-tasks.js";
import { InteractionDialog } from "./interaction-dialog.js";
import { DuplicatesDialog } from "./duplicates-dialog.js";
import { QuoteDialog } from "./policy-dialogs.js";

const WORKERS = new Set(["agent", "staff", "manager", "admin"]);

export default function Customer360Page({ params }) {
  const { user } = useStore();
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [dialog, setDialog] = useState(null);
  const id = params.id;

  const load = useCallback(async () => {
    try {
      setData(await api("GET", `/api/v1/customers/${encodeURIComponent(id)}/360`));
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [id]);
  useEffect(() => { load(); }, [load]);

  const canWork = WORKERS.has(user.role);
  const can = {
    log: canWork && has("POST /api/v1/customers/{customer_id}/interactions"),
    edit: canWork && has("PATCH /api/v1/customers/{customer_id}"),
    consent: canWork && has("PUT /api/v1/customers/{customer_id}/consents"),
    quote: canWork && has("POST /api/v1/quotes") && has("GET /api/v1/products"),
    merge: canWork && has("GET /api/v1/customers/{customer_id}/duplicates") && has("POST /api/v1/customers/{customer_id}/merge"),
    ticket: canWork && has("POST /api/v1/tickets"),
  };
  const keys = useMemo(() => ({
    l: () => can.log && setDialog("log"),
    e: () => can.edit && go(`/customers/${id}/edit`),
    q: () => can.quote && setDialog("quote"),
    t: () => can.ticket && setDialog("ticket"),
  }), [id, can.log, can.edit, can.quote, can.ticket]);
  usePageShortcuts(keys);

  if (error) {
    return html`<section class="page"><h1>${t("c360.title")}</h1><p class="notice error" role="alert">${errorMessage(error)}</p>
      <button type="button" onClick=${load}>${t("action.retry")}</button></section>`;
  }
  if (!data) return html`<section class="page"><p class="loading" aria-busy="true">${t("state.loading")}</p></section>`;
  const c = data.customer;
  const closeAndReload = (message) => { setDialog(null); if (message) toast(message, "success"); load(); };

  return html`<section class="page c360">
    ${data.degraded?.length > 0 && html`<div class="notice warning" role="status" id="degraded-notice">
      ${t("c360.degraded", { parts: data.degraded.map((p) => t(`part.${p}`)).join(t("list.sep")) })}
      <button type="button" class="secondary" onClick=${load}>${t("action.retry")}</button>
    </div>`}
    ${c ? html`<${ProfileHeader} c=${c} can=${can} onAction=${setDialog} />` : html`<h1>${t("c360.title")}</h1>`}
    <div class="grid-2">
      ${c && html`<${ContactsSection} customer=${c} canConsent=${can.consent} onChanged=${load} />`}
      ${c && html`<${HouseholdSection} customer=${c} />`}
    </div>
    <${PoliciesSection} policies=${data.policies} customer=${c} canWork=${canWork} onChanged=${closeAndReload} />
    ${"tickets" in data && html`<${TicketsSection} tickets=${data.tickets} />`}
    ${canWork && has("GET /api/v1/tasks") && html`<${CustomerTasksSection} customerId=${id} />`}
    ${"messages" in data && html`<${MessagesSection} messages=${data.messages} />`}
    <${TimelineSection} entries=${data.timeline} />
    ${dialog === "log" && html`<${InteractionDialog} customerId=${id} onClose=${() => setDialog(null)} onDone=${() => closeAndReload(t("log.saved"))} />`}
    ${dialog === "quote" && c && html`<${QuoteDialog} customer=${c} onClose=${() => setDialog(null)} onDone=${closeAndReload} />`}
    ${dialog === "ticket" && c && html`<${OpenTicketDialog} customer=${c} policies=${data.policies} onClose=${() => setDialog(null)}
      onDone=${(tk) => closeAndReload(t("ticket.opened", { number: ltr(tk.ticket_number) }))} />`}
    ${dialog === "merge" && c && html`<${DuplicatesDialog} customer=${c} onClose=${() => setDialog(null)} onDone=${closeAndReload} />`}
  </section>`;
}

function ProfileHeader({ c, can, onAction }) {
  return html`<header class="profile">
    <div>
      <h1 id="customer-name"><bdi>${c.display_name}</bdi></h1>
      <dl class="facts">
        <div><dt>${t("customer.number")}</dt><dd><span dir="ltr" class="ltr">${num(c.customer_number)}</span></dd></div>
        ${c.national_id && html`<div><dt>${t(c.kind === "organisation" ? "customer.legal_id" : "customer.national_id")}</dt><dd><span dir="ltr" class="ltr">${num(c.kind === "organisation" ? c.legal_id : c.national_id)}</span></dd></div>`}
        ${c.birth_date && html`<div><dt>${t("customer.birth_date")}</dt><dd>${date(c.birth_date)}</dd></div>`}
        ${c.father_name && html`<div><dt>${t("customer.father_name")}</dt><dd><bdi>${c.father_name}</bdi></dd></div>`}
        <div><dt>${t("customer.status")}</dt><dd><span class=${`badge status-${c.status}`}>${t(`cstatus.${c.status || "active"}`)}</span></dd></div>
        ${c.branch_code && html`<div><dt>${t("customer.branch")}</dt><dd><span dir="ltr" class="ltr">${num(c.branch_code)}</span></dd></div>`}
        ${c.preferred_channel && html`<div><dt>${t("customer.preferred_channel")}</dt><dd>${t(`channel.${c.preferred_channel}`)}</dd></div>`}
      </dl>
    </div>
    <div class="actions" role="toolbar" aria-label=${t("c360.actions")}>
      ${can.log && html`<button type="button" id="action-log" onClick=${() => onAction("log")}>${t("action.log_interaction")} <kbd>l</kbd></button>`}
      ${can.edit && html`<a class="button secondary" id="action-edit" href=${`#/customers/${c.customer_id}/edit`}>${t("action.edit")} <kbd>e</kbd></a>`}
      ${can.quote && html`<button type="button" class="secondary" id="action-quote" onClick=${() => onAction("quote")}>${t("action.new_quote")} <kbd>q</kbd></button>`}
      ${can.ticket && html`<button type="button" class="secondary" id="action-ticket" onClick=${() => onAction("ticket")}>${t("action.open_ticket")} <kbd>t</kbd></button>`}
      ${can.merge && html`<button type="button" class="secondary" id="action-merge" onClick=${() => onAction("merge")}>${t("action.duplicates")}</button>`}
    </div>
  </header>`;
}
