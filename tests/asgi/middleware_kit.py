"""Shared by the ASGI and WSGI middleware tests: one config, forged tokens, audit and metric probes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from refreshgate.config import Config, parse_config
from refreshgate.core.engine import Client, Engine

ISSUER, AUDIENCE = "https://auth.test", "portal"
TTL, WINDOW, GRACE, SKEW = 3600, 300, 30, 30
#: seconds to advance so an access token issued "now" is near expiry / expired within grace / beyond
NEAR, WITHIN_GRACE, BEYOND_GRACE = TTL - 100, TTL + SKEW + GRACE // 2, TTL + GRACE + SKEW + 10
ADMIN = Client("ops", True, None)

ROUTES: list[dict[str, Any]] = [
    {"path": "/api/public", "auth": "none"},
    {"path": "/api/open/**", "auth": "optional"},
    {"path": "/api/items/**", "methods": ["GET"], "auth": "none"},
    {"path": "/api/static/**", "refresh": False},
    {"path": "/api/limited/**", "profile": "limited"},
    {"path": "/api/**", "profile": "custom", "auth": "required", "token_from": "header"},
    {"path": "/web/**", "profile": "custom", "token_from": "cookie:APP_AT"},
    {"path": "/web-limited/**", "profile": "limited", "token_from": "cookie:APP_AT"},
    {"path": "/portal/**", "profile": "browser", "token_from": "cookie:PORTAL_AT"},
    {"path": "/**", "auth": "none"},
]


def middleware_config(**overrides: Any) -> Config:
    """The config every middleware test uses; top-level sections replaced by ``overrides``."""
    raw: dict[str, Any] = {
        "tokens": {"issuer": ISSUER, "audience": AUDIENCE, "clock_skew": SKEW},
        "profiles": {
            "custom": {"access_ttl": TTL, "refresh_window": WINDOW, "grace_period": GRACE},
            "limited": {"extends": "custom", "access_ttl": TTL, "max_refreshes": 1},
            "browser": {"extends": "custom", "access_ttl": TTL, "login_url": "/login"},
        },
        "routes": ROUTES,
        "audit": {"sink": "logger"},
    }
    raw.update(overrides)
    return parse_config(raw, env={})


def refreshes(engine: Engine, outcome: str = "succeeded", profile: str = "custom") -> float:
    """``refreshgate_refreshes_total{kind="transparent", ...}`` of this engine."""
    labels = {"kind": "transparent", "profile": profile, "outcome": outcome}
    value = engine.ctx.metrics.registry.get_sample_value("refreshgate_refreshes_total", labels)
    return value or 0.0


@contextmanager
def audit_events() -> Iterator[list[dict[str, Any]]]:
    """Collect the audit events written while the block runs."""
    events: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            events.append(json.loads(record.getMessage()))

    logger = logging.getLogger("refreshgate.audit")
    handler, level = Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield events
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# -- forged and malformed tokens --------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return json.loads(base64.urlsafe_b64decode(pad(header))), json.loads(
        base64.urlsafe_b64decode(pad(payload))
    )


def alg_none(token: str) -> str:
    """The same claims, ``alg: none``, no signature."""
    header, claims = _segments(token)
    header["alg"] = "none"
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def hs256_with_public_key(token: str, engine: Engine) -> str:
    """The same claims, HS256 with the server's public key (PEM) as the HMAC secret."""
    header, claims = _segments(token)
    header["alg"] = "HS256"
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    secret = engine.ctx.keys.signing_key.verifier.to_pem()
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def tampered(token: str) -> str:
    """One character in the middle of the signature changed."""
    head, _, signature = token.rpartition(".")
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    return f"{head}.{signature[:middle]}{swapped}{signature[middle + 1 :]}"


def foreign_id_token(token: str, *, same_kid: bool) -> str:
    """An RS256 ID token from another issuer's key, with the victim's claims (and maybe its kid)."""
    header, claims = _segments(token)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {**claims, "iss": "https://idp.elsewhere", "nonce": "n"}
    kid = header["kid"] if same_kid else "elsewhere-1"
    return jwt.encode(claims, other, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})
