// The REST API client: every request carries the operator's API token when they signed in
// with one, else the browser sends the session cookie of a password sign-in (HttpOnly: this
// script never sees it). Every request says it comes from the console (X-Requested-With),
// which the server asks of cookie-authenticated changes against cross-site requests. A 401
// anywhere sends the operator back to the login screen (main.js listens for
// "ampyre:unauthorized").

const TOKEN_KEY = "ampyre.apiToken";
export const API_BASE = "/api/v1";

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  save: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** A refused request: `status` 0 when the server could not be reached at all. */
export class ApiError extends Error {
  constructor(status, body, statusText = "") {
    super(describe(status, body, statusText));
    this.status = status;
    this.body = body;
  }
}

function describe(status, body, statusText) {
  if (status === 0) return "Cannot reach the Ampyre server";
  const detail = body && typeof body === "object" ? body.detail : null;
  if (typeof detail === "string" && detail) return detail;
  if (detail) return JSON.stringify(detail);
  return `HTTP ${status} ${statusText}`.trim();
}

function url(path, query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
  }
  const search = params.toString();
  return `${API_BASE}${path}${search ? `?${search}` : ""}`;
}

async function parse(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text };
  }
}

/**
 * Send a request and return `{status, headers, data}` for any 2xx answer; throw ApiError
 * otherwise. `token` overrides the stored one (the login screen checks a candidate).
 */
export async function request(method, path, { query, body, token } = {}) {
  const headers = { Accept: "application/json", "X-Requested-With": "ampyre-console" };
  const credential = token ?? session.token();
  if (credential) headers.Authorization = `Bearer ${credential}`;
  const init = { method, headers, cache: "no-store", credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url(path, query), init);
  } catch {
    throw new ApiError(0, null);
  }
  const data = await parse(response);
  if (!response.ok) {
    if (response.status === 401 && token === undefined) {
      window.dispatchEvent(new CustomEvent("ampyre:unauthorized"));
    }
    throw new ApiError(response.status, data, response.statusText);
  }
  return { status: response.status, headers: response.headers, data };
}

export const api = {
  get: async (path, query) => (await request("GET", path, { query })).data,
  post: async (path, body, query) => (await request("POST", path, { body, query })).data,
  patch: async (path, body) => (await request("PATCH", path, { body })).data,
  delete: async (path) => (await request("DELETE", path)).data,
};

/** A path segment: ids may hold any character. */
export const seg = (value) => encodeURIComponent(String(value));
