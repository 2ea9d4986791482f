// The articles page: the list (search by id, title, category, a missing language, staleness),
// or one article in the editor (editor.js). The server's boot data says which.

import { h } from "../chat/dom.js";
import "./language.js";
import { call } from "./api.js";
import { boot, day, languageName, t, tn } from "./i18n.js";
import { openEditor } from "./editor.js";

const view = document.getElementById("view");

function filters() {
  const search = h("input", { type: "search", name: "q", maxlength: "200", dir: "auto", placeholder: t("articles.search_hint") });
  const category = h("select", { name: "category" }, h("option", { value: "", text: t("articles.any") }),
    boot.categories.map((c) => h("option", { value: c, text: c })));
  const missing = h("select", { name: "missing" }, h("option", { value: "", text: t("articles.any") }),
    boot.codes.map((code) => h("option", { value: code, text: languageName(code) })));
  const stale = h("input", { type: "checkbox", name: "stale", value: "true" });
  const form = h("form", { class: "filters", role: "search" },
    h("label", {}, h("span", { text: t("articles.search") }), search),
    h("label", {}, h("span", { text: t("articles.category") }), category),
    h("label", {}, h("span", { text: t("articles.missing") }), missing),
    h("label", { class: "check" }, stale, h("span", { text: t("articles.stale_only") })));
  return form;
}

// Each cell carries its column's name, so that at phone width a row reads as a card (editors.css).
function row(article, drafted) {
  const cell = (column, props, ...children) => h("td", { "data-label": t(`articles.col.${column}`), ...props }, ...children);
  return h("tr", {},
    cell("article", {}, h("a", { href: `/editors/articles/${encodeURIComponent(article.id)}` }, h("code", { text: article.id })),
      drafted ? h("span", { class: "tag draft", text: t("articles.draft") }) : null,
      h("br"), h("span", { class: "muted", dir: "auto", lang: article.titles[boot.lang] ? boot.lang : "en",
        text: article.titles[boot.lang] || article.title })),
    cell("category", { text: article.category }),
    cell("languages", { text: article.languages.join(" ") }),
    cell("stale", { class: article.stale.length ? "warn" : "", text: article.stale.join(" ") || "—" }),
    cell("updated", { class: "nowrap", text: day(article.updated) }));
}

async function showList() {
  const form = filters();
  const status = h("p", { class: "muted", role: "status", text: t("articles.loading") });
  const body = h("tbody");
  const newDrafts = h("ul", { class: "new-drafts" });
  view.replaceChildren(
    h("div", { class: "title-row" }, h("h2", { text: t("articles.title") }),
      h("a", { class: "button-link primary", href: "/editors/articles/new", text: t("articles.new") })),
    form, status, newDrafts,
    h("div", { class: "table-wrap" }, h("table", { class: "articles" },
      h("thead", {}, h("tr", {}, ["article", "category", "languages", "stale", "updated"].map(
        (c) => h("th", { text: t(`articles.col.${c}`) })))), body)));

  let asked = 0;
  const load = async () => {
    const mine = ++asked;
    const params = new URLSearchParams([...new FormData(form)].filter(([, v]) => v));
    params.set("limit", "500");
    const [listed, drafts] = await Promise.all([call("GET", `/api/v1/editor/articles?${params}`), call("GET", "/api/v1/editor/drafts")]);
    if (mine !== asked) return; // a newer search is on its way
    if (!listed.ok) { status.textContent = listed.message; return; }
    const drafted = new Set(drafts.ok ? drafts.data.drafts.map((d) => d.article_id) : []);
    const known = new Set(listed.data.articles.map((a) => a.id));
    body.replaceChildren(...listed.data.articles.map((a) => row(a, drafted.has(a.id))));
    if (!listed.data.articles.length) body.append(h("tr", {}, h("td", { colspan: "5", class: "empty", text: t("articles.none") })));
    const filtered = [...new FormData(form)].some(([, v]) => v);
    const unpublished = drafts.ok && !filtered ? drafts.data.drafts.filter((d) => !known.has(d.article_id)) : [];
    newDrafts.replaceChildren(...unpublished.map((d) => h("li", {},
      h("a", { href: `/editors/articles/${encodeURIComponent(d.article_id)}` }, h("code", { text: d.article_id })),
      h("span", { class: "tag draft", text: t("articles.draft") }))));
    status.textContent = `${tn("articles.count", listed.data.total)} · ${t("articles.version", { version: listed.data.version })}`;
  };
  let timer;
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 250); });
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  await load();
}

if (boot.view === "edit") openEditor(view, boot.article_id, boot.prefill);
else showList();
