"""Sealed mail bodies: what must be sent later is kept encrypted, with a key outside the database.

Queued emails carry reference codes, one-time codes and signed links.  They
are sealed with Fernet (AES-128-CBC and HMAC-SHA256, from ``cryptography``)
under MAIL_KEY, which lives in the configuration or in
``<instance>/mail_key``, never in the database: a copy of the database, a
backup or a stolen disk image of it alone reveals none of them.
"""
from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class Unreadable(ValueError):
    """A sealed body that MAIL_KEY does not open (another key sealed it, or it was altered)."""


def new_key() -> str:
    """A fresh MAIL_KEY: 32 random bytes, URL-safe base64, as Fernet wants it."""
    return Fernet.generate_key().decode()


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except (ValueError, TypeError, AttributeError):
        raise ValueError("MAIL_KEY must be 32 url-safe base64-encoded bytes, as "
                         "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'` "
                         "prints") from None


def check_key(key: str) -> None:
    """Refuse a malformed MAIL_KEY at start-up rather than at the first email."""
    _fernet(key)


def seal(key: str, text: str) -> str:
    """``text`` encrypted and authenticated under ``key``, as ASCII."""
    return _fernet(key).encrypt(text.encode("utf-8")).decode("ascii")


def unseal(key: str, token: str) -> str:
    """The text ``seal`` sealed; Unreadable when ``key`` is not the one that sealed it."""
    try:
        return _fernet(key).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise Unreadable("the body cannot be opened with MAIL_KEY (sealed under another key?)") from None


def seal_bytes(key: str, data: bytes) -> bytes:
    """``data`` (a whole received email) encrypted and authenticated under ``key``."""
    return _fernet(key).encrypt(data)


def unseal_bytes(key: str, token: bytes) -> bytes:
    """The bytes ``seal_bytes`` sealed; Unreadable when ``key`` is not the one that sealed them."""
    try:
        return _fernet(key).decrypt(bytes(token))
    except InvalidToken:
        raise Unreadable("the message cannot be opened with MAIL_KEY (sealed under another key?)") from None
