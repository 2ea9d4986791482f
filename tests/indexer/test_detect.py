"""Language detection: script first, then lingua for Latin text, the hint for the undecidable."""
import pytest

from indexer.detect import detect

SENTENCES = [
    ("en", "How do I add a new user to our supplier account?"),
    ("en", "Who pays my invoices?"),
    ("fr", "Comment désactiver l'authentification à deux facteurs ?"),
    ("fr", "Où en est mon ticket CS0015562 ?"),
    ("de", "Wo finde ich den Procuree-Chat im Taulia Portal?"),
    ("de", "Was ist Procuree?"),
    ("ko", "고객 연결 요청은 어떻게 하나요?"),
    ("ko", "CSP에서 PO가 안 보여요"),
    ("zh-Hans", "如何提交工单？"),
    ("zh-Hans", "怎么关闭双重验证"),
    ("zh-Hant", "如何建立工單？"),
    ("zh-Hant", "今天晚餐吃什麼好？"),
]


@pytest.mark.parametrize("lang, text", SENTENCES)
def test_detects_each_language(lang, text):
    found = detect(text)
    assert (found.lang, found.detected, found.certain) == (lang, lang, True)


@pytest.mark.parametrize("text, hint", [("PO?", "fr"), ("CS0012345", "ko"), ("2FA", "de"), ("工作", "zh-Hant")])
def test_hint_decides_when_the_text_cannot(text, hint):
    found = detect(text, hint)
    assert found.lang == hint


def test_shared_han_characters_follow_the_hint():
    assert detect("工作", "zh-Hant").lang == "zh-Hant"
    assert detect("工作", None).lang == "zh-Hans"
    assert detect("工作").certain is False


def test_clearly_different_language_beats_the_hint():
    assert detect("Wie reiche ich ein Ticket ein?", "fr").lang == "de"
    assert detect("如何建立工單？", "zh-Hans").lang == "zh-Hant"


def test_no_hint_and_no_words_falls_back_to_english():
    assert detect("???").lang == "en"
