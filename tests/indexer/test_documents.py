"""Articles as data in their file's shape: the dates a change stamps, which make the other translations stale."""
import datetime as dt

from indexer.documents import stamped

TODAY = dt.date(2026, 12, 2)
BEFORE = {"id": "a", "category": "help", "updated": "2026-11-26", "translations": {
    "en": {"title": "Title", "questions": ["Q?"], "body": "Body."},
    "fr": {"title": "Titre", "questions": ["Q ?"], "body": "Corps."},
    "de": {"title": "Titel", "questions": ["F?"], "body": "Text.", "updated": "2026-11-20"},
}}


def changed(lang: str, body: str) -> dict:
    return {**BEFORE, "translations": {**BEFORE["translations"], lang: {**BEFORE["translations"][lang], "body": body}}}


def test_a_change_dates_its_translation_and_the_article_and_leaves_the_others_older():
    after = stamped(changed("en", "New body."), BEFORE, TODAY)
    assert after["updated"] == after["translations"]["en"]["updated"] == "2026-12-02"
    assert after["translations"]["fr"]["updated"] == "2026-11-26"  # undated: in line as of the previous change
    assert after["translations"]["de"]["updated"] == "2026-11-20"  # its own date stays


def test_nothing_changed_stamps_nothing():
    assert stamped(BEFORE, BEFORE, TODAY) == BEFORE


def test_a_new_article_is_dated_today_throughout():
    after = stamped(BEFORE, None, TODAY)
    assert after["updated"] == "2026-12-02"
    assert {t["updated"] for t in after["translations"].values()} == {"2026-12-02"}
