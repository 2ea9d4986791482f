"""The built-in escalation hook: POST each ticket event, signed, to the configured URLs.

Headers of every delivery:

- ``X-Procuree-Event-Id``: the event id; the same on every retry, so a receiver can deduplicate.
- ``X-Procuree-Event-Type``: ``created``, ``updated``, ...
- ``X-Procuree-Signature: t=<unix time>,v1=<hex>``: HMAC-SHA256 with
  WEBHOOK_SECRET over ``"<t>." + body``.  A receiver recomputes it over the
  raw body and refuses stale timestamps, which stops replays.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from ..config import as_list
from .hooks import TicketEvent

SIGNATURE_HEADER = "X-Procuree-Signature"
EVENT_ID_HEADER = "X-Procuree-Event-Id"
EVENT_TYPE_HEADER = "X-Procuree-Event-Type"


def body_of(event: TicketEvent) -> bytes:
    return json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for ``body``: ``t=<timestamp>,v1=<hex HMAC-SHA256>``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is at most ``tolerance`` seconds old."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def describe(url: str) -> str:
    """scheme://host[:port] of a URL, for logs: paths and queries may carry secrets."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


class WebhookHook:
    """An escalation hook that POSTs the event to one URL; any non-2xx answer is a failure, no answer a TimeoutError."""

    def __init__(self, url: str, secret: str, timeout: float = 10):
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"WEBHOOK_URLS: {describe(url)} is not an http(s) URL")
        self.url, self.secret, self.timeout = url, secret, timeout

    def __call__(self, event: TicketEvent) -> None:
        body = body_of(event)
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Procuree-Webhook/1",
            EVENT_ID_HEADER: event.id,
            EVENT_TYPE_HEADER: event.type,
            SIGNATURE_HEADER: sign(self.secret, body),
        })
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read(1024)
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{describe(self.url)} answered {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):  # the dispatcher skips this URL for the rest of its round
                raise TimeoutError(f"{describe(self.url)} did not answer within {self.timeout:g} s") from None
            raise RuntimeError(f"{describe(self.url)} unreachable: {reason}") from None


def from_config(config) -> list[tuple[str, WebhookHook]]:
    """One named hook per WEBHOOK_URLS entry; URLs without WEBHOOK_SECRET are a configuration error."""
    urls = as_list(config.get("WEBHOOK_URLS"))
    if urls and not config.get("WEBHOOK_SECRET"):
        raise ValueError("WEBHOOK_URLS is set but WEBHOOK_SECRET is empty: webhooks must be signed")
    timeout = float(config.get("WEBHOOK_TIMEOUT_SECONDS", 10))
    return [(hook_name(url), WebhookHook(url, config["WEBHOOK_SECRET"], timeout)) for url in urls]


def hook_name(url: str) -> str:
    """``webhook:<scheme://host>#<hash>``: stable across restarts, with no path or query to leak."""
    return f"webhook:{describe(url)}#{hashlib.sha256(url.encode()).hexdigest()[:8]}"
