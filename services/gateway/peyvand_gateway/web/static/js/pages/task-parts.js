// Tasks shared by "my tasks" and the 360° page: when each is due (overdue and today marked)
// and the dialog that completes one with its outcome.
import { html } from "../html.js";
import { api } from "../api.js";
import { t, tMaybe, date, instant } from "../i18n.js";
import { daysUntil, tehranParts } from "../calendar.js";
import { Dialog } from "../ui/dialog.js";
import { Field, FormError, useForm } from "../ui/forms.js";

/** The Tehran day a task is due: its due date, or the day of its due instant. */
export function dueDay(task) {
  return task.due_date || (task.due_at?.utc ? tehranParts(task.due_at.utc)?.date : "") || "";
}

export function dueState(task) {
  if (task.status !== "open") return "";
  const days = daysUntil(dueDay(task));
  if (days === null) return "";
  return days < 0 ? "overdue" : days === 0 ? "today" : "later";
}

export function sortByDue(tasks) {
  return [...tasks].sort((a, b) => (dueDay(a) || "9999").localeCompare(dueDay(b) || "9999"));
}

export function DueCell({ task }) {
  const day = dueDay(task);
  if (!day) return html`<span class="muted">—</span>`;
  const days = daysUntil(day);
  const state = dueState(task);
  const when = task.due_at?.utc ? instant(task.due_at.utc) : date(day);
  return html`<span class="due"><time datetime=${day}>${when}</time>
    ${state === "overdue" && html` <span class="badge late">${t("task.overdue", { n: -days })}</span>`}
    ${state === "today" && html` <span class="badge warn">${t("task.due_today")}</span>`}
    ${state === "later" && days <= 7 && html` <span class="muted">${t("task.in_days", { n: days })}</span>`}</span>`;
}

export function kindLabel(kind) {
  return tMaybe(`taskkind.${kind}`) ?? kind;
}

export function CompleteTaskDialog({ task, onClose, onDone }) {
  const form = useForm({ outcome: "" });
  async function onSubmit(e) {
    e.preventDefault();
    try {
      await form.submit((v) => api("POST", `/api/v1/tasks/${task.task_id}/completion`, { body: { outcome: v.outcome }, headers: { "If-Match": `"v${task.version}"` } }));
      onDone();
    } catch { /* shown in the form */ }
  }
  return html`<${Dialog} title=${t("task.complete_title")} onClose=${onClose}>
    <form id="task-complete-form" onSubmit=${onSubmit} novalidate>
      <p><bdi>${task.title}</bdi></p>
      <${Field} as="textarea" label=${t("task.outcome")} name="outcome" rows="3" error=${form.errors.outcome} ...${form.bind("outcome")} />
      <${FormError} error=${form.failure} />
      <div class="dialog-actions">
        <button type="submit" id="task-complete-save" disabled=${form.busy}>${t("task.complete")}</button>
        <button type="button" class="secondary" onClick=${onClose}>${t("action.cancel")}</button>
      </div>
    </form>
  </${Dialog}>`;
}
