// One article in the editor: metadata and six translations side by side, checked by the server's
// validator as the editor types (each problem at its field), previewed as the chat renders it,
// saved as a draft, tried, published and rolled back. The article travels in its YAML file's shape.

import { h, safeHtml } from "../chat/dom.js";
import * as api from "./api.js";
import { ask } from "./dialog.js";
import { showHistory } from "./history.js";
import { boot, day, languageName, moment, t, tn } from "./i18n.js";
import { expected, tryPanel } from "./trypanel.js";

const CHECK_DELAY_MS = 400; // after the last keystroke
const PUBLISHERS = new Set(["publisher", "admin"]);
const today = () => new Date().toISOString().slice(0, 10);

// The article as the API serves it, in the file's shape (what a draft holds).
function fileShape(article) {
  const translations = {};
  for (const [lang, tr] of Object.entries(article.translations)) {
    translations[lang] = { title: tr.title, questions: tr.questions, body: tr.body, ...(tr.updated ? { updated: tr.updated } : {}) };
  }
  return { id: article.id, category: article.category, tags: article.tags, ...(article.updated ? { updated: article.updated } : {}), translations };
}

function blank(prefill) {
  const translations = {};
  if (prefill) translations[prefill.lang] = { title: "", questions: prefill.questions, body: "" };
  return { id: "", category: "", tags: [], translations };
}

// A labelled control with its error line; `fields` maps the validator's field paths to them.
function field(fields, path, label, control, hint) {
  const error = h("p", { class: "error-text", hidden: true, id: `error-${path.replace(/[^\w-]/g, "-")}` });
  control.setAttribute("aria-describedby", error.id);
  control.dataset.field = path;
  fields.set(path, { control, error, messages: [] });
  return h("div", { class: "field" }, h("label", { for: control.id, text: label }),
    hint ? h("p", { class: "hint", text: hint }) : null, control, error);
}

function translationPanel(lang, fields, onCheck) {
  const ids = (name) => `${lang}-${name}`;
  const title = h("input", { id: ids("title"), lang, dir: "auto", maxlength: "300", autocomplete: "off" });
  const questions = h("textarea", { id: ids("questions"), lang, dir: "auto", rows: "4" });
  const body = h("textarea", { id: ids("body"), lang, dir: "auto", rows: "10", class: "body" });
  const error = h("p", { class: "error-text", hidden: true });
  fields.set(`translations.${lang}`, { control: null, error, messages: [] });
  const updated = h("span", { class: "muted small" });
  const stale = h("p", { class: "stale-marker", hidden: true });
  const checked = h("button", { type: "button", class: "quiet small", hidden: true, text: t("edit.checked") });
  const previewTitle = h("h2", { class: "card-title", lang, dir: "auto" });
  const previewBody = h("div", { class: "article", lang });
  const panel = h("section", { class: "translation", "data-lang": lang, "aria-labelledby": ids("heading") },
    h("header", {}, h("h3", { id: ids("heading"), text: languageName(lang) }), h("span", { class: "code", text: lang }), updated),
    stale, checked, error,
    field(fields, `translations.${lang}.title`, t("edit.title"), title),
    field(fields, `translations.${lang}.questions`, t("edit.questions"), questions, t("edit.questions_hint")),
    field(fields, `translations.${lang}.body`, t("edit.body"), body),
    h("div", { class: "preview" }, h("p", { class: "preview-label", text: t("edit.preview") }),
      h("div", { class: "preview-card" }, previewTitle, previewBody)));
  const state = { updated: null, written: false };
  checked.addEventListener("click", () => { state.updated = today(); markStale(null); onCheck(); });

  function markStale(articleUpdated) {
    const isStale = Boolean(state.updated && articleUpdated && state.updated < articleUpdated);
    stale.hidden = checked.hidden = !isStale;
    stale.textContent = isStale ? t("edit.stale", { date: day(articleUpdated) }) : "";
    panel.classList.toggle("is-stale", isStale);
    updated.textContent = state.updated ? ` · ${t("edit.translation_updated", { date: day(state.updated) })}`
      : state.written ? "" : ` · ${t("edit.not_written")}`;
  }

  return {
    lang, panel,
    fill(tr, articleUpdated) {
      title.value = tr ? tr.title : "";
      questions.value = tr ? tr.questions.join("\n") : "";
      body.value = tr ? tr.body : "";
      this.dates(tr, articleUpdated);
    },
    dates(tr, articleUpdated) {
      state.updated = tr && tr.updated ? tr.updated : null;
      state.written = Boolean(tr);
      markStale(articleUpdated);
    },
    read() {
      const lines = questions.value.split("\n").map((q) => q.trim()).filter(Boolean);
      if (!title.value.trim() && !lines.length && !body.value.trim()) return null; // not written: leave it out
      return { title: title.value, questions: lines, body: body.value, ...(state.updated ? { updated: state.updated } : {}) };
    },
    preview(html) {
      previewTitle.textContent = title.value;
      previewBody.replaceChildren(html ? safeHtml(html) : h("p", { class: "muted", text: t("edit.preview_empty") }));
    },
  };
}

// A validator problem in the page's language (by its code), else as the validator wrote it.
function said({ code, args = {}, message }) {
  if (!code || !(`problem.${code}` in boot.strings)) return message;
  const hints = ["suggestion", "choices"].filter((name) => name in args).map((name) => t(`problem.hint.${name}`, args));
  return t(`problem.${code}`, args) + hints.join("");
}

// The validator's problems, each under the field it names; the rest above the translations.
function place(fields, general, problems) {
  for (const entry of fields.values()) entry.messages = [];
  const others = [];
  for (const problem of problems) {
    const path = problem.field, message = said(problem);
    const question = path.match(/^(translations\.[\w-]+\.questions)\[(\d+)\]$/);
    const key = question ? question[1] : path.replace(/\[\d+\]$/, "");
    const text = question ? t("edit.question_n", { n: Number(question[2]) + 1, message }) : message;
    const target = fields.get(key) || fields.get(key.split(".").slice(0, 2).join("."));
    if (target) target.messages.push(text);
    else others.push(text);
  }
  for (const { control, error, messages } of fields.values()) {
    error.hidden = !messages.length;
    error.textContent = messages.join(" · ");
    if (control) {
      if (messages.length) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    }
  }
  general.hidden = !others.length;
  general.replaceChildren(h("p", { class: "strong", text: t("edit.other_problems") }), h("ul", {}, others.map((m) => h("li", { text: m }))));
}

export async function openEditor(view, articleId, prefill) {
  const mayPublish = PUBLISHERS.has(boot.role);
  const fields = new Map();
  const state = { id: articleId, live: null, draft: null, dirty: false, updated: null, asked: 0 };
  view.replaceChildren(h("p", { class: "muted", text: t("edit.loading") }));

  const status = h("p", { class: "status", role: "status" });
  // What happened last, said in the status line; `event` (saved, published, rolled-back…) marks it for scripts too.
  const say = (text, tone = "", event = tone) => {
    status.textContent = text;
    status.className = `status ${tone}`.trim();
    status.dataset.event = event;
  };
  const idInput = h("input", { id: "article-id", maxlength: "80", autocomplete: "off", spellcheck: "false", pattern: "[a-z0-9]+(-[a-z0-9]+)*" });
  const category = h("select", { id: "article-category" }, h("option", { value: "", text: "—" }),
    boot.categories.map((c) => h("option", { value: c, text: c })));
  const tags = h("input", { id: "article-tags", autocomplete: "off", dir: "auto" });
  const updated = h("p", { class: "muted small" });
  const general = h("div", { class: "problems", hidden: true, role: "alert" });
  const verdict = h("p", { class: "verdict-line", "aria-live": "polite" });
  const panels = boot.codes.map((lang) => translationPanel(lang, fields, () => changed()));
  const save = h("button", { type: "button", id: "save", text: t("edit.save") });
  const discard = h("button", { type: "button", id: "discard", class: "quiet", text: t("edit.discard") });
  const publish = h("button", { type: "button", id: "publish", class: "primary", text: t("edit.publish"), disabled: !mayPublish });
  const historyButton = h("button", { type: "button", id: "show-history", class: "quiet", text: t("edit.history") });
  const historyBox = h("section", { class: "panel history-box", id: "history", hidden: true });
  const heading = h("h2", { id: "article-heading" });

  const metadata = h("fieldset", { class: "metadata" }, h("legend", { text: t("edit.metadata") }),
    field(fields, "id", t("edit.id"), idInput, t("edit.id_hint")),
    field(fields, "category", t("edit.category"), category),
    field(fields, "tags", t("edit.tags"), tags, t("edit.tags_hint")), updated);
  view.replaceChildren(
    h("p", {}, h("a", { href: "/editors/articles", text: `← ${t("edit.back")}` })), heading, status,
    h("form", { class: "editor", novalidate: true, onsubmit: (e) => e.preventDefault() }, metadata, general, verdict,
      h("div", { class: "translations" }, panels.map((p) => p.panel))),
    h("div", { class: "actions sticky" }, save, discard, publish, historyButton,
      mayPublish ? null : h("span", { class: "muted small", text: t("edit.publisher_only") })),
    tryPanel({ ensureSaved, initial: prefill ? prefill.questions : [] }), historyBox);

  const collect = () => {
    const translations = {};
    for (const panel of panels) {
      const tr = panel.read();
      if (tr) translations[panel.lang] = tr;
    }
    const data = { id: idInput.value.trim(), category: category.value, tags: tags.value.split(",").map((s) => s.trim()).filter(Boolean) };
    if (state.updated) data.updated = state.updated;
    return { ...data, translations };
  };
  const pathId = () => state.id || idInput.value.trim() || "untitled";

  function fill(content, note) {
    idInput.value = content.id;
    idInput.readOnly = Boolean(state.id);
    category.value = content.category || "";
    tags.value = (content.tags || []).join(", ");
    dates(content);
    for (const panel of panels) panel.fill(content.translations[panel.lang], content.updated);
    heading.textContent = state.id || t("edit.new_title");
    state.dirty = false;
    discard.disabled = !state.draft;
    say(note);
    if (content.id || Object.keys(content.translations).length) check(); // a blank new article: wait for typing
  }

  function dates(content) {
    state.updated = content.updated || null;
    updated.textContent = state.updated ? t("edit.article_updated", { date: day(state.updated) }) : "";
  }

  function changed() {
    state.dirty = true;
    say(t("edit.unsaved"));
    clearTimeout(state.timer);
    state.timer = setTimeout(check, CHECK_DELAY_MS);
  }

  async function check() {
    const mine = ++state.asked;
    verdict.textContent = t("edit.checking");
    const result = await api.call("POST", `${api.draft(pathId())}/check`, collect());
    if (mine !== state.asked) return; // the editor typed again meanwhile
    if (!result.ok) { verdict.textContent = result.message; return; }
    showProblems(result.data.problems);
    for (const panel of panels) panel.preview(result.data.preview[panel.lang]);
  }

  function showProblems(problems) {
    place(fields, general, problems);
    verdict.textContent = problems.length ? tn("edit.problems", problems.length) : t("edit.ok");
    verdict.className = `verdict-line ${problems.length ? "bad" : "good"}`;
  }

  // Save when there is something unsaved; resolves to the draft's id, or null after saying why not.
  async function ensureSaved() {
    if (!state.dirty && state.draft) return state.draft.article_id;
    const result = await api.call("PUT", api.draft(pathId()), collect());
    if (!result.ok) {
      if (result.data && result.data.problems) showProblems(result.data.problems);
      say(result.message, "error");
      return null;
    }
    if (!state.id) {
      state.id = result.data.article_id;
      history.replaceState(null, "", `/editors/articles/${encodeURIComponent(state.id)}`);
      idInput.readOnly = true;
      heading.textContent = state.id;
    }
    state.draft = result.data;
    state.dirty = false;
    dates(result.data.content); // the server dates what changed; untouched translations may now read as stale
    for (const panel of panels) panel.dates(result.data.content.translations[panel.lang], result.data.content.updated);
    discard.disabled = false;
    say(t("edit.saved", { at: moment(result.data.saved_at), by: result.data.saved_by }), "ok", "saved");
    return state.id;
  }

  async function load() {
    state.live = state.draft = null;
    if (!state.id) { fill(blank(prefill), ""); return; }
    // The drafts' list rather than GET drafts/<id>: no draft is the usual case, not an error to log.
    const [live, drafts] = await Promise.all([api.call("GET", api.article(state.id)), api.call("GET", "/api/v1/editor/drafts")]);
    state.live = live.ok ? live.data : null;
    state.draft = drafts.ok ? drafts.data.drafts.find((d) => d.article_id === state.id) || null : null;
    if (state.draft) fill(state.draft.content, t("edit.showing_draft", { at: moment(state.draft.saved_at), by: state.draft.saved_by }));
    else if (state.live) fill(fileShape(state.live), t("edit.showing_live"));
    else if (live.status === 404) { fill({ ...blank(null), id: state.id }, t("edit.not_found", { id: state.id })); refreshHistory(); }
    else say(live.message, "error");
  }

  async function publishDraft(confirm = false, note = "") {
    if (!confirm) {
      const noteInput = h("input", { id: "publish-note", maxlength: "500", dir: "auto" });
      const go = await ask({ title: t("publish.title"), ok: t("publish.confirm"), body: [
        h("p", { text: t("publish.explain") }), h("label", { for: "publish-note", text: t("publish.note") }), noteInput] });
      if (!go) return;
      note = noteInput.value;
      if (!(await ensureSaved())) return;
    }
    const result = await api.call("POST", `${api.draft(state.id)}/publish`, { confirm, note });
    if (result.code === "confirm_needed") {
      const worse = result.data.worse.map((c) => h("li", { lang: c.lang, dir: "auto",
        text: `${c.question} → ${c.draft.article_id || t("try.no_answer")} (${expected(c.expect || [])})` }));
      if (await ask({ title: t("publish.title"), ok: t("publish.anyway"), body: [h("p", { text: t("publish.worse") }), h("ul", {}, worse)] })) {
        await publishDraft(true, note);
      }
      return;
    }
    if (!result.ok) { say(result.code === "draft_outdated" ? t("publish.outdated") : result.message, "error"); return; }
    await load();
    say(t("publish.done", { version: result.data.knowledge_version, revision: result.data.revisions[state.id] }), "ok", "published");
    if (!historyBox.hidden) refreshHistory();
  }

  async function discardDraft() {
    if (!(await ask({ title: t("edit.discard_confirm"), ok: t("edit.discard") }))) return;
    const result = await api.call("DELETE", api.draft(state.id));
    if (!result.ok) { say(result.message, "error"); return; }
    await load();
    say(t("edit.discarded"), "", "discarded");
  }

  function refreshHistory() {
    historyBox.hidden = false;
    return showHistory(historyBox, state.id, { mayPublish, say, onRolledBack });
  }

  async function onRolledBack(entry) {
    if (entry.exists) await load();
    else { // rolled back to before it existed: nothing to load
      state.live = state.draft = null;
      fill({ ...blank(null), id: state.id }, t("history.gone"));
    }
    refreshHistory();
  }

  view.querySelector("form.editor").addEventListener("input", changed);
  save.addEventListener("click", ensureSaved);
  discard.addEventListener("click", discardDraft);
  publish.addEventListener("click", () => publishDraft());
  historyButton.addEventListener("click", () => (historyBox.hidden || !state.id ? refreshHistory() : (historyBox.hidden = true)));
  window.addEventListener("beforeunload", (event) => { if (state.dirty) event.preventDefault(); });
  await load();
}
