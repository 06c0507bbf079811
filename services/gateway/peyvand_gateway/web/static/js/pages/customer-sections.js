// Read-mostly sections of the 360° page: contact points with consent, household, timeline.
import { html, useState } from "../html.js";
import { api } from "../api.js";
import { t, tMaybe, num, instant } from "../i18n.js";
import { toast } from "../store.js";
import { errorMessage } from "../ui/forms.js";
import { SlaCountdown } from "./ticket-parts.js";

const CHANNELS = ["sms", "email", "push", "phone"];
const PURPOSES = ["service", "marketing"];
const LTR_KINDS = new Set(["mobile", "landline", "email"]);

function contactValue(point) {
  if (point.kind === "address") {
    return html`<bdi>${[point.province, point.city, point.line, point.value].filter(Boolean).join("، ")}</bdi>${point.postal_code ? html` <span dir="ltr" class="ltr">${num(point.postal_code)}</span>` : ""}`;
  }
  return LTR_KINDS.has(point.kind) ? html`<span dir="ltr" class="ltr">${point.kind === "email" ? point.value : num(point.value)}</span>` : html`<bdi>${point.value}</bdi>`;
}

export function ContactsSection({ customer, canConsent, onChanged }) {
  const [busy, setBusy] = useState("");
  const granted = (channel, purpose) => (customer.consents || []).some((c) => c.channel === channel && c.purpose === purpose && c.granted);
  async function toggle(channel, purpose, value) {
    const key = `${channel}.${purpose}`;
    setBusy(key);
    try {
      await api("PUT", `/api/v1/customers/${customer.customer_id}/consents`, { body: { channel, purpose, granted: value, source: "branch" } });
      toast(t("consent.saved"), "success");
      onChanged();
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy("");
    }
  }
  return html`<section class="card" aria-labelledby="contacts-h">
    <h2 id="contacts-h">${t("c360.contacts")}</h2>
    ${(customer.contact_points || []).length === 0 ? html`<p class="muted">${t("state.none")}</p>` : html`<ul class="plain contacts">
      ${customer.contact_points.map((p) => html`<li>
        <span class="label">${t(`contact.${p.kind}`)}</span> ${contactValue(p)}
        ${p.primary && html` <span class="badge">${t("contact.primary")}</span>`}
        ${p.verified && html` <span class="badge ok">${t("contact.verified")}</span>`}
      </li>`)}
    </ul>`}
    <h3>${t("c360.consent")}</h3>
    <table class="consent">
      <thead><tr><th scope="col">${t("consent.channel")}</th>${PURPOSES.map((p) => html`<th scope="col">${t(`purpose.${p}`)}</th>`)}</tr></thead>
      <tbody>${CHANNELS.map((ch) => html`<tr>
        <th scope="row">${t(`channel.${ch}`)}</th>
        ${PURPOSES.map((p) => {
          const on = granted(ch, p);
          return html`<td><label class="check">
            <input type="checkbox" checked=${on} disabled=${!canConsent || busy === `${ch}.${p}`}
              aria-label=${t("consent.aria", { channel: t(`channel.${ch}`), purpose: t(`purpose.${p}`) })}
              onChange=${(e) => toggle(ch, p, e.currentTarget.checked)} />
            <span>${on ? t("consent.granted") : t("consent.not_granted")}</span></label></td>`;
        })}
      </tr>`)}</tbody>
    </table>
  </section>`;
}

export function HouseholdSection({ customer }) {
  const relations = customer.relationships || [];
  return html`<section class="card" aria-labelledby="household-h">
    <h2 id="household-h">${t("c360.household")}</h2>
    ${relations.length === 0 ? html`<p class="muted">${t("household.none")}</p>` : html`<ul class="plain">
      ${relations.map((r) => html`<li><span class="label">${tMaybe(`relation.${r.kind}`) ?? r.kind}</span>
        <a href=${`#/customers/${r.other_customer_id}`}><bdi>${r.other_display_name || r.other_customer_id}</bdi></a></li>`)}
    </ul>`}
  </section>`;
}

export function TimelineSection({ entries }) {
  return html`<section class="card" aria-labelledby="timeline-h">
    <h2 id="timeline-h">${t("c360.timeline")}</h2>
    ${entries == null ? html`<p class="muted">${t("state.unavailable")}</p>` : entries.length === 0 ? html`<p class="muted">${t("state.none")}</p>` : html`<ol class="timeline" id="timeline">
      ${entries.map((e) => html`<li class=${`tl-${e.kind.replace(/\W/g, "-")}`}>
        <span class="tl-kind">${tMaybe(`tkind.${e.kind}`) ?? e.kind}</span>
        <span class="tl-summary" dir="auto">${e.summary}</span>
        <time datetime=${e.at}>${instant(e.at)}</time>
      </li>`)}
    </ol>`}
  </section>`;
}

export function TicketsSection({ tickets }) {
  return html`<section class="card" aria-labelledby="tickets-h">
    <h2 id="tickets-h">${t("c360.tickets")}</h2>
    ${tickets == null ? html`<p class="muted">${t("state.unavailable")}</p>` : tickets.length === 0 ? html`<p class="muted">${t("state.none")}</p>` : html`<ul class="plain" id="open-tickets">
      ${tickets.map((tk) => html`<li><a href=${`#/tickets/${tk.ticket_id}`}><span dir="ltr" class="ltr">${num(tk.ticket_number)}</span></a>
        <bdi> ${tk.subject}</bdi> · ${t(`tstatus.${tk.status}`)} <${SlaCountdown} ticket=${tk} /></li>`)}
    </ul>`}
  </section>`;
}

export function MessagesSection({ messages }) {
  return html`<section class="card" aria-labelledby="messages-h">
    <h2 id="messages-h">${t("c360.messages")}</h2>
    ${messages == null ? html`<p class="muted">${t("state.unavailable")}</p>` : messages.length === 0 ? html`<p class="muted">${t("state.none")}</p>` : html`<ul class="plain">
      ${messages.map((m) => html`<li><span class="label">${t(`channel.${m.channel}`)}</span> ${tMaybe(`dstatus.${m.status}`) ?? m.status}
        ${m.sent_at && html` · <time datetime=${m.sent_at}>${instant(m.sent_at)}</time>`}${m.failure_reason && html` · <span class="muted" dir="auto">${m.failure_reason}</span>`}</li>`)}
    </ul>`}
  </section>`;
}
