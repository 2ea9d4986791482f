"""Article Markdown becomes safe HTML: structure kept, anything that could run removed."""
import pytest

from assistant.rendering import markdown_to_html

TABLE = """| Status | Meaning |
|---|---|
| Pending | sent, no answer yet |
| Expired | no answer within 30 days |
"""


def test_tables_keep_their_structure():
    html = markdown_to_html(TABLE)
    for tag in ("<table>", "<thead>", "<tbody>", "<tr>", "<th>Status</th>", "<td>Pending</td>"):
        assert tag in html, html


@pytest.mark.parametrize("markdown, forbidden", [
    ("<script>alert(1)</script>", "<script"),
    ("[x](javascript:alert(1))", 'href="javascript:'),
    ('<img src=x onerror="alert(1)">', "<img"),
    ("| a |\n|---|\n| <b onclick=alert(1)>x</b> |", "<b "),
])
def test_nothing_that_could_run_survives(markdown, forbidden):
    assert forbidden not in markdown_to_html(markdown)


def test_the_chat_filters_through_the_same_tags():
    from pathlib import Path

    from assistant.rendering import ALLOWED_TAGS

    dom = (Path(__file__).resolve().parents[2] / "assistant" / "static" / "chat" / "dom.js").read_text()
    listed = dom[dom.index("const TAGS"):dom.index("]);", dom.index("const TAGS"))]
    assert {tag.lower() for tag in ALLOWED_TAGS} == {t.strip('" \n').lower() for t in listed.split("[", 1)[1].split(",")}
