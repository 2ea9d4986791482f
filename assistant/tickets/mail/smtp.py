"""Mail in over SMTP or LMTP: the listener a mail server delivers suppliers' replies to.

``python -m assistant mail serve --host H --port P [--lmtp]`` runs an
aiosmtpd server.  Postfix hands mail over by LMTP (``mailbox_transport`` or a
``transport_maps`` entry) or relays it by SMTP; either way the message is
stored before the server says 250, so a crash afterwards loses nothing (the
mail server retries only when it got no 250, and then the Message-ID makes
the retry a duplicate).  Processing runs after the answer, in a thread.

The listener is meant for a private network (the mail server beside it):
it accepts mail for any recipient and needs no authentication, like an LMTP
delivery agent; put it on 127.0.0.1 or behind the mail server's own checks.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask

from . import inbox, incoming

log = logging.getLogger(__name__)


@dataclass
class Handler:
    """aiosmtpd's handler: store each message (then answer), process it afterwards."""

    app: Flask
    via: str = "smtp"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            stored = await loop.run_in_executor(None, self._store, raw, tuple(envelope.rcpt_tos))
        except inbox.TooLarge as exc:
            return f"552 5.3.4 {exc}"
        except Exception:
            log.exception("inbound mail could not be stored")
            return "451 4.3.0 Temporary failure storing the message; try again later"
        if not stored.duplicate and self.app.config["INBOUND_PROCESS_AT_ONCE"]:
            loop.run_in_executor(None, self._process, stored.id)
        return "250 2.0.0 Message accepted"

    def _store(self, raw: bytes, recipients: tuple[str, ...]) -> inbox.Stored:
        with self.app.app_context():
            return inbox.store(self.app.extensions["db"], self.app.config, raw, self.via, recipients)

    def _process(self, mail_id: int) -> None:
        with self.app.app_context():
            incoming.process_due(self.app, ids=(mail_id,))


class _LmtpController(Controller):
    def factory(self):
        return LMTP(self.handler, **self.SMTP_kwargs)


def listener(app: Flask, host: str, port: int, lmtp: bool = False) -> Controller:
    """A started-on-demand SMTP (or LMTP) server on ``host:port`` that stores into ``app``'s database.

    Messages up to MAX_CONTENT_LENGTH, as for the HTTP endpoint (the SIZE
    extension announces it, so a mail server refuses a larger one before sending it).
    """
    handler = Handler(app, "lmtp" if lmtp else "smtp")
    kind = _LmtpController if lmtp else Controller
    return kind(handler, hostname=host, port=port, data_size_limit=int(app.config["MAX_CONTENT_LENGTH"]),
                server_hostname="procuree", ident="Procuree mail in")


def serve(app: Flask, host: str, port: int, lmtp: bool = False, stop: threading.Event | None = None) -> None:
    """Run the listener until ``stop`` is set (or the process is interrupted)."""
    controller = listener(app, host, port, lmtp)
    controller.start()
    log.info("receiving mail by %s on %s:%d", "LMTP" if lmtp else "SMTP", host, port)
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
