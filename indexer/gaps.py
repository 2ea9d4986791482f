"""What suppliers asked that nothing answered, grouped so editors see what to write next,
and the answers that may have been wrong.

Questions that were escalated or marked unhelpful are clustered per
language: the language's analyzer first drops the question frame ("how do
I", 어떻게 하나요, 怎么办), then character n-gram TF-IDF of what remains
(robust to typos and inflection), cosine distance, and average-linkage
agglomerative clustering cut at a distance rather than at a preset number
of clusters.  Each cluster reports its size, how many distinct suppliers
it affects, three examples, and the closest existing article with the
assistant's confidence in it.

An answer is doubtful (``read_doubtful``) when it won by a small margin
over the runner-up, was marked unhelpful, or was followed by a ticket: the
question may have deserved another article, or a new one.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .analyzers import analyzer_for, fold_for_matching
from . import spreadsheet
from .retrieval import Retriever

DISTANCE_THRESHOLD = 0.8  # cosine distance at which two groups stop merging
DOUBT_MARGIN = 0.25  # an answer whose confidence beat the runner-up's by less than this is doubtful
EXAMPLES = 3
WORDINGS = 20  # distinct wordings a cluster keeps for "write an article for this"
MIN_CLOSEST = 0.01  # below this confidence no article is "closest": the question matched nothing


@dataclass(frozen=True)
class AskedQuestion:
    """One question that went unanswered (``escalated``) or did not help (``unhelpful``)."""

    text: str
    lang: str
    reason: str
    asked_at: dt.datetime | None = None
    supplier: str | None = None  # an opaque per-supplier key, never an email


@dataclass
class Cluster:
    lang: str
    questions: list[AskedQuestion]
    closest_article: str | None = None
    closest_title: str | None = None
    confidence: float = 0.0
    examples: list[str] = field(default_factory=list)
    wordings: list[str] = field(default_factory=list)  # up to WORDINGS distinct ones: an article's questions

    @property
    def size(self) -> int:
        return len(self.questions)

    @property
    def suppliers(self) -> int:
        """Distinct suppliers affected; a question without a known supplier counts as one."""
        known = {q.supplier for q in self.questions if q.supplier}
        return len(known) + sum(1 for q in self.questions if not q.supplier)


def find_gaps(questions: Sequence[AskedQuestion], retriever: Retriever | None = None) -> list[Cluster]:
    """Cluster the questions per language, most suppliers affected first."""
    clusters: list[Cluster] = []
    for lang in sorted({q.lang for q in questions}):
        group = [q for q in questions if q.lang == lang]
        for members, representative in _cluster(group):
            wordings = _wordings(members, representative)
            cluster = Cluster(lang, members, examples=wordings[:EXAMPLES], wordings=wordings)
            if retriever is not None:
                _attach_closest(cluster, representative, retriever)
            clusters.append(cluster)
    return sorted(clusters, key=lambda c: (-c.suppliers, -c.size, c.lang, c.examples[0]))


def _cluster(group: list[AskedQuestion]) -> list[tuple[list[AskedQuestion], str]]:
    """Groups of similar questions, each with its most central question."""
    if len(group) == 1:
        return [(group, group[0].text)]
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyze = analyzer_for(group[0].lang)
    texts = [" ".join(analyze(q.text)) or _normalise(q.text) for q in group]
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True).fit_transform(texts)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=DISTANCE_THRESHOLD
    ).fit_predict(vectors.toarray())
    result = []
    for label in sorted(set(labels)):
        index = np.flatnonzero(labels == label)
        similarity = (vectors[index] @ vectors[index].T).toarray().mean(axis=1)
        result.append(([group[i] for i in index], group[index[int(np.argmax(similarity))]].text))
    return result


def _wordings(members: list[AskedQuestion], representative: str) -> list[str]:
    """The central question first, then other distinct wordings (an editor's alternative questions to start from)."""
    seen, wordings = set(), []
    for text in [representative, *(q.text for q in members)]:
        key = _normalise(text)
        if key not in seen:
            seen.add(key)
            wordings.append(text)
    return wordings[:WORDINGS]


def _attach_closest(cluster: Cluster, representative: str, retriever: Retriever) -> None:
    """The article the assistant came nearest to; none when nothing matched at all."""
    answer = retriever.ask(representative, cluster.lang)
    if answer.candidates and answer.candidates[0].confidence >= MIN_CLOSEST:
        best = answer.candidates[0]
        cluster.closest_article, cluster.closest_title, cluster.confidence = best.article_id, best.title, best.confidence


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", fold_for_matching(text)).strip()


def read_unanswered(engine, since: dt.datetime, lang: str | None = None) -> list[AskedQuestion]:
    """Questions escalated, or answered but marked unhelpful, since ``since``, from the server's database.

    The server (``assistant``) owns the ``questions`` and ``feedback`` tables;
    this reads them with plain SQL so editors' commands need no web stack.
    """
    from sqlalchemy import DateTime, bindparam, text

    sql = (
        "SELECT question, lang, answered, asked_at, supplier_key FROM questions "
        "WHERE asked_at >= :since AND (answered = 0 OR id IN (SELECT question_id FROM feedback WHERE helpful = 0))"
        + (" AND lang = :lang" if lang else "")
        + " ORDER BY asked_at"
    )
    query = text(sql).bindparams(bindparam("since", type_=DateTime)).columns(asked_at=DateTime)
    params = {"since": since.astimezone(dt.timezone.utc).replace(tzinfo=None)} | ({"lang": lang} if lang else {})
    with engine.connect() as conn:
        rows = conn.execute(query, params).all()
    return [
        AskedQuestion(r.question, r.lang, "unhelpful" if r.answered else "escalated",
                      r.asked_at.replace(tzinfo=dt.timezone.utc), r.supplier_key)
        for r in rows
    ]


@dataclass(frozen=True)
class DoubtfulAnswer:
    """An answered question that may have been answered wrongly, and why."""

    text: str
    lang: str
    article_id: str
    confidence: float
    runner_up: str | None
    runner_up_confidence: float
    reasons: tuple[str, ...]  # "low_margin", "unhelpful", "ticket"
    asked_at: dt.datetime


def read_doubtful(engine, since: dt.datetime, lang: str | None = None,
                  margin: float = DOUBT_MARGIN) -> list[DoubtfulAnswer]:
    """Answers since ``since`` that won narrowly, were marked unhelpful or were followed by a ticket."""
    import json

    from sqlalchemy import DateTime, bindparam, text

    sql = (
        "SELECT question, lang, article_id, confidence, candidates, ticket_number, asked_at, "
        "EXISTS (SELECT 1 FROM feedback f WHERE f.question_id = questions.id AND f.helpful = 0) AS unhelpful "
        "FROM questions WHERE asked_at >= :since AND answered = 1" + (" AND lang = :lang" if lang else "")
        + " ORDER BY asked_at"
    )
    query = text(sql).bindparams(bindparam("since", type_=DateTime)).columns(asked_at=DateTime)
    params = {"since": since.astimezone(dt.timezone.utc).replace(tzinfo=None)} | ({"lang": lang} if lang else {})
    with engine.connect() as conn:
        rows = conn.execute(query, params).all()
    found = []
    for r in rows:
        candidates = r.candidates if isinstance(r.candidates, list) else json.loads(r.candidates or "[]")
        runner_up = next(((a, float(c)) for a, c in candidates if a != r.article_id), (None, 0.0))
        reasons = tuple(reason for reason, applies in (
            ("low_margin", r.confidence - runner_up[1] < margin), ("unhelpful", bool(r.unhelpful)),
            ("ticket", bool(r.ticket_number))) if applies)
        if reasons:
            found.append(DoubtfulAnswer(r.question, r.lang, r.article_id, float(r.confidence), runner_up[0],
                                        runner_up[1], reasons, r.asked_at.replace(tzinfo=dt.timezone.utc)))
    return found


def parse_since(value: str, now: dt.datetime | None = None) -> dt.datetime:
    """'30d', '12h' or '2w' before now, or an ISO date."""
    now = now or dt.datetime.now(dt.timezone.utc)
    match = re.fullmatch(r"(\d{1,6})([hdw])", value.strip())
    try:
        if match:
            amount, unit = int(match.group(1)), match.group(2)
            return now - dt.timedelta(**{{"h": "hours", "d": "days", "w": "weeks"}[unit]: amount})
        parsed = _date_or_month_end(value.strip())
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
        return max(parsed.astimezone(dt.timezone.utc), dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))
    except (ValueError, OverflowError):
        raise ValueError(f"since must look like 30d, 12h, 2w or 2026-11-01, not {value!r}") from None


def _date_or_month_end(value: str) -> dt.datetime:
    """An ISO date or time; a day past the month's end (2026-02-31) means the month's last day."""
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise
        year, month = int(match.group(1)), int(match.group(2))
        last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        return dt.datetime(year, month, min(int(match.group(3)), last))


def write_csv(clusters: Sequence[Cluster], path) -> None:
    """One row per cluster, for a spreadsheet."""
    header = ["rank", "lang", "suppliers", "questions", "closest_article", "confidence",
              *(f"example_{i}" for i in range(1, EXAMPLES + 1))]
    spreadsheet.write_csv(path, header, (
        [rank, c.lang, c.suppliers, c.size, c.closest_article or "", f"{c.confidence:.4f}",
         *c.examples, *[""] * (EXAMPLES - len(c.examples))]
        for rank, c in enumerate(clusters, start=1)
    ))
