"""Analyzers, as tables of (language, text, terms that must come out)."""
import pytest

from indexer.analyzers import analyzer_for, lexicon_of, split_compound

CASES = [
    # English: stemming and stop words
    ("en", "How do I switch off two-factor authentication?", {"switch", "off", "2", "factor", "authent"}),
    ("en", "Where are the connection requests?", {"connect", "request"}),
    # French: elisions, accents folded after stemming
    ("fr", "Comment désactiver l'authentification à deux facteurs ?", {"desactiv", "authentif", "2", "facteur"}),
    ("fr", "Qu'est-ce que l'intégration d'un fournisseur ?", {"integr", "fournisseur"}),
    # German: compounds meet their parts, accents folded
    ("de", "Wie sende ich eine Verbindungsanfrage?", {"verbindungsanfrag", "verbind", "anfrag", "send"}),
    ("de", "Zwei-Faktor-Authentifizierung ausschalten", {"2", "faktor", "authentifizier", "ausschalt"}),
    # Korean: particles and endings never block a match
    ("ko", "고객 연결 요청을 보내려면 어떻게 하나요?", {"고객", "연결", "요청", "보내"}),
    ("ko", "연결 요청은 어디에서 하나요", {"연결", "요청"}),
    # Chinese: bigrams over text folded to Simplified
    ("zh-Hans", "如何提交工单", {"提交", "工单"}),
    ("zh-Hant", "如何提交工單？", {"提交", "工单"}),
]


@pytest.mark.parametrize("lang, text, expected", CASES)
def test_analyzer_produces_expected_terms(lang, text, expected):
    lexicon = lexicon_of(["Verbindung Anfrage senden"]) if lang == "de" else ()
    terms = set(analyzer_for(lang, lexicon)(text))
    assert expected <= terms, f"missing {expected - terms} in {terms}"


@pytest.mark.parametrize("lang", ["en", "fr", "de", "ko", "zh-Hans", "zh-Hant"])
@pytest.mark.parametrize("term", ["csp", "coupa", "po", "asn", "recaptcha", "procuree", "cs0000000"])
def test_product_terms_survive_every_analyzer(lang, term):
    sentence = {
        "en": "Where is my {} please",
        "fr": "Où est mon {} s'il vous plaît",
        "de": "Wo ist mein {} bitte",
        "ko": "{} 어디에 있나요",
        "zh-Hans": "我的{}在哪里",
        "zh-Hant": "我的{}在哪裡",
    }[lang]
    original = {"csp": "CSP", "coupa": "Coupa", "po": "PO", "asn": "ASN", "recaptcha": "reCAPTCHA",
                "procuree": "Procuree", "cs0000000": "CS0012345"}[term]  # every ticket number: one class term
    assert term in analyzer_for(lang)(sentence.format(original))


@pytest.mark.parametrize("lang", ["en", "fr", "de", "ko", "zh-Hans", "zh-Hant"])
def test_order_and_ticket_numbers_do_not_count_as_words(lang):
    terms = analyzer_for(lang)("PO 4500123987 CS0048213")
    assert "4500123987" not in terms and terms.count("cs0000000") == 1


def test_chinese_scripts_meet_each_other():
    simplified = set(analyzer_for("zh-Hans")("如何提交工单"))
    traditional = set(analyzer_for("zh-Hant")("提交工單"))
    assert traditional <= simplified


def test_stop_words_go_but_on_and_off_stay():
    terms = analyzer_for("en")("How do I turn it on or off?")
    assert terms == ["turn", "on", "off"]


def test_german_separable_verbs_meet_their_infinitive():
    lexicon = lexicon_of(["Schalten Sie die Zwei-Faktor-Authentifizierung aus: ausschalten, einladen"])
    terms = analyzer_for("de", lexicon)("Wie schalte ich 2FA aus?")
    assert "ausschalt" in terms and "schalt" not in terms  # the verb is ausschalten, not schalten
    assert "einlad" in analyzer_for("de", lexicon)("Wie lade ich einen Kollegen ein?")


def test_korean_negative_prefix_stays_on_its_noun():
    terms = analyzer_for("ko")("2단계 인증 비활성화")
    assert "비활성" in terms


def test_compound_split_needs_known_parts():
    lexicon = frozenset({"verbindung", "anfrage", "daten"})
    assert split_compound("verbindungsanfrage", lexicon) == ["verbindung", "anfrage"]
    assert split_compound("firmenadresse", lexicon) == []


class CountingLexicon(frozenset):
    """A lexicon that counts how often it is consulted: the work a split does."""

    lookups = 0

    def __contains__(self, word):
        type(self).lookups += 1
        return super().__contains__(word)


@pytest.mark.parametrize("length", [24, 48, 64])
def test_compound_split_work_is_bounded_on_long_words(length):
    # Every 4- and 5-letter run is "known", so every cut point is a candidate: the
    # plain recursion tried them all (exponential; 50 letters held a worker for seconds).
    lexicon = CountingLexicon({"xxxx", "xxxxx"})
    CountingLexicon.lookups = 0
    split_compound("x" * length + "y", lexicon)
    assert CountingLexicon.lookups <= 8 * length * length


def test_words_longer_than_any_compound_are_not_split():
    lexicon = CountingLexicon({"xxxx"})
    CountingLexicon.lookups = 0
    assert split_compound("x" * 1000, lexicon) == []
    assert CountingLexicon.lookups == 0


@pytest.mark.parametrize("lang", ["en", "fr", "de", "ko", "zh-Hans", "zh-Hant"])
def test_analysing_many_texts_at_once_equals_one_by_one(retriever, lang):
    """The batch form (Kiwi's threads for Korean, each distinct text once) changes no token."""
    texts = [t for a in retriever.articles.values() if lang in a.translations
             for t in (a.translations[lang].title, a.translations[lang].body)]
    texts += texts[:5]  # repeats are analysed once and handed out as separate lists
    analyze = analyzer_for(lang, lexicon_of(texts) if lang == "de" else ())
    many = analyze.many(texts)
    assert many == [analyze(text) for text in texts]
    assert many[0] is not many[len(texts) - 5]
