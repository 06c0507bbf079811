// Holidays (admins): the business calendar's days off, which SLA clocks skip; add and remove.
import { html, useCallback, useEffect, useState } from "../html.js";
import { api, has } from "../api.js";
import { t, num, date, lang } from "../i18n.js";
import { toast } from "../store.js";
import { jalaliParts, tehranToday } from "../calendar.js";
import { Field, FormError, useForm } from "../ui/forms.js";
import { DateField } from "../ui/datepicker.js";

const WEEKDAYS_FA = ["یکشنبه", "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه"];
const WEEKDAYS_EN = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

function weekday(iso) {
  const day = new Date(`${iso}T00:00:00Z`).getUTCDay();
  return (lang() === "fa" ? WEEKDAYS_FA : WEEKDAYS_EN)[day];
}

/** The year people file a day under: Jalali in fa, Gregorian in en. */
function yearOf(iso) {
  return lang() === "fa" ? jalaliParts(iso).y : +iso.slice(0, 4);
}

export default function HolidaysPage() {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [year, setYear] = useState(String(yearOf(tehranToday())));
  const [confirming, setConfirming] = useState("");
  const load = useCallback(async () => {
    try {
      const list = await api("GET", "/api/v1/holidays?year=0");
      setRows(list.sort((a, b) => a.date.localeCompare(b.date)));
      setError(null);
    } catch (e) {
      setError(e);
      setRows([]);
    }
  }, []);
  useEffect(() => { load(); }, [load]);
  const canRemove = has("DELETE /api/v1/holidays/{date}");
  const years = [...new Set([yearOf(tehranToday()), ...(rows || []).map((h) => yearOf(h.date))])].sort();
  const shown = (rows || []).filter((h) => !year || String(yearOf(h.date)) === year);
  async function remove(h) {
    try {
      await api("DELETE", `/api/v1/holidays/${h.date}`);
      toast(t("holiday.removed", { name: h.name }), "success");
      setConfirming("");
      load();
    } catch (e) {
      setError(e);
    }
  }
  return html`<section class="page">
    <h1>${t("nav.holidays")}</h1>
    <p class="muted">${t("holiday.explain")}</p>
    <${HolidayForm} onSaved=${(h) => { setYear(String(yearOf(h.date))); load(); }} />
    <section class="card" aria-labelledby="holidays-h">
      <h2 id="holidays-h">${t("holiday.list")}</h2>
      <div class="filters"><${Field} as="select" label=${t("holiday.year")} name="year" value=${year} onChange=${(e) => setYear(e.currentTarget.value)}>
        ${years.map((y) => html`<option value=${String(y)}>${num(y)}</option>`)}<option value="">${t("tickets.all")}</option></${Field}></div>
      <${FormError} error=${error} />
      ${rows === null ? html`<p aria-busy="true">${t("state.loading")}</p>` : shown.length === 0 ? html`<p class="muted">${t("state.none")}</p>` : html`
      <div class="table-wrap"><table id="holidays">
        <thead><tr><th scope="col">${t("holiday.date")}</th><th scope="col">${t("holiday.weekday")}</th><th scope="col">${t("holiday.name")}</th>
          <th scope="col">${t("holiday.source")}</th><th scope="col"><span class="visually-hidden">${t("c360.actions")}</span></th></tr></thead>
        <tbody>${shown.map((h) => html`<tr key=${h.date}>
          <td class="num"><time datetime=${h.date}>${date(h.date)}</time></td>
          <td>${weekday(h.date)}</td>
          <td><bdi>${h.name}</bdi></td>
          <td>${t(`holiday.source_${h.source === "admin" ? "admin" : "seed"}`)}</td>
          <td>${canRemove && (confirming === h.date
            ? html`<span class="row-actions"><button type="button" class="danger small" id=${`confirm-remove-${h.date}`} onClick=${() => remove(h)}>${t("holiday.confirm_remove")}</button>
                <button type="button" class="secondary small" onClick=${() => setConfirming("")}>${t("action.cancel")}</button></span>`
            : html`<button type="button" class="secondary small" aria-label=${t("holiday.remove_named", { name: h.name, date: date(h.date) })}
                onClick=${() => setConfirming(h.date)}>${t("holiday.remove")}</button>`)}</td>
        </tr>`)}</tbody>
      </table></div>`}
    </section>
  </section>`;
}

function HolidayForm({ onSaved }) {
  const form = useForm({ date: "", name: "" });
  async function onSubmit(e) {
    e.preventDefault();
    try {
      const saved = await form.submit((v) => api("PUT", "/api/v1/holidays", { body: { date: v.date, name: v.name } }));
      toast(t("holiday.saved", { name: saved.name }), "success");
      form.setValues({ date: "", name: "" });
      onSaved(saved);
    } catch { /* shown beside the fields */ }
  }
  return html`<form class="form-grid" id="holiday-form" novalidate onSubmit=${onSubmit}>
    <h2 class="span-all">${t("holiday.add")}</h2>
    <${DateField} label=${t("holiday.date")} name="holiday_date" value=${form.values.date} error=${form.errors.date || form.errors.date_jalali}
      onChange=${(iso) => form.setValues((v) => ({ ...v, date: iso }))} />
    <${Field} label=${t("holiday.name")} name="name" error=${form.errors.name} ...${form.bind("name")} />
    <div class="form-foot"><${FormError} error=${form.failure} />
      <button type="submit" id="holiday-save" disabled=${form.busy}>${t("holiday.add_action")}</button></div>
  </form>`;
}
