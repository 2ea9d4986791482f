"""Text analysis: turn a question or an article into index terms.

An analyzer is a tokenizer followed by small steps, each a function from a
token list to a token list (the Whoosh model).  Each language composes the
steps it needs in one small function, and ``ANALYZERS`` maps language codes
to those functions.  Every analyzer keeps product terms (``PRODUCT_TERMS``)
and ticket numbers whole, in every language.

The same analyzers serve the index and the queries, so whatever a step does
to an article it also does to a question.
"""
from __future__ import annotations

import bisect
import functools
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .languages import LANGUAGES, PRODUCT_TERMS

Tokens = list[str]
Step = Callable[[Tokens], Tokens]

TICKET_NUMBER = re.compile(r"^cs\d{7}$")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_OR_LATIN = re.compile(f"[{_HAN_CLASS}]+|[^\\W_{_HAN_CLASS}]+")
_HAN = re.compile(f"[{_HAN_CLASS}]")
_HANGUL = re.compile("[\uac00-\ud7a3]")
_FR_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’]")
_APOSTROPHE_TAIL = re.compile(r"['’](?:s|t|re|ve|ll|d|m)$")


def is_protected(token: str) -> bool:
    """Product terms and ticket numbers pass every step unchanged."""
    return token in PRODUCT_TERMS or bool(TICKET_NUMBER.match(token))


@dataclass(frozen=True)
class Analyzer:
    """A tokenizer and the steps that follow it; call it with text."""

    tokenize: Callable[[str], Tokens]
    steps: tuple[Step, ...] = ()
    tokenize_many: Callable[[list[str]], Iterable[Tokens]] | None = None  # a batch form, when it is faster

    def __call__(self, text: str) -> Tokens:
        return self._steps(self.tokenize(text))

    def many(self, texts: Iterable[str]) -> list[Tokens]:
        """Analyse many texts, each distinct one once (titles and boilerplate repeat), in one batch
        where the tokenizer has a batch form (Kiwi analyses a batch on several threads)."""
        texts = list(texts)
        distinct = list(dict.fromkeys(texts))
        tokenized = self.tokenize_many(distinct) if self.tokenize_many else map(self.tokenize, distinct)
        analysed = {text: self._steps(tokens) for text, tokens in zip(distinct, tokenized)}
        return [list(analysed[text]) for text in texts]

    def _steps(self, tokens: Tokens) -> Tokens:
        for step in self.steps:
            tokens = step(tokens)
        return tokens


# --- tokenizers -------------------------------------------------------------


def word_tokens(text: str) -> Tokens:
    """Lowercased words of a Latin-script text; apostrophes stay inside."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def han_runs(text: str) -> Tokens:
    """Runs of Han characters and runs of letters/digits, lowercased."""
    return _HAN_OR_LATIN.findall(fold_chinese(unicodedata.normalize("NFKC", text)).lower())


def korean_morphemes(text: str) -> Tokens:
    """Content morphemes of a Korean text, from Kiwi's part-of-speech tags.

    Particles (J*), endings (E*), suffixes (X*) and punctuation never reach
    the index, so 요청을 / 요청은 / 요청에서 all become 요청.
    """
    return _content_morphemes(kiwi().tokenize(unicodedata.normalize("NFKC", text)))


def korean_morphemes_many(texts: list[str]) -> Iterable[Tokens]:
    """``korean_morphemes`` of many texts through Kiwi's batch form, which spreads them over its threads."""
    analysed = kiwi().tokenize([unicodedata.normalize("NFKC", text) for text in texts])
    return (_content_morphemes(tokens) for tokens in analysed)


def _content_morphemes(kiwi_tokens) -> Tokens:
    """The index terms among Kiwi's tagged tokens of one text."""
    tokens: Tokens = []
    end, prefix = -1, ""
    for tok in kiwi_tokens:
        if tok.tag in ("SL", "SN") and tok.start == end and tokens:
            tokens[-1] += tok.form.lower()  # Kiwi cuts CS0012345 and 2FA at the digits
        elif tok.tag.startswith(_KO_CONTENT_TAGS) and tok.form not in _KO_STOP:
            tokens.append(prefix + tok.form.lower() if tok.tag.startswith("N") else tok.form.lower())
        end = tok.start + tok.len if tok.tag in ("SL", "SN") else -1
        prefix = tok.form if tok.tag == "XPN" else ""  # 비+활성: "disable" must not read as "enable"
    return tokens


_KO_CONTENT_TAGS = ("NNG", "NNP", "VV", "VA", "XR", "SL", "SN", "SH", "W_")
_KO_STOP = frozenset("하 되 있 어떻 이렇 그렇 같 싶 주 보 알 수 것 좀".split())
# Words Kiwi does not know and would otherwise split into syllables.
_KO_USER_WORDS = ("쿠파", "프로큐리", "인보이스", "티켓", "리캡차", "타울리아")


# --- steps ------------------------------------------------------------------


TICKET_CLASS = "cs0000000"
_LONG_NUMBER = re.compile(r"^\d{4,}$")


def identifiers(tokens: Tokens) -> Tokens:
    """Ticket numbers become one class term; other long numbers (PO, invoice) are dropped.

    "Status of CS0019934?" then meets the article that explains ticket
    numbers with CS0012345, and a PO number, which no article can know,
    does not count as an unknown word against the question.
    """
    return [TICKET_CLASS if TICKET_NUMBER.match(t) else t for t in tokens if not _LONG_NUMBER.match(t)]


def stop_filter(stopwords: frozenset[str]) -> Step:
    """Drop grammar words; keep product terms even if a list names them."""
    return lambda tokens: [t for t in tokens if t not in stopwords or is_protected(t)]


def number_words(words: tuple[str, ...]) -> Step:
    """Spell numbers as digits: "five latest tickets" meets "5 most recent"."""
    digits = {word: str(i) for i, word in enumerate(words, start=1)}
    return lambda tokens: [digits.get(t, t) for t in tokens]


def hangul_bigrams(tokens: Tokens) -> Tokens:
    """Add syllable bigrams of longer Korean words: 고객사 also yields 고객."""
    out: Tokens = []
    for token in tokens:
        out.append(token)
        if len(token) > 2 and _HANGUL.match(token):
            out.extend(token[i : i + 2] for i in range(len(token) - 1))
    return out


def strip_elisions(tokens: Tokens) -> Tokens:
    """French elisions: l'authentification -> authentification."""
    return [_FR_ELISION.sub("", t) for t in tokens]


def strip_apostrophe_tails(tokens: Tokens) -> Tokens:
    """English clitics: coupa's -> coupa, what's -> what, don't -> don."""
    return [_APOSTROPHE_TAIL.sub("", t) for t in tokens]


def snowball(algorithm: str) -> Step:
    """Snowball stemming that leaves product terms alone (coupa must not become coup)."""
    stem = stemmer(algorithm).stemWord
    return lambda tokens: [t if is_protected(t) else stem(t) for t in tokens]


def fold_accents(tokens: Tokens) -> Tokens:
    """Fold accents after stemming so 'desactiver' meets 'désactiver'."""
    return [fold_latin(t) for t in tokens]


def decompound(lexicon: frozenset[str]) -> Step:
    """Add the parts of German compounds whose parts the corpus knows.

    Verbindungsanfrage also yields verbindung and anfrage, so a question
    about an "Anfrage" meets an article about "Verbindungsanfragen".
    """

    def step(tokens: Tokens) -> Tokens:
        out: Tokens = []
        for token in tokens:
            out.append(token)
            if not is_protected(token):
                out.extend(split_compound(token, lexicon))
        return out

    return step


_SEPARABLE_PARTICLES = frozenset("ab an auf aus bei ein fest her hin los mit nach um vor weg zu zurück".split())


def rejoin_separable_verbs(lexicon: frozenset[str]) -> Step:
    """German verbs whose particle went to the end: "Wie reiche ich ein Ticket ein?" reads "einreichen".

    In a question ending in a separable particle, a word that particle +
    word begins a corpus word of is replaced by that word: the verb is
    *einreichen*, not *reichen*.
    """
    words = tuple(sorted(lexicon))

    def known_word_starting(prefix: str) -> str | None:
        i = bisect.bisect_left(words, prefix)
        return words[i] if i < len(words) and words[i].startswith(prefix) else None

    def step(tokens: Tokens) -> Tokens:
        if len(tokens) < 2 or tokens[-1] not in _SEPARABLE_PARTICLES:
            return tokens
        particle = tokens[-1]
        return [_joined(token, particle) or token for token in tokens[:-1]] + [particle]

    def _joined(token: str, particle: str) -> str | None:
        stems = (token, token[:-1], token[:-2]) if len(token) > 4 else (token,)
        return next(filter(None, (known_word_starting(particle + s) for s in stems)), None)

    return step


def bigrams(tokens: Tokens) -> Tokens:
    """Character bigrams of Han runs; Latin words and single characters pass."""
    out: Tokens = []
    for run in tokens:
        if len(run) > 1 and _HAN.match(run):
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            out.append(run)
    return out


def remove_phrases(phrases: frozenset[str]) -> Step:
    """Cut Chinese function words out of Han runs, splitting the run there."""
    pattern = re.compile("|".join(sorted(map(re.escape, phrases), key=len, reverse=True)))
    return lambda tokens: [piece for t in tokens for piece in pattern.split(t) if piece]


# --- helpers ----------------------------------------------------------------

_LINKS = ("", "s", "es", "n", "en", "e")
_MIN_PART = 4
MAX_COMPOUND = 64  # letters; longer "words" (pasted hashes, keyboard mashing) are not split


def split_compound(word: str, lexicon: frozenset[str]) -> Tokens:
    """Split ``word`` into a known head and a known (possibly compound) tail.

    The longest head wins, as a reader would split it.  Each suffix is
    solved once (dynamic programming over cut positions), so the work is
    at most quadratic in a word of at most ``MAX_COMPOUND`` letters; the
    plain recursion it replaces was exponential, and a 50-letter word held
    a worker for seconds.
    """
    if len(word) > MAX_COMPOUND:
        return []
    solved: dict[int, Tokens] = {}

    def split_from(start: int) -> Tokens:
        if start not in solved:
            solved[start] = _best_split(word, start, lexicon, split_from)
        return solved[start]

    return split_from(0)


def _best_split(word: str, start: int, lexicon: frozenset[str], split_from: Callable[[int], Tokens]) -> Tokens:
    for cut in range(len(word) - _MIN_PART, start + _MIN_PART - 1, -1):
        tail = word[cut:]
        tail_parts = [tail] if tail in lexicon else split_from(cut)
        if not tail_parts:
            continue
        head = word[start:cut]
        for link in _LINKS:
            if head.endswith(link) and head[: len(head) - len(link)] in lexicon:
                return [head[: len(head) - len(link)], *tail_parts]
    return []


def fold_latin(text: str) -> str:
    """Strip diacritics and expand ligatures: é->e, ß->ss, œ->oe."""
    text = text.replace("ß", "ss").replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold_chinese(text: str) -> str:
    """Fold Traditional (Taiwan) wording to Simplified (mainland) for matching."""
    return opencc_converter("tw2sp").convert(text)


@functools.cache
def stemmer(algorithm: str):
    import Stemmer

    return Stemmer.Stemmer(algorithm)


@functools.cache
def opencc_converter(config: str):
    import opencc

    return opencc.OpenCC(config)


@functools.cache
def kiwi():
    """One Kiwi per process: its model takes about a second to load (on first use)."""
    from kiwipiepy import Kiwi

    # Without the typo and multi-word dictionaries the model loads in ~0.9 s instead of
    # ~2.5 s; measured on our Korean questions, the matches are the same.
    # Its threads (one per core) serve the batch form, ``tokenize`` of a list.
    model = Kiwi(num_workers=-1, load_typo_dict=False, load_multi_dict=False)
    for word in _KO_USER_WORDS:
        model.add_user_word(word, "NNP")
    model.tokenize("준비")  # the language model loads lazily, on the first call
    return model


def warm_up() -> threading.Thread:
    """Load the Korean model in the background, so other work can overlap its load time."""
    thread = threading.Thread(target=kiwi, name="kiwi-warm-up", daemon=True)
    thread.start()
    return thread


# --- the languages ----------------------------------------------------------


def english(lexicon: frozenset[str] = frozenset()) -> Analyzer:
    return Analyzer(
        word_tokens,
        (
            identifiers,
            strip_apostrophe_tails,
            stop_filter(LANGUAGES["en"].stopwords),
            number_words(LANGUAGES["en"].numbers),
            snowball("english"),
        ),
    )


def french(lexicon: frozenset[str] = frozenset()) -> Analyzer:
    return Analyzer(
        word_tokens,
        (
            identifiers,
            strip_elisions,
            stop_filter(LANGUAGES["fr"].stopwords),
            number_words(LANGUAGES["fr"].numbers),
            snowball("french"),
            fold_accents,
        ),
    )


def german(lexicon: frozenset[str] = frozenset()) -> Analyzer:
    return Analyzer(
        word_tokens,
        (
            identifiers,
            rejoin_separable_verbs(lexicon),
            stop_filter(LANGUAGES["de"].stopwords),
            number_words(LANGUAGES["de"].numbers),
            decompound(lexicon),
            snowball("german"),
            fold_accents,
        ),
    )


def korean(lexicon: frozenset[str] = frozenset()) -> Analyzer:
    return Analyzer(korean_morphemes, (identifiers, hangul_bigrams), korean_morphemes_many)


def chinese(lexicon: frozenset[str] = frozenset()) -> Analyzer:
    stop = LANGUAGES["zh-Hans"].stopwords
    return Analyzer(han_runs, (identifiers, remove_phrases(stop), bigrams))


ANALYZERS: dict[str, Callable[[frozenset[str]], Analyzer]] = {
    "en": english,
    "fr": french,
    "de": german,
    "ko": korean,
    "zh-Hans": chinese,
    "zh-Hant": chinese,
}


def analyzer_for(code: str, lexicon: Iterable[str] = ()) -> Analyzer:
    """The analyzer of a language; ``lexicon`` feeds German decompounding."""
    try:
        build = ANALYZERS[code]
    except KeyError:
        raise ValueError(f"unknown language {code!r}; choose from {', '.join(ANALYZERS)}") from None
    return build(frozenset(lexicon))


def lexicon_of(texts: Iterable[str]) -> frozenset[str]:
    """Surface words long enough to be compound parts, for ``decompound``."""
    return frozenset(w for text in texts for w in word_tokens(text) if len(w) >= _MIN_PART)


def fold_for_matching(text: str) -> str:
    """Loose form of a text for character n-grams: lowercase, no accents, Simplified."""
    return fold_latin(fold_chinese(unicodedata.normalize("NFKC", text).lower()))
