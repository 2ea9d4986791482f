// Every word on the page comes from a catalogue (assistant/catalogs/<lang>.json).
// Elements remember their key (data-i18n, data-i18n-attr, data-i18n-format), so a
// language change re-translates the whole page, the conversation included. An element
// with data-i18n-lang keeps that language (a note written in the language the supplier used).

const catalogs = new Map();
let current = "en";
let commands = { cancel: [], menu: [] };
let catalogUrl = "";

export function init(boot) {
  catalogs.set(boot.lang, boot.catalog);
  current = boot.lang;
  commands = boot.commands;
  catalogUrl = boot.urls.catalog;
}

export const lang = () => current;

export async function load(code) {
  if (!catalogs.has(code)) {
    const response = await fetch(catalogUrl.replace("LANG", encodeURIComponent(code)), { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`catalogue ${code}: ${response.status}`);
    catalogs.set(code, await response.json());
  }
  return catalogs.get(code);
}

export async function use(code) {
  await load(code);
  current = code;
  document.documentElement.lang = code;
  retranslate(document);
}

const catalogOf = (code) => catalogs.get(code) || catalogs.get(current);

export function t(key, args = {}, code = current) {
  const text = catalogOf(code).strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in args ? arg(args[name], code) : whole));
}

// An argument may itself need translating: {country: "FR"}, {language: "de"}, {key: "status.new"}.
function arg(value, code) {
  if (value && typeof value === "object") {
    if ("country" in value) return countryName(value.country, code);
    if ("language" in value) return languageName(value.language, code);
    if ("key" in value) return t(value.key, value.args || {}, code);
  }
  return String(value);
}

export function countryName(code, inLang = current) {
  const found = catalogOf(inLang).countries.find(([iso]) => iso === code);
  return found ? found[1] : code;
}

export const countries = (inLang = current) => catalogOf(inLang).countries;
export const languageName = (code, inLang = current) => catalogOf(inLang).language_names[code] || code;

// Binding elements to keys ----------------------------------------------------------

export function text(el, key, args, fixedLang) {
  el.dataset.i18n = key;
  if (args) el.dataset.i18nArgs = JSON.stringify(args);
  if (fixedLang) {
    el.dataset.i18nLang = fixedLang;
    el.lang = fixedLang;
  }
  el.textContent = t(key, args || {}, fixedLang || current);
  return el;
}

export function attr(el, name, key, args) {
  const pairs = parseAttrs(el.dataset.i18nAttr).filter(([attrName]) => attrName !== name);
  pairs.push([name, key]);
  el.dataset.i18nAttr = pairs.map((pair) => pair.join(":")).join(";");
  if (args) el.dataset.i18nAttrArgs = JSON.stringify(args);
  el.setAttribute(name, t(key, args || {}));
  return el;
}

const parseAttrs = (spec) => (spec ? spec.split(";").map((pair) => pair.split(":")) : []);

const FORMATS = {
  date: (value, code) => new Intl.DateTimeFormat(code, { dateStyle: "medium" }).format(new Date(value + "T00:00:00")),
  datetime: (value, code) => new Intl.DateTimeFormat(code, { dateStyle: "medium", timeStyle: "short" }).format(new Date(value)),
  amount: (value, code) => {
    const [amount, currency] = value.split(" ");
    if (!/^-?\d+(\.\d+)?$/.test(amount) || !/^[A-Z]{3}$/.test(currency || "")) return value;
    return new Intl.NumberFormat(code, { style: "currency", currency }).format(Number(amount));
  },
};

// A value shown in the reader's conventions: dates, amounts. Unparseable values stay as they are.
export function format(el, kind, value) {
  el.dataset.i18nFormat = kind;
  el.dataset.i18nValue = value;
  el.textContent = safeFormat(kind, value);
  return el;
}

function safeFormat(kind, value) {
  try {
    return FORMATS[kind](value, current);
  } catch {
    return value;
  }
}

export function retranslate(root) {
  root.querySelectorAll("[data-i18n]").forEach((el) => {
    const args = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : {};
    el.textContent = t(el.dataset.i18n, args, el.dataset.i18nLang || current);
  });
  root.querySelectorAll("[data-i18n-attr]").forEach((el) => {
    const args = el.dataset.i18nAttrArgs ? JSON.parse(el.dataset.i18nAttrArgs) : {};
    parseAttrs(el.dataset.i18nAttr).forEach(([name, key]) => el.setAttribute(name, t(key, args)));
  });
  root.querySelectorAll("[data-i18n-format]").forEach((el) => {
    el.textContent = safeFormat(el.dataset.i18nFormat, el.dataset.i18nValue);
  });
  root.querySelectorAll("select[data-countries]").forEach(fillCountries);
}

// The service-country list, named in the current language; keeps the selection.
export function fillCountries(select) {
  const chosen = select.value;
  const first = select.querySelector("option[value='']");
  select.replaceChildren(...(first ? [first] : []));
  for (const [code, name] of countries()) {
    const option = document.createElement("option");
    option.value = code;
    option.textContent = name;
    select.append(option);
  }
  select.value = chosen;
}

// "menu", "Menü", "메뉴", "選單"... typed alone, in any of the six languages.
export function command(input) {
  const said = input.trim().toLowerCase().replace(/[\s.!?。！？]+$/u, "").replace(/\s+/g, " ");
  if (commands.cancel.includes(said)) return "cancel";
  if (commands.menu.includes(said)) return "menu";
  return null;
}
