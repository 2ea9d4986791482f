// The editors' page: fetch the report and draw it. Every value is inserted as text.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const LANGS = ["en", "fr", "de", "ko", "zh-Hans", "zh-Hant"];

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

function lastDays(since) {
  const days = [];
  const end = new Date();
  for (let d = new Date(since); d <= end; d.setUTCDate(d.getUTCDate() + 1)) {
    days.push(d.toISOString().slice(0, 10));
  }
  return days;
}

// One small chart per language: stacked bars, answered below, escalated on top.
function drawChart(lang, days, rows) {
  const byDay = new Map(rows.filter((r) => r.lang === lang).map((r) => [r.day, r]));
  const max = Math.max(1, ...days.map((d) => (byDay.get(d) ? byDay.get(d).answered + byDay.get(d).escalated : 0)));
  const width = 300, height = 120, bar = width / days.length;
  const figure = el("figure", null, "chart");
  const picture = svg("svg", { viewBox: `0 0 ${width} ${height + 14}`, role: "img" });
  const total = rows.filter((r) => r.lang === lang).reduce((s, r) => s + r.answered + r.escalated, 0);
  picture.setAttribute("aria-label", `${lang}: ${total} questions`);
  days.forEach((day, i) => {
    const row = byDay.get(day) || { answered: 0, escalated: 0 };
    const a = (row.answered / max) * height, e = (row.escalated / max) * height;
    const title = svg("title", {});
    title.textContent = `${day}: ${row.answered} answered, ${row.escalated} escalated`;
    const group = svg("g", {});
    group.append(title,
      svg("rect", { x: i * bar + 1, y: height - a, width: Math.max(bar - 2, 1), height: a, class: "answered" }),
      svg("rect", { x: i * bar + 1, y: height - a - e, width: Math.max(bar - 2, 1), height: e, class: "escalated" }));
    picture.append(group);
  });
  picture.append(svg("line", { x1: 0, y1: height, x2: width, y2: height, class: "axis" }));
  const label = svg("text", { x: 0, y: height + 12, class: "tick" });
  label.textContent = days[0] || "";
  const labelEnd = svg("text", { x: width, y: height + 12, class: "tick end" });
  labelEnd.textContent = days[days.length - 1] || "";
  picture.append(label, labelEnd);
  figure.append(el("figcaption", `${lang} · ${total} question${total === 1 ? "" : "s"} · peak ${max}/day`), picture);
  return figure;
}

function drawGaps(gaps) {
  const list = document.getElementById("gaps");
  list.replaceChildren();
  if (!gaps.length) list.append(el("li", "Nothing went unanswered in this period.", "empty"));
  for (const gap of gaps) {
    const item = el("li");
    const head = el("p", null, "gap-head");
    head.append(el("span", gap.lang, "badge"),
      el("strong", `${gap.suppliers} supplier${gap.suppliers === 1 ? "" : "s"}`),
      el("span", ` · ${gap.questions} question${gap.questions === 1 ? "" : "s"} · closest: `),
      el("code", gap.closest_article || "none"),
      el("span", gap.closest_article ? ` (${gap.closest_title}, confidence ${gap.confidence.toFixed(2)})` : ""));
    const examples = el("ul", null, "examples");
    for (const example of gap.examples) examples.append(el("li", example));
    item.append(head, examples);
    list.append(item);
  }
}

const REASONS = { low_margin: "narrow win", unhelpful: "marked unhelpful", ticket: "ticket raised after it" };

function drawDoubtful(doubtful) {
  const body = document.getElementById("doubtful");
  body.replaceChildren();
  if (!doubtful.length) {
    const row = el("tr");
    const cell = el("td", "No doubtful answers in this period.", "empty");
    cell.colSpan = 4;
    row.append(cell);
    body.append(row);
  }
  for (const d of doubtful) {
    const row = el("tr");
    const question = el("td");
    question.append(el("span", d.lang, "badge"), el("span", ` ${d.question}`));
    const answered = el("td");
    answered.append(el("code", d.article_id), el("span", ` ${d.confidence.toFixed(2)}`, "muted"));
    const runnerUp = el("td");
    if (d.runner_up) runnerUp.append(el("code", d.runner_up), el("span", ` ${d.runner_up_confidence.toFixed(2)}`, "muted"));
    else runnerUp.textContent = "—";
    row.append(question, answered, runnerUp, el("td", d.reasons.map((r) => REASONS[r] || r).join(", ")));
    body.append(row);
  }
}

function drawArticles(articles) {
  const body = document.getElementById("articles");
  body.replaceChildren();
  for (const a of articles) {
    const row = el("tr");
    const name = el("td");
    name.append(el("code", a.id), el("br"), el("span", a.title, "muted"));
    const byLang = LANGS.filter((l) => a.answers[l]).map((l) => `${l} ${a.answers[l]}`).join(", ") || "—";
    const helpful = a.helpful_rate === null ? "—" : `${Math.round(a.helpful_rate * 100)}% of ${a.helpful + a.unhelpful}`;
    row.append(name, el("td", a.total, "num"), el("td", byLang), el("td", helpful, "num"),
      el("td", a.missing.join(" ") || "—", a.missing.length ? "warn" : ""),
      el("td", a.stale.join(" ") || "—", a.stale.length ? "warn" : ""));
    body.append(row);
  }
}

async function load() {
  const form = document.getElementById("filters");
  const params = new URLSearchParams(new FormData(form));
  if (!params.get("lang")) params.delete("lang");
  const status = document.getElementById("status");
  status.textContent = "Loading…";
  const response = await fetch(`/api/v1/admin/report?${params}`, { credentials: "same-origin" });
  if (!response.ok) {
    status.textContent = response.status === 401 ? "Your session ended; reload the page to sign in." : "The report could not be loaded.";
    return;
  }
  const report = await response.json();
  const days = lastDays(report.since.slice(0, 10));
  const charts = document.getElementById("charts");
  const shown = params.get("lang") ? [params.get("lang")] : report.languages;
  charts.replaceChildren(...shown.map((lang) => drawChart(lang, days, report.daily)));
  drawGaps(report.gaps);
  drawDoubtful(report.doubtful);
  drawArticles(report.articles);
  status.textContent = `Knowledge version ${report.version}; questions since ${report.since.slice(0, 10)}.`;
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("filters").addEventListener("change", load);
  load();
});
