// Every screen: one module per page, who may see it, and the API operations it needs.
// A page appears (route and nav item) only when the gateway's OpenAPI document has every
// operation in `needs`, so nothing is shown that the API cannot back. To add a page, write its
// module and add one line here (first match wins: fixed paths before `:id` ones).

export const ROLES = ["agent", "staff", "manager", "marketing", "admin"];
const WORKERS = ["agent", "staff", "manager", "admin"];
const PLANNERS = ["marketing", "admin"]; // the gateway's campaign endpoints refuse other roles

export const PAGES = [
  { path: "/", module: "./home.js", nav: "nav.home", roles: ROLES, needs: ["GET /api/v1/customers"] },
  { path: "/customers/new", module: "./customer-form.js", nav: "nav.new_customer", roles: WORKERS, needs: ["POST /api/v1/customers"] },
  { path: "/customers/:id/edit", module: "./customer-form.js", roles: WORKERS, needs: ["PATCH /api/v1/customers/{customer_id}"] },
  { path: "/customers/:id", module: "./customer360.js", roles: ROLES, needs: ["GET /api/v1/customers/{customer_id}/360"] },
  { path: "/renewals", module: "./renewals.js", nav: "nav.renewals", roles: WORKERS, needs: ["GET /api/v1/policies"] },
  { path: "/dashboard", module: "./dashboard.js", nav: "nav.dashboard", roles: ["staff", "manager", "marketing", "admin"], needs: ["GET /api/v1/dashboards/overview"] },
  { path: "/tickets", module: "./tickets.js", nav: "nav.tickets", roles: WORKERS, needs: ["GET /api/v1/tickets"] },
  { path: "/tickets/:id", module: "./ticket.js", roles: WORKERS, needs: ["GET /api/v1/tickets/{ticket_id}", "GET /api/v1/tickets/{ticket_id}/replies"] },
  { path: "/tasks", module: "./tasks.js", nav: "nav.tasks", roles: WORKERS, needs: ["GET /api/v1/tasks"] },
  { path: "/segments", module: "./segments.js", nav: "nav.segments", roles: PLANNERS, needs: ["GET /api/v1/segments", "POST /api/v1/segments", "POST /api/v1/segments/preview"] },
  { path: "/templates", module: "./templates.js", nav: "nav.templates", roles: PLANNERS, needs: ["GET /api/v1/templates", "POST /api/v1/templates", "POST /api/v1/templates/preview"] },
  { path: "/campaigns", module: "./campaigns.js", nav: "nav.campaigns", roles: PLANNERS, needs: ["GET /api/v1/campaigns", "GET /api/v1/campaigns/{campaign_id}/results"] },
  { path: "/campaigns/new", module: "./campaign-new.js", roles: PLANNERS, needs: ["POST /api/v1/campaigns", "GET /api/v1/segments", "GET /api/v1/templates"] },
  { path: "/campaigns/:id", module: "./campaign.js", roles: PLANNERS, needs: ["GET /api/v1/campaigns/{campaign_id}/results"] },
  { path: "/holidays", module: "./holidays.js", nav: "nav.holidays", roles: ["admin"], needs: ["GET /api/v1/holidays", "PUT /api/v1/holidays"] },
  { path: "/org", module: "./org.js", nav: "nav.org", roles: ["staff", "manager", "admin"], needs: ["GET /api/v1/org/agents", "GET /api/v1/org/branches"] },
];

/** The pages this user may open with this gateway. */
export function pagesFor(user, features) {
  if (!user) return [];
  return PAGES.filter((p) => p.roles.includes(user.role) && p.needs.every((n) => features.has(n)));
}
