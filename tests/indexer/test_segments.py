"""Finding the question in a pasted message, in six languages."""
import pytest

from indexer.segments import MAX_SEGMENTS, focus_text, segments, split_sentences, strip_courtesy

PASTED = [
    ("en", "Hi team, we registered last year with another customer. Now your buyer sent us an invitation. "
           "Do we need a second account? Best regards, Kevin Moore / ACME Ltd",
     "Do we need a second account?"),
    ("fr", "Bonjour, nous avons reçu une invitation de votre acheteur. Faut-il créer un deuxième compte ? "
           "Cordialement, Marc Lefebvre",
     "Faut-il créer un deuxième compte ?"),
    ("de", "Hallo zusammen, wir nutzen das Portal schon für einen anderen Kunden. Müssen wir uns neu registrieren? "
           "Viele Grüße, Stefan Krüger",
     "Müssen wir uns neu registrieren?"),
    ("ko", "안녕하세요. 다른 고객사와 이미 CSP를 쓰고 있어요. 새 계정을 만들어야 하나요? 감사합니다. 김민수 드림",
     "새 계정을 만들어야 하나요?"),
    ("zh-Hans", "您好，我们已经为别的客户注册过 CSP 账号。需要重新注册吗？谢谢！王磊 苏州恒达电子",
     "需要重新注册吗?"),
    ("zh-Hant", "您好，我們已經替別的客戶註冊過 CSP 帳號。需要重新註冊嗎？謝謝。陳志明 / 宏昌五金",
     "需要重新註冊嗎?"),
]


@pytest.mark.parametrize("lang, message, question", PASTED)
def test_greeting_and_signature_go_and_the_question_stays(lang, message, question):
    parts = segments(message)
    whole = parts[0]
    assert whole.whole and question in whole.text
    for courtesy in ("Hi team", "Best regards", "Kevin", "Bonjour", "Cordialement", "Hallo", "Grüße",
                     "안녕하세요", "감사합니다", "김민수", "您好", "谢谢", "王磊", "謝謝", "陳志明"):
        assert courtesy not in whole.text
    assert any(p.text == question and p.question for p in parts[1:])
    assert any(p.question and p.text.endswith(question) and p.text != question for p in parts)  # with its context


@pytest.mark.parametrize("message", ["2fa off", "Who pays my invoices?", "怎么关闭双重验证", "연결 요청 상태"])
def test_a_short_question_is_one_segment(message):
    assert [(p.text, p.whole) for p in segments(message)] == [(message, True)]


def test_numbers_do_not_cut_sentences():
    assert split_sentences("Invoice INV-2024.11 of 4.5 kEUR from March. Is it paid?") == [
        "Invoice INV-2024.11 of 4.5 kEUR from March.", "Is it paid?"]


def test_a_message_of_courtesy_only_keeps_its_text():
    assert segments("Hello!")[0].text == "Hello!"
    assert strip_courtesy(["Thanks a lot!"]) == ["Thanks a lot!"]  # the only sentence is never dropped as a sign-off


def test_the_number_of_segments_is_bounded():
    message = " ".join(f"Sentence number {i} is here?" for i in range(200))
    assert len(segments(message)) <= 1 + MAX_SEGMENTS + 3


def test_focus_keeps_the_question_and_the_nearest_context_that_fits():
    message = "Hello. We changed banks. The old account closes soon. Where do we update the IBAN? Thanks, Ana"
    assert focus_text(message, lambda t: len(t) <= 40) == "Where do we update the IBAN?"
    assert focus_text(message, lambda t: len(t) <= 70) == "The old account closes soon. Where do we update the IBAN?"
    assert len(focus_text("x" * 500, lambda t: len(t) <= 64)) <= 64
