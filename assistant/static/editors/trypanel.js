// Try before publishing: the editor's questions asked of the saved draft beside the live knowledge,
// and the draft's effect on the labelled question sets and the recent question log.

import { h } from "../chat/dom.js";
import * as api from "./api.js";
import { boot, t } from "./i18n.js";

function outcome(side, column) {
  const label = t(`try.col.${column}`);
  if (!side.article_id) return h("td", { class: "muted", "data-label": label, text: t("try.no_answer") });
  return h("td", { "data-label": label }, h("code", { text: side.article_id }), h("br"),
    h("span", { class: "muted", dir: "auto", text: `${side.title} · ${side.confidence.toFixed(2)}` }));
}

// What a labelled question should get: its articles, or no answer (a ticket).
export const expected = (articles) => t("try.expected", { articles: articles.join(", ") || t("try.no_answer") });

// Each cell carries its column's name, so that at phone width a row reads as a card (editors.css).
function table(rows) {
  return h("div", { class: "table-wrap" }, h("table", { class: "tried" },
    h("thead", {}, h("tr", {}, ["question", "live", "draft", "effect"].map((c) => h("th", { text: t(`try.col.${c}`) })))),
    h("tbody", {}, rows.map((row) => h("tr", { class: `verdict-${row.verdict}` },
      h("td", { lang: row.lang, dir: "auto", "data-label": t("try.col.question") }, h("span", { text: row.question }),
        row.expect ? h("span", { class: "muted small", text: ` (${expected(row.expect)})` }) : null),
      outcome(row.live, "live"), outcome(row.draft, "draft"),
      h("td", { "data-label": t("try.col.effect") }, h("span", { class: `verdict ${row.verdict}`, text: t(`try.verdict.${row.verdict}`) })))))));
}

function effect(key, summary) {
  return [h("p", { class: "effect", text: t(key, summary) }), ...(summary.changes.length ? [table(summary.changes)] : [])];
}

// ensureSaved() resolves to the saved draft's id, or null (it has said why).
export function tryPanel({ ensureSaved, initial = [] }) {
  const questions = h("textarea", { id: "try-questions", rows: "4", dir: "auto", maxlength: "10000" });
  questions.value = initial.join("\n");
  const sets = h("input", { type: "checkbox", id: "try-sets", checked: true });
  const results = h("div", { class: "try-results", "aria-live": "polite" });
  const run = h("button", { type: "button", id: "try-run", text: t("try.run") });
  run.addEventListener("click", async () => {
    if (run.getAttribute("aria-busy") === "true") return;
    run.setAttribute("aria-busy", "true");
    results.replaceChildren(h("p", { class: "muted", text: t("try.running") }));
    try {
      const id = await ensureSaved();
      if (!id) { results.replaceChildren(h("p", { class: "error", text: t("try.save_first") })); return; }
      const asked = questions.value.split("\n").map((q) => q.trim()).filter(Boolean).slice(0, boot.try_questions);
      const tried = await api.call("POST", `${api.draft(id)}/try`, { questions: asked, sets: sets.checked });
      if (!tried.ok) { results.replaceChildren(h("p", { class: "error", text: tried.message })); return; }
      results.replaceChildren(...(tried.data.asked.length ? [table(tried.data.asked)] : []),
        ...(sets.checked ? [...effect("try.labelled", tried.data.labelled), ...effect("try.log", tried.data.log)] : []));
    } finally {
      run.removeAttribute("aria-busy");
    }
  });
  return h("section", { class: "panel try", "aria-labelledby": "try-title" },
    h("h2", { id: "try-title", text: t("try.title") }), h("p", { class: "hint", text: t("try.hint") }),
    h("label", { for: "try-questions", text: t("try.questions") }), h("p", { class: "hint", text: t("try.questions_hint") }),
    questions, h("label", { class: "check" }, sets, h("span", { text: t("try.sets") })),
    h("div", { class: "actions" }, run), results);
}
