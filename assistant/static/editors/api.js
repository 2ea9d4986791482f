// The editors' JSON API (/api/v1/editor/ and the report), with the session cookie.
// Every call resolves to { ok, status, data, message, code }: never throws on HTTP errors.

import { t } from "./i18n.js";

export async function call(method, url, body) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch {
    return { ok: false, status: 0, data: null, message: t("error.network") };
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.ok) return { ok: true, status: response.status, data };
  const error = (data && data.error) || {};
  return { ok: false, status: response.status, data: error, code: error.code, message: explain(response.status, error) };
}

function explain(status, error) {
  if (status === 401) return t("error.session");
  if (status === 403) return t("error.forbidden");
  return t("error.server", { message: error.message || status });
}

export const article = (id) => `/api/v1/editor/articles/${encodeURIComponent(id)}`;
export const draft = (id) => `/api/v1/editor/drafts/${encodeURIComponent(id)}`;
