// Payment/PO status: the supplier names an invoice or a PO; the ERP connection (if any)
// answers for their proven email only. Without a connection we say so and offer a ticket.

import { api } from "./api.js";
import { bot, button, field, focus, h, id, onSubmit } from "./dom.js";
import * as i18n from "./i18n.js";
import { cookiesBlocked, ensureSession } from "./session.js";

const KNOWN_STATUSES = ["paid", "open", "scheduled", "blocked", "cancelled"];

export function paymentsStep(ctx) {
  const group = id("kind");
  const kinds = ["invoice", "po"].map((kind, at) => {
    const radio = h("input", { type: "radio", name: group, value: kind });
    radio.checked = at === 0;
    return h("label", { class: "choice" }, radio, h("span", { i18n: [`payments.${kind}`] }));
  });
  const kind = h("fieldset", { class: "field" }, h("legend", { i18n: ["payments.kind"] }), h("div", { class: "segmented" }, kinds));
  const reference = field({ label: "payments.reference", control: h("input", { type: "text", maxlength: "64", spellcheck: "false" }) });
  const form = h("form", { class: "form", novalidate: true }, kind, reference.wrap,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, h("span", { i18n: ["payments.check"] }))));
  onSubmit(form, async () => {
    const value = reference.control.value.trim();
    reference.error(value ? null : "payments.missing");
    if (!value) return focus(reference.control);
    const chosen = form.querySelector("input[type=radio]:checked").value;
    return check(ctx, chosen, value);
  });
  bot([h("p", { i18n: ["payments.intro"] }), h("p", { class: "muted", i18n: ["menu.payments_hint"] }), form], { step: true });
  focus(form.querySelector("input[type=radio]:checked"));
}

async function check(ctx, kind, reference) {
  const connection = await api.paymentsStatus();
  if (!connection.ok) return ctx.problem(connection);
  if (!connection.data.connected) return offerTicket(ctx, kind, reference, "payments.not_connected");
  if (!(await ensureSession(ctx))) return;
  const found = await api.payments({ [kind]: reference });
  if (found.status === 401) return cookiesBlocked(ctx);
  if (found.status === 503) return offerTicket(ctx, kind, reference, found.error.code === "not_connected" ? "payments.not_connected" : "payments.unavailable");
  if (!found.ok) return ctx.problem(found);
  if (!found.data.payments.length) return offerTicket(ctx, kind, reference, "payments.none");
  showRecords(ctx, reference, found.data.payments);
}

// What cannot be looked up becomes a ticket with the reference already filled in.
function offerTicket(ctx, kind, reference, key) {
  const prefill = {
    category: kind === "po" ? "purchase_order" : "invoice_payment",
    subject: i18n.t("raise.payment_subject", { reference }),
    description: i18n.t("raise.payment_description", { reference }),
    [kind === "po" ? "pos" : "invoices"]: [reference],
  };
  const raise = button("payments.raise", () => ctx.raise(prefill), { primary: true });
  bot([h("p", { i18n: [key, { reference, email: ctx.state.email }] }), h("div", { class: "actions" }, raise)], { step: true });
  focus(raise);
}

function showRecords(ctx, reference, records) {
  const cards = records.map((record) => {
    const facts = h("dl", { class: "facts" });
    const add = (key, value) => value && facts.append(h("dt", { i18n: [key] }), value);
    add("payments.invoice_number", record.invoice_number && h("dd", { text: record.invoice_number }));
    add("payments.po_number", record.po_number && h("dd", { text: record.po_number }));
    add("payments.supplier_number", record.supplier_number && h("dd", { text: record.supplier_number }));
    add("payments.amount", record.amount && i18n.format(h("dd"), "amount", `${record.amount} ${record.currency}`.trim()));
    add("payments.status", h("dd", KNOWN_STATUSES.includes(record.status)
      ? { i18n: [`payment_status.${record.status}`], "data-payment-status": record.status }
      : { text: record.status_text, "data-payment-status": record.status }));
    add("payments.due", record.due_date && dateCell(record.due_date));
    add("payments.paid", record.paid_date && dateCell(record.paid_date));
    return h("div", { class: "payment" }, facts);
  });
  bot([h("p", { i18n: ["payments.found", { reference }] }), cards], { step: true, wide: true });
}

// ISO dates in the reader's format; anything else exactly as the ERP wrote it.
const dateCell = (value) => (/^\d{4}-\d{2}-\d{2}$/.test(value) ? i18n.format(h("dd"), "date", value) : h("dd", { text: value }));
