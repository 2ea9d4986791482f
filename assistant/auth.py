"""Bearer-token guards for the staff sides of the API (agents, editors/admins).

Tokens come from configuration and are compared in constant time; an empty
token turns that side off (every request gets 401) rather than opening it.
"""
from __future__ import annotations

import hmac
from collections.abc import Callable

from flask import current_app, request

from .errors import ApiError


def token_matches(config_key: str, given: str) -> bool:
    """``given`` equals the configured token (never true while the token is unset)."""
    expected = current_app.config.get(config_key) or ""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def bearer_token_valid(config_key: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and token_matches(config_key, given)


def require_bearer(config_key: str) -> Callable[[], None]:
    """A ``before_request`` hook that refuses requests without ``Bearer <config[config_key]>``."""

    def guard() -> None:
        if not bearer_token_valid(config_key):
            raise ApiError(401, f"This API needs 'Authorization: Bearer <{config_key}>'.")

    return guard
