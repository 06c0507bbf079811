// My tasks: what I own, soonest first, overdue and due-today marked, each completed with its outcome.
import { html, useCallback, useEffect, useState } from "../html.js";
import { api, has } from "../api.js";
import { t } from "../i18n.js";
import { toast } from "../store.js";
import { Field, FormError } from "../ui/forms.js";
import { DueCell, CompleteTaskDialog, dueState, kindLabel, sortByDue } from "./task-parts.js";

export default function TasksPage() {
  const [status, setStatus] = useState("open");
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [completing, setCompleting] = useState(null);
  const load = useCallback(async () => {
    const query = new URLSearchParams({ mine: "true", limit: "100" });
    if (status) query.set("status", status);
    try {
      setRows(sortByDue((await api("GET", `/api/v1/tasks?${query}`)).items));
      setError(null);
    } catch (e) {
      setError(e);
      setRows([]);
    }
  }, [status]);
  useEffect(() => { setRows(null); load(); }, [load]);
  const canComplete = has("POST /api/v1/tasks/{task_id}/completion");
  const overdue = (rows || []).filter((x) => dueState(x) === "overdue").length;
  return html`<section class="page">
    <h1>${t("nav.tasks")}</h1>
    <div class="filters">
      <${Field} as="select" label=${t("tickets.status")} name="status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        <option value="open">${t("taskstatus.open")}</option><option value="done">${t("taskstatus.done")}</option><option value="">${t("tickets.all")}</option>
      </${Field}>
    </div>
    <${FormError} error=${error} />
    ${overdue > 0 && html`<div class="notice error" role="status" id="overdue-notice">${t("task.overdue_count", { n: overdue })}</div>`}
    ${rows === null ? html`<p aria-busy="true">${t("state.loading")}</p>` : rows.length === 0 ? html`<p class="muted">${t("task.none")}</p>` : html`
    <${TaskTable} id="tasks" rows=${rows} canComplete=${canComplete} onComplete=${setCompleting} withCustomer=${true} />`}
    ${completing && html`<${CompleteTaskDialog} task=${completing} onClose=${() => setCompleting(null)}
      onDone=${() => { setCompleting(null); toast(t("task.completed"), "success"); load(); }} />`}
  </section>`;
}

export function TaskTable({ id, rows, canComplete, onComplete, withCustomer }) {
  return html`<div class="table-wrap"><table id=${id}>
    <thead><tr><th scope="col">${t("task.title")}</th><th scope="col">${t("task.kind")}</th><th scope="col">${t("task.due")}</th>
      ${withCustomer && html`<th scope="col">${t("policy.holder")}</th>`}<th scope="col">${t("tickets.status")}</th>
      <th scope="col"><span class="visually-hidden">${t("c360.actions")}</span></th></tr></thead>
    <tbody>${rows.map((task) => html`<tr key=${task.task_id} class=${`task-${dueState(task) || task.status}`}>
      <td><bdi>${task.title}</bdi>${task.note && html`<br /><small class="muted" dir="auto">${task.note}</small>`}</td>
      <td>${kindLabel(task.kind)}</td>
      <td><${DueCell} task=${task} /></td>
      ${withCustomer && html`<td>${task.customer_id && html`<a href=${`#/customers/${task.customer_id}`}>${t("ticket.open_customer")}</a>`}</td>`}
      <td>${t(`taskstatus.${task.status}`)}</td>
      <td>${canComplete && task.status === "open" && html`<button type="button" class="secondary small" aria-label=${t("task.complete_named", { title: task.title })}
        onClick=${() => onComplete(task)}>${t("task.complete")}</button>`}</td>
    </tr>`)}</tbody>
  </table></div>`;
}
