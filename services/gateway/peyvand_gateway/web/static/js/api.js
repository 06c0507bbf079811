// Calls to the gateway's /api/v1: bearer token in memory, refresh token in sessionStorage,
// one silent refresh on an expired token, and problem+json turned into ApiError.
import { getState, setState } from "./store.js";
import { applyDocumentLang, rememberedLang } from "./i18n.js";

const REFRESH_KEY = "peyvand.refresh";
let accessToken = null;
let refreshing = null;

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || (status >= 500 ? "INTERNAL" : "UNKNOWN");
    this.detail = problem.detail || "";
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.problem = problem;
    this.requestId = problem.request_id || "";
  }
}

async function parse(response) {
  const type = response.headers.get("content-type") || "";
  if (response.status === 204) return null;
  if (type.includes("json")) return response.json();
  return response.text();
}

async function send(method, path, { body, headers = {}, auth = true } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (auth && accessToken) init.headers.Authorization = `Bearer ${accessToken}`;
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, { code: "NETWORK", detail: "network error" });
  }
  const data = await parse(response);
  if (!response.ok) throw new ApiError(response.status, typeof data === "object" && data ? data : { detail: String(data) });
  return { data, headers: response.headers, status: response.status };
}

const RETRYABLE_AUTH = new Set(["TOKEN_EXPIRED", "TOKEN_INVALID", "UNAUTHENTICATED"]);

/** An API call as the signed-in user; answers the parsed body (or {data, headers} with full: true). */
export async function api(method, path, options = {}) {
  try {
    const answer = await send(method, path, options);
    return options.full ? answer : answer.data;
  } catch (error) {
    if (error.status === 401 && RETRYABLE_AUTH.has(error.code) && sessionStorage.getItem(REFRESH_KEY) && (await refreshSession())) {
      const answer = await send(method, path, options);
      return options.full ? answer : answer.data;
    }
    if (error.status === 401 && error.code !== "LOGIN_FAILED") forgetSession();
    throw error;
  }
}

function adopt(pair) {
  accessToken = pair.access_token;
  sessionStorage.setItem(REFRESH_KEY, pair.refresh_token);
  const lang = rememberedLang(pair.user.username);
  applyDocumentLang(lang);
  setState({ user: pair.user, lang });
}

export async function signIn(username, password) {
  const { data } = await send("POST", "/api/v1/auth/login", { body: { username, password }, auth: false });
  adopt(data);
  return data.user;
}

/** Swap the stored refresh token for new tokens (one at a time); false when the session is gone. */
export function refreshSession() {
  if (!refreshing) {
    const token = sessionStorage.getItem(REFRESH_KEY);
    refreshing = (async () => {
      if (!token) return false;
      try {
        const { data } = await send("POST", "/api/v1/auth/refresh", { body: { refresh_token: token }, auth: false });
        adopt(data);
        return true;
      } catch (error) {
        if (error.status === 401) forgetSession();
        return false;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

export async function signOut() {
  try {
    if (accessToken) await send("POST", "/api/v1/auth/logout");
  } catch {
    // Signed out locally all the same; the server session expires on its own.
  }
  forgetSession();
}

function forgetSession() {
  accessToken = null;
  sessionStorage.removeItem(REFRESH_KEY);
  if (getState().user) setState({ user: null });
}

/** Which API paths the gateway has (from its OpenAPI document): pages and actions appear only when their endpoints exist. */
export async function loadFeatures() {
  try {
    const { data } = await send("GET", "/openapi.json", { auth: false });
    const features = new Set();
    for (const [path, ops] of Object.entries(data.paths || {})) {
      for (const method of Object.keys(ops)) features.add(`${method.toUpperCase()} ${path}`);
    }
    setState({ features });
  } catch {
    setState({ features: new Set() });
  }
}

export function has(feature) {
  return getState().features.has(feature);
}

/** A fresh Idempotency-Key (crypto.randomUUID exists only on secure origins; LAN http has none). */
export function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
