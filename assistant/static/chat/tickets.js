// Tickets in the chat: raise one, find one (number + reference code, or the 5 most recent
// after the email code), read its status and history, accept or reject a proposed solution.

import { api } from "./api.js";
import { bot, button, field, focus, h, icon, onSubmit } from "./dom.js";
import * as i18n from "./i18n.js";
import { cookiesBlocked, ensureSession } from "./session.js";

const CATEGORIES = ["invoice_payment", "purchase_order", "portal_access", "connection", "supplier_data", "other"];
const NUMBER = /^CS\d{7}$/;
const FILE_ERRORS = ["file_too_large", "empty_file", "too_many_files", "unsupported_media_type", "too_large"];
const ARROW_LEFT = "M15 6l-6 6 6 6";
const ARROW_RIGHT = "M9 6l6 6-6 6";

const split = (text) => text.split(/[,;\n]/).map((part) => part.trim()).filter(Boolean);
const submit = (key) => h("button", { type: "submit", class: "btn primary" }, h("span", { i18n: [key] }));
const input = (props, value = "") => Object.assign(h("input", { type: "text", ...props }), { value });

// Raise an issue ---------------------------------------------------------------------

export function raiseForm(ctx, prefill = {}) {
  const category = h("select", { required: true }, h("option", { value: "", i18n: ["raise.category_choose"] }),
    CATEGORIES.map((name) => h("option", { value: name, i18n: [`category.${name}`] })));
  category.value = prefill.category || "";
  const description = Object.assign(h("textarea", { maxlength: "5000", rows: "5", required: true }), { value: prefill.description || "" });
  const files = h("input", { type: "file", multiple: true, accept: ".pdf,.png,.jpg,.jpeg,.csv,.xlsx,.docx,.txt" });
  const fields = {
    category: field({ label: "raise.category", control: category }),
    subject: field({ label: "raise.subject", control: input({ maxlength: "200", required: true }, prefill.subject) }),
    description: field({ label: "raise.description", control: description, hint: "raise.hint" }),
    supplier_name: field({ label: "raise.supplier_name", control: input({ maxlength: "200", autocomplete: "organization" }), optional: true }),
    supplier_number: field({ label: "raise.supplier_number", control: input({ maxlength: "64" }), optional: true }),
    invoice_numbers: field({ label: "raise.invoices", control: input({}, (prefill.invoices || []).join(", ")), hint: "raise.list_hint", optional: true }),
    po_numbers: field({ label: "raise.pos", control: input({}, (prefill.pos || []).join(", ")), hint: "raise.list_hint", optional: true }),
    attachments: field({ label: "raise.attachments", control: files, hint: "raise.attachments_hint", optional: true }),
  };
  const note = prefill.previous ? h("p", { class: "hint-box", i18n: ["raise.follow_up_note", { number: prefill.previous }] }) : null;
  const form = h("form", { class: "form", novalidate: true }, note, Object.values(fields).map((f) => f.wrap),
    h("div", { class: "actions" }, submit("raise.submit")));
  onSubmit(form, () => sendTicket(ctx, form, fields, prefill.previous));
  bot([h("p", { i18n: ["raise.intro"] }), form], { step: true, wide: true });
  focus(prefill.subject ? description : category);
}

async function sendTicket(ctx, form, fields, previous) {
  Object.values(fields).forEach((f) => f.error(null));
  const missing = ["category", "subject", "description"].filter((name) => !fields[name].control.value.trim());
  missing.forEach((name) => fields[name].error("error.required"));
  if (missing.length) return focus(fields[missing[0]].control);
  const { state } = ctx;
  const data = new FormData();
  const add = (name, value) => value && data.append(name, value);
  add("email", state.email);
  add("name", state.name);
  add("lang", i18n.lang());
  add("country", state.country);
  add("previous_number", previous);
  add("question_id", state.answeredQuestion);
  for (const name of ["category", "subject", "description", "supplier_name", "supplier_number"]) add(name, fields[name].control.value.trim());
  for (const name of ["invoice_numbers", "po_numbers"]) split(fields[name].control.value).forEach((value) => add(name, value));
  for (const file of fields.attachments.control.files) data.append("attachments", file);
  const sendButton = form.querySelector("button[type=submit]");
  sendButton.disabled = true;
  const result = await api.createTicket(data);
  sendButton.disabled = false;
  if (result.ok) return created(ctx, result.data.number, result.data.reference);
  const problem = result.error || {};
  if (FILE_ERRORS.includes(problem.code) || problem.field === "attachments") {
    fields.attachments.error("error.file", { name: problem.filename || "" });
    return focus(fields.attachments.control);
  }
  if (problem.field && fields[problem.field]) {
    fields[problem.field].error("error.check_fields");
    return focus(fields[problem.field].control);
  }
  ctx.problem(result);
}

// The confirmation: the number and the reference code, the supplier's keys to the ticket.
export function created(ctx, number, reference) {
  ctx.state.keys.set(number, reference);
  const facts = h("dl", { class: "facts" },
    h("dt", { i18n: ["created.number"] }), h("dd", { class: "code-value", "data-ticket-number": "", text: number }),
    h("dt", { i18n: ["created.reference"] }), h("dd", { class: "code-value", "data-ticket-reference": "", text: reference }));
  bot([h("p", { class: "card-title", i18n: ["created.title"] }), facts,
    h("p", { class: "muted", i18n: ["created.keep", { email: ctx.state.email }] }),
    h("div", { class: "actions" }, button("tickets.find", () => openTicket(ctx, number)), button("tools.menu", () => ctx.menu()))],
  { step: true, tone: "success" });
}

// Find tickets --------------------------------------------------------------------------

export function ticketsMenu(ctx) {
  const first = button("tickets.by_number", () => byNumber(ctx), { primary: true });
  bot([h("p", { i18n: ["tickets.intro"] }), h("div", { class: "actions" }, first, button("tickets.recent", () => recent(ctx)))], { step: true });
  focus(first);
}

function byNumber(ctx) {
  const number = field({ label: "tickets.number", hint: "tickets.number_hint",
    control: input({ maxlength: "9", autocapitalize: "characters", spellcheck: "false", placeholder: "CS1234567" }) });
  const reference = field({ label: "tickets.reference", hint: "tickets.reference_hint",
    control: input({ maxlength: "40", autocapitalize: "characters", spellcheck: "false", autocomplete: "off" }) });
  const form = h("form", { class: "form", novalidate: true }, number.wrap, reference.wrap, h("div", { class: "actions" }, submit("tickets.find")));
  onSubmit(form, async () => {
    const wanted = number.control.value.trim().toUpperCase().replace(/\s+/g, "");
    const key = reference.control.value.trim().toUpperCase().replace(/\s+/g, "");
    number.error(NUMBER.test(wanted) ? null : "tickets.number_invalid");
    reference.error(key ? null : "tickets.reference_missing");
    if (!NUMBER.test(wanted)) return focus(number.control);
    if (!key) return focus(reference.control);
    const found = await api.ticket(wanted, key);
    if (found.status === 404) return (reference.error("tickets.not_found"), focus(reference.control));
    if (!found.ok) return ctx.problem(found);
    ctx.state.keys.set(wanted, key);
    showTicket(ctx, found.data);
  });
  bot(form, { step: true });
  focus(number.control);
}

async function openTicket(ctx, number) {
  const found = await api.ticket(number, ctx.state.keys.get(number));
  if (!found.ok) return ctx.problem(found);
  showTicket(ctx, found.data);
}

function showTicket(ctx, ticket) {
  const card = ticketCard(ctx, ticket);
  bot(card, { step: true, wide: true });
  focus(card.querySelector("button") || card);
}

async function recent(ctx) {
  if (!(await ensureSession(ctx))) return;
  const list = await api.recentTickets();
  if (list.status === 401) return cookiesBlocked(ctx);
  if (!list.ok) return ctx.problem(list);
  if (!list.data.tickets.length) return bot(h("p", { i18n: ["tickets.none", { email: ctx.state.email }] }));
  browse(ctx, list.data.tickets.map((summary) => summary.number));
}

// The recent tickets one at a time, with arrows (buttons, and the arrow keys on them).
function browse(ctx, numbers) {
  const holder = h("div");
  const position = h("p", { class: "position", "aria-live": "polite" });
  const arrow = (key, path, step) => h("button", { type: "button", class: "btn small", "i18n:aria-label": [key], "i18n:title": [key], onclick: () => show(index + step) }, icon(path));
  const previous = arrow("tickets.previous", ARROW_LEFT, -1);
  const next = arrow("tickets.next", ARROW_RIGHT, 1);
  const pager = h("div", { class: "pager" }, previous, position, next);
  pager.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft" && index > 0) show(index - 1);
    if (event.key === "ArrowRight" && index < numbers.length - 1) show(index + 1);
  });
  let index = 0;
  async function show(at) {
    index = at;
    i18n.text(position, "tickets.position", { index: at + 1, total: numbers.length });
    const onArrow = [previous, next].includes(document.activeElement);
    previous.disabled = at === 0;
    next.disabled = at === numbers.length - 1;
    if (onArrow && numbers.length > 1) (at === 0 ? next : at === numbers.length - 1 ? previous : document.activeElement).focus();
    const found = await api.ticket(numbers[at]);
    if (found.ok && index === at) holder.replaceChildren(ticketCard(ctx, found.data));
  }
  bot([pager, holder], { step: true, wide: true });
  show(0).then(() => focus(numbers.length > 1 ? next : holder.querySelector("button")));
}

// One ticket ----------------------------------------------------------------------------

export function ticketCard(ctx, ticket) {
  const card = h("article", { class: "ticket", tabindex: "-1" });
  const render = (current) => card.replaceChildren(...cardParts(ctx, current, render));
  render(ticket);
  return card;
}

function cardParts(ctx, ticket, render) {
  const head = h("div", { class: "ticket-head" },
    h("p", { class: "card-label", i18n: ["ticket.label", { number: ticket.number }] }),
    h("span", { class: `badge status-${ticket.status}`, "data-status": ticket.status, i18n: [`status.${ticket.status}`] }));
  const facts = h("dl", { class: "facts" },
    h("dt", { i18n: ["ticket.created"] }), i18n.format(h("dd"), "datetime", ticket.created_at),
    h("dt", { i18n: ["ticket.updated"] }), i18n.format(h("dd"), "datetime", ticket.updated_at),
    ticket.attachments.length ? [h("dt", { i18n: ["raise.attachments"] }),
      h("dd", { class: "files", text: ticket.attachments.map((file) => file.filename).join(", ") })] : null);
  return [head, h("h3", { class: "subject", text: ticket.subject }), facts, ...actionParts(ctx, ticket, render), ...history(ticket)];
}

function actionParts(ctx, ticket, render) {
  if (ticket.status === "closed") {
    return [h("div", { class: "closed-note" }, h("p", { i18n: ["ticket.closed_note"] }),
      button("ticket.open_new", () => ctx.raise({ previous: ticket.number, subject: i18n.t("raise.follow_up_subject", { number: ticket.number }) }), { primary: true }))];
  }
  if (ticket.status === "solution_proposed") return [solutionPart(ctx, ticket, render)];
  const reply = messageForm(ctx, ticket, render, { label: "ticket.reply_label", send: "ticket.reply_send", missing: "ticket.message_missing",
    act: (key, message) => api.reply(ticket.number, key, message), done: "ticket.replied" });
  if (ticket.status === "info_requested") return [h("p", { class: "hint-box", i18n: ["ticket.info_note"] }), reply];
  reply.hidden = true;
  const open = button("ticket.reply", () => { open.hidden = true; reply.hidden = false; focus(reply.querySelector("textarea")); }, { small: true });
  return [h("div", { class: "actions" }, open), reply];
}

function solutionPart(ctx, ticket, render) {
  const proposal = [...ticket.history].reverse().find((entry) => entry.kind === "propose_solution");
  const reject = messageForm(ctx, ticket, render, { label: "ticket.reject_label", send: "ticket.reject_send", missing: "ticket.comment_missing",
    act: (key, comment) => api.reject(ticket.number, key, comment), done: "ticket.rejected" });
  reject.hidden = true;
  const accept = button("ticket.accept", async () => {
    const result = await api.accept(ticket.number, ctx.state.keys.get(ticket.number));
    after(ctx, ticket, render, result, "ticket.accepted");
  }, { primary: true });
  const refuse = button("ticket.reject", () => { reject.hidden = false; focus(reject.querySelector("textarea")); });
  return h("section", { class: "solution" }, h("h4", { i18n: ["ticket.solution"] }),
    proposal && proposal.message ? h("p", { class: "text", text: proposal.message }) : null,
    h("p", { class: "muted", i18n: ["ticket.decide"] }), h("div", { class: "actions" }, accept, refuse), reject);
}

// A required message (a reply, a rejection's comment) and what to do with it.
function messageForm(ctx, ticket, render, { label, send, missing, act, done }) {
  const text = field({ label, control: h("textarea", { maxlength: "5000", rows: "3", required: true }) });
  const form = h("form", { class: "form", novalidate: true }, text.wrap, h("div", { class: "actions" }, submit(send)));
  onSubmit(form, async () => {
    const message = text.control.value.trim();
    text.error(message ? null : missing);
    if (!message) return focus(text.control);
    after(ctx, ticket, render, await act(ctx.state.keys.get(ticket.number), message), done);
  });
  return form;
}

// After accept / reject / reply: show the ticket as it now is, and say what happened.
async function after(ctx, ticket, render, result, done) {
  if (result.ok) {
    render(result.data);
    bot(h("p", { i18n: [done, { number: ticket.number }] }));
    return;
  }
  if (result.status !== 409) return ctx.problem(result);
  bot(h("p", { i18n: [result.error.code === "ticket_closed" ? "error.closed" : "error.conflict"] }), { tone: "alert" });
  const fresh = await api.ticket(ticket.number, ctx.state.keys.get(ticket.number));
  if (fresh.ok) render(fresh.data);
}

function history(ticket) {
  const items = ticket.history.map((entry) => {
    const actor = entry.actor.startsWith("agent") ? "agent" : entry.actor === "supplier" ? "supplier" : "system";
    const kind = `history.${entry.kind}`;
    return h("li", {},
      h("strong", { i18n: [i18n.t(kind) === kind ? "history.other" : kind] }), " · ",
      h("span", { i18n: [`actor.${actor}`] }), " · ",
      i18n.format(h("span", { class: "when" }), "datetime", entry.at),
      entry.message ? h("p", { class: "text", text: entry.message }) : null);
  });
  return [h("h4", { class: "history-title", i18n: ["ticket.history"] }), h("ol", { class: "history" }, items)];
}
