"""Property tests: any text at all is analysed, detected and answered, in bounded work.

Suppliers (and attackers) can send anything: control characters, RTL marks,
emoji, one character a thousand times, words of a thousand letters.  These
tests generate such inputs; the examples are derandomised so CI is
reproducible, and no test measures time (the work is bounded by counting
output, and a whole ask must finish within a generous deadline).
"""
import threading
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.analyzers import analyzer_for, lexicon_of
from indexer.detect import detect
from indexer.languages import CODES
from indexer.validate import check_folder

MAX_CHARS = 1000
PROPERTY = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

hostile_texts = st.one_of(
    st.text(max_size=MAX_CHARS),
    st.text(alphabet=st.characters(categories=("Ll", "Lu")), min_size=40, max_size=MAX_CHARS),  # one long word
    st.builds(lambda c, n: c * n, st.characters(codec="utf-8"), st.integers(1, MAX_CHARS)),  # one character n times
    st.builds(lambda w, n: (w * n)[:MAX_CHARS], st.sampled_from(["verbindungs", "anfrage", "x", "申請", "요청"]),
              st.integers(1, 200)),
    st.text(alphabet=st.sampled_from(list("aéß申請가ㅋ 1\u200f\u202e\u200b😀\x00\t\r\n-'’.?")), max_size=MAX_CHARS),
)

def finishes(work, seconds: float = 30.0):
    """Run ``work`` in a thread; the result, or an assertion error if it is still running after ``seconds``.

    The deadline is ~1000 times an ask's real cost: it fails only on runaway work
    (the exponential compound split held a core for minutes), never on a slow machine.
    """
    result = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "still working"
    return result[0]


GERMAN_LEXICON = lexicon_of(["Verbindungsanfrage Verbindung Anfrage senden Rechnung Rechnungen xxxx"])


@PROPERTY
@given(text=hostile_texts)
def test_every_analyzer_takes_any_text_and_its_output_is_linear(text):
    for code in CODES:
        tokens = finishes(lambda: analyzer_for(code, GERMAN_LEXICON if code == "de" else ())(text))
        assert all(isinstance(t, str) and t for t in tokens)
        assert len(tokens) <= 3 * len(text) + 1  # bigrams and compound parts, never more


@PROPERTY
@given(text=hostile_texts, hint=st.sampled_from([None, *CODES]))
def test_detection_takes_any_text(text, hint):
    assert finishes(lambda: detect(text, hint)).lang in CODES


@PROPERTY
@given(text=hostile_texts)
def test_the_retriever_answers_any_text(retriever, text):
    answer = finishes(lambda: retriever.ask(text))
    assert answer.lang in CODES and 0.0 <= answer.confidence <= 1.0


ARTICLE = (Path(__file__).resolve().parents[1] / "data" / "supplier-code-of-conduct.yaml").read_text(encoding="utf-8")
YAML_SPECIALS = list(":-[]{}&*!|>'\"%@`#,?\n\t ") + ["\x00", "\ufeff", "---", "...", "!!python/object:os.system", "<<: *a"]


@st.composite
def broken_articles(draw) -> str:
    """The shipped sample article with a few random edits: cuts, insertions, swapped lines."""
    text = ARTICLE
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["cut", "insert", "swap"]))
        if edit == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 200)):]
        elif edit == "insert":
            pieces = draw(st.lists(st.sampled_from(YAML_SPECIALS) | st.characters(), max_size=20))
            text = text[:at] + "".join(pieces) + text[at:]
        else:
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30) | st.dates(),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["id", "category", "tags", "updated", "translations", "en", "fr", "title",
                                        "questions", "body", "x"]) | st.text(max_size=8), inner, max_size=5),
    max_leaves=25,
)


@PROPERTY
@given(text=st.one_of(broken_articles(), yaml_values.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
                      st.binary(max_size=500).map(lambda b: b.decode("latin-1"))))
def test_the_validator_reports_any_broken_file_and_never_crashes(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("knowledge")
    (folder / "supplier-code-of-conduct.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    report = finishes(lambda: check_folder(folder, ("en", "fr", "de", "ko", "zh-Hans", "zh-Hant")))
    assert report.ok or all(p.line >= 0 and str(p) for p in report.problems)
    assert len(report.articles) <= 1
