// Dates as people read and type them: Jalali (fa) or Gregorian (en), in the Tehran business zone.
import { toJalaali, toGregorian, isValidJalaaliDate, jalaaliMonthLength } from "../vendor/jalaali.module.js";

export const TEHRAN = "Asia/Tehran";
const pad = (n, w = 2) => String(n).padStart(w, "0");

/** "1405/09/01" for the ISO date "2026-11-22" (ASCII digits; the caller localises them). */
export function isoToJalali(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
  if (!m) return "";
  const j = toJalaali(+m[1], +m[2], +m[3]);
  return `${j.jy}/${pad(j.jm)}/${pad(j.jd)}`;
}

/** "2026-11-22" for Jalali 1405/9/1; null when it is no real Jalali day. */
export function jalaliToIso(jy, jm, jd) {
  if (!isValidJalaaliDate(jy, jm, jd)) return null;
  const g = toGregorian(jy, jm, jd);
  return `${g.gy}-${pad(g.gm)}-${pad(g.gd)}`;
}

export function jalaliParts(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
  if (!m) return null;
  const j = toJalaali(+m[1], +m[2], +m[3]);
  return { y: j.jy, m: j.jm, d: j.jd };
}

export function jalaliMonthDays(jy, jm) {
  return jalaaliMonthLength(jy, jm);
}

/** The ISO date and the HH:MM wall time of an instant, in Tehran. */
export function tehranParts(instant) {
  const date = instant instanceof Date ? instant : new Date(instant);
  if (Number.isNaN(date.getTime())) return null;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone: TEHRAN, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

export function tehranToday() {
  return tehranParts(new Date()).date;
}

/** Whole days from today (Tehran) to an ISO date; negative when past. */
export function daysUntil(iso) {
  if (!iso) return null;
  const a = Date.UTC(...tehranToday().split("-").map((n, i) => (i === 1 ? +n - 1 : +n)));
  const b = Date.UTC(...iso.slice(0, 10).split("-").map((n, i) => (i === 1 ? +n - 1 : +n)));
  return Math.round((b - a) / 86400000);
}

export function addDays(iso, days) {
  const [y, m, d] = iso.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}
