"""A reply's new text: every sample of tests/data/mail/replies.yaml, and the edge cases one by one."""
from pathlib import Path

import pytest
import yaml

from assistant.tickets.mail.replies import LANGUAGES, new_text

SAMPLES = yaml.safe_load((Path(__file__).resolve().parents[2] / "data" / "mail" / "replies.yaml").read_text("utf-8"))
HEADER = "On Mon, 30 Nov 2026 at 10:00, Procuree <procuree@procuree.example> wrote:"


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"{s['lang']}-{s['name']}" for s in SAMPLES])
def test_each_sample_gives_exactly_its_new_text(sample):
    assert new_text(sample["message"]) == sample["expected"]


def test_the_samples_cover_every_language_with_every_kind_of_reply():
    names = {lang: {s["name"] for s in SAMPLES if s["lang"] == lang} for lang in LANGUAGES}
    for lang, kinds in names.items():
        assert len(kinds) >= 8, lang
        for kind in ("gmail", "outlook-desktop", "apple-mail", "iphone-signoff", "sig-dash", "inline-answers"):
            assert any(name.startswith(kind) for name in kinds), (lang, kind)
        assert any(name.startswith("nothing-new") for name in kinds), lang
        assert any("colon-in-sentence" in name for name in kinds), lang


def test_a_message_without_history_is_itself_trimmed():
    assert new_text("\n\n  \nThe invoice INV-1 is paid, thank you.\n\nAnna\n\n\n") == "The invoice INV-1 is paid, thank you.\n\nAnna"


def test_crlf_line_ends_are_read_like_lf():
    message = f"Paid on 28 November.\r\n\r\n{HEADER}\r\n> Was invoice INV-2 paid?\r\n"
    assert new_text(message) == "Paid on 28 November."


def test_nothing_new_gives_an_empty_text():
    assert new_text(f"\n{HEADER}\n\n> Your ticket CS1234567 is now closed.\n") == ""
    assert new_text("Sent from my iPhone\n\n> Your ticket is closed.") == ""
    assert new_text("") == ""


def test_a_sentence_with_wrote_and_a_time_mid_line_is_kept():
    message = f"On Monday at 10:00 your colleague wrote: the PO is missing.\nI added it.\n\n{HEADER}\n> Add the PO."
    assert new_text(message) == "On Monday at 10:00 your colleague wrote: the PO is missing.\nI added it."


def test_lines_starting_like_outlook_headers_are_kept_unless_they_make_a_block():
    mine = "From: our side the invoice is correct.\nTo: be sure, I sent it again.\n\nAnna"
    assert new_text(mine) == mine
    block = "From: Procuree <procuree@procuree.example>\nSent: Monday\nTo: me\nSubject: [CS1234567] Ticket closed"
    assert new_text(f"{mine}\n\n{block}") == mine


def test_a_header_wrapped_onto_two_lines_is_cut_at_its_first_line():
    message = "Done.\n\nOn Mon, 30 Nov 2026 at 10:00, Procuree Supplier Help <\nprocuree@procuree.example> wrote:\n> Old."
    assert new_text(message) == "Done."


def test_inline_answers_keep_the_supplier_lines_between_quotes():
    message = f"{HEADER}\n> Which PO?\n4500012345\n> Which date?\n27 November\n> Thanks"
    assert new_text(message) == "4500012345\n27 November"


def test_a_signature_after_inline_answers_is_still_cut():
    message = f"{HEADER}\n> Which PO?\n4500012345\n\n-- \nAnna Schmidt\nSchmidt GmbH"
    assert new_text(message) == "4500012345"


def test_french_no_break_spaces_before_colons_are_headers_too():
    message = "Merci.\n\nLe mar. 1 déc. 2026 à 09:12, Procuree <procuree@procuree.example> a\u00a0écrit\u00a0:\n> Ancien."
    assert new_text(message) == "Merci."


def test_a_long_line_that_starts_like_a_phone_sign_off_is_the_suppliers():
    line = "Sent from my iPhone while at the bank: the payment for INV-3 had still not arrived on Friday"
    assert new_text(line) == line
