"""The six languages the assistant speaks, as one table.

Everything language-specific that is data rather than code lives here:
names, scripts, Snowball stemmer names and stop lists.  Code looks a
language up in ``LANGUAGES``; it never branches on a language code.
"""
from __future__ import annotations

from dataclasses import dataclass

CODES = ("en", "fr", "de", "ko", "zh-Hans", "zh-Hant")


@dataclass(frozen=True)
class Language:
    code: str
    native_name: str  # how the language names itself, for menus
    english_name: str
    script: str  # "latin", "hangul" or "han"
    stemmer: str | None = None  # PyStemmer / Snowball algorithm name
    stopwords: frozenset[str] = frozenset()
    numbers: tuple[str, ...] = ()  # number words for 1, 2, 3 ... so "five" meets "5"


# Stop lists are short and curated on purpose: generic lists (NLTK,
# scikit-learn) drop words that decide an answer here, such as "off" / "on"
# (turn 2FA off vs. on), "not", "after", "first".  What stays is the
# grammar that carries no topic: articles, pronouns, auxiliaries and
# question words.
_EN_STOP = frozenset(
    """a an the and or but if so of to in into at by for from with about as is are
    was were be been being am do does did done doing have has had having can could
    shall should will would may might must i me my mine we us our you your yours he
    him his she her it its they them their this that these those there here what
    which who whom whose when where why how please hi hello thanks thank any some
    just also get got im i'm ive i've dont don't cant can't""".split()
)
_FR_STOP = frozenset(
    """le la les l un une des du de d au aux et ou mais si en dans sur sous par pour
    avec sans a à est sont suis es être été ai as avons avez ont fait faire ce cet
    cette ces c ça ca cela ceci je j tu il elle on nous vous ils elles me m te t se s
    mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs moi toi lui y qui
    que qu quoi quel quelle quels quelles comment pourquoi où ou quand combien est-ce
    ne n pas plus peut peux pouvez puis-je dois doit faut il-y bonjour merci svp""".split()
)
_DE_STOP = frozenset(
    """der die das den dem des ein eine einen einem einer eines und oder aber wenn
    als auch in im ins an am auf aus bei mit nach von vom zu zum zur für über unter
    ist sind bin bist war waren sein seid wird werden wurde wurden hat habe haben
    hab hast hatte kann können könnte muss müssen soll sollte darf ich mich mir
    mein meine meinen meinem meiner du dich dir dein deine er sie es wir uns unser
    unsere ihr ihre ihren ihrem ihnen man was wer wie wo wann warum wieso welche
    welcher welches welchen woran worauf womit wohin dass da dort hier so noch
    schon nur bitte hallo danke gibt es""".split()
)
# Chinese function and question words, in Simplified form: text is folded
# to Simplified before this list applies.  They are cut out of the text,
# splitting it there, so single characters are only the pure particles:
# 请, 会, 能, 要 and the like also live inside words (申请, 会议, 功能, 需要).
_ZH_STOP = frozenset(
    """的 吗 呢 吧 啊 呀 嘛 我 你 您 他 她 它 我们 你们 他们 这个 那个 这些 那些 什么 怎么 怎样
    怎么样 如何 为什么 哪里 哪儿 哪个 请问 可以 能否 可否 是否 一下 一个 还是 或者 已经 应该
    了 是 在 和 也 都 就""".split()
)

_EN_NUMBERS = tuple("one two three four five six seven eight nine ten".split())
_FR_NUMBERS = tuple("un deux trois quatre cinq six sept huit neuf dix".split())
# "ein"/"eins" stays out: it is mostly the article.
_DE_NUMBERS = tuple("_ zwei drei vier fünf sechs sieben acht neun zehn".split())

LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("en", "English", "English", "latin", "english", _EN_STOP, _EN_NUMBERS),
        Language("fr", "Français", "French", "latin", "french", _FR_STOP, _FR_NUMBERS),
        Language("de", "Deutsch", "German", "latin", "german", _DE_STOP, _DE_NUMBERS),
        Language("ko", "한국어", "Korean", "hangul"),
        Language("zh-Hans", "简体中文", "Simplified Chinese", "han", None, _ZH_STOP),
        Language("zh-Hant", "繁體中文", "Traditional Chinese", "han", None, _ZH_STOP),
    )
}

# Tags other tools or browsers send for our languages.
ALIASES = {
    "en-us": "en",
    "en-gb": "en",
    "fr-fr": "fr",
    "fr-ca": "fr",
    "de-de": "de",
    "de-at": "de",
    "de-ch": "de",
    "ko-kr": "ko",
    "zh": "zh-Hans",
    "zh-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "zh-hans": "zh-Hans",
    "zh-tw": "zh-Hant",
    "zh-hk": "zh-Hant",
    "zh-mo": "zh-Hant",
    "zh-hant": "zh-Hant",
}

# Product terms that every analyzer keeps whole: never stemmed, never
# dropped as stop words, never split.  Ticket numbers (CS + 7 digits) are
# matched by pattern in the analyzers.
PRODUCT_TERMS = frozenset(
    "csp coupa po pos asn recaptcha procuree stp taulia erp sap oracle 2fa sso".split()
)


def resolve(code: str | None) -> str | None:
    """Return our code for a language tag (``fr-CA`` -> ``fr``), or None."""
    if not code or not isinstance(code, str):
        return None
    if code in LANGUAGES:
        return code
    return ALIASES.get(code.strip().lower().replace("_", "-"))
