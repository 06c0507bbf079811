// Translation tables (fa, en), digits, rials, dates: everything a person reads goes through here.
import { getState, setState } from "./store.js";
import { isoToJalali, jalaliToIso, tehranParts } from "./calendar.js";

const tables = {};
const FA_DIGITS = "۰۱۲۳۴۵۶۷۸۹";
const AR_DIGITS = "٠١٢٣٤٥٦٧٨٩";
export const LANGS = ["fa", "en"];

export async function loadTables() {
  await Promise.all(
    LANGS.map(async (lang) => {
      const answer = await fetch(`/static/i18n/${lang}.json`);
      tables[lang] = await answer.json();
    }),
  );
}

export function lang() {
  return getState().lang;
}

/** The label for `key` in the current language, with {name} placeholders filled in. */
export function t(key, vars) {
  const table = tables[lang()] || {};
  let text = table[key] ?? tables.en?.[key] ?? key;
  if (vars) {
    for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, num(value));
  }
  return text;
}

/** Like t(), but undefined when the key is missing (for codes that may be new). */
export function tMaybe(key) {
  const value = (tables[lang()] || {})[key];
  return value === undefined ? undefined : value;
}

/** Digits as the reader expects them: Persian in fa, Latin in en. */
export function num(value) {
  const text = String(value ?? "");
  if (lang() !== "fa") return toAscii(text);
  return text.replace(/[0-9]/g, (d) => FA_DIGITS[+d]);
}

export function toAscii(text) {
  return String(text ?? "")
    .replace(/[۰-۹]/g, (d) => String(FA_DIGITS.indexOf(d)))
    .replace(/[٠-٩]/g, (d) => String(AR_DIGITS.indexOf(d)));
}

/** 12500000 → "۱۲٬۵۰۰٬۰۰۰ ریال" (fa) or "12,500,000 IRR" (en). Integer rials only. */
export function rials(amount) {
  const n = Math.trunc(Number(amount) || 0);
  const grouped = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, lang() === "fa" ? "٬" : ",");
  const sign = n < 0 ? "-" : "";
  return lang() === "fa" ? `${num(sign + grouped)} ریال` : `${sign}${grouped} IRR`;
}

/** An ISO date as the reader reads it: Jalali with Persian digits, or Gregorian. */
export function date(iso) {
  if (!iso) return "";
  return lang() === "fa" ? num(isoToJalali(iso)) : iso.slice(0, 10);
}

/** An instant (ISO-8601) in Tehran time: "۱۴۰۵/۰۹/۰۱ ۱۰:۳۰" or "2026-11-22 10:30". */
export function instant(value) {
  const parts = tehranParts(value);
  if (!parts) return "";
  return `${date(parts.date)} ${num(parts.time)}`;
}

/** What a person typed as a date → ISO date, or null. fa: Jalali y/m/d; en: yyyy-mm-dd. */
export function parseTypedDate(text, inLang = lang()) {
  const clean = toAscii(text).trim().replace(/[-.]/g, "/");
  const m = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(clean);
  if (!m) return null;
  const [y, mo, d] = [+m[1], +m[2], +m[3]];
  if (inLang === "fa") return jalaliToIso(y, mo, d);
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  return `${y}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** Switch language and direction; remembered per user (and as the sign-in page's default). */
export function setLang(next) {
  const user = getState().user;
  localStorage.setItem("peyvand.lang", next);
  if (user) localStorage.setItem(`peyvand.lang.${user.username}`, next);
  applyDocumentLang(next);
  setState({ lang: next });
}

export function rememberedLang(username) {
  return (username && localStorage.getItem(`peyvand.lang.${username}`)) || localStorage.getItem("peyvand.lang") || "fa";
}

export function applyDocumentLang(value) {
  document.documentElement.lang = value;
  document.documentElement.dir = value === "fa" ? "rtl" : "ltr";
  document.title = (tables[value] || {})["app.title"] || "Peyvand";
}

/** Text that must read left-to-right inside a sentence (policy numbers, phones): a bidi isolate. */
export function ltr(text) {
  return `\u2066${num(text)}\u2069`;
}
