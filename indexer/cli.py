"""Editors' and operators' commands: ``python -m indexer <command>``.

    validate [PATH]        check a knowledge folder, print every problem
    build                  build the index and save it to a folder
    eval --set FILE        answer a question set offline and print the metrics
    calibrate --set FILE   refit the answer confidence and threshold
    gaps                   what suppliers asked that nothing answered, grouped
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .languages import CODES

DEFAULT_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
KNOWLEDGE = click.option(
    "--knowledge",
    "knowledge",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ASSISTANT_KNOWLEDGE",
    default=DEFAULT_KNOWLEDGE,
    show_default=True,
    help="Knowledge folder of article YAML files.",
)


SEMANTIC = click.option(
    "--semantic/--words-only",
    default=True,
    show_default=True,
    help="Embed the articles with the sentence encoder (cached), or use words only (the fast path).",
)


def _languages(value: str | None) -> tuple[str, ...]:
    codes = tuple(value.split()) if value else CODES
    unknown = [c for c in codes if c not in CODES]
    if unknown:
        raise click.BadParameter(f"unknown language(s) {' '.join(unknown)}; choose from {' '.join(CODES)}")
    return codes


@click.group()
def main() -> None:
    """Build, check and measure the assistant's knowledge base."""


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path), envvar="ASSISTANT_KNOWLEDGE")
@click.option(
    "--languages",
    envvar="ASSISTANT_REQUIRED_LANGUAGES",
    help="Languages every article must have, space-separated (default: all six).",
)
def validate(path: Path | None, languages: str | None) -> None:
    """Check every article in PATH (default: the shipped knowledge/) and list each problem."""
    from .validate import check_folder

    report = check_folder(path or DEFAULT_KNOWLEDGE, _languages(languages))
    for problem in report.problems:
        click.echo(str(problem))
    click.echo(report.summary())
    sys.exit(0 if report.ok else 1)


@main.command()
@KNOWLEDGE
@SEMANTIC
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("index"), show_default=True)
def build(knowledge: Path, semantic: bool, out: Path) -> None:
    """Validate the knowledge folder and write its index to --out."""
    from . import store

    start = time.perf_counter()
    retriever = _retriever(knowledge, semantic)
    store.save(retriever, out)
    click.echo(
        f"built {len(retriever.articles)} articles, {len(retriever.indexes)} languages, "
        f"version {retriever.version} -> {out} in {time.perf_counter() - start:.2f} s"
    )


@main.command("eval")
@KNOWLEDGE
@SEMANTIC
@click.option("--set", "question_set", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--with-lang", is_flag=True, help="Send each item's language as the supplier's choice.")
@click.option("--show-misses", is_flag=True, help="List every question answered wrongly or not at all.")
def evaluate_command(knowledge: Path, semantic: bool, question_set: Path, with_lang: bool, show_misses: bool) -> None:
    """Answer a question set offline and print the metrics run_eval.py prints."""
    from .evaluation import evaluate, load_items

    metrics = evaluate(_retriever(knowledge, semantic), load_items(question_set), with_lang)
    click.echo(metrics.table())
    if show_misses:
        for miss in metrics.misses:
            click.echo("MISS | " + " | ".join(map(str, miss)))
    click.echo(metrics.line())


@main.command()
@KNOWLEDGE
@click.option("--set", "question_sets", required=True, multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Labelled questions; repeatable.")
@click.option("--write/--dry-run", default=False, help="Save the result to indexer/calibration.json.")
def calibrate(knowledge: Path, question_sets: tuple[Path, ...], write: bool) -> None:
    """Refit the confidence models, thresholds and fast path on labelled question sets.

    Prints a 5-fold cross-validated estimate first, per language (fitted
    without the questions it is scored on), then the fit on everything.
    """
    from .evaluation import evaluate, load_items
    from .fitting import calibrate as fit_calibration
    from .fitting import cross_validate, labelled

    retriever = _retriever(knowledge, semantic=True)
    items = [item for path in question_sets for item in load_items(path)]
    data = labelled(retriever, items)
    for lang, rates in sorted(cross_validate(data, retriever.calibration).items()):
        click.echo(f"5-fold estimate {lang:8} " + " ".join(f"{k}={v:.3f}" for k, v in rates.items() if k != "n")
                   + f" n={rates['n']}")
    calibration = fit_calibration(data, retriever.calibration, " + ".join(p.name for p in question_sets))
    click.echo(f"fast threshold {calibration.fast.threshold:.2f}, full threshold {calibration.full.threshold:.2f}, "
               f"fast path sure above {calibration.fast_sure:.2f}")
    click.echo("on the same questions: " + evaluate(retriever.with_calibration(calibration), items).line())
    if write:
        calibration.save()
        click.echo("saved indexer/calibration.json")


@main.command()
@KNOWLEDGE
@click.option("--database", envvar="ASSISTANT_DATABASE_URL", help="The server's database URL (default: the instance's SQLite).")
@click.option("--instance", envvar="ASSISTANT_INSTANCE", type=click.Path(path_type=Path), help="Instance folder of the server.")
@click.option("--since", default="30d", show_default=True, help="How far back: 30d, 12h, 2w or an ISO date.")
@click.option("--lang", type=click.Choice(CODES), help="Only this language.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the report as CSV.")
def gaps(knowledge: Path, database: str | None, instance: Path | None, since: str, lang: str | None, csv_path: Path | None) -> None:
    """Group escalated and unhelpful questions into clusters, most suppliers affected first."""
    from sqlalchemy import create_engine

    from .gaps import find_gaps, parse_since, read_doubtful, read_unanswered, write_csv

    try:
        start = parse_since(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    folder = instance or Path(__file__).resolve().parent.parent / "instance"
    url = database or f"sqlite:///{folder / 'assistant.sqlite3'}"
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise click.ClickException(f"no database at {url}; start the server once or pass --database")
    asked = read_unanswered(create_engine(url), start, lang)
    clusters = find_gaps(asked, _retriever(knowledge))
    click.echo(f"{len(asked)} unanswered or unhelpful question(s) since {start:%Y-%m-%d %H:%M} UTC "
               f"in {len(clusters)} cluster(s)")
    for rank, cluster in enumerate(clusters, start=1):
        closest = f"{cluster.closest_article} ({cluster.confidence:.2f})" if cluster.closest_article else "none"
        click.echo(f"\n{rank}. [{cluster.lang}] {cluster.suppliers} supplier(s), {cluster.size} question(s); "
                   f"closest: {closest}")
        for example in cluster.examples:
            click.echo(f"     - {example}")
    doubtful = read_doubtful(create_engine(url), start, lang)
    click.echo(f"\n{len(doubtful)} answer(s) maybe wrong (narrow win, unhelpful, or a ticket after it)")
    for d in doubtful[-20:]:
        runner_up = f"{d.runner_up} ({d.runner_up_confidence:.2f})" if d.runner_up else "none"
        click.echo(f"  [{d.lang}] {d.text!r} -> {d.article_id} ({d.confidence:.2f}); runner-up {runner_up}; "
                   + ", ".join(d.reasons))
    if csv_path:
        write_csv(clusters, csv_path)
        click.echo(f"\nwrote {csv_path}")


def _retriever(knowledge: Path, semantic: bool = False):
    from .retrieval import KnowledgeError, Retriever
    from .semantic import EmbeddingCache, default_cache_folder

    try:
        return Retriever.from_directory(knowledge, semantic=semantic, cache=EmbeddingCache(default_cache_folder()))
    except KnowledgeError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{len(exc.problems)} problem(s) in {knowledge}; run 'validate'") from None
