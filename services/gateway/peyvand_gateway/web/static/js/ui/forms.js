// Labelled inputs, field errors next to their fields, and problem+json → readable messages.
import { html, useState } from "../html.js";
import { t, tMaybe } from "../i18n.js";

/** The message for an API error, by its stable code (never the raw English detail in fa). */
export function errorMessage(error) {
  if (!error) return "";
  const code = error.code || "UNKNOWN";
  const text = tMaybe(`error.${code}`) ?? t("error.UNKNOWN");
  return error.requestId && error.status >= 500 ? `${text} (${t("error.request_id")}: ${error.requestId})` : text;
}

/** Field errors by API field name, each message translated when the table knows it. */
export function fieldErrors(error) {
  const out = {};
  for (const item of error?.errors || []) {
    const known = tMaybe(`fieldmsg.${item.message}`);
    out[item.field] = known ?? t("fieldmsg.invalid_with_reason", { reason: item.message });
  }
  return out;
}

/** Form values kept across failed submits (a failed request never clears what was typed). */
export function useForm(initial) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState({});
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const bind = (name) => {
    const update = (e) => {
      const value = e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value;
      setValues((v) => (v[name] === value ? v : { ...v, [name]: value }));
    };
    // Selects report a choice with `change` (keyboard and assistive tech), text fields with `input`.
    return { value: values[name] ?? "", onInput: update, onChange: update };
  };
  async function submit(action) {
    setBusy(true);
    setFailure(null);
    setErrors({});
    try {
      return await action(values);
    } catch (error) {
      setFailure(error);
      setErrors(fieldErrors(error));
      throw error;
    } finally {
      setBusy(false);
    }
  }
  return { values, setValues, errors, setErrors, failure, setFailure, busy, bind, submit };
}

let fieldSeq = 0;
export function useId(prefix = "f") {
  const [id] = useState(() => `${prefix}-${++fieldSeq}`);
  return id;
}

/** A labelled input (or select/textarea via `as`) with its error right under it. */
export function Field({ label, error, hint, as = "input", children, dir, ...props }) {
  const id = useId(props.name || "f");
  const describedBy = [error ? `${id}-err` : "", hint ? `${id}-hint` : ""].filter(Boolean).join(" ") || undefined;
  const control =
    as === "select"
      ? html`<select id=${id} aria-invalid=${error ? "true" : undefined} aria-describedby=${describedBy} ...${props}>${children}</select>`
      : as === "textarea"
        ? html`<textarea id=${id} dir=${dir || "auto"} aria-invalid=${error ? "true" : undefined} aria-describedby=${describedBy} ...${props}></textarea>`
        : html`<input id=${id} dir=${dir} aria-invalid=${error ? "true" : undefined} aria-describedby=${describedBy} ...${props} />`;
  return html`<div class=${`field${error ? " has-error" : ""}`}>
    <label for=${id}>${label}</label>
    ${control}
    ${hint && html`<small id=${`${id}-hint`} class="hint">${hint}</small>`}
    ${error && html`<small id=${`${id}-err`} class="field-error" role="alert">${error}</small>`}
  </div>`;
}

/** The error summary of a form: the translated message by code, in an aria-live region. */
export function FormError({ error }) {
  return html`<div class="form-error" role="alert" aria-live="assertive">${error ? errorMessage(error) : ""}</div>`;
}
