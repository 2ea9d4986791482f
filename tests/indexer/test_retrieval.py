"""The ask pipeline: right article in the right language, or an honest escalation."""
import dataclasses

import pytest

from indexer import Retriever
from indexer.retrieval import MAX_CANDIDATES

IN_DOMAIN = [
    ("en", "Where do I switch on 2FA in the supplier portal?", "csp-2fa-enable"),
    ("en", "My customer's tab is missing after I registered", "csp-missing-customer-tab"),
    ("fr", "Mes coordonnées bancaires sont-elles enregistrées dans Coupa ?", "csp-bank-details"),
    ("fr", "Comment ajouter un collègue à notre compte fournisseur ?", "csp-add-user"),
    ("de", "Was bedeutet der Status Abgelaufen bei einer Verbindungsanfrage?", "csp-connection-request-status"),
    ("de", "Wie erstelle ich ein Ticket für das STP Knowledge Center?", "stp-ticket-create"),
    ("ko", "2단계 인증을 끄려면 어떻게 해야 하나요?", "csp-2fa-disable"),
    ("ko", "서비스 국가는 무엇을 의미하나요?", "stp-service-country"),
    ("zh-Hans", "双重验证在哪里开启？", "csp-2fa-enable"),
    ("zh-Hans", "银行账户信息保存在哪里？", "csp-bank-details"),
    ("zh-Hant", "如何查看我最近的工單？", "stp-ticket-status"),
    ("zh-Hant", "誰會付款給我？", "csp-who-pays"),
]

OUT_OF_DOMAIN = [
    ("en", "Can you recommend a good pizza place near the office?"),
    ("fr", "Qui a gagné le match de rugby hier soir ?"),
    ("de", "Wie backe ich einen Apfelkuchen?"),
    ("ko", "오늘 점심 메뉴 추천해 줘"),
    ("zh-Hans", "周末去哪里爬山比较好？"),
    ("zh-Hant", "推薦一部好看的電影"),
]


@pytest.mark.parametrize("lang, question, article_id", IN_DOMAIN)
def test_in_domain_questions_are_answered_above_the_threshold(retriever: Retriever, lang, question, article_id):
    answer = retriever.ask(question)
    assert (answer.answered, answer.article_id, answer.lang) == (True, article_id, lang)
    assert answer.confidence >= retriever.calibration.threshold
    assert answer.title == retriever.articles[article_id].translations[lang].title
    assert answer.body == retriever.articles[article_id].translations[lang].body


@pytest.mark.parametrize("lang, question", OUT_OF_DOMAIN)
def test_out_of_domain_questions_fall_below_the_threshold(retriever: Retriever, lang, question):
    answer = retriever.ask(question)
    assert answer.answered is False and answer.article_id is None and answer.body is None
    assert answer.confidence < retriever.calibration.threshold
    assert answer.lang == lang
    assert 0 < len(answer.candidates) <= MAX_CANDIDATES


def test_candidates_are_ranked_and_titled_in_the_answer_language(retriever: Retriever):
    answer = retriever.ask("Comment puis-je voir le statut de mon ticket ?")
    confidences = [c.confidence for c in answer.candidates]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.0 <= c <= 1.0 for c in confidences)
    for candidate in answer.candidates:
        assert candidate.title == retriever.articles[candidate.article_id].translations["fr"].title


def test_threshold_decides_between_answer_and_escalation(retriever: Retriever):
    question = "Comment désactiver l'authentification à deux facteurs ?"
    strict = dataclasses.replace(retriever.calibration, threshold=1.0)
    lenient = dataclasses.replace(retriever.calibration, threshold=0.0)
    original = retriever.calibration
    try:
        retriever.calibration = strict
        assert retriever.ask(question).answered is False
        retriever.calibration = lenient
        assert retriever.ask(question).article_id == "csp-2fa-disable"
    finally:
        retriever.calibration = original


def test_falls_back_to_other_languages_when_its_own_finds_nothing(tmp_path, retriever: Retriever):
    """A Korean question made of English product terms finds an article that has no Korean text."""
    only_english = {
        a.id: dataclasses.replace(a, translations={k: v for k, v in a.translations.items() if k != "ko"})
        if a.id == "csp-2fa-disable" else a
        for a in retriever.articles.values()
    }
    partial = Retriever.from_articles(list(only_english.values()), retriever.calibration)
    answer = partial.ask("CSP two-factor authentication turn off 방법")
    assert answer.lang == "ko"
    assert answer.article_id == "csp-2fa-disable"
    assert answer.title == retriever.articles["csp-2fa-disable"].translations["en"].title


def test_version_is_a_content_hash(retriever: Retriever):
    again = Retriever.from_articles(list(retriever.articles.values()), retriever.calibration)
    assert again.version == retriever.version and len(retriever.version) == 12


class CountingRetriever(Retriever):
    """Counts the languages an ask ranks: the optional work the budget bounds."""

    def rank(self, question, lang):
        self.ranked.append(lang)
        return super().rank(question, lang)


def test_an_ask_out_of_budget_tries_no_other_language(retriever: Retriever):
    counting = CountingRetriever(list(retriever.articles.values()), retriever.indexes, retriever.calibration)
    question = "Wie backe ich einen Apfelkuchen mit Coupa?"  # unanswered, with Latin letters: every language could match
    counting.ranked = []
    unbounded = counting.ask(question)
    assert len(counting.ranked) == 6
    counting.ranked = []
    bounded = counting.ask(question, budget=0.0)
    assert counting.ranked == ["de"]
    assert (bounded.answered, bounded.lang) == (False, unbounded.lang)
