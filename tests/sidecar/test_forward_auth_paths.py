"""Forward-auth decides on the path the upstream will serve, and never emits a raw identity."""

from __future__ import annotations

from typing import Any

import pytest

from refreshgate.clock import ManualClock
from refreshgate.config import parse_config
from refreshgate.core.engine import Engine
from refreshgate.core.forward_auth import forward_auth_headers
from refreshgate.core.keys import KeySet

CONFIG: dict[str, Any] = {
    "routes": [
        {"path": "/api/**", "profile": "custom", "auth": "required"},
        {"path": "/**", "auth": "none"},
    ],
}


@pytest.fixture
async def engine() -> Any:
    made = Engine(parse_config(CONFIG, env={}), keys=KeySet.ephemeral(), clock=ManualClock())
    yield made
    await made.aclose()


@pytest.mark.parametrize("uri", ["/%61pi/me", "/api%2Fme"])
async def test_a_percent_encoded_protected_path_needs_a_token(engine: Engine, uri: str) -> None:
    response = await forward_auth_headers(engine, {"x-original-uri": uri}, "127.0.0.1")
    assert response.status == 401


@pytest.mark.parametrize("uri", ["/public/../api/me", "/public/%2e%2e/api/me", "//api/me", "/api;x/me"])
async def test_a_path_the_upstream_could_resolve_elsewhere_is_refused(engine: Engine, uri: str) -> None:
    response = await forward_auth_headers(engine, {"x-original-uri": uri}, "127.0.0.1")
    assert response.status == 403


async def test_identity_headers_are_escaped_so_a_subject_cannot_inject_a_header(engine: Engine) -> None:
    issued = await engine.issue("alice\r\nX-Admin: 1 Jüri")
    headers = {"x-original-uri": "/api/me", "authorization": f"Bearer {issued.access_token}"}
    response = await forward_auth_headers(engine, headers, "127.0.0.1")
    subject = dict(response.headers)["x-auth-subject"]
    assert response.status == 200
    assert "\r" not in subject and "\n" not in subject and subject.isascii()
