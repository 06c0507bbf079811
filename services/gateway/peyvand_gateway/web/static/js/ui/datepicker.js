// A date field typed as Jalali (fa) or ISO (en), with a small keyboard-driven calendar.
import { html, useEffect, useRef, useState } from "../html.js";
import { t, num, date as showDate, parseTypedDate, lang } from "../i18n.js";
import { jalaliParts, jalaliToIso, jalaliMonthDays, tehranToday, addDays, isoToJalali } from "../calendar.js";
import { useId } from "./forms.js";

function typedText(iso) {
  if (!iso) return "";
  return lang() === "fa" ? num(isoToJalali(iso)) : iso;
}

/** Month view: {title, cells:[{iso, day}|null]} for the month holding `iso`, week from Sat (fa) or Mon (en). */
function monthView(iso) {
  if (lang() === "fa") {
    const p = jalaliParts(iso);
    const first = jalaliToIso(p.y, p.m, 1);
    const lead = (new Date(`${first}T00:00:00Z`).getUTCDay() + 1) % 7; // Saturday first
    const days = jalaliMonthDays(p.y, p.m);
    const cells = Array(lead).fill(null);
    for (let d = 1; d <= days; d++) cells.push({ iso: jalaliToIso(p.y, p.m, d), day: d });
    return { title: `${t(`jmonth.${p.m}`)} ${num(p.y)}`, cells, weekdays: t("calendar.weekdays_fa").split(",") };
  }
  const [y, m] = iso.split("-").map(Number);
  const first = `${y}-${String(m).padStart(2, "0")}-01`;
  const lead = (new Date(`${first}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday first
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const cells = Array(lead).fill(null);
  for (let d = 1; d <= days; d++) cells.push({ iso: `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`, day: d });
  return { title: `${t(`gmonth.${m}`)} ${y}`, cells, weekdays: t("calendar.weekdays_en").split(",") };
}

/** A day button's name. It starts with the day as shown ("5 March 2026"), so voice control finds
 *  the button by its visible number (WCAG 2.5.3); Persian keeps the Jalali date as typed. */
function dayLabel(iso) {
  if (lang() === "fa") return showDate(iso);
  const [y, m, d] = iso.split("-").map(Number);
  return `${d} ${t(`gmonth.${m}`)} ${y}`;
}

function shiftMonth(iso, delta) {
  if (lang() === "fa") {
    const p = jalaliParts(iso);
    let m = p.m + delta, y = p.y;
    if (m < 1) { m = 12; y -= 1; }
    if (m > 12) { m = 1; y += 1; }
    return jalaliToIso(y, m, Math.min(p.d, jalaliMonthDays(y, m)));
  }
  const [y, m, d] = iso.split("-").map(Number);
  const target = new Date(Date.UTC(y, m - 1 + delta, 1));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  return `${target.getUTCFullYear()}-${String(target.getUTCMonth() + 1).padStart(2, "0")}-${String(Math.min(d, last)).padStart(2, "0")}`;
}

function Calendar({ value, onPick, onClose }) {
  const [focus, setFocus] = useState(value || tehranToday());
  const grid = useRef(null);
  useEffect(() => {
    const button = grid.current?.querySelector(`[data-iso="${focus}"]`);
    if (button) button.focus();
  }, [focus]);
  const view = monthView(focus);
  const rtl = lang() === "fa";
  function onKey(e) {
    const step = { ArrowLeft: rtl ? 1 : -1, ArrowRight: rtl ? -1 : 1, ArrowUp: -7, ArrowDown: 7 }[e.key];
    if (step) { e.preventDefault(); setFocus(addDays(focus, step)); }
    else if (e.key === "PageUp") { e.preventDefault(); setFocus(shiftMonth(focus, -1)); }
    else if (e.key === "PageDown") { e.preventDefault(); setFocus(shiftMonth(focus, 1)); }
    else if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); onClose(); }
  }
  return html`<div class="calendar" role="group" aria-label=${t("calendar.label")} onKeyDown=${onKey}>
    <div class="calendar-head">
      <button type="button" class="icon" aria-label=${t("calendar.prev")} onClick=${() => setFocus(shiftMonth(focus, -1))}>‹</button>
      <strong aria-live="polite">${view.title}</strong>
      <button type="button" class="icon" aria-label=${t("calendar.next")} onClick=${() => setFocus(shiftMonth(focus, 1))}>›</button>
    </div>
    <div class="calendar-grid" ref=${grid}>
      ${view.weekdays.map((w) => html`<span class="weekday" aria-hidden="true">${w}</span>`)}
      ${view.cells.map((cell) =>
        cell
          ? html`<button type="button" data-iso=${cell.iso} tabindex=${cell.iso === focus ? 0 : -1}
              class=${`${cell.iso === value ? "selected" : ""} ${cell.iso === tehranToday() ? "today" : ""}`}
              aria-label=${dayLabel(cell.iso)} aria-pressed=${cell.iso === value ? "true" : "false"}
              onClick=${() => onPick(cell.iso)}>${num(cell.day)}</button>`
          : html`<span></span>`,
      )}
    </div>
  </div>`;
}

/** value: ISO date or ""; onChange(iso or ""). A typed date that is no real day shows an error. */
export function DateField({ label, value, onChange, error, name, required }) {
  const id = useId(name || "date");
  const [text, setText] = useState(typedText(value));
  const [open, setOpen] = useState(false);
  const [bad, setBad] = useState(false);
  const currentLang = lang();
  useEffect(() => { setText(typedText(value)); setBad(false); }, [value, currentLang]);
  function commit() {
    if (!text.trim()) { setBad(false); onChange(""); return; }
    const iso = parseTypedDate(text);
    setBad(!iso);
    if (iso) onChange(iso);
  }
  const shownError = bad ? t("date.invalid") : error;
  const describedBy = `${id}-hint${shownError ? ` ${id}-err` : ""}`;
  return html`<div class=${`field date-field${shownError ? " has-error" : ""}`}>
    <label for=${id}>${label}</label>
    <div class="date-row">
      <input id=${id} name=${name} dir="ltr" inputmode="numeric" autocomplete="off" required=${required}
        placeholder=${t("date.placeholder")} value=${text} aria-invalid=${shownError ? "true" : undefined}
        aria-describedby=${describedBy} onInput=${(e) => setText(e.currentTarget.value)} onBlur=${commit}
        onKeyDown=${(e) => { if (e.key === "Enter") commit(); }} />
      <button type="button" class="icon" aria-expanded=${open ? "true" : "false"} aria-label=${t("calendar.open")} onClick=${() => setOpen(!open)}>▦</button>
    </div>
    <small id=${`${id}-hint`} class="hint">${t("date.hint")}</small>
    ${shownError && html`<small id=${`${id}-err`} class="field-error" role="alert">${shownError}</small>`}
    ${open && html`<${Calendar} value=${value} onClose=${() => { setOpen(false); document.getElementById(id)?.focus(); }}
      onPick=${(iso) => { onChange(iso); setText(typedText(iso)); setBad(false); setOpen(false); document.getElementById(id)?.focus(); }} />`}
  </div>`;
}
