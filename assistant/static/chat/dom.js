// Building the conversation. Text from the server or the supplier only ever goes in as
// textContent; the one exception, an article's HTML, is sanitised by the server (nh3) and
// filtered again here through an allow-list before it reaches the page.

import * as i18n from "./i18n.js";

const log = () => document.getElementById("log");
const scroller = () => document.getElementById("scroller");
let uid = 0;
export const id = (prefix) => `${prefix}-${++uid}`;

// h("p", {class: "muted", i18n: ["key", {args}]}, child, ...): an element, never from an HTML string.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name === "i18n") i18n.text(el, value[0], value[1], value[2]);
    else if (name.startsWith("i18n:")) i18n.attr(el, name.slice(5), value[0], value[1]);
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, value);
  }
  el.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
  return el;
}

export const icon = (path) => {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const shape = document.createElementNS("http://www.w3.org/2000/svg", "path");
  shape.setAttribute("d", path);
  svg.append(shape);
  return svg;
};

const avatar = () => {
  const img = h("img", { class: "avatar", alt: "", width: "30", height: "30" });
  img.src = document.querySelector("link[rel='icon']").href;
  return img;
};

// A message from Procuree. `step` marks it as the current step: older steps are retired.
export function bot(children, { step = false, wide = false, tone = "" } = {}) {
  if (step) retire();
  const bubble = h("div", { class: `bubble ${tone}`.trim() }, h("span", { class: "who", i18n: ["bot.name"] }), children);
  const msg = h("div", { class: `msg bot${wide ? " wide" : ""}${step ? " step" : ""}` }, avatar(), bubble);
  log().append(msg);
  reveal(msg);
  return bubble;
}

// What the supplier said or chose: a string (always as text) or an element bound to a key.
export function user(said, lang) {
  const content = typeof said === "string" ? h("span", { text: said }) : said;
  content.classList.add("said");
  const bubble = h("div", { class: "bubble", lang }, h("span", { class: "who", i18n: ["you"] }), content);
  const msg = h("div", { class: "msg user" }, bubble);
  log().append(msg);
  reveal(msg);
  return bubble;
}

// Earlier steps stay readable but can no longer be used.
export function retire() {
  log().querySelectorAll(".msg.step:not(.retired)").forEach((msg) => {
    msg.classList.add("retired");
    msg.querySelectorAll("button, input, select, textarea").forEach((control) => { control.disabled = true; });
  });
}

export function clear() {
  log().replaceChildren();
}

function reveal(msg) {
  const box = scroller();
  requestAnimationFrame(() => {
    if (msg.offsetHeight > box.clientHeight) box.scrollTop = msg.offsetTop - box.offsetTop - 8;
    else box.scrollTop = box.scrollHeight;
  });
}

export function typing(on) {
  document.getElementById("typing").hidden = !on;
  if (on) scroller().scrollTop = scroller().scrollHeight;
}

export function focus(el) {
  if (el) requestAnimationFrame(() => el.focus({ preventScroll: false }));
}

// A button whose handler runs once at a time: a double click cannot raise two tickets.
export const button = (key, handler, { primary = false, small = false, args, lang } = {}) =>
  h("button", { type: "button", class: `btn${primary ? " primary" : ""}${small ? " small" : ""}`, onclick: busyWhile(handler) },
    h("span", { i18n: [key, args, lang] }));

export function busyWhile(handler) {
  return async (event) => {
    const target = event.currentTarget;
    if (target.getAttribute("aria-busy") === "true") return;
    target.setAttribute("aria-busy", "true");
    try {
      await handler(event);
    } finally {
      target.removeAttribute("aria-busy");
    }
  };
}

// A form's submit, one at a time: a second Enter while the first is on its way does nothing.
export function onSubmit(form, handler) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return;
    form.setAttribute("aria-busy", "true");
    try {
      await handler(event);
    } finally {
      form.removeAttribute("aria-busy");
    }
  });
}

// A labelled form field with its hint and error line, wired for screen readers.
export function field({ label, control, hint, hintArgs, optional = false }) {
  const controlId = control.id || (control.id = id("field"));
  const hintEl = hint ? h("p", { class: "hint", id: id("hint"), i18n: [hint, hintArgs] }) : null;
  const errorEl = h("p", { class: "error-text", id: id("error"), hidden: true });
  control.setAttribute("aria-describedby", [hintEl && hintEl.id, errorEl.id].filter(Boolean).join(" "));
  const labelEl = h("label", { for: controlId }, h("span", { i18n: [label] }),
    optional ? h("span", { class: "optional" }, " (", h("span", { i18n: ["raise.optional"] }), ")") : null);
  const wrap = h("div", { class: "field" }, labelEl, hintEl, control);
  wrap.append(errorEl);
  return { wrap, control, error: (key, args) => showError(control, errorEl, key, args) };
}

function showError(control, errorEl, key, args) {
  if (!key) {
    control.removeAttribute("aria-invalid");
    errorEl.hidden = true;
    return;
  }
  control.setAttribute("aria-invalid", "true");
  i18n.text(errorEl, key, args);
  errorEl.hidden = false;
}

// Article HTML: already sanitised by the server; keep only these tags and attributes anyway.
const TAGS = new Set(["P", "BR", "STRONG", "EM", "CODE", "PRE", "UL", "OL", "LI", "H3", "H4", "BLOCKQUOTE", "A", "HR",
  "TABLE", "THEAD", "TBODY", "TR", "TH", "TD"]);
const ATTRS = { A: ["href", "title"], OL: ["start"] };

export function safeHtml(html) {
  const template = document.createElement("template");
  template.innerHTML = html; // inert: nothing in a template runs or loads
  const clean = (node) => {
    for (const child of [...node.childNodes]) {
      if (child.nodeType === Node.TEXT_NODE) continue;
      if (child.nodeType !== Node.ELEMENT_NODE) { child.remove(); continue; }
      clean(child);
      if (!TAGS.has(child.tagName)) {
        if (["SCRIPT", "STYLE", "TEMPLATE"].includes(child.tagName)) child.remove();
        else child.replaceWith(...child.childNodes);
        continue;
      }
      for (const { name } of [...child.attributes]) {
        if (!(ATTRS[child.tagName] || []).includes(name)) child.removeAttribute(name);
      }
      if (child.tagName === "A") {
        if (!/^(https?:|mailto:)/i.test(child.getAttribute("href") || "")) child.removeAttribute("href");
        child.setAttribute("target", "_blank");
        child.setAttribute("rel", "noopener noreferrer");
      }
    }
  };
  clean(template.content);
  return document.importNode(template.content, true);
}
