"""Business days and the auto-close deadline: weekends, holidays and time zones."""
import datetime as dt

import pytest

from assistant.tickets.business_days import add_business_days, autoclose_deadline, is_business_day, parse_holidays
from assistant.config import as_list

UTC = dt.timezone.utc


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# The week of Friday 2025-06-06: Mon 9, Tue 10, Wed 11, Thu 12, Fri 13.
@pytest.mark.parametrize(
    "proposed, holidays, zone, deadline",
    [
        # Friday: Mon, Tue, Wed, Thu count; closes once Thursday has ended
        ("2025-06-06 10:00", [], "UTC", "2025-06-13 00:00"),
        ("2025-06-06 00:00", [], "UTC", "2025-06-13 00:00"),
        ("2025-06-06 23:59", [], "UTC", "2025-06-13 00:00"),
        # a Monday holiday pushes it to the end of Friday
        ("2025-06-06 10:00", ["2025-06-09"], "UTC", "2025-06-14 00:00"),
        # a weekend proposal counts from Monday
        ("2025-06-07 12:00", [], "UTC", "2025-06-13 00:00"),
        ("2025-06-08 12:00", [], "UTC", "2025-06-13 00:00"),
        # Monday: Tue..Fri
        ("2025-06-09 09:00", [], "UTC", "2025-06-14 00:00"),
        # Wednesday: Thu, Fri, then Mon, Tue over the weekend
        ("2025-06-11 23:59", [], "UTC", "2025-06-18 00:00"),
        # Christmas and Boxing Day skipped, then New Year's Day counts when not configured
        ("2025-12-24 15:00", ["2025-12-25", "2025-12-26"], "UTC", "2026-01-02 00:00"),
        ("2025-12-24 15:00", ["2025-12-25", "2025-12-26", "2026-01-01"], "UTC", "2026-01-03 00:00"),
        # Thursday 23:30 UTC is already Friday in Paris: the Paris business week decides
        ("2025-06-05 23:30", [], "UTC", "2025-06-12 00:00"),
        ("2025-06-05 23:30", [], "Europe/Paris", "2025-06-12 22:00"),
    ],
)
def test_autoclose_deadline(proposed, holidays, zone, deadline):
    assert autoclose_deadline(at(proposed), 4, parse_holidays(holidays), zone) == at(deadline)


def test_a_friday_proposal_is_still_open_at_thursday_2359_and_due_at_midnight():
    deadline = autoclose_deadline(at("2025-06-06 16:00"), 4)
    assert at("2025-06-12 23:59:59") < deadline <= at("2025-06-13 00:00")


@pytest.mark.parametrize(
    "start, days, holidays, expected",
    [
        ("2025-06-06", 0, [], "2025-06-06"),
        ("2025-06-06", 1, [], "2025-06-09"),
        ("2025-06-06", 5, [], "2025-06-13"),
        ("2025-06-06", 1, ["2025-06-09", "2025-06-10"], "2025-06-11"),
        ("2025-06-13", 10, [], "2025-06-27"),
    ],
)
def test_add_business_days(start, days, holidays, expected):
    result = add_business_days(dt.date.fromisoformat(start), days, parse_holidays(holidays))
    assert result == dt.date.fromisoformat(expected)


def test_weekends_and_holidays_are_not_business_days():
    holidays = parse_holidays(["2025-12-25"])
    assert is_business_day(dt.date(2025, 12, 24), holidays)
    assert not is_business_day(dt.date(2025, 12, 25), holidays)
    assert not is_business_day(dt.date(2025, 12, 27), holidays)  # Saturday
    assert not is_business_day(dt.date(2025, 12, 28), holidays)  # Sunday


def test_a_bad_holiday_is_named():
    with pytest.raises(ValueError, match="2025-13-01"):
        parse_holidays(["2025-12-25", "2025-13-01"])


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-12-25 2025-12-26", ["2025-12-25", "2025-12-26"]),
        ('["2025-12-25", "2025-12-26"]', ["2025-12-25", "2025-12-26"]),
        (["2025-12-25"], ["2025-12-25"]),
        ("", []),
        (None, []),
    ],
)
def test_list_settings_take_a_list_a_json_list_or_a_spaced_string(value, expected):
    assert as_list(value) == expected


def test_holidays_from_the_environment_reach_the_store(monkeypatch, instance, built_index):
    from assistant import create_app

    monkeypatch.setenv("ASSISTANT_HOLIDAYS", "2025-12-25 2025-12-26")
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False})
    assert app.extensions["tickets"].settings.holidays == parse_holidays(["2025-12-25", "2025-12-26"])
    app.extensions["db"].dispose()
