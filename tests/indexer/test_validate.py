"""The validator: every kind of mistake produces its message, the shipped base none."""
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.validate import check_folder

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
id: {id}
category: payments
tags: [payment]
updated: 2026-11-22
translations:
  en:
    title: Who pays my invoices?
    questions:
      - {question}
    body: |
      Your customer pays you directly; Coupa never pays suppliers on behalf of buyers.
  fr:
    title: Qui paie mes factures ?
    questions:
      - Est-ce Coupa qui me paie ?
    body: |
      C'est toujours votre client qui vous paie directement ; Coupa ne paie jamais les fournisseurs.
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run(folder: Path):
    return check_folder(folder, required_languages=("en", "fr"))


def messages(folder: Path) -> list[str]:
    return [str(p) for p in run(folder).problems]


def test_shipped_base_is_clean():
    report = check_folder(ROOT / "knowledge")
    assert report.ok, [str(p) for p in report.problems]
    assert report.summary() == "OK: 32 articles x 6 languages (192 translations) in 32 files"


def test_a_good_small_base_passes(tmp_path):
    write(tmp_path, "who-pays", GOOD.format(id="who-pays", question="Does Coupa pay me?"))
    assert messages(tmp_path) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("id: a\n  category: [unclosed\n", "who-pays.yaml:2: YAML does not parse"),
        ("base: &a [1]\nmore: *a\n", "who-pays.yaml:2: YAML aliases (*name) are not allowed"),
        ("- just\n- a list\n", "who-pays.yaml:1: an article must be a mapping"),
        (GOOD.format(id="who-pays", question="x").replace("category: payments\n", ""), "missing required field 'category'"),
        (GOOD.format(id="who-pays", question="x").replace("category: payments", "category: paymnts"), "unknown category 'paymnts' (did you mean 'payments'?)"),
        (GOOD.format(id="who-pays", question="x").replace("tags:", "tagz:"), "who-pays.yaml:3: unknown article 'tagz' (did you mean 'tags'?)"),
        (GOOD.format(id="who-pays", question="x").replace("  fr:", "  es:"), "unknown language code 'es'"),
        (GOOD.format(id="who-pays", question="x").replace("title: Who pays my invoices?", "title: ''"), "en.title is empty"),
        (GOOD.format(id="who-pays", question="x").replace("title: Who pays my invoices?", "title: [a, b]"), "en.title must be text"),
        (GOOD.format(id="who-pays", question="x").replace("updated: 2026-11-22", "updated: last week"), "updated must be a date"),
        (GOOD.format(id="who-pays", question="x").replace("    title: Qui paie", "    titel: Qui paie"), "unknown fr field 'titel' (did you mean 'title'?)"),
        (GOOD.format(id="other-id", question="x"), "who-pays.yaml:1: id 'other-id' differs from the file name 'who-pays'"),
        (GOOD.format(id="who-pays", question="x").replace("  fr:", "  de:"), "missing translation 'fr'"),
    ],
)
def test_each_mistake_has_its_message(tmp_path, text, expected):
    write(tmp_path, "who-pays", text)
    found = messages(tmp_path)
    assert any(expected in m for m in found), found


def test_oversized_file_is_refused(tmp_path):
    write(tmp_path, "big", "id: big\n" + "# padding\n" * 40_000)
    assert any("larger than 256 KiB" in m for m in messages(tmp_path))


def test_text_in_the_wrong_language_is_caught(tmp_path):
    german = "Ihr Kunde bezahlt Sie immer direkt; Coupa bezahlt niemals Lieferanten im Auftrag von Käufern."
    text = GOOD.format(id="who-pays", question="Does Coupa pay me?").replace(
        "C'est toujours votre client qui vous paie directement ; Coupa ne paie jamais les fournisseurs.", german
    ).replace("Qui paie mes factures ?", "Wer bezahlt meine Rechnungen?").replace("Est-ce Coupa qui me paie ?", "Zahlt Coupa mich?")
    write(tmp_path, "who-pays", text)
    assert any("translation 'fr' reads as 'de'" in m for m in messages(tmp_path))


def test_simplified_under_traditional_is_caught(tmp_path):
    text = (
        "id: who-pays\ncategory: payments\ntranslations:\n  zh-Hant:\n    title: 谁支付我的发票？\n"
        "    questions: [是Coupa付款给我吗？]\n    body: 您的客户会直接向您付款，Coupa 不会代表采购方向供应商付款。\n"
    )
    write(tmp_path, "who-pays", text)
    found = [str(p) for p in check_folder(tmp_path, ("zh-Hant",)).problems]
    assert any("translation 'zh-Hant' reads as 'zh-Hans'" in m for m in found), found


def test_duplicate_ids_and_questions_across_files(tmp_path):
    write(tmp_path, "who-pays", GOOD.format(id="who-pays", question="Does Coupa pay me?"))
    (tmp_path / "who-pays.yml").write_text(GOOD.format(id="who-pays", question="Another one?"), encoding="utf-8")
    found = messages(tmp_path)
    assert any("id 'who-pays' is already used by" in m for m in found), found
    (tmp_path / "who-pays.yml").unlink()
    write(tmp_path, "who-pays-2", GOOD.format(id="who-pays-2", question="Does Coupa pay me ?"))
    found = messages(tmp_path)
    assert any("who-pays.yaml:7: en question 'Does Coupa pay me?' is also a question of 'who-pays-2'" in m for m in found), found


def test_cli_prints_file_line_messages_and_exits_non_zero(tmp_path):
    write(tmp_path, "who-pays", GOOD.format(id="who-pays", question="x").replace("category: payments", "category: nope"))
    result = CliRunner().invoke(main, ["validate", str(tmp_path), "--languages", "en fr"])
    assert result.exit_code == 1
    assert f"{tmp_path / 'who-pays.yaml'}:2: unknown category 'nope'" in result.output
    assert "1 problem(s): 0 articles" in result.output
    assert "Traceback" not in result.output


def test_cli_passes_the_shipped_base():
    result = CliRunner().invoke(main, ["validate", str(ROOT / "knowledge")])
    assert result.exit_code == 0
    assert "32 articles x 6 languages" in result.output


@pytest.mark.parametrize("special", ["/dev/zero", "fifo", "folder"])
def test_only_regular_files_are_read(tmp_path, special):
    # A symlink to /dev/zero has size 0 and never ends; a pipe has no end either and would block.
    target = tmp_path / "elsewhere"
    if special == "fifo":
        os.mkfifo(target)
    elif special == "folder":
        target.mkdir()
    else:
        target = Path(special)
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    write(knowledge, "who-pays", GOOD.format(id="who-pays", question="Does Coupa pay me?"))
    (knowledge / "endless.yaml").symlink_to(target)
    found = messages(knowledge)
    assert any("endless.yaml:1: not a regular file" in m for m in found), found


def test_a_file_that_grows_past_its_size_is_read_only_up_to_the_cap(tmp_path, monkeypatch):
    import indexer.articles as articles

    write(tmp_path, "big", "id: big\n" + "# padding\n" * 200)
    monkeypatch.setattr(articles, "MAX_FILE_BYTES", 1024)
    assert any("larger than 1 KiB" in m for m in messages(tmp_path))
