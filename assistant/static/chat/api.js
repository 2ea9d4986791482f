// The public JSON API of the assistant, and nothing else: the chat has no server code of its own.
// Paths are relative, so the app also works under a path prefix.

async function call(method, path, { json, form, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form) {
    init.body = form;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, data: null, error: { code: "network" } };
  }
  let data = null;
  if (response.status !== 204) {
    try { data = await response.json(); } catch { data = null; }
  }
  const error = response.ok ? null : (data && data.error) || { code: "error" };
  return { ok: response.ok, status: response.status, data, error };
}

const ticketPath = (number, action = "") => `api/v1/tickets/${encodeURIComponent(number)}${action ? "/" + action : ""}`;
const keyHeader = (key) => (key ? { "X-Ticket-Key": key } : {});

export const api = {
  ask: (body) => call("POST", "api/v1/ask", { json: body }),
  feedback: (body) => call("POST", "api/v1/feedback", { json: body }),
  article: (id, lang) => call("GET", `api/v1/articles/${encodeURIComponent(id)}?lang=${encodeURIComponent(lang)}`),
  createTicket: (form) => call("POST", "api/v1/tickets", { form }),
  ticket: (number, key) => call("GET", ticketPath(number), { headers: keyHeader(key) }),
  recentTickets: () => call("GET", "api/v1/tickets"),
  accept: (number, key) => call("POST", ticketPath(number, "accept"), { headers: keyHeader(key) }),
  reject: (number, key, comment) => call("POST", ticketPath(number, "reject"), { json: { comment }, headers: keyHeader(key) }),
  reply: (number, key, message) => call("POST", ticketPath(number, "reply"), { json: { message }, headers: keyHeader(key) }),
  sendCode: (email, lang) => call("POST", "api/v1/session/code", { json: { email, lang } }),
  openSession: (email, code) => call("POST", "api/v1/session", { json: { email, code } }),
  endSession: () => call("DELETE", "api/v1/session"),
  paymentsStatus: () => call("GET", "api/v1/payments/status"),
  payments: (query) => call("GET", "api/v1/payments?" + new URLSearchParams(query)),
};
