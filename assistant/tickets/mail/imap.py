"""Suppliers' mail from an IMAP mailbox: each message stored, only then moved aside.

The folder (IMAP_FOLDER) is the queue: every message in it that is not
flagged \\Deleted is waiting.  ``poll`` fetches each one's raw RFC 5322
bytes with BODY.PEEK[] (so \\Seen is not set by us and a person reading the
mailbox still sees it unread), hands them to ``deliver`` and, once
``deliver`` has returned (the message is stored durably), moves it to
IMAP_DONE_FOLDER.  Nothing is ever moved before it is stored, so no mail is
lost: a message whose ``deliver`` raised stays where it is and is tried
again at the next poll, and one bad message never holds up the others.

The price of "store, then move" is at-least-once delivery: a crash (or a
lost connection) between ``deliver`` and the move leaves the message in the
folder, so the next poll delivers it again.  That is by design: the
receiver deduplicates by Message-ID.

The move uses MOVE (RFC 6851) when the server offers it, which is atomic.
Otherwise COPY, then \\Deleted, then UID EXPUNGE (RFC 4315) of exactly that
message, never a bare EXPUNGE that would also remove messages someone else
flagged.  Without UIDPLUS the copied message stays flagged \\Deleted, which
the poll skips, until the server or a person expunges the folder.

Connection and login problems raise ``ImapUnavailable`` with the reason;
the password never appears in its text, in ``ImapSettings``' repr or in logs.
"""
from __future__ import annotations

import imaplib
import logging
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from imapclient import DELETED, IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0  # connect and each read: a stuck server must not hold the worker's lane for ever
BODY = b"BODY[]"  # the key under which the server answers a BODY.PEEK[] fetch
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


class ImapUnavailable(Exception):
    """The mailbox cannot be used now (unreachable, login refused, folder missing, connection lost).

    Raised instead of the library's many exception types so the worker has
    one thing to catch, log and retry at its next poll.
    """


@dataclass(frozen=True)
class ImapSettings:
    """Where the mailbox is and how to log in (the IMAP_* settings)."""

    host: str
    port: int
    ssl: bool
    starttls: bool
    username: str
    password: str = field(repr=False)  # a repr in a log or a traceback must not show it
    folder: str = "INBOX"
    done_folder: str = "Procuree-Processed"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ImapSettings:
        """The settings from a Flask config (or any mapping) with the IMAP_* keys of assistant/config.py."""
        return cls(host=str(config["IMAP_HOST"]), port=int(config["IMAP_PORT"]),
                   ssl=_flag(config["IMAP_SSL"]), starttls=_flag(config["IMAP_STARTTLS"]),
                   username=str(config["IMAP_USERNAME"]), password=str(config["IMAP_PASSWORD"]),
                   folder=str(config["IMAP_FOLDER"]), done_folder=str(config["IMAP_DONE_FOLDER"]))

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class PollReport:
    """What one poll did: messages stored (and moved), failed (left for the next poll), left waiting beyond ``limit``."""

    stored: int = 0
    failed: int = 0
    left: int = 0


def _flag(value: Any) -> bool:
    """A boolean setting that may arrive as a string from the environment ("false" must not be true)."""
    return value.strip().lower() in TRUE_WORDS if isinstance(value, str) else bool(value)


def _scrub(text: str, password: str) -> str:
    """``text`` with the password blanked, in case a server or library echoes it back."""
    return text.replace(password, "***") if password else text


def poll(settings: ImapSettings, deliver: Callable[[bytes], object], limit: int = 100) -> PollReport:
    """Deliver up to ``limit`` waiting messages (oldest first), moving each to the done folder once stored.

    ``deliver(raw)`` must return only once the message is stored durably and
    raise if it could not store it; such a message stays in the folder and
    counts as failed.  ``limit`` bounds one poll's work so the lane answers
    again soon; the rest are counted in ``left`` for the next poll.
    """
    try:
        with _session(settings) as client:
            return _poll_selected(client, settings, deliver, limit)
    except (OSError, imaplib.IMAP4.abort) as exc:  # deliver's own errors never get here (_handle keeps them)
        raise ImapUnavailable(_scrub(f"lost the connection to {settings.address}: {exc}", settings.password)) from None


def _poll_selected(client: IMAPClient, settings: ImapSettings, deliver: Callable[[bytes], object],
                   limit: int) -> PollReport:
    waiting = _waiting(client)
    batch = waiting[:max(limit, 0)]
    outcomes = [_handle(client, uid, deliver, settings.done_folder) for uid in batch]
    report = PollReport(stored=outcomes.count("stored"), failed=outcomes.count("failed"),
                        left=len(waiting) - len(batch))
    if batch:
        log.info("imap %s/%s: %d stored, %d failed, %d left for the next poll",
                 settings.address, settings.folder, report.stored, report.failed, report.left)
    return report


@contextmanager
def _session(settings: ImapSettings) -> Iterator[IMAPClient]:
    """A logged-in client with the done folder present and the mail folder selected read-write; logs out after."""
    client = _connect(settings)
    try:
        _login(client, settings)
        _ensure_folder(client, settings)
        _select(client, settings)
        yield client
    finally:
        _logout(client)


def _connect(settings: ImapSettings) -> IMAPClient:
    """Connect with implicit TLS or plain, then STARTTLS if asked; certificates are always verified."""
    context = ssl.create_default_context()
    try:
        client = IMAPClient(settings.host, port=settings.port, ssl=settings.ssl, ssl_context=context,
                            timeout=TIMEOUT_SECONDS)
        if settings.starttls and not settings.ssl:
            client.starttls(context)
        return client
    except (OSError, IMAPClientError) as exc:  # ssl.SSLError and socket timeouts are OSErrors
        raise ImapUnavailable(_scrub(f"cannot connect to {settings.address}: {exc}", settings.password)) from None


def _login(client: IMAPClient, settings: ImapSettings) -> None:
    """Log in; a refusal names the user and the server's reason, not the password."""
    try:
        client.login(settings.username, settings.password)
    except LoginError as exc:
        raise ImapUnavailable(_scrub(f"{settings.address} refused the login of {settings.username!r}: {exc}",
                                     settings.password)) from None
    except (OSError, IMAPClientError) as exc:
        raise ImapUnavailable(_scrub(f"login to {settings.address} failed: {exc}", settings.password)) from None


def _ensure_folder(client: IMAPClient, settings: ImapSettings) -> None:
    """Create (and subscribe, so people see it in their mail client) the done folder when missing."""
    name = settings.done_folder
    try:
        if not client.folder_exists(name):
            client.create_folder(name)
            client.subscribe_folder(name)
            log.info("imap %s: created the folder %r", settings.address, name)
    except IMAPClientError as exc:
        if not client.folder_exists(name):  # another poller may have created it in between
            raise ImapUnavailable(f"cannot create the folder {name!r} on {settings.address}: {exc}") from None


def _select(client: IMAPClient, settings: ImapSettings) -> None:
    try:
        client.select_folder(settings.folder)
    except IMAPClientError as exc:
        raise ImapUnavailable(f"cannot open the folder {settings.folder!r} on {settings.address}: {exc}") from None


def _logout(client: IMAPClient) -> None:
    """Log out politely; a connection already gone is no error worth raising over the poll's own outcome."""
    try:
        client.logout()
    except (OSError, IMAPClientError):
        with suppress(OSError):
            client.shutdown()


def _waiting(client: IMAPClient) -> list[int]:
    """UIDs of the messages in the selected folder not yet handled, oldest first.

    \\Deleted ones are skipped: they were already copied to the done folder
    by a server without MOVE, or a person threw them away.
    """
    return sorted(client.search(["NOT", "DELETED"]))


def _handle(client: IMAPClient, uid: int, deliver: Callable[[bytes], object], done_folder: str) -> str:
    """Fetch, deliver, then move one message: "stored", "failed" (left in place) or "gone" (moved by someone else)."""
    try:
        raw = _fetch(client, uid)
    except IMAPClientError as exc:
        if isinstance(exc, imaplib.IMAP4.abort):
            raise
        log.warning("imap: fetching message uid %d failed (%s); it stays for the next poll", uid, exc)
        return "failed"
    if raw is None:
        return "gone"
    try:
        deliver(raw)
    except Exception:  # any failure to store: keep the message for the next poll, go on with the others
        log.warning("imap: delivering message uid %d failed; it stays for the next poll", uid, exc_info=True)
        return "failed"
    _move(client, uid, done_folder)
    return "stored"


def _fetch(client: IMAPClient, uid: int) -> bytes | None:
    """One message's raw bytes, without setting \\Seen; one at a time, so a big attachment is the only one in memory."""
    answer = client.fetch([uid], ["BODY.PEEK[]"])
    return answer.get(uid, {}).get(BODY)


def _move(client: IMAPClient, uid: int, folder: str) -> None:
    """Move one stored message to the done folder; if this fails it is delivered again next poll (deduplicated)."""
    try:
        if client.has_capability("MOVE"):
            client.move([uid], folder)
            return
        client.copy([uid], folder)
        client.add_flags([uid], [DELETED])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge([uid])
    except IMAPClientError as exc:
        if isinstance(exc, imaplib.IMAP4.abort):
            raise
        log.warning("imap: message uid %d was stored but not moved to %r (%s); it will be delivered again",
                    uid, folder, exc)
