"""The clock of a delivery round: frozen for tests, else real time that only runs forward.

Event and mail rounds read it for their time budget and for when each
attempt ended, so a retry counts from the attempt's end, not the round's start.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from .db import utcnow

Clock = Callable[[], dt.datetime]


def steady_clock(start: dt.datetime | None = None) -> Clock:
    """UTC time that runs on the monotonic clock from ``start`` (default: now).

    Neither a round's budget nor its retry times jump when the wall clock is
    stepped mid-round.
    """
    start, origin = start or utcnow(), time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - origin)


def clock_for(now: dt.datetime | None, clock: Clock | None) -> Clock:
    """The clock of a delivery round: ``clock`` if given, else frozen at ``now``, else a steady real one."""
    if clock is not None:
        return clock
    return (lambda: now) if now is not None else steady_clock()
