// Shared by the campaign pages: the segment rule language (fields, operators, values), campaign
// statuses, a readable rule summary and field errors by API path.
import { html } from "../html.js";
import { t, tMaybe, num, toAscii } from "../i18n.js";

export const CHANNELS = ["sms", "email", "push"];
export const PURPOSES = ["service", "marketing"];

// The rule language the campaign service accepts (services/campaign/.../domain/segments.py).
const CONSENT_FIELDS = Object.fromEntries(CHANNELS.flatMap((c) => PURPOSES.map((p) => [`consent.${c}.${p}`, "bool"])));
export const RULE_FIELDS = {
  city: "string", province: "string", branch_code: "string", agent_id: "string",
  age_band: "age", roles: "list", tags: "list", product_line: "list", policy_status: "list",
  term_end: "days", premium: "money", ...CONSENT_FIELDS,
};
export const OPS_BY_KIND = {
  string: ["eq", "in", "not_in", "exists"],
  list: ["contains", "in", "not_in", "exists"],
  bool: ["eq", "exists"],
  age: ["eq", "in", "not_in", "exists"],
  days: ["eq", "gte", "lte", "between", "exists"],
  money: ["eq", "gte", "lte", "between", "exists"],
};
export const AGE_BANDS = ["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"];
export const STATUSES = ["draft", "scheduled", "running", "paused", "stopped", "completed"];

export function fieldLabel(field) {
  const consent = /^consent\.(\w+)\.(\w+)$/.exec(field);
  if (consent) return t("rfield.consent", { channel: t(`channel.${consent[1]}`), purpose: t(`purpose.${consent[2]}`) });
  return tMaybe(`rfield.${field}`) ?? field;
}

export function newRow(field = "city") {
  return { field, op: OPS_BY_KIND[RULE_FIELDS[field]][0], value: RULE_FIELDS[field] === "bool" ? "true" : "", value2: "" };
}

const splitList = (text) => String(text).split(/[,،]/).map((s) => s.trim()).filter(Boolean);
const whole = (text) => {
  const clean = toAscii(text).replace(/[,٬\s]/g, "").trim();
  return /^-?\d+$/.test(clean) ? Number(clean) : clean; // a non-number goes as typed: the API names it
};

/** One builder row → a leaf of the rule language ({field, op, value}). */
export function rowToLeaf(row) {
  const kind = RULE_FIELDS[row.field];
  let value;
  if (row.op === "exists" || kind === "bool") value = row.value !== "false";
  else if (row.op === "between") value = [whole(row.value), whole(row.value2)];
  else if (row.op === "in" || row.op === "not_in") value = splitList(row.value);
  else if (kind === "days" || kind === "money") value = whole(row.value);
  else value = String(row.value).trim();
  return { field: row.field, op: row.op, value };
}

export function rulesJson(combine, rows) {
  return JSON.stringify({ [combine]: rows.map(rowToLeaf) });
}

/** A stored rule as one readable line ("city = تهران and age band in 25-34, 35-44"). */
export function ruleSummary(ruleJson) {
  let rule;
  try { rule = JSON.parse(ruleJson); } catch { return ruleJson; }
  const leaf = (n) => {
    const value = Array.isArray(n.value) ? n.value.join(n.op === "between" ? "–" : t("list.sep")) : typeof n.value === "boolean" ? t(n.value ? "rule.yes" : "rule.no") : n.value;
    return `${fieldLabel(n.field)} ${tMaybe(`rop.${n.op}`) ?? n.op} ${num(value)}`;
  };
  const walk = (n) => {
    if (n.all) return n.all.map(walk).join(` ${t("rule.and")} `);
    if (n.any) return `(${n.any.map(walk).join(` ${t("rule.or")} `)})`;
    return leaf(n);
  };
  return walk(rule);
}

/** API field errors → {path: message}, several messages of one field joined. */
export function errorsByPath(error, translate = () => undefined) {
  const out = {};
  for (const item of error?.errors || []) {
    const text = translate(item.message) ?? tMaybe(`fieldmsg.${item.message}`) ?? t("fieldmsg.invalid_with_reason", { reason: item.message });
    out[item.field] = out[item.field] ? `${out[item.field]} ${text}` : text;
  }
  return out;
}

export function StatusBadge({ status }) {
  return html`<span class=${`badge cmp-${status}`}>${tMaybe(`cmpstatus.${status}`) ?? status}</span>`;
}

export function Stat({ label, value, id }) {
  return html`<div class="tile stat" id=${id}><span class="muted">${label}</span><strong>${value}</strong></div>`;
}
