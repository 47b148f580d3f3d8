"""The FastAPI and Flask examples work as documented: login, a protected /api/me, transparent refresh."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(autouse=True)
def restore_audit_logger() -> Iterator[None]:
    """The examples attach a stdout audit sink; leave the logger as other tests expect it."""
    logger = logging.getLogger("refreshgate.audit")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_fastapi_example_logs_in_serves_me_and_refreshes_a_short_token() -> None:
    example = load_example("fastapi_app")
    transport = httpx.ASGITransport(app=example.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8001") as client:
        assert (await client.get("/api/me")).status_code == 401
        login = await client.post("/login", json={"username": "alice"})
        assert login.status_code == 200 and "HttpOnly" in login.headers["set-cookie"]
        token = login.json()["access_token"]
        me = await client.get("/api/me", headers={"authorization": f"Bearer {token}"})
        assert me.json()["sub"] == "alice" and me.json()["refreshed"] is False
        short = (await client.post("/login", json={"username": "bob", "access_ttl": 60})).json()
        refreshed = await client.get("/api/me", headers={"authorization": f"Bearer {short['access_token']}"})
        assert refreshed.json()["refreshed"] is True and refreshed.json()["claims"]["name"] == "bob"
        assert refreshed.headers["x-refreshed-access-token"] != short["access_token"]
        by_cookie = await client.get("/app/me", headers={"cookie": f"EXAMPLE_AT={token}"})
        assert by_cookie.json()["sub"] == "alice"
        assert (await client.get("/healthz")).json() == {"status": "ok"}
    await example.engine.aclose()


def test_flask_example_logs_in_serves_me_and_refreshes_a_short_token() -> None:
    example = load_example("flask_app")
    client = example.app.test_client(use_cookies=False)
    try:
        assert client.get("/api/me").status_code == 401
        login = client.post("/login", json={"username": "alice"})
        assert login.status_code == 200 and "HttpOnly" in login.headers["Set-Cookie"]
        token = login.get_json()["access_token"]
        me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.get_json()["sub"] == "alice" and me.get_json()["refreshed"] is False
        short = client.post("/login", json={"username": "bob", "access_ttl": 60}).get_json()
        refreshed = client.get("/api/me", headers={"Authorization": f"Bearer {short['access_token']}"})
        assert refreshed.get_json()["refreshed"] is True
        assert "X-Refreshed-Access-Token" in refreshed.headers
        assert client.get("/app/me", headers={"Cookie": f"EXAMPLE_AT={token}"}).get_json()["sub"] == "alice"
        assert client.post("/login", json={}).status_code == 400
    finally:
        example.middleware.close()
