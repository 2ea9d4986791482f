"""A reply's new text: assistant.tickets.mail.replies.new_text against mail-parser-reply.

    python benchmarks/reply_text.py [--repeat N] [--show-misses]

Both read the same samples, tests/data/mail/replies.yaml (realistic replies
from Gmail, Outlook, Apple Mail, Naver, QQ/Foxmail and phones in the six
languages, each with the text it should give).  Printed per language: how
many each gives exactly, and the median microseconds one message takes.

mail-parser-reply (``mailparser_reply.EmailReplyParser``) is given the
ticket's language as it names it (zh-Hans and zh-Hant are both its "zh", the
only Chinese it has; it always adds "en"), and its answer is the first
reply's ``body`` (the text without its headers, signatures and disclaimers;
``latest_reply`` would keep the signature).  A second column gives it all
five of its languages that we use at once, in case the mail's language is
not the ticket's.  It measures and reports; it asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from mailparser_reply import EmailReplyParser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without `pip install -e .`

from assistant.tickets.mail.replies import new_text  # noqa: E402

SAMPLES = ROOT / "tests" / "data" / "mail" / "replies.yaml"
THEIR_LANGUAGE = {"en": "en", "fr": "fr", "de": "de", "ko": "ko", "zh-Hans": "zh", "zh-Hant": "zh"}
ALL_OF_THEIRS = sorted(set(THEIR_LANGUAGE.values()))


def theirs(languages: list[str]) -> Callable[[str], str]:
    """mail-parser-reply's new text, as a function of the message like ours."""
    def parse(text: str) -> str:
        return EmailReplyParser(languages=list(languages)).read(text).replies[0].body
    return parse


def median_us(parse: Callable[[str], str], messages: list[str], repeat: int) -> float:
    """The median over every single call, so one slow call (a collection, a cold cache) does not move it."""
    times = []
    for message in messages:
        for _ in range(repeat):
            start = time.perf_counter_ns()
            parse(message)
            times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1000


def main() -> None:
    """Print the table: per language, exact matches and median µs for each parser."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--repeat", type=int, default=200, help="calls per message when timing (default 200)")
    options.add_argument("--show-misses", action="store_true", help="print every sample a parser gets wrong")
    args = options.parse_args()
    samples = yaml.safe_load(SAMPLES.read_text(encoding="utf-8"))
    languages = list(dict.fromkeys(sample["lang"] for sample in samples))
    print(f"{'lang':8} {'n':>3} | {'ours':>5} {'µs':>7} | {'mpr':>5} {'µs':>7} | {'mpr-all':>7} {'µs':>7}")
    totals = [0, 0, 0, 0]
    for lang in languages:
        rows = [s for s in samples if s["lang"] == lang]
        parsers = {"ours": new_text, "mpr": theirs([THEIR_LANGUAGE[lang]]), "mpr-all": theirs(ALL_OF_THEIRS)}
        cells = []
        for index, (label, parse) in enumerate(parsers.items()):
            hits = 0
            for sample in rows:
                got = parse(sample["message"])
                hits += got == sample["expected"]
                if got != sample["expected"] and args.show_misses:
                    print(f"  miss {label} {lang}/{sample['name']}: {got!r}", file=sys.stderr)
            totals[index + 1] += hits
            cells.append((hits, median_us(parse, [s["message"] for s in rows], args.repeat)))
        totals[0] += len(rows)
        (o, ou), (m, mu), (a, au) = cells
        print(f"{lang:8} {len(rows):>3} | {o:>5} {ou:>7.1f} | {m:>5} {mu:>7.1f} | {a:>7} {au:>7.1f}")
    n, o, m, a = totals
    print(f"{'all':8} {n:>3} | {o:>5} {'':>7} | {m:>5} {'':>7} | {a:>7}")


if __name__ == "__main__":
    main()
