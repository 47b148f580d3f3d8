"""Shared helpers of the HTTP tests: the test config, client credentials, error assertions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from refreshgate.config import parse_config
from refreshgate.config.model import Config

PORTAL = ("portal", "portal-secret")
OPS = ("ops", "ops-secret")
AUDIENCE = "portal"

BASE_CONFIG: dict[str, Any] = {
    "tokens": {"issuer": "https://auth.example.ee", "audience": AUDIENCE},
    "clients": {
        "portal": {"secret": PORTAL[1], "profiles": ["custom"]},
        "ops": {"secret": OPS[1], "admin": True},
    },
    "profiles": {"custom": {"rate_limit": "30/minute"}},
    "routes": [{"path": "/api/**", "profile": "custom", "auth": "required", "refresh": True}],
    "audit": {"sink": "off"},
}

#: ``await issue(sub='alice', **body)``: the token response body (the ``issue`` fixture)
Issue = Callable[..., Awaitable[dict[str, Any]]]


def make_config(**overrides: Any) -> Config:
    """The test config, with top-level sections replaced by ``overrides``."""
    return parse_config({**BASE_CONFIG, **overrides})


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> None:
    """An RFC 6749 §5.2 error body with this status and code, and no caching."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == error
    assert set(body) <= {"error", "error_description", "error_uri"}
    assert isinstance(body.get("error_description", ""), str)
    if status == 401:
        assert "www-authenticate" in response.headers
    if status in (429, 503):
        assert int(response.headers["retry-after"]) >= 1
