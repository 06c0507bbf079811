// The organisation directory: branches and agents (read-only here).
import { html, useEffect, useState } from "../html.js";
import { api } from "../api.js";
import { t, num, lang } from "../i18n.js";
import { FormError } from "../ui/forms.js";

export default function OrgPage() {
  const [branches, setBranches] = useState(null);
  const [agents, setAgents] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    Promise.all([api("GET", "/api/v1/org/branches"), api("GET", "/api/v1/org/agents")]).then(([b, a]) => { setBranches(b); setAgents(a); }, setError);
  }, []);
  const branchName = (code) => {
    const b = (branches || []).find((x) => x.code === code);
    return b ? (lang() === "fa" ? b.name_fa : b.name_en) : code;
  };
  return html`<section class="page">
    <h1>${t("nav.org")}</h1>
    <${FormError} error=${error} />
    ${branches && html`<section class="card"><h2>${t("org.branches")}</h2><div class="table-wrap"><table>
      <thead><tr><th scope="col">${t("org.code")}</th><th scope="col">${t("org.name")}</th><th scope="col">${t("org.city")}</th><th scope="col">${t("org.region")}</th></tr></thead>
      <tbody>${branches.map((b) => html`<tr><td><span dir="ltr" class="ltr">${num(b.code)}</span></td><td>${lang() === "fa" ? b.name_fa : b.name_en}</td><td><bdi>${b.city}</bdi></td><td dir="ltr" class="ltr">${b.region_code}</td></tr>`)}</tbody>
    </table></div></section>`}
    ${agents && html`<section class="card"><h2>${t("org.agents")}</h2><div class="table-wrap"><table>
      <thead><tr><th scope="col">${t("customer.name")}</th><th scope="col">${t("customer.mobile")}</th><th scope="col">${t("customer.branch")}</th><th scope="col">${t("customer.status")}</th></tr></thead>
      <tbody>${agents.map((a) => html`<tr><td><bdi>${a.display_name}</bdi></td><td><span dir="ltr" class="ltr">${num(a.mobile)}</span></td><td>${branchName(a.branch_code)}</td>
        <td>${a.active ? t("org.active") : t("org.inactive")}</td></tr>`)}</tbody>
    </table></div></section>`}
  </section>`;
}
