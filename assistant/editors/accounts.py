"""Named editors: an account per person, a password hashed with Argon2id, and a role.

Roles are cumulative: an ``editor`` writes drafts, a ``publisher`` also
publishes and rolls back, an ``admin`` also manages accounts.  Accounts are
created by an operator (``python -m assistant editors add``); ADMIN_TOKEN
stays for automation.  Passwords are hashed with argon2-cffi's defaults
(Argon2id, RFC 9106 low-memory profile) and rehashed at sign-in when those
defaults change.  A sign-in for an unknown or disabled name still verifies
a hash, so the answer takes the same time whether or not the name exists.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from .. import db

ROLES = ("editor", "publisher", "admin")  # each may do what the ones before it may
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
MIN_PASSWORD = 12

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("a password no editor has")


def allows(held: str, role: str) -> bool:
    """Whether the role ``held`` includes ``role`` (roles are cumulative, in the order of ROLES)."""
    return ROLES.index(held) >= ROLES.index(role)


class AccountError(ValueError):
    """A name, role or password that cannot be used, or an account that exists already (or not)."""


@dataclass(frozen=True)
class Editor:
    """An editor as the rest of the app sees one (never the hash)."""

    name: str
    role: str
    created_at: dt.datetime
    created_by: str
    disabled: bool = False

    def may(self, role: str) -> bool:
        """Whether this editor has ``role`` or one above it."""
        return not self.disabled and allows(self.role, role)


def _checked(name: str, role: str | None, password: str | None) -> str:
    name = name.strip().lower()
    if not NAME.match(name):
        raise AccountError("a name is 2 to 80 lower-case letters, digits, dots, dashes or underscores, such as ana.lima")
    if role is not None and role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
    return name


def create(engine: Engine, name: str, password: str, role: str, by: str, now: dt.datetime | None = None) -> Editor:
    """A new account; AccountError if the name is taken or anything is malformed."""
    name = _checked(name, role, password)
    now = now or db.utcnow()
    try:
        with engine.begin() as conn:
            conn.execute(db.editors.insert().values(name=name, password_hash=_hasher.hash(password), role=role,
                                                    created_at=now, created_by=by, changed_at=now))
    except IntegrityError:
        raise AccountError(f"an editor named {name} exists already") from None
    return Editor(name, role, now, by)


def listing(engine: Engine) -> list[Editor]:
    with engine.connect() as conn:
        return [_editor(row) for row in conn.execute(select(db.editors).order_by(db.editors.c.name))]


def get(engine: Engine, name: str) -> Editor | None:
    row = _row(engine, name)
    return _editor(row) if row else None


def verify(engine: Engine, name: str, password: str) -> Editor | None:
    """The editor if ``password`` is theirs and the account is enabled; None otherwise, in about the same time."""
    row = _row(engine, name.strip().lower())
    try:
        _hasher.verify(row.password_hash if row else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        _set(engine, row.name, password_hash=_hasher.hash(password))
    return _editor(row)


def set_password(engine: Engine, name: str, password: str) -> None:
    """A new password; every session opened with the old one ends (``fingerprint`` changes)."""
    _set(engine, _checked(name, None, password), password_hash=_hasher.hash(password))


def set_role(engine: Engine, name: str, role: str) -> None:
    _set(engine, _checked(name, role, None), role=role)


def disable(engine: Engine, name: str, now: dt.datetime | None = None) -> None:
    """The editor can no longer sign in, and their open sessions end; their recorded changes stay theirs."""
    _set(engine, _checked(name, None, None), disabled_at=now or db.utcnow())


def fingerprint(engine: Engine, name: str, secret: str) -> str | None:
    """What a session opened by ``name`` is tied to: their role and hash (a new password or role ends it); None if disabled."""
    row = _row(engine, name)
    if row is None or row.disabled_at is not None:
        return None
    return hmac.new(secret.encode(), f"{row.role}:{row.password_hash}".encode(), hashlib.sha256).hexdigest()[:32]


def _set(engine: Engine, name: str, **values) -> None:
    with engine.begin() as conn:
        changed = conn.execute(update(db.editors).where(db.editors.c.name == name)
                               .values(changed_at=db.utcnow(), **values)).rowcount
    if not changed:
        raise AccountError(f"no editor named {name}")


def _row(engine: Engine, name: str):
    with engine.connect() as conn:
        return conn.execute(select(db.editors).where(db.editors.c.name == name)).first()


def _editor(row) -> Editor:
    return Editor(row.name, row.role, row.created_at, row.created_by, row.disabled_at is not None)
