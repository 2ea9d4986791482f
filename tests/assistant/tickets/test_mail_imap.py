"""The IMAP poller against a real Dovecot: stored, then moved; failures stay and come back; no password leaks.

One private Dovecot for the module (tests/assistant/tickets/dovecot.py).
Without /usr/sbin/dovecot these tests are skipped, saying how to install
it, unless ASSISTANT_TEST_REQUIRE_DOVECOT=1 (CI), where that fails.  Each
test polls folders of its own (a fresh name), so they do not depend on
each other's leftovers; messages go in with APPEND and are checked with a
second IMAP connection, as a mail client would see them.
"""
from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

import pytest
from imapclient import DELETED, SEEN, IMAPClient

from assistant.tickets.mail.imap import ImapSettings, ImapUnavailable, PollReport, poll
from assistant import worker
from tests.assistant.support import free_port
from tests.assistant.tickets.dovecot import HOW_TO_INSTALL, LIMITED, Dovecot, available

from .test_mail_incoming import REPLIES, reply_to, ticket  # noqa: F401  (ticket: the fixture)

USER, PASSWORD = "procuree", "Sesame-" + secrets.token_hex(8)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    if not available():
        if os.environ.get("ASSISTANT_TEST_REQUIRE_DOVECOT") == "1":
            pytest.fail(f"ASSISTANT_TEST_REQUIRE_DOVECOT=1 but {HOW_TO_INSTALL}", pytrace=False)
        pytest.skip(HOW_TO_INSTALL)
    with Dovecot({USER: PASSWORD}) as server:
        yield server


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Iterator[IMAPClient]:
    """Our own view of the mailbox (a second connection), for APPENDs and checks."""
    client = dovecot.client(USER)
    yield client
    client.logout()


@pytest.fixture
def settings(dovecot: Dovecot, mailbox: IMAPClient) -> ImapSettings:
    """Settings polling a fresh folder of this test's own into a done folder that does not exist yet."""
    name = f"In-{secrets.token_hex(4)}"
    mailbox.create_folder(name)
    return ImapSettings(host=dovecot.host, port=dovecot.port, ssl=False, starttls=False, username=USER,
                        password=PASSWORD, folder=name, done_folder=name + "-done")


class Receiver:
    """A ``deliver`` that keeps what it was given, and raises for the Message-IDs it is told to refuse."""

    def __init__(self, refuse: frozenset[str] = frozenset()):
        self.refuse = refuse
        self.got: list[bytes] = []

    def __call__(self, raw: bytes) -> None:
        if message_id(raw) in self.refuse:
            raise OSError("disk full")
        self.got.append(raw)


def message(number: int) -> bytes:
    """A supplier's reply as a mail client sends it: CRLF lines, UTF-8 text, its own Message-ID."""
    mail = EmailMessage()
    mail["From"] = "Ana <ana@supplier.example>"
    mail["To"] = "procuree+CS1234567@buyer.example"
    mail["Subject"] = f"Re: Facture {number} — 송장"
    mail["Message-ID"] = make_msgid(domain="supplier.example")
    mail.set_content(f"Bonjour, voici la facture {number}.\nMerci — 감사합니다.\n")
    return mail.as_bytes(policy=SMTP)


def message_id(raw: bytes) -> str:
    return next(line.split(b":", 1)[1].strip().decode() for line in raw.splitlines()
                if line.lower().startswith(b"message-id:"))


def lines(raw: bytes) -> bytes:
    """The message with CRLF and LF alike (IMAP servers normalise line ends)."""
    return raw.replace(b"\r\n", b"\n")


def append(mailbox: IMAPClient, folder: str, count: int) -> list[bytes]:
    sent = [message(number) for number in range(1, count + 1)]
    for raw in sent:
        mailbox.append(folder, raw)
    return sent


def contents(mailbox: IMAPClient, folder: str) -> list[tuple[bytes, tuple[bytes, ...]]]:
    """Each message's bytes and flags, oldest first, read without setting \\Seen."""
    mailbox.select_folder(folder, readonly=True)
    found = mailbox.fetch(mailbox.search(), ["BODY.PEEK[]", "FLAGS"])
    mailbox.unselect_folder()
    return [(found[uid][b"BODY[]"], found[uid][b"FLAGS"]) for uid in sorted(found)]


def bodies(mailbox: IMAPClient, folder: str) -> list[bytes]:
    return [lines(raw) for raw, _ in contents(mailbox, folder)]


def test_each_message_is_delivered_once_then_moved_to_the_done_folder(settings, mailbox):
    settings = replace(settings, folder="INBOX")  # the default, as most mailboxes will be set up
    sent = append(mailbox, settings.folder, 3)
    receiver = Receiver()

    assert poll(settings, receiver) == PollReport(stored=3, failed=0, left=0)

    assert [lines(raw) for raw in receiver.got] == [lines(raw) for raw in sent]
    assert bodies(mailbox, settings.done_folder) == [lines(raw) for raw in sent]
    assert contents(mailbox, settings.folder) == []
    assert all(SEEN not in flags for _, flags in contents(mailbox, settings.done_folder)), "fetched with PEEK"

    assert poll(settings, receiver) == PollReport()
    assert len(receiver.got) == 3


def test_a_message_that_could_not_be_stored_stays_and_comes_back_at_the_next_poll(settings, mailbox):
    first, second, third = append(mailbox, settings.folder, 3)
    failing = Receiver(refuse=frozenset({message_id(second)}))

    assert poll(settings, failing) == PollReport(stored=2, failed=1, left=0)
    assert [lines(raw) for raw in failing.got] == [lines(first), lines(third)]
    assert bodies(mailbox, settings.folder) == [lines(second)]
    assert bodies(mailbox, settings.done_folder) == [lines(first), lines(third)]

    working = Receiver()
    assert poll(settings, working) == PollReport(stored=1, failed=0, left=0)
    assert [lines(raw) for raw in working.got] == [lines(second)]
    assert contents(mailbox, settings.folder) == []
    assert bodies(mailbox, settings.done_folder) == [lines(first), lines(third), lines(second)]


def test_the_done_folder_is_created_when_missing(settings, mailbox):
    assert not mailbox.folder_exists(settings.done_folder)

    assert poll(settings, Receiver()) == PollReport()

    assert mailbox.folder_exists(settings.done_folder)
    assert settings.done_folder in [name for _, _, name in mailbox.list_sub_folders()], "subscribed, so people see it"


def test_limit_leaves_the_rest_for_the_next_polls_oldest_first(settings, mailbox):
    sent = append(mailbox, settings.folder, 5)
    receiver = Receiver()

    assert poll(settings, receiver, limit=2) == PollReport(stored=2, failed=0, left=3)
    assert len(bodies(mailbox, settings.folder)) == 3
    assert poll(settings, receiver, limit=2) == PollReport(stored=2, failed=0, left=1)
    assert poll(settings, receiver, limit=2) == PollReport(stored=1, failed=0, left=0)

    assert [lines(raw) for raw in receiver.got] == [lines(raw) for raw in sent]
    assert contents(mailbox, settings.folder) == []


@pytest.mark.parametrize("address", list(LIMITED))
def test_a_server_without_move_gets_copy_then_deleted(settings, mailbox, address, monkeypatch):
    """Older servers: COPY and \\Deleted; with UIDPLUS that one message is expunged, without it it stays flagged."""
    sent = append(mailbox, settings.folder, 2)
    mailbox.select_folder(settings.folder)
    mailbox.add_flags(mailbox.search(), [DELETED])  # flagged by a person, not ours: must not be expunged by us
    mailbox.unselect_folder()
    kept = append(mailbox, settings.folder, 1)
    old = replace(settings, host=address)
    receiver = Receiver()

    assert poll(old, receiver) == PollReport(stored=1, failed=0, left=0)

    assert [lines(raw) for raw in receiver.got] == [lines(raw) for raw in kept]
    assert bodies(mailbox, old.done_folder) == [lines(raw) for raw in kept]
    left = contents(mailbox, old.folder)
    expected = sent if "UIDPLUS" in LIMITED[address] else sent + kept
    assert [lines(raw) for raw, _ in left] == [lines(raw) for raw in expected]
    assert all(DELETED in flags for _, flags in left)
    assert poll(old, receiver) == PollReport(), "a copied message flagged \\Deleted is not delivered again"


def test_the_workers_imap_lane_stores_and_applies_a_suppliers_reply(app, ticket_store, ticket, settings, mailbox):  # noqa: F811
    """The whole way in: a reply in the mailbox, the worker's imap lane, the reply on its ticket, the mailbox emptied."""
    number, _ = ticket("zh-Hans")
    mailbox.append(settings.folder, reply_to(app, number, "zh-Hans"))
    app.config.update(IMAP_HOST=settings.host, IMAP_PORT=settings.port, IMAP_SSL=False, IMAP_USERNAME=USER,
                      IMAP_PASSWORD=PASSWORD, IMAP_FOLDER=settings.folder, IMAP_DONE_FOLDER=settings.done_folder)
    with app.app_context():
        report = worker.poll_mailbox(app)
        assert report.stored == 1 and worker.poll_mailbox(app) is None  # the next poll waits IMAP_POLL_SECONDS
    found = ticket_store.get(number)
    assert found.status == "open" and found.history[-1].message == REPLIES["zh-Hans"][0]
    assert found.history[-1].via == "email"
    assert contents(mailbox, settings.folder) == [] and len(contents(mailbox, settings.done_folder)) == 1


def test_an_unreachable_server_raises_imap_unavailable(settings):
    closed = replace(settings, port=free_port())

    with pytest.raises(ImapUnavailable, match=f"cannot connect to 127.0.0.1:{closed.port}"):
        poll(closed, Receiver())


def test_a_missing_folder_raises_imap_unavailable(settings):
    missing = replace(settings, folder="No-such-folder")

    with pytest.raises(ImapUnavailable, match="cannot open the folder 'No-such-folder'"):
        poll(missing, Receiver())


def test_a_wrong_password_raises_imap_unavailable_without_the_password(settings, caplog):
    # Last of the Dovecot tests: after a failed login Dovecot slows the next ones from 127.0.0.1 (auth penalty).
    wrong = replace(settings, password="Wrong-" + secrets.token_hex(8))
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ImapUnavailable, match="refused the login of 'procuree'") as raised:
        poll(wrong, Receiver())

    assert wrong.password not in str(raised.value) and wrong.password not in repr(raised.value)
    assert wrong.password not in caplog.text and wrong.password not in repr(wrong)
    assert wrong.password not in repr(raised.value.__context__), "nor in the exception it replaced"


@pytest.mark.parametrize(("flags", "ssl", "starttls"), [
    ({"IMAP_SSL": True, "IMAP_STARTTLS": False}, True, False),
    ({"IMAP_SSL": "false", "IMAP_STARTTLS": "true"}, False, True),  # from the environment, as strings
    ({"IMAP_SSL": 0, "IMAP_STARTTLS": "0"}, False, False),
])
def test_settings_from_config(flags, ssl, starttls):
    config = {"IMAP_HOST": "imap.buyer.example", "IMAP_PORT": "143", "IMAP_USERNAME": "procuree",
              "IMAP_PASSWORD": "s3cret", "IMAP_FOLDER": "INBOX", "IMAP_DONE_FOLDER": "Procuree-Processed", **flags}

    settings = ImapSettings.from_config(config)

    assert settings == ImapSettings(host="imap.buyer.example", port=143, ssl=ssl, starttls=starttls,
                                    username="procuree", password="s3cret", folder="INBOX",
                                    done_folder="Procuree-Processed")
    assert "s3cret" not in repr(settings)


def test_settings_from_the_app_defaults():
    from assistant.config import DEFAULTS

    settings = ImapSettings.from_config(DEFAULTS)

    assert (settings.port, settings.ssl, settings.folder, settings.done_folder) == (
        993, True, "INBOX", "Procuree-Processed")
