"""A ticket's lifecycle: who may do what to it, from which status to which.

Lifecycle (``ACTIONS`` is the whole table; anything not in it is a 409)::

    new --set_priority--> open --request_info--> info_requested --reply--> open
    new/open/info_requested/reopened --propose_solution--> solution_proposed
    solution_proposed --accept--> closed (accepted)
                      --reject--> reopened --propose_solution--> ...
                      --auto_close--> closed (auto_closed, after 4 business days)
    any open status --close--> closed (closed_by_agent)
    closed: terminal; open a new ticket that names it in previous_number
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ApiError

if TYPE_CHECKING:
    from .model import Ticket

STATUSES = ("new", "open", "info_requested", "solution_proposed", "reopened", "closed")
ACTIVE = STATUSES[:-1]
PRIORITIES = ("business_critical", "high", "normal")  # the agent list's order


@dataclass(frozen=True)
class Action:
    """One thing that can happen to a ticket: who does it, which statuses it moves, what it emits."""

    name: str
    actor: str  # supplier, agent or system
    moves: dict[str, str]  # status before -> status after; a status not listed is refused
    events: tuple[str, ...]  # outbox event types, in order
    mail: str | None = None  # the supplier's notification
    resolution: str | None = None
    needs_message: bool = False


ACTIONS = {a.name: a for a in (
    Action("reply", "supplier", {"new": "new", "open": "open", "info_requested": "open", "reopened": "reopened"},
           ("updated",), needs_message=True),
    Action("set_priority", "agent", {s: ("open" if s == "new" else s) for s in ACTIVE}, ("updated",)),
    Action("request_info", "agent", {s: "info_requested" for s in ("new", "open", "info_requested", "reopened")},
           ("info_requested",), mail="info_requested", needs_message=True),
    Action("propose_solution", "agent", {s: "solution_proposed" for s in ("new", "open", "info_requested", "reopened")},
           ("solution_proposed",), mail="solution_proposed", needs_message=True),
    Action("accept", "supplier", {"solution_proposed": "closed"}, ("accepted", "closed"), "closed", "accepted"),
    Action("reject", "supplier", {"solution_proposed": "reopened"}, ("rejected",), needs_message=True),
    Action("auto_close", "system", {"solution_proposed": "closed"}, ("closed",), "closed", "auto_closed"),
    Action("close", "agent", {s: "closed" for s in ACTIVE}, ("closed",), "closed", "closed_by_agent"),
)}


def target(action: Action, ticket: Ticket) -> str:
    """The status ``action`` leads to from the ticket's status, or the 409 that explains why not."""
    if ticket.status == "closed":
        raise ApiError(409, f"Ticket {ticket.number} is closed and cannot be reopened. Open a new ticket and give "
                            f"{ticket.number} as previous_number.", "ticket_closed", previous_number=ticket.number)
    if ticket.status not in action.moves:
        allowed = ", ".join(action.moves)
        raise ApiError(409, f"Ticket {ticket.number} is {ticket.status}: '{action.name}' is only possible when it is "
                            f"{allowed}.", "invalid_transition", ticket_status=ticket.status)
    return action.moves[ticket.status]
