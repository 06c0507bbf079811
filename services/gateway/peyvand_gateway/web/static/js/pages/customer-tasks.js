// The open tasks of one customer on the 360° page (the tasks API filters by customer_id).
import { html, useCallback, useEffect, useState } from "../html.js";
import { api, has } from "../api.js";
import { t } from "../i18n.js";
import { toast } from "../store.js";
import { CompleteTaskDialog, sortByDue } from "./task-parts.js";
import { TaskTable } from "./tasks.js";

export function CustomerTasksSection({ customerId }) {
  const [rows, setRows] = useState(null);
  const [completing, setCompleting] = useState(null);
  const load = useCallback(() => {
    const query = new URLSearchParams({ customer_id: customerId, status: "open", limit: "50" });
    api("GET", `/api/v1/tasks?${query}`).then((page) => setRows(sortByDue(page.items)), () => setRows(undefined));
  }, [customerId]);
  useEffect(() => { load(); }, [load]);
  return html`<section class="card" aria-labelledby="ctasks-h">
    <h2 id="ctasks-h">${t("c360.tasks")}</h2>
    ${rows === undefined ? html`<p class="muted">${t("state.unavailable")}</p>` : rows === null ? html`<p aria-busy="true">${t("state.loading")}</p>`
      : rows.length === 0 ? html`<p class="muted">${t("task.none")}</p>`
      : html`<${TaskTable} id="customer-tasks" rows=${rows} canComplete=${has("POST /api/v1/tasks/{task_id}/completion")} onComplete=${setCompleting} withCustomer=${false} />`}
    ${completing && html`<${CompleteTaskDialog} task=${completing} onClose=${() => setCompleting(null)}
      onDone=${() => { setCompleting(null); toast(t("task.completed"), "success"); load(); }} />`}
  </section>`;
}
