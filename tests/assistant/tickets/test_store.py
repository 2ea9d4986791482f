"""The ticket store: numbers, reference codes, every status transition, history, outbox, auto-close."""
import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select

from assistant import db, sealing
from assistant.tickets import lifecycle as rules, model, outbox, store as tickets
from assistant.errors import ApiError
from assistant.tickets import NewTicket

pytestmark = pytest.mark.store  # on SQLite and PostgreSQL (tests/conftest.py)

UTC = dt.timezone.utc
NUMBER = re.compile(r"^CS\d{7}$")

# The lifecycle, written out independently of assistant.rules.ACTIONS:
# (action, status before) -> status after.  Every pair not listed must be a 409.
ALLOWED = {
    ("reply", "new"): "new",
    ("reply", "open"): "open",
    ("reply", "info_requested"): "open",
    ("reply", "reopened"): "reopened",
    ("set_priority", "new"): "open",
    ("set_priority", "open"): "open",
    ("set_priority", "info_requested"): "info_requested",
    ("set_priority", "solution_proposed"): "solution_proposed",
    ("set_priority", "reopened"): "reopened",
    ("request_info", "new"): "info_requested",
    ("request_info", "open"): "info_requested",
    ("request_info", "info_requested"): "info_requested",
    ("request_info", "reopened"): "info_requested",
    ("propose_solution", "new"): "solution_proposed",
    ("propose_solution", "open"): "solution_proposed",
    ("propose_solution", "info_requested"): "solution_proposed",
    ("propose_solution", "reopened"): "solution_proposed",
    ("accept", "solution_proposed"): "closed",
    ("reject", "solution_proposed"): "reopened",
    ("auto_close", "solution_proposed"): "closed",
    ("close", "new"): "closed",
    ("close", "open"): "closed",
    ("close", "info_requested"): "closed",
    ("close", "solution_proposed"): "closed",
    ("close", "reopened"): "closed",
}
EVENTS = {
    "reply": ["updated"], "set_priority": ["updated"], "request_info": ["info_requested"],
    "propose_solution": ["solution_proposed"], "accept": ["accepted", "closed"], "reject": ["rejected"],
    "auto_close": ["closed"], "close": ["closed"],
}
RESOLUTIONS = {"accept": "accepted", "auto_close": "auto_closed", "close": "closed_by_agent"}
# How to bring a new ticket to each status.
PATHS = {
    "new": [],
    "open": [("set_priority", None)],
    "info_requested": [("request_info", "Which PO?")],
    "solution_proposed": [("propose_solution", "Paid yesterday.")],
    "reopened": [("propose_solution", "Paid yesterday."), ("reject", "Not received.")],
    "closed": [("close", None)],
}
ALL_PAIRS = [(action, status) for action in rules.ACTIONS for status in rules.STATUSES]


def new_ticket(**fields) -> NewTicket:
    return NewTicket(**{"email": "supplier@example.com", "subject": "Invoice unpaid", "description": "INV-7 unpaid",
                        "lang": "en", **fields})


def bring_to(store, status: str) -> str:
    ticket, _ = store.create(new_ticket())
    for action, message in PATHS[status]:
        store.apply(ticket.number, action, message=message, priority="high")
    assert store.get(ticket.number).status == status
    return ticket.number


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory):
    """One store on one SQLite file for all the transition cases; each case uses its own ticket."""
    engine = db.make_engine(f"sqlite:///{tmp_path_factory.mktemp('lifecycle') / 'tickets.sqlite3'}")
    db.migrate(engine)
    yield tickets.TicketStore(engine, tickets.Settings("http://127.0.0.1:5000", "test-secret", sealing.new_key()))
    engine.dispose()


def events_of(store, number: str) -> list[str]:
    o, t = db.outbox, db.tickets
    with store.engine.connect() as conn:
        ticket_id = conn.execute(select(t.c.id).where(t.c.number == number)).scalar_one()
        return conn.execute(select(o.c.type).where(o.c.ticket_id == ticket_id).order_by(o.c.id)).scalars().all()


def count(app, table) -> int:
    with app.extensions["db"].connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_every_transition_is_covered_by_the_table():
    assert set(ALLOWED) == {(a.name, s) for a in rules.ACTIONS.values() for s in a.moves}
    assert set(rules.ACTIONS) == set(EVENTS)


@pytest.mark.parametrize("action, status", [p for p in ALL_PAIRS if p in ALLOWED])
def test_allowed_transition(lifecycle, action, status):
    number = bring_to(lifecycle, status)
    events_before, history_before = events_of(lifecycle, number), len(lifecycle.get(number).history)
    after = lifecycle.apply(number, action, actor="tester", message="because", priority="business_critical")
    assert after.status == ALLOWED[(action, status)]
    assert after.resolution == (RESOLUTIONS[action] if after.status == "closed" else None)
    entry = after.history[-1]
    assert (entry.kind, entry.actor, entry.status_from, entry.status_to, entry.message) == (
        action, "tester", status, after.status, "because")
    assert len(after.history) == history_before + 1 and entry.at.tzinfo is not None
    assert events_of(lifecycle, number) == events_before + EVENTS[action]


@pytest.mark.parametrize("action, status", [p for p in ALL_PAIRS if p not in ALLOWED])
def test_forbidden_transition_is_a_409_and_changes_nothing(lifecycle, action, status):
    number = bring_to(lifecycle, status)
    before, events_before = lifecycle.get(number), events_of(lifecycle, number)
    with pytest.raises(ApiError) as refused:
        lifecycle.apply(number, action, message="try", priority="high")
    assert refused.value.status == 409
    if status == "closed":
        assert refused.value.code == "ticket_closed"
        assert "open a new ticket" in refused.value.message.lower()
    else:
        assert refused.value.code == "invalid_transition"
    after = lifecycle.get(number)
    assert (after.status, after.updated_at, len(after.history)) == (before.status, before.updated_at, len(before.history))
    assert events_of(lifecycle, number) == events_before


def test_number_and_reference_code_format(app, ticket_store):
    ticket, reference = ticket_store.create(new_ticket())
    assert NUMBER.match(ticket.number)
    assert len(reference) >= 10 and set(reference) <= set(model.REFERENCE_ALPHABET)
    assert ticket.status == "new" and ticket.priority == "normal"
    assert [h.kind for h in ticket.history] == ["created"]
    with app.extensions["db"].connect() as conn:
        stored = conn.execute(select(db.tickets)).one()
    assert reference not in repr(tuple(stored)), "the reference code must not be stored in clear"
    assert ticket_store.find(ticket.number, reference) is not None
    assert ticket_store.find(ticket.number, reference.lower()) is not None  # typed by hand
    wrong = reference[:-1] + ("A" if reference[-1] != "A" else "B")
    assert ticket_store.find(ticket.number, wrong) is None
    assert ticket_store.find(ticket.number, "") is None


def test_numbers_stay_unique_under_concurrent_creation(app, ticket_store):
    threads, per_thread, numbers, errors = 8, 10, [], []
    start = threading.Barrier(threads)

    def create_some():
        start.wait()
        for _ in range(per_thread):
            try:
                numbers.append(ticket_store.create(new_ticket())[0].number)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    workers = [threading.Thread(target=create_some) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    assert len(numbers) == len(set(numbers)) == threads * per_thread
    assert all(NUMBER.match(n) for n in numbers)
    assert count(app, db.tickets) == threads * per_thread
    assert count(app, db.outbox) == threads * per_thread  # one "created" event each


def test_a_number_collision_draws_again(app, ticket_store, monkeypatch):
    first, _ = ticket_store.create(new_ticket())
    draws = iter([first.number, first.number, "CS0000042"])
    monkeypatch.setattr(tickets, "new_number", lambda: next(draws))
    second, _ = ticket_store.create(new_ticket())
    assert second.number == "CS0000042"
    assert count(app, db.tickets) == 2 and count(app, db.outbox) == 2 and count(app, db.mail) == 2


def test_the_change_history_outbox_and_mail_commit_together(app, ticket_store, monkeypatch):
    number = bring_to(ticket_store, "open")
    before = ticket_store.get(number)
    counts = [count(app, t) for t in (db.outbox, db.mail, db.ticket_history)]

    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(outbox, "enqueue", broken)
    with pytest.raises(RuntimeError):
        ticket_store.apply(number, "propose_solution", message="Paid.")
    assert ticket_store.get(number).status == before.status
    assert [count(app, t) for t in (db.outbox, db.mail, db.ticket_history)] == counts


def test_escalated_ticket_keeps_the_question_and_the_articles_tried(ticket_store):
    tried = ({"article_id": "csp-who-pays", "title": "Who pays me?", "confidence": 0.31},)
    ticket, _ = ticket_store.create(new_ticket(question="Qui me paie ?", detected_lang="fr", articles_tried=tried))
    event = ticket.snapshot()
    assert (event["question"], event["detected_lang"], event["articles_tried"]) == ("Qui me paie ?", "fr", list(tried))


def test_a_friday_solution_auto_closes_after_thursday(app, ticket_store):
    number = bring_to(ticket_store, "open")
    friday = dt.datetime(2025, 6, 6, 15, 0, tzinfo=UTC)
    ticket_store.apply(number, "propose_solution", message="Paid.", now=friday)
    assert ticket_store.autoclose(now=dt.datetime(2025, 6, 12, 23, 59, 59, tzinfo=UTC)) == []
    assert ticket_store.autoclose(now=dt.datetime(2025, 6, 13, 0, 0, tzinfo=UTC)) == [number]
    closed = ticket_store.get(number)
    assert (closed.status, closed.resolution, closed.history[-1].actor) == ("closed", "auto_closed", "system")
    events = count(app, db.outbox)
    assert ticket_store.autoclose(now=dt.datetime(2025, 6, 20, tzinfo=UTC)) == []  # idempotent
    assert count(app, db.outbox) == events


def test_autoclose_leaves_answered_solutions_alone(ticket_store):
    long_ago = dt.datetime(2025, 1, 6, tzinfo=UTC)
    accepted, rejected, waiting = (bring_to(ticket_store, "open") for _ in range(3))
    for number in (accepted, rejected, waiting):
        ticket_store.apply(number, "propose_solution", message="Paid.", now=long_ago)
    ticket_store.apply(accepted, "accept")
    ticket_store.apply(rejected, "reject", message="No.")
    assert ticket_store.autoclose() == [waiting]
    assert ticket_store.get(accepted).resolution == "accepted"
    assert ticket_store.get(rejected).status == "reopened"


def test_autoclose_command_is_idempotent(runner, ticket_store):
    number = bring_to(ticket_store, "open")
    ticket_store.apply(number, "propose_solution", message="Paid.", now=dt.datetime(2025, 1, 6, tzinfo=UTC))
    first = runner.invoke(args=["tickets", "autoclose"])
    assert first.exit_code == 0 and first.output.splitlines()[0] == f"auto-closed 1 ticket(s): {number}"
    second = runner.invoke(args=["tickets", "autoclose"])
    assert second.exit_code == 0 and second.output.splitlines()[0] == "auto-closed 0 ticket(s)"


def test_agent_list_puts_business_critical_first(ticket_store):
    made = {}
    for priority in ("normal", "business_critical", "high", "business_critical"):
        number = bring_to(ticket_store, "new")
        if priority != "normal":
            ticket_store.apply(number, "set_priority", priority=priority)
        made.setdefault(priority, []).append(number)
    found, total = ticket_store.search()
    assert total == 4
    assert [t.number for t in found] == made["business_critical"] + made["high"] + made["normal"]
