// Segments: build a rule from field/operator/value rows (all or any), preview how many customers
// it selects with a (masked) sample, save it; and the saved segments.
import { html, useEffect, useState } from "../html.js";
import { api } from "../api.js";
import { t, num, instant } from "../i18n.js";
import { toast } from "../store.js";
import { Field, FormError } from "../ui/forms.js";
import { RULE_FIELDS, OPS_BY_KIND, AGE_BANDS, fieldLabel, newRow, rulesJson, ruleSummary, errorsByPath } from "./campaign-parts.js";

export default function SegmentsPage() {
  const [segments, setSegments] = useState(null);
  const [listError, setListError] = useState(null);
  const load = () => api("GET", "/api/v1/segments?limit=200").then((s) => { setSegments(s); setListError(null); }, (e) => { setListError(e); setSegments([]); });
  useEffect(() => { load(); }, []);
  return html`<section class="page">
    <h1>${t("nav.segments")}</h1>
    <${SegmentBuilder} onSaved=${load} />
    <section class="card" aria-labelledby="segments-h">
      <h2 id="segments-h">${t("segment.saved_list")}</h2>
      <${FormError} error=${listError} />
      ${segments === null ? html`<p aria-busy="true">${t("state.loading")}</p>` : segments.length === 0 ? html`<p class="muted">${t("state.none")}</p>` : html`
      <div class="table-wrap"><table id="segments">
        <thead><tr><th scope="col">${t("segment.name")}</th><th scope="col">${t("segment.rule")}</th><th scope="col">${t("segment.created")}</th><th scope="col">${t("segment.count")}</th></tr></thead>
        <tbody>${segments.map((s) => html`<tr key=${s.segment_id}>
          <td><bdi>${s.name}</bdi><br /><small class="muted"><span dir="ltr" class="ltr">${s.segment_id}</span></small></td>
          <td><bdi>${ruleSummary(s.rule_json)}</bdi></td>
          <td>${instant(s.created_at)}</td>
          <td><${StoredCount} id=${s.segment_id} name=${s.name} /></td>
        </tr>`)}</tbody>
      </table></div>`}
    </section>
  </section>`;
}

function StoredCount({ id, name }) {
  const [count, setCount] = useState(null);
  const [busy, setBusy] = useState(false);
  async function count_() {
    setBusy(true);
    try { setCount((await api("POST", "/api/v1/segments/preview", { body: { segment_id: id, sample_size: 0 } })).count); }
    catch { setCount("—"); }
    finally { setBusy(false); }
  }
  if (count !== null) return html`<span class="num" aria-live="polite">${typeof count === "number" ? t("segment.customers", { n: count }) : count}</span>`;
  return html`<button type="button" class="secondary small" disabled=${busy} aria-label=${t("segment.count_of", { name })} onClick=${count_}>${t("segment.count_action")}</button>`;
}

function SegmentBuilder({ onSaved }) {
  const [name, setName] = useState("");
  const [combine, setCombine] = useState("all");
  const [rows, setRows] = useState([newRow("city")]);
  const [preview, setPreview] = useState(null);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState("");
  const errors = errorsByPath(failure);
  const setRow = (i, patch) => { setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r))); setPreview(null); };
  const changeField = (i, field) => setRow(i, newRow(field));
  const changeOp = (i, op) => setRow(i, { op, value: op === "exists" || RULE_FIELDS[rows[i].field] === "bool" ? "true" : rows[i].op === "exists" ? "" : rows[i].value });

  async function run(kind) {
    setBusy(kind);
    setFailure(null);
    try {
      if (kind === "preview") {
        setPreview(await api("POST", "/api/v1/segments/preview", { body: { rule_json: rulesJson(combine, rows), sample_size: 5 } }));
      } else {
        const saved = await api("POST", "/api/v1/segments", { body: { name, rule_json: rulesJson(combine, rows) } });
        toast(t("segment.saved", { name: saved.name }), "success");
        setName(""); setRows([newRow("city")]); setPreview(null);
        onSaved();
      }
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy("");
    }
  }
  const rowError = (i, part) => errors[`rule_json.${combine}[${i}].${part}`] || (part === "value" ? errors[`rule_json.${combine}[${i}]`] : undefined);
  return html`<form class="card segment-builder" id="segment-form" novalidate onSubmit=${(e) => { e.preventDefault(); run("save"); }}>
    <h2>${t("segment.new")}</h2>
    <${Field} label=${t("segment.name")} name="name" value=${name} error=${errors.name} onInput=${(e) => setName(e.currentTarget.value)} />
    <fieldset class="combine">
      <legend>${t("segment.combine")}</legend>
      ${["all", "any"].map((c) => html`<label class="check"><input type="radio" name="combine" value=${c} checked=${combine === c}
        onChange=${() => { setCombine(c); setPreview(null); }} /> ${t(`segment.${c}`)}</label>`)}
    </fieldset>
    <ol class="rule-rows" id="rule-rows">
      ${rows.map((row, i) => html`<li class="rule-row" key=${i}>
        <${Field} as="select" label=${t("segment.field")} name=${`field-${i}`} value=${row.field} error=${rowError(i, "field")} onChange=${(e) => changeField(i, e.currentTarget.value)}>
          ${Object.keys(RULE_FIELDS).map((f) => html`<option value=${f}>${fieldLabel(f)}</option>`)}</${Field}>
        <${Field} as="select" label=${t("segment.op")} name=${`op-${i}`} value=${row.op} error=${rowError(i, "op")} onChange=${(e) => changeOp(i, e.currentTarget.value)}>
          ${OPS_BY_KIND[RULE_FIELDS[row.field]].map((op) => html`<option value=${op}>${t(`rop.${op}`)}</option>`)}</${Field}>
        <${ValueInput} row=${row} i=${i} error=${rowError(i, "value")} onChange=${(patch) => setRow(i, patch)} />
        <button type="button" class="icon remove-row" aria-label=${t("segment.remove_row", { n: i + 1 })} disabled=${rows.length === 1}
          onClick=${() => { setRows((rs) => rs.filter((_, j) => j !== i)); setPreview(null); }}>×</button>
      </li>`)}
    </ol>
    <div><button type="button" class="secondary" id="add-row" onClick=${() => setRows((rs) => [...rs, newRow("city")])}>${t("segment.add_row")}</button></div>
    ${errors.rule_json && html`<p class="field-error" role="alert">${errors.rule_json}</p>`}
    <${FormError} error=${failure} />
    <div class="form-foot">
      <button type="button" class="secondary" id="segment-preview" disabled=${!!busy} onClick=${() => run("preview")}>${t("segment.preview")}</button>
      <button type="submit" id="segment-save" disabled=${!!busy}>${t("segment.save")}</button>
      ${busy && html`<span class="muted" aria-busy="true">${t("state.working")}</span>`}
    </div>
    <div aria-live="polite">${preview && html`<div class="preview-box" id="segment-preview-result">
      <p><strong id="segment-count">${t("segment.customers", { n: preview.count })}</strong></p>
      ${preview.sample.length > 0 && html`<h3>${t("segment.sample")}</h3><ul class="plain" id="segment-sample">
        ${preview.sample.map((m) => html`<li><bdi>${m.display_name || "—"}</bdi>${m.city && html` · <bdi>${m.city}</bdi>`}${m.branch_code && html` · <span dir="ltr" class="ltr">${num(m.branch_code)}</span>`}</li>`)}
      </ul>`}
    </div>`}</div>
  </form>`;
}

function ValueInput({ row, i, error, onChange }) {
  const kind = RULE_FIELDS[row.field];
  const label = t("segment.value");
  if (row.op === "exists" || kind === "bool") {
    const yes = row.op === "exists" ? "rule.has_value" : "rule.yes";
    const no = row.op === "exists" ? "rule.no_value" : "rule.no";
    return html`<${Field} as="select" label=${label} name=${`value-${i}`} value=${row.value} error=${error} onChange=${(e) => onChange({ value: e.currentTarget.value })}>
      <option value="true">${t(yes)}</option><option value="false">${t(no)}</option></${Field}>`;
  }
  if (kind === "age" && row.op === "eq") {
    return html`<${Field} as="select" label=${label} name=${`value-${i}`} value=${row.value} error=${error} onChange=${(e) => onChange({ value: e.currentTarget.value })}>
      <option value="">${t("form.choose")}</option>${AGE_BANDS.map((b) => html`<option value=${b}>${num(b)}</option>`)}</${Field}>`;
  }
  const numeric = kind === "days" || kind === "money";
  const hint = row.op === "in" || row.op === "not_in" ? (kind === "age" ? t("segment.hint_bands", { bands: AGE_BANDS.join("، ") }) : t("segment.hint_list"))
    : kind === "days" ? t("segment.hint_days") : kind === "money" ? t("segment.hint_money") : undefined;
  const ltr = numeric || row.field === "branch_code" || row.field === "agent_id" || kind === "age" ? "ltr" : undefined;
  if (row.op === "between") {
    return html`<div class="between">
      <${Field} label=${t("segment.from")} name=${`value-${i}`} dir="ltr" inputmode="numeric" value=${row.value} error=${error} hint=${hint} onInput=${(e) => onChange({ value: e.currentTarget.value })} />
      <${Field} label=${t("segment.to")} name=${`value2-${i}`} dir="ltr" inputmode="numeric" value=${row.value2} onInput=${(e) => onChange({ value2: e.currentTarget.value })} />
    </div>`;
  }
  return html`<${Field} label=${label} name=${`value-${i}`} dir=${ltr} inputmode=${numeric ? "numeric" : undefined} value=${row.value} error=${error} hint=${hint}
    onInput=${(e) => onChange({ value: e.currentTarget.value })} />`;
}
