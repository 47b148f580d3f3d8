"""What an app behind a middleware learns about its request: :class:`AuthInfo`.

ASGI: ``scope["state"]["refreshgate"]`` (Starlette: ``request.state.refreshgate``).
WSGI: ``environ["refreshgate"]`` (Flask: ``request.environ["refreshgate"]``).
The value is ``None`` when the request carried no verified access token (``auth: none`` or
``auth: optional`` without a token).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from refreshgate.core.request import Decision

__all__ = ["STATE_KEY", "AuthInfo", "auth_info"]

#: the key under which the middlewares publish :class:`AuthInfo`
STATE_KEY = "refreshgate"


class AuthInfo(NamedTuple):
    """The verified identity of a request, and whether its access token was just refreshed.

    ``access_token`` is the token the app sees (the new one when ``refreshed``); it is kept out
    of ``repr`` so logging an ``AuthInfo`` never leaks it.
    """

    claims: Mapping[str, Any]
    subject: str
    session_id: str
    refreshed: bool
    access_token: str
    #: why a refresh that was due did not happen (the old token still passed), else ``None``
    refusal: str | None = None

    def __repr__(self) -> str:
        return (
            f"AuthInfo(subject={self.subject!r}, session_id={self.session_id!r}, "
            f"refreshed={self.refreshed!r}, refusal={self.refusal!r})"
        )


def auth_info(decision: Decision) -> AuthInfo | None:
    """The :class:`AuthInfo` of a passing decision; ``None`` when no token was verified."""
    token = decision.token
    if decision.action != "pass" or token is None:
        return None
    return AuthInfo(
        claims=token.claims,  # already a read-only mapping (TokenCodec.verify_access)
        subject=token.sub,
        session_id=token.sid,
        refreshed=decision.refreshed is not None,
        access_token=token.token,
        refusal=decision.refusal,
    )
