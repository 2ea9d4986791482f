"""Business days (Monday to Friday, minus configured holidays) and the auto-close deadline.

A solution proposed on a Friday waits Monday, Tuesday, Wednesday and
Thursday: the ticket closes once Thursday has ended, that is at Friday
00:00 in the business time zone.  The day of the proposal never counts,
and a holiday or a weekend day is simply not one of the days.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

SATURDAY = 5


def parse_holidays(values: Iterable[str]) -> frozenset[dt.date]:
    """ISO dates as given in HOLIDAYS; a bad one raises ValueError naming it."""
    days = set()
    for value in values:
        try:
            days.add(dt.date.fromisoformat(str(value)))
        except ValueError:
            raise ValueError(f"HOLIDAYS: {value!r} is not an ISO date such as 2025-12-25") from None
    return frozenset(days)


def is_business_day(day: dt.date, holidays: frozenset[dt.date] = frozenset()) -> bool:
    return day.weekday() < SATURDAY and day not in holidays


def add_business_days(start: dt.date, days: int, holidays: frozenset[dt.date] = frozenset()) -> dt.date:
    """The ``days``-th business day after ``start`` (``start`` itself is not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day, left = start, days
    while left:
        day += dt.timedelta(days=1)
        if is_business_day(day, holidays):
            left -= 1
    return day


def autoclose_deadline(
    proposed_at: dt.datetime,
    days: int,
    holidays: frozenset[dt.date] = frozenset(),
    zone: str = "UTC",
) -> dt.datetime:
    """When a solution proposed at ``proposed_at`` (aware) closes by itself, as an aware UTC time.

    That is the end of the ``days``-th business day after the day of the
    proposal, in the business time zone.
    """
    tz = ZoneInfo(zone)
    local_day = proposed_at.astimezone(tz).date()
    last_day = add_business_days(local_day, days, holidays)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return end.astimezone(dt.timezone.utc)
