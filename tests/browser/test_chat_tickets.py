"""Tickets from the chat: an unanswered question becomes one, the supplier finds it again and
decides on the agent's proposed solution; the recent tickets after the email code, with arrows."""

import re
from urllib.parse import urlsplit

from assistant.tickets.mail import outgoing as notifications

from .conftest import AGENT_TOKEN
from .driver import Chat, expect


def test_unanswered_question_becomes_a_ticket_found_again_and_accepted(page, server):
    chat = Chat(page, server.url, "en").start("ana@lima.example", "Ana Lima", "BR")
    chat.say("What's a good recipe for banana bread?")
    expect(chat.step()).to_contain_text(chat.t("unanswered.intro"))
    chat.button("unanswered.send").click()
    number, reference = chat.ticket_created()

    server.agent(number, "propose-solution", "Your question was forwarded to the catering team.")
    page.locator(".tools [data-tool=menu]").click()
    chat.choose("menu.tickets")
    chat.button("tickets.by_number").click()
    chat.step().get_by_label(chat.t("tickets.number")).fill(number.lower())  # typed carelessly: still found
    chat.step().get_by_label(chat.t("tickets.reference")).fill(reference)
    chat.button("tickets.find").click()

    card = chat.step().locator("article.ticket")
    expect(card.locator("[data-status]")).to_have_text(chat.t("status.solution_proposed"))
    expect(card.locator(".solution")).to_contain_text("forwarded to the catering team")
    expect(card.locator(".history")).to_contain_text(chat.t("history.created"))
    chat.button("ticket.accept", card).click()
    expect(card.locator("[data-status]")).to_have_text(chat.t("status.closed"))
    expect(chat.last_bot()).to_contain_text(chat.t("ticket.accepted", number=number))
    expect(card).to_contain_text(chat.t("ticket.closed_note"))
    chat.button("ticket.open_new", card).click()
    expect(chat.step()).to_contain_text(chat.t("raise.follow_up_note", number=number))
    expect(chat.step().get_by_label(chat.t("raise.subject"))).to_have_value(chat.t("raise.follow_up_subject", number=number))


def test_raise_issues_then_browse_recent_tickets_after_the_email_code_and_reject(page, server, tmp_path):
    email = "jonas@lieferant.example"
    chat = Chat(page, server.url, "en").start(email, "Jonas Weber", "DE", lang="de")
    proof = tmp_path / "kontoauszug.txt"
    proof.write_text("Zahlungseingang fehlt für RE-100\n", encoding="utf-8")
    numbers = []
    for subject in ("Rechnung RE-100 nicht bezahlt", "Bestellung 4500012345 fehlt im Portal"):
        chat.choose("menu.raise")
        step = chat.step()
        step.get_by_label(chat.t("raise.category")).select_option("invoice_payment")
        step.get_by_label(chat.t("raise.subject")).fill(subject)
        step.get_by_label(chat.t("raise.description")).fill(f"{subject}. Lieferant Weber GmbH, Nr. S-2002.")
        step.get_by_label(chat.t("raise.supplier_number")).fill("S-2002")
        step.get_by_label(chat.t("raise.invoices")).fill("RE-100, RE-101")
        step.get_by_label(chat.t("raise.attachments")).set_input_files(str(proof))
        chat.button("raise.submit").click()
        numbers.append(chat.ticket_created()[0])
        page.locator(".tools [data-tool=menu]").click()
    server.agent(numbers[0], "propose-solution", "Die Zahlung für RE-100 ist am Montag erfolgt.")
    server.agent(numbers[1], "request-info", "Welche Bestellposition fehlt?")

    chat.choose("menu.tickets")
    chat.button("tickets.recent").click()
    expect(chat.step()).to_contain_text(chat.t("code.intro", email=email))
    code = chat.step().get_by_label(chat.t("code.label"))
    code.fill("12")
    chat.button("code.confirm").click()
    expect(chat.step()).to_contain_text(chat.t("code.invalid"))
    code.fill(server.session_code(email))
    chat.button("code.confirm").click()

    browser = chat.step()
    expect(browser.locator(".position")).to_have_text(chat.t("tickets.position", index=1, total=2))
    expect(browser.locator("article.ticket")).to_contain_text(numbers[1])  # the most recent first
    newest = browser.locator("article.ticket")
    expect(newest).to_contain_text("kontoauszug.txt")
    expect(newest.locator("[data-status]")).to_have_text(chat.t("status.info_requested"))
    newest.get_by_label(chat.t("ticket.reply_label")).fill("Position 20, Artikel 4711.")
    chat.button("ticket.reply_send", newest).click()
    expect(newest.locator("[data-status]")).to_have_text(chat.t("status.open"))
    expect(newest.locator(".history")).to_contain_text("Position 20, Artikel 4711.")
    browser.get_by_role("button", name=chat.t("tickets.next")).click()
    expect(browser.locator(".position")).to_have_text(chat.t("tickets.position", index=2, total=2))
    expect(browser.get_by_role("button", name=chat.t("tickets.previous"))).to_be_focused()  # off the disabled arrow
    card = browser.locator("article.ticket")
    expect(card).to_contain_text(numbers[0])
    expect(browser.get_by_role("button", name=chat.t("tickets.next"))).to_be_disabled()

    chat.button("ticket.reject", card).click()
    chat.button("ticket.reject_send", card).click()
    expect(card).to_contain_text(chat.t("ticket.comment_missing"))
    card.get_by_label(chat.t("ticket.reject_label")).fill("Auf unserem Konto ist nichts eingegangen.")
    chat.button("ticket.reject_send", card).click()
    expect(card.locator("[data-status]")).to_have_text(chat.t("status.reopened"))
    expect(card.locator(".history")).to_contain_text("Auf unserem Konto ist nichts eingegangen.")
    expect(chat.last_bot()).to_contain_text(chat.t("ticket.rejected", number=numbers[0]))


def test_the_emailed_reject_link_works_in_a_browser(page, server):
    """The solution mail's reject link: the page's form posts back to the server from a real browser
    (whose Origin header must name this host for the cross-site check to let it through)."""
    client = server.app.test_client()
    raised = client.post("/api/v1/tickets", json={"email": "kim@example.com", "name": "Kim", "lang": "fr",
                                                  "subject": "Facture impayée",
                                                  "description": "La facture INV-9 reste impayée."})
    number = raised.get_json()["number"]
    server.agent(number, "propose-solution", "Le paiement part lundi.")
    queued = notifications.pending(server.app.extensions["db"], server.app.config["MAIL_KEY"], "kim@example.com")
    body = [mail for mail in queued if mail.kind == "solution_proposed"][-1].body
    link = re.search(r"https?://\S+/tickets/CS\d{7}/reject\?token=\S+", body).group(0)
    page.goto(server.url + urlsplit(link).path + "?" + urlsplit(link).query)
    page.fill("#comment", "Le paiement n'est toujours pas arrivé.")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("p.error").count() == 0, page.content()
    agent = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    ticket = client.get(f"/api/v1/agent/tickets/{number}", headers=agent).get_json()
    assert ticket["status"] == "reopened"  # a rejected solution goes back to the agent
