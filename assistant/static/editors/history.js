// An article's history: each revision, newest first, with a diff per translation and, for a
// publisher, a rollback to any earlier one (itself a new, recorded revision).

import { h } from "../chat/dom.js";
import * as api from "./api.js";
import { ask } from "./dialog.js";
import { languageName, moment, t } from "./i18n.js";

// A unified diff's lines, each marked as added, removed or context.
function diff(text) {
  return h("pre", { class: "diff", dir: "auto" }, text.split("\n").map((line) => h("span", {
    class: line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : line.startsWith("@@") ? "hunk" : "",
    text: `${line}\n`,
  })));
}

function changes(entry) {
  if (!entry.changes) return h("p", { class: "muted", text: entry.exists ? "" : t("history.gone") });
  const { metadata, translations } = entry.changes;
  const parts = Object.entries(metadata).map(([field, { before, after }]) => h("p", { class: "meta-change",
    text: t("history.metadata", { field, before: JSON.stringify(before), after: JSON.stringify(after) }) }));
  for (const [lang, text] of Object.entries(translations)) {
    parts.push(h("details", { open: true }, h("summary", { text: languageName(lang) }), diff(text)));
  }
  if (!parts.length) parts.push(h("p", { class: "muted", text: t("history.no_text_change") }));
  if (!entry.exists) parts.unshift(h("p", { class: "warn", text: t("history.gone") }));
  return h("div", { class: "changes" }, parts);
}

export async function showHistory(box, articleId, { mayPublish, onRolledBack, say }) {
  const result = await api.call("GET", `${api.article(articleId)}/history`);
  if (!result.ok) {
    box.replaceChildren(h("p", { class: "error", text: result.message }));
    return;
  }
  const revisions = result.data.revisions;
  const list = h("ol", { class: "history", reversed: true });
  revisions.forEach((entry, index) => {
    const rollback = mayPublish && index > 0
      ? h("button", { type: "button", class: "quiet", onclick: () => rollBack(entry), text: t("history.rollback") })
      : null;
    list.append(h("li", { "data-revision": String(entry.revision) },
      h("p", { class: "entry-head" }, h("strong", { text: t("history.revision", { n: entry.revision }) }), " ",
        h("span", { text: t("history.entry", { action: t(`history.action.${entry.action}`), by: entry.by, at: moment(entry.at) }) }),
        index === 0 ? h("span", { class: "tag", text: t("history.current") }) : null, " ", rollback),
      entry.note ? h("p", { class: "note", dir: "auto", text: entry.note }) : null,
      changes(entry)));
  });
  box.replaceChildren(h("h2", { text: t("history.title") }),
    revisions.length ? list : h("p", { class: "muted", text: t("history.empty") }));

  async function rollBack(entry) {
    if (!(await ask({ title: t("history.rollback_confirm", { n: entry.revision }), ok: t("history.rollback") }))) return;
    const done = await api.call("POST", `${api.article(articleId)}/rollback`, { version: entry.revision });
    if (!done.ok) { say(done.message, "error"); return; }
    await onRolledBack(entry);
    say(t("history.rolled_back", { n: entry.revision, version: done.data.knowledge_version }), "ok", "rolled-back");
  }
}
