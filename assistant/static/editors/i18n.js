// The editors' pages' words: the catalogue of the page's language, sent in the boot data
// (assistant/catalogs/editors/<lang>.json); language names come from CLDR through the server.

export const boot = JSON.parse(document.getElementById("editors-boot").textContent);
const plurals = new Intl.PluralRules(boot.lang);
const dates = new Intl.DateTimeFormat(boot.lang, { dateStyle: "medium" });
const moments = new Intl.DateTimeFormat(boot.lang, { dateStyle: "medium", timeStyle: "short" });

export function t(key, args = {}) {
  const text = boot.strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in args ? String(args[name]) : whole));
}

// A count in words: key.one or key.other, as the language's plural rules choose.
export function tn(key, n, args = {}) {
  const form = `${key}.${plurals.select(n)}`;
  return t(form in boot.strings ? form : `${key}.other`, { n, ...args });
}

export const languageName = (code) => boot.language_names[code] || code;

// "2026-12-02" as a date of the page's language; an ISO timestamp with its time.
export function day(iso) {
  if (!iso) return "—";
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return dates.format(new Date(Date.UTC(y, m - 1, d, 12)));
}

export const moment = (iso) => (iso ? moments.format(new Date(iso)) : "—");
