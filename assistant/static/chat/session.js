// Proving the supplier's email with the one-time code (POST /api/v1/session/code, then
// /api/v1/session). The session cookie then lists their tickets and payment records.

import { api } from "./api.js";
import { bot, button, field, focus, h, onSubmit } from "./dom.js";
import * as i18n from "./i18n.js";

export function hasSession(state) {
  const held = state.session;
  return Boolean(held && held.email === state.email && Date.parse(held.expires_at) > Date.now() + 30000);
}

// Resolves true once the address is proven; false when the code could not even be sent.
export async function ensureSession(ctx) {
  const { state } = ctx;
  if (hasSession(state)) return true;
  if (ctx.sessionsBlocked()) {
    cookiesBlocked(ctx);
    return false;
  }
  const sent = await api.sendCode(state.email, i18n.lang());
  if (!sent.ok) {
    ctx.problem(sent);
    return false;
  }
  return new Promise((resolve) => codeStep(ctx, resolve));
}

function codeStep(ctx, resolve) {
  const { state } = ctx;
  const input = h("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6", pattern: "[0-9]{6}", required: true });
  const code = field({ label: "code.label", control: input });
  const resend = button("code.resend", async () => {
    const again = await api.sendCode(state.email, i18n.lang());
    if (!again.ok) return ctx.problem(again);
    code.error(null);
    input.value = "";
    note.hidden = false;
    focus(input);
  });
  const note = h("p", { class: "muted", hidden: true, i18n: ["code.resent", { email: state.email }] });
  const form = h("form", { class: "form", novalidate: true }, code.wrap,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, h("span", { i18n: ["code.confirm"] })), resend), note);
  onSubmit(form, async () => {
    const value = input.value.replace(/\s+/g, "");
    if (!/^\d{6}$/.test(value)) return (code.error("code.invalid"), focus(input));
    const opened = await api.openSession(state.email, value);
    if (!opened.ok) return codeError(ctx, code, input, opened);
    state.session = opened.data;
    form.querySelectorAll("button, input").forEach((control) => { control.disabled = true; });
    bot(h("p", { i18n: ["code.done"] }));
    resolve(true);
  });
  bot([h("p", { i18n: ["code.intro", { email: state.email }] }), form], { step: true });
  focus(input);
}

function codeError(ctx, code, input, result) {
  const reason = result.error.code;
  if (reason === "wrong_code") code.error("code.wrong", { left: result.error.attempts_left ?? 0 });
  else if (reason === "code_expired") code.error("code.expired");
  else if (reason === "too_many_attempts" || result.status === 429) code.error("code.too_many");
  else return ctx.problem(result);
  focus(input);
}

// A 401 right after a successful code: the browser kept the cookie out (a third-party iframe).
export function cookiesBlocked(ctx) {
  ctx.state.session = null;
  const link = h("a", { class: "btn primary", href: ctx.homeUrl(), target: "_blank", rel: "noopener" }, h("span", { i18n: ["app.new_window"] }));
  bot([h("p", { i18n: ["code.cookies"] }), h("div", { class: "actions" }, link)], { tone: "alert" });
}
