// The questions report: charts per language, what nothing answered, doubtful answers, articles.
// Every value is inserted as text.

import { h } from "../chat/dom.js";
import "./language.js";
import { call } from "./api.js";
import { boot, languageName, t, tn } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

function lastDays(since) {
  const days = [];
  const end = new Date();
  for (let d = new Date(since); d <= end; d.setUTCDate(d.getUTCDate() + 1)) days.push(d.toISOString().slice(0, 10));
  return days;
}

// One small chart per language: stacked bars, answered below, escalated on top.
function drawChart(lang, days, rows) {
  const byDay = new Map(rows.filter((r) => r.lang === lang).map((r) => [r.day, r]));
  const count = (d) => (byDay.get(d) ? byDay.get(d).answered + byDay.get(d).escalated : 0);
  const peak = Math.max(0, ...days.map(count));
  const max = Math.max(1, peak); // the scale: an empty chart stays flat
  const width = 300, height = 120, bar = width / days.length;
  const total = rows.filter((r) => r.lang === lang).reduce((s, r) => s + r.answered + r.escalated, 0);
  const picture = svg("svg", { viewBox: `0 0 ${width} ${height + 14}`, role: "img" });
  picture.setAttribute("aria-label", t("report.chart_caption", { lang: languageName(lang), total, peak }));
  days.forEach((day, i) => {
    const row = byDay.get(day) || { answered: 0, escalated: 0 };
    const a = (row.answered / max) * height, e = (row.escalated / max) * height;
    const title = svg("title", {});
    title.textContent = t("report.chart_day", { day, answered: row.answered, escalated: row.escalated });
    const group = svg("g", {});
    group.append(title,
      svg("rect", { x: i * bar + 1, y: height - a, width: Math.max(bar - 2, 1), height: a, class: "answered" }),
      svg("rect", { x: i * bar + 1, y: height - a - e, width: Math.max(bar - 2, 1), height: e, class: "escalated" }));
    picture.append(group);
  });
  picture.append(svg("line", { x1: 0, y1: height, x2: width, y2: height, class: "axis" }));
  const first = svg("text", { x: 0, y: height + 12, class: "tick" });
  first.textContent = days[0] || "";
  const last = svg("text", { x: width, y: height + 12, class: "tick end" });
  last.textContent = days[days.length - 1] || "";
  picture.append(first, last);
  return h("figure", { class: "chart" },
    h("figcaption", { text: t("report.chart_caption", { lang: languageName(lang), total, peak }) }), picture);
}

// "Write an article for this": a new article prefilled with the cluster's wordings in their language.
function writeLink(gap) {
  const params = new URLSearchParams({ for: gap.lang });
  for (const question of gap.wordings || gap.examples) params.append("question", question);
  return h("a", { class: "button-link", href: `/editors/articles/new?${params}`, text: t("report.write_article") });
}

function drawGaps(gaps) {
  const list = document.getElementById("gaps");
  list.replaceChildren();
  if (!gaps.length) list.append(h("li", { class: "empty", text: t("report.gaps_none") }));
  for (const gap of gaps) {
    const closest = gap.closest_article
      ? [h("a", { href: `/editors/articles/${encodeURIComponent(gap.closest_article)}` }, h("code", { text: gap.closest_article })),
        h("span", { class: "muted", text: ` ${gap.closest_title} · ${t("report.gap_confidence", { confidence: gap.confidence.toFixed(2) })}` })]
      : [h("span", { text: "—" })];
    const head = h("p", { class: "gap-head" },
      h("span", { class: "badge", text: languageName(gap.lang) }),
      h("strong", { text: tn("report.gap_suppliers", gap.suppliers) }),
      h("span", { text: ` · ${tn("report.gap_questions", gap.questions)} · ${t("report.gap_closest")} ` }), ...closest);
    const examples = h("ul", { class: "examples", lang: gap.lang }, gap.examples.map((e) => h("li", { dir: "auto", text: e })));
    list.append(h("li", {}, head, examples, writeLink(gap)));
  }
}

function drawDoubtful(doubtful) {
  const body = document.getElementById("doubtful");
  body.replaceChildren();
  if (!doubtful.length) body.append(h("tr", {}, h("td", { class: "empty", colspan: "4", text: t("report.doubtful_none") })));
  for (const d of doubtful) {
    const runnerUp = d.runner_up
      ? h("td", {}, h("code", { text: d.runner_up }), h("span", { class: "muted", text: ` ${d.runner_up_confidence.toFixed(2)}` }))
      : h("td", { text: "—" });
    body.append(h("tr", {},
      h("td", {}, h("span", { class: "badge", text: d.lang }), h("span", { lang: d.lang, dir: "auto", text: ` ${d.question}` })),
      h("td", {}, h("a", { href: `/editors/articles/${encodeURIComponent(d.article_id)}` }, h("code", { text: d.article_id })),
        h("span", { class: "muted", text: ` ${d.confidence.toFixed(2)}` })),
      runnerUp,
      h("td", { text: d.reasons.map((r) => t(`report.reason.${r}`)).join(", ") })));
  }
}

function drawArticles(articles) {
  const body = document.getElementById("articles");
  body.replaceChildren();
  for (const a of articles) {
    const byLang = boot.codes.filter((l) => a.answers[l]).map((l) => `${l} ${a.answers[l]}`).join(", ") || "—";
    const seen = a.helpful + a.unhelpful;
    const helpful = a.helpful_rate === null ? "—" : t("report.helpful_rate", { rate: Math.round(a.helpful_rate * 100), n: seen });
    body.append(h("tr", {},
      h("td", {}, h("a", { href: `/editors/articles/${encodeURIComponent(a.id)}` }, h("code", { text: a.id })), h("br"),
        h("span", { class: "muted", text: a.title })),
      h("td", { class: "num", text: String(a.total) }), h("td", { text: byLang }), h("td", { class: "num", text: helpful }),
      h("td", { class: a.missing.length ? "warn" : "", text: a.missing.join(" ") || "—" }),
      h("td", { class: a.stale.length ? "warn" : "", text: a.stale.join(" ") || "—" })));
  }
}

async function load() {
  const params = new URLSearchParams(new FormData(document.getElementById("filters")));
  if (!params.get("lang")) params.delete("lang");
  const status = document.getElementById("status");
  status.textContent = t("report.loading");
  const result = await call("GET", `/api/v1/admin/report?${params}`);
  if (!result.ok) {
    status.textContent = result.status === 401 ? result.message : t("report.failed");
    return;
  }
  const report = result.data;
  const days = lastDays(report.since.slice(0, 10));
  const shown = params.get("lang") ? [params.get("lang")] : report.languages;
  document.getElementById("charts").replaceChildren(...shown.map((lang) => drawChart(lang, days, report.daily)));
  drawGaps(report.gaps);
  drawDoubtful(report.doubtful);
  drawArticles(report.articles);
  status.textContent = t("report.status", { version: report.version, since: report.since.slice(0, 10) });
}

document.getElementById("filters").addEventListener("change", load);
load();
