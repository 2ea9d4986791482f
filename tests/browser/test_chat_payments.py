"""Payment/PO status in the chat: plainly "not connected" without a provider (with a ticket
offered), and the ERP export's rows for the proven email only when one is configured."""
import re
from pathlib import Path

from .driver import Chat, expect

ERP_EXPORT = """Supplier Number;Supplier Email;Invoice Number;PO Number;Amount;Currency;Status;Due Date;Paid Date
S-1001;claire@fournisseur.example;INV-2040;4500012345;1234.50;EUR;Paid;2025-03-31;2025-03-28
S-9999;someone.else@example.com;INV-2040;4500099999;999.00;EUR;Open;2025-04-30;
S-1001;claire@fournisseur.example;INV-2041;4500012345;80.00;EUR;Blocked;2025-05-15;
"""


def test_without_a_provider_the_chat_says_so_and_offers_a_ticket(page, server):
    chat = Chat(page, server.url, "en").start("kim@supplier.example", "Kim Ji-woo", "KR", lang="ko")
    chat.choose("menu.payments")
    chat.step().get_by_label(chat.t("payments.reference")).fill("INV-2040")
    chat.button("payments.check").click()
    expect(chat.step()).to_contain_text(chat.t("payments.not_connected"))
    chat.button("payments.raise").click()
    form = chat.step()
    expect(form.get_by_label(chat.t("raise.invoices"))).to_have_value("INV-2040")
    expect(form.get_by_label(chat.t("raise.category"))).to_have_value("invoice_payment")
    expect(form.get_by_label(chat.t("raise.subject"))).to_have_value(chat.t("raise.payment_subject", reference="INV-2040"))
    chat.button("raise.submit").click()
    chat.ticket_created()


def test_erp_export_rows_are_shown_only_for_the_proven_email(pages, make_server_with):
    erp = make_server_with(PAYMENTS_CSV="erp-export.csv")
    Path(erp.app.instance_path, "erp-export.csv").write_text(ERP_EXPORT, encoding="utf-8")  # read at the first lookup
    email = "claire@fournisseur.example"
    chat = Chat(pages(locale="fr-FR"), erp.url, "fr").start(email, "Claire Martin", "FR")
    chat.choose("menu.payments")
    chat.step().get_by_label(chat.t("payments.reference")).fill("INV-2040")
    chat.button("payments.check").click()
    code = chat.step().get_by_label(chat.t("code.label"))
    expect(code).to_be_visible()  # the code is mailed before this step shows
    code.fill(erp.session_code(email))
    chat.button("code.confirm").click()
    result = chat.step()
    expect(result).to_contain_text(chat.t("payments.found", reference="INV-2040"))
    expect(result.locator(".payment")).to_have_count(1)  # the other supplier's INV-2040 stays hidden
    expect(result).to_contain_text(chat.t("payment_status.paid"))
    expect(result).to_contain_text(re.compile(r"1\s?234,50\s?€"))
    expect(result).to_contain_text("31 mars 2025")
    expect(result).not_to_contain_text("999")
