"""The escalation hook: how ticket events reach the support team's systems.

A hook is a function with the signature of ``escalation_event`` below.
Integrations register theirs through the entry-point group
``assistant.escalation`` in their own package::

    [project.entry-points."assistant.escalation"]
    servicenow = "procuree_servicenow:escalation_event"

The entry point may name the function itself or a module that defines
``escalation_event``.  The built-in webhook delivery is registered in the
same registry, so every hook gets the same guarantees: it is called by the
outbox dispatcher after the change is committed, at least once per event
(deduplicate on ``event.id``), and an exception makes the dispatcher retry
that hook alone with backoff, then dead-letter the event.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

log = logging.getLogger(__name__)

GROUP = "assistant.escalation"

EVENT_TYPES = ("created", "updated", "info_requested", "solution_proposed", "accepted", "rejected", "closed")


@dataclass(frozen=True)
class TicketEvent:
    """One change of one ticket, as hooks and webhooks receive it."""

    id: str  # unique; the idempotency key
    type: str  # one of EVENT_TYPES
    time: str  # ISO 8601, UTC
    ticket: dict[str, Any]  # the ticket as it was right after the change
    language: str
    country: str | None
    question: str | None  # what the assistant could not answer, if the ticket came from a question
    articles_tried: list[dict[str, Any]] = field(default_factory=list)
    change: dict[str, Any] = field(default_factory=dict)  # actor, from, to, message

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TicketEvent:
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})


# --- hook specification -------------------------------------------------------


def escalation_event(event: TicketEvent) -> None:
    """Deliver one ticket event; return on success, raise to be retried later.

    Raise ``TimeoutError`` when the other side does not answer: the dispatcher
    then leaves this hook out for the rest of its round instead of waiting on
    it once per event.
    """


Hook = Callable[[TicketEvent], None]


class BrokenHook:
    """Stands in for an entry point that failed to load, so its events wait instead of being lost."""

    def __init__(self, name: str, error: Exception):
        self.name, self.error = name, error

    def __call__(self, event: TicketEvent) -> None:
        raise RuntimeError(f"hook {self.name!r} could not be loaded: {self.error}")


class Registry:
    """Named hooks, built-in and third-party alike, called in registration order."""

    def __init__(self) -> None:
        self._hooks: dict[str, Hook] = {}

    def register(self, name: str, hook: Hook) -> None:
        if name in self._hooks:
            raise ValueError(f"an escalation hook named {name!r} is already registered")
        self._hooks[name] = hook

    def items(self) -> list[tuple[str, Hook]]:
        return list(self._hooks.items())

    def names(self) -> list[str]:
        return list(self._hooks)

    def load_entry_points(self, found: Iterable[EntryPoint] | None = None) -> None:
        """Register every ``assistant.escalation`` entry point, under ``hook:<name>``."""
        for ep in entry_points(group=GROUP) if found is None else found:
            name = f"hook:{ep.name}"
            try:
                loaded = ep.load()
                hook = getattr(loaded, "escalation_event", loaded)
                if not callable(hook):
                    raise TypeError(f"{ep.value} is not callable")
            except Exception as exc:  # a broken plugin must not stop the server
                log.error("escalation hook %s failed to load: %s", ep.name, exc)
                hook = BrokenHook(ep.name, exc)
            self.register(name, hook)
