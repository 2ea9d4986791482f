// Procuree, the supplier chat: identify, choose language and service country, then the
// main menu (payment/PO status, tickets, questions, issues). Talks to the public JSON API only.

import { api } from "./chat/api.js";
import * as dom from "./chat/dom.js";
import { bot, button, field, focus, h, onSubmit, user } from "./chat/dom.js";
import * as i18n from "./chat/i18n.js";
import { paymentsStep } from "./chat/payments.js";
import * as tickets from "./chat/tickets.js";

const boot = JSON.parse(document.getElementById("procuree-boot").textContent);
i18n.init(boot);

const EMAIL = /^[^@\s<>"']{1,64}@[^@\s<>"']+\.[^@\s<>"']{2,}$/; // the server's own rule
const MENU = [
  ["payments", "M4 7h16v10H4zM4 11h16M8 15h3"],
  ["tickets", "M5 5h14v4a2 2 0 0 0 0 4v4H5v-4a2 2 0 0 0 0-4zM10 9h4M10 13h4"],
  ["ask", "M9.1 9a3 3 0 1 1 4 2.8c-.7.3-1.1 1-1.1 1.7V14M12 17.5v.5M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z"],
  ["raise", "M12 4l9 16H3zM12 10v4M12 17v.5"],
];

const state = { email: null, name: null, country: boot.country, ready: false, session: null, keys: new Map(), declined: new Set() };
const ctx = { state, menu, problem, homeUrl, sessionsBlocked, raise: (prefill) => tickets.raiseForm(ctx, prefill) };
const composer = document.getElementById("composer");
const say = document.getElementById("say");

// The conversation's steps --------------------------------------------------------------

function start() {
  bot(h("p", { i18n: ["welcome"] }));
  identify();
}

function identify() {
  const email = Object.assign(h("input", { type: "email", autocomplete: "email", maxlength: "254", spellcheck: "false" }), { value: state.email || "" });
  const name = Object.assign(h("input", { type: "text", autocomplete: "name", maxlength: "200" }), { value: state.name || "" });
  const emailField = field({ label: "identify.email", control: email });
  const nameField = field({ label: "identify.name", control: name });
  const form = h("form", { class: "form", novalidate: true }, emailField.wrap, nameField.wrap,
    h("p", { class: "muted", i18n: ["identify.privacy"] }), h("div", { class: "actions" }, submitButton("identify.submit")));
  onSubmit(form, async () => {
    const address = email.value.trim();
    const fullName = name.value.trim().replace(/\s+/g, " ");
    emailField.error(EMAIL.test(address) ? null : "identify.email_invalid");
    nameField.error(fullName ? null : "identify.name_missing");
    if (!EMAIL.test(address)) return focus(email);
    if (!fullName) return focus(name);
    if (state.email && state.email !== address.toLowerCase()) forgetSession();
    Object.assign(state, { email: address.toLowerCase(), name: fullName });
    user(i18n.t("identify.done", { name: fullName, email: address }));
    setup();
  });
  bot([h("p", { i18n: ["identify.intro"] }), form], { step: true });
  focus(email);
}

function setup() {
  const group = dom.id("lang");
  const radios = boot.languages.map(({ code, name }) => {
    const radio = h("input", { type: "radio", name: group, value: code, onchange: () => applyLanguage(code) });
    radio.checked = code === i18n.lang();
    return h("label", { class: "choice", lang: code }, radio, h("span", { text: name }));
  });
  const select = countrySelect();
  const country = field({ label: "setup.country", control: select, hint: "setup.country_help" });
  const form = h("form", { class: "form", novalidate: true },
    h("fieldset", { class: "field" }, h("legend", { i18n: ["setup.language"] }), h("div", { class: "choices" }, radios)),
    country.wrap, h("div", { class: "actions" }, submitButton("setup.continue")));
  onSubmit(form, async () => {
    country.error(select.value ? null : "setup.country_missing");
    if (!select.value) return focus(select);
    state.country = select.value;
    state.ready = true;
    user(h("span", { i18n: ["setup.done", { language: { language: i18n.lang() }, country: { country: state.country } }] }));
    lockComposer(false);
    menu();
  });
  bot([h("p", { i18n: ["setup.intro", { name: state.name }] }), form], { step: true, wide: true });
  focus(radios.find((label) => label.firstChild.checked).firstChild);
}

function menu() {
  if (!state.email) return identify();
  if (!state.ready) return setup();
  const options = MENU.map(([name, path]) => {
    const label = h("strong", { id: dom.id("menu"), i18n: [`menu.${name}`] });
    const hint = h("small", { id: dom.id("menu-hint"), i18n: [`menu.${name}_hint`] });
    return h("button", { type: "button", class: "menu-option", "data-menu": name, "aria-labelledby": label.id,
      "aria-describedby": hint.id, onclick: () => choose(name) }, h("span", { class: "icon" }, dom.icon(path)), label, hint);
  });
  bot([h("p", { i18n: ["menu.intro"] }), h("div", { class: "menu", role: "group", "i18n:aria-label": ["menu.label"] }, options)],
    { step: true, wide: true });
  focus(options[0]);
}

function choose(name) {
  user(h("span", { i18n: [`menu.${name}`] }));
  if (name === "payments") return paymentsStep(ctx);
  if (name === "tickets") return tickets.ticketsMenu(ctx);
  if (name === "raise") return ctx.raise();
  bot(h("p", { i18n: ["ask.prompt"] }), { step: true });
  focus(say);
}

// Questions and answers ------------------------------------------------------------------

async function ask(question) {
  const bubble = user(question);
  dom.retire();
  dom.typing(true);
  const result = await api.ask({ question, lang: i18n.lang() });
  dom.typing(false);
  if (!result.ok) return problem(result);
  const answer = result.data;
  if (answer.detected_lang) bubble.lang = answer.detected_lang;
  if (answer.answered) articleCard({ title: answer.title, html: answer.answer_html, lang: answer.lang, questionId: answer.question_id, question });
  else unanswered(question, answer);
  if (answer.lang !== i18n.lang() && !state.declined.has(answer.lang)) await offerLanguage(answer.lang);
}

function articleCard({ title, html, lang, questionId, question }) {
  if (questionId) state.answeredQuestion = questionId; // an issue raised after this answer marks it doubtful for editors
  const body = h("div", { class: "article", lang });
  body.append(dom.safeHtml(html || ""));
  const vote = (helpful) => feedback({ questionId, helpful, question, title, buttons: [yes, no], chosen: helpful ? yes : no });
  const yes = button("answer.yes", () => vote(true), { small: true });
  const no = button("answer.no", () => vote(false), { small: true });
  const foot = h("div", { class: "card-foot" }, h("span", { class: "question", i18n: ["answer.helpful"] }), yes, no,
    h("span", { class: "badge", i18n: ["answer.article_lang", { language: { language: lang } }] }));
  bot([h("p", { class: "card-label", i18n: ["answer.label"] }), h("h2", { class: "card-title", lang, text: title }), body,
    questionId ? foot : null], { step: true, wide: true });
}

async function feedback({ questionId, helpful, question, title, buttons, chosen }) {
  buttons.forEach((b) => { b.disabled = true; });
  chosen.setAttribute("aria-pressed", "true");
  const result = await api.feedback({ question_id: questionId, helpful });
  if (!result.ok) return problem(result);
  if (helpful || !result.data.offer_ticket) {
    bot([h("p", { i18n: ["answer.thanks"] }), h("p", { i18n: ["answer.more"] })]);
    return focus(say);
  }
  const description = `${question}\n\n${i18n.t("raise.question_note", { title })}`;
  const raise = button("menu.raise", () => ctx.raise({ subject: clip(question), description }), { primary: true });
  bot([h("p", { i18n: ["answer.sorry"] }), h("div", { class: "actions" }, raise)], { step: true });
  focus(raise);
}

// Unsure but close ("suggested"): the API's suggestions as buttons, and "none of these" that sends the
// question on. Nothing close ("escalated"): the offer alone.
function unanswered(question, answer) {
  const suggested = answer.outcome === "suggested" && answer.suggestions.length > 0;
  const suggestions = suggested ? answer.suggestions.map((c) => h("button", { type: "button", class: "btn", lang: answer.lang, text: c.title,
    onclick: dom.busyWhile(() => suggestion(c.article_id, answer.lang, question, answer.question_id)) })) : [];
  const send = button(suggested ? "unanswered.none" : "unanswered.send", () => sendQuestion(question), { primary: !suggested });
  const details = button("unanswered.details", () => ctx.raise({ subject: clip(question), description: question }));
  bot([suggested ? h("p", { i18n: ["unanswered.unsure"] }) : h("p", { i18n: ["unanswered.intro"] }),
    suggested ? h("div", { class: "suggestions" }, suggestions) : null,
    suggested ? null : h("p", { i18n: ["unanswered.offer"] }), h("div", { class: "actions" }, send, details),
    h("p", { class: "muted", i18n: ["unanswered.rephrase"] })], { step: true, wide: true });
}

async function suggestion(articleId, lang, question, questionId) {
  const found = await api.article(articleId, lang);
  if (!found.ok) return problem(found);
  articleCard({ title: found.data.title, html: found.data.body_html, lang: found.data.lang, questionId, question });
}

// Unanswered with the supplier's email and name: the API opens the ticket itself.
async function sendQuestion(question) {
  dom.typing(true);
  const result = await api.ask({ question, lang: i18n.lang(), email: state.email, name: state.name, country: state.country || undefined });
  dom.typing(false);
  if (!result.ok) return problem(result);
  if (result.data.ticket) return tickets.created(ctx, result.data.ticket.number, result.data.ticket.reference);
  articleCard({ title: result.data.title, html: result.data.answer_html, lang: result.data.lang, questionId: result.data.question_id, question });
}

const clip = (text) => { const line = text.replace(/\s+/g, " ").trim(); return line.length > 120 ? line.slice(0, 119) + "…" : line; };

// Languages and countries ----------------------------------------------------------------

async function offerLanguage(code) {
  await i18n.load(code);
  const now = i18n.lang();
  const pick = (chosen) => { buttons.forEach((b) => { b.disabled = true; }); chosen(); };
  const buttons = [
    button("language.switch", () => pick(() => switchLanguage(code)), { primary: true, args: { language: { language: code } }, lang: code }),
    button("language.stay", () => pick(() => state.declined.add(code)), { args: { language: { language: now } }, lang: now }),
  ];
  bot([h("p", { i18n: ["language.offer", { language: { language: code } }, code] }), h("div", { class: "actions" }, buttons)], { tone: "notice" });
}

async function applyLanguage(code) {
  try {
    await i18n.use(code);
  } catch {
    return problem({ status: 0 });
  }
  const link = document.getElementById("new-window");
  if (link) link.href = homeUrl();
}

async function switchLanguage(code) {
  await applyLanguage(code);
  bot(h("p", { i18n: ["language.done", { language: { language: code } }] }));
}

function changeLanguage() {
  const buttons = boot.languages.map(({ code, name }) => h("button", {
    type: "button", class: "btn", lang: code, "aria-pressed": String(code === i18n.lang()), text: name,
    onclick: async () => { user(name); await switchLanguage(code); resume(); },
  }));
  bot([h("p", { i18n: ["language.intro"] }), h("div", { class: "actions" }, buttons)], { step: true });
  focus(buttons.find((b) => b.getAttribute("aria-pressed") === "true"));
}

function countrySelect() {
  const select = h("select", { "data-countries": "" }, h("option", { value: "", i18n: ["setup.country_choose"] }));
  i18n.fillCountries(select);
  select.value = state.country || "";
  return select;
}

function changeCountry() {
  const select = countrySelect();
  const country = field({ label: "setup.country", control: select, hint: "setup.country_help" });
  const form = h("form", { class: "form", novalidate: true }, country.wrap, h("div", { class: "actions" }, submitButton("setup.continue")));
  onSubmit(form, async () => {
    country.error(select.value ? null : "setup.country_missing");
    if (!select.value) return focus(select);
    state.country = select.value;
    user(h("span", { i18n: ["country.done", { country: { country: select.value } }] }));
    resume();
  });
  bot([h("p", { i18n: ["country.intro"] }), form], { step: true });
  focus(select);
}

// Always available: refresh, menu, language, country; "cancel" and "menu" typed ----------

function resume() {
  if (!state.email) return identify();
  if (!state.ready) return setup();
  menu();
}

function refresh() {
  dom.clear();
  if (!state.ready) return start();
  bot(h("p", { i18n: ["refresh.done"] }));
  menu();
}

function end() {
  forgetSession();
  Object.assign(state, { email: null, name: null, ready: false, keys: new Map() });
  lockComposer(true);
  const again = button("end.restart", () => { dom.clear(); start(); }, { primary: true });
  bot([h("p", { i18n: ["end.message"] }), h("div", { class: "actions" }, again)], { step: true });
  focus(again);
}

function forgetSession() {
  if (state.session) api.endSession();
  state.session = null;
}

function problem(result) {
  const key = result.status === 0 ? "error.network" : result.status === 429 ? "error.rate_limited" : "error.generic";
  bot(h("p", { i18n: [key] }), { tone: "alert" });
}

// In an iframe on another site a SameSite=Lax session cookie never arrives: say so before mailing a code.
// Where the browser does not tell the parent's origin, the first 401 says it instead.
function sessionsBlocked() {
  const parents = location.ancestorOrigins;
  if (!boot.embed || boot.cross_site_cookies || !parents || !parents.length) return false;
  return site(parents[parents.length - 1]) !== site(location.origin);
}

function site(origin) {
  const { protocol, hostname } = new URL(origin);
  const host = /^[\d.]+$|:/.test(hostname) ? hostname : hostname.split(".").slice(-2).join("."); // about eTLD+1
  return `${protocol}//${host}`;
}

function homeUrl() {
  return `${boot.urls.home}?lang=${encodeURIComponent(i18n.lang())}`;
}

function lockComposer(locked) {
  say.disabled = locked;
  document.getElementById("send").disabled = locked;
  i18n.attr(say, "placeholder", locked ? "composer.locked" : "composer.placeholder");
}

const submitButton = (key) => h("button", { type: "submit", class: "btn primary" }, h("span", { i18n: [key] }));

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = say.value.trim();
  if (!text) return;
  say.value = "";
  const command = i18n.command(text);
  if (command) {
    user(text);
    return command === "cancel" ? end() : menu();
  }
  ask(text);
});

const TOOLS = { refresh, menu: resume, language: changeLanguage, country: changeCountry };
document.querySelectorAll("[data-tool]").forEach((tool) => tool.addEventListener("click", () => TOOLS[tool.dataset.tool]()));

if (boot.embed) {
  const close = () => window.parent.postMessage({ type: "procuree:close" }, "*"); // says only "close me"
  document.getElementById("close-chat").addEventListener("click", close);
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
}

start();
