"""WSGIRefreshMiddleware under a real threaded WSGI server on loopback, hit concurrently."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import httpx
import pytest
from flask import Flask
from flask_kit import flask_app
from middleware_kit import NEAR, audit_events, middleware_config, refreshes
from werkzeug.serving import make_server

from loopback_procs import free_port
from refreshgate.clock import ManualClock
from refreshgate.core.engine import Engine
from refreshgate.core.keys import KeySet
from refreshgate.store import create_store
from refreshgate.wsgi import WSGIRefreshMiddleware

Wrapped = tuple[Flask, WSGIRefreshMiddleware]


def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` with werkzeug's threaded server on a free loopback port; yield its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def base_url(wrapped: Wrapped) -> Iterator[str]:
    yield from serve(wrapped[0])


async def test_threaded_server_storm_of_50_requests_mints_once_and_all_get_the_same_token(
    wrapped: Wrapped, base_url: str, clock: ManualClock
) -> None:
    issued = wrapped[1].issue("alice")
    clock.advance(NEAR)
    headers = {"authorization": f"Bearer {issued.access_token}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=20) as client:
        responses = await asyncio.gather(*(client.get(f"/api/x{i}", headers=headers) for i in range(50)))
    assert {r.status_code for r in responses} == {200}
    new_tokens = {r.headers["x-refreshed-access-token"] for r in responses}
    assert len(new_tokens) == 1
    assert {r.json()["authorization"] for r in responses} == {f"Bearer {next(iter(new_tokens))}"}
    assert refreshes(wrapped[1].engine) == 1


async def test_threaded_server_serves_valid_tokens_and_endpoints_concurrently(
    wrapped: Wrapped, base_url: str
) -> None:
    tokens = [wrapped[1].issue(f"user{i}").access_token for i in range(10)]
    async with httpx.AsyncClient(base_url=base_url, timeout=20) as client:
        responses = await asyncio.gather(
            *(client.get("/api/me", headers={"authorization": f"Bearer {t}"}) for t in tokens),
            *(client.get("/healthz") for _ in range(10)),
        )
    assert {r.status_code for r in responses} == {200}
    assert sorted(r.json()["info"]["sub"] for r in responses[:10]) == sorted(f"user{i}" for i in range(10))


@pytest.mark.redis
async def test_store_down_valid_tokens_pass_nothing_refreshed_never_500(
    keys: KeySet, clock: ManualClock
) -> None:
    issuer = Engine(middleware_config(), keys=keys, store=create_store("memory://"), clock=clock)
    fresh = await issuer.issue("alice")
    clock.advance(NEAR)
    due = await issuer.issue("bob", access_ttl=200)
    await issuer.aclose()
    store = {"url": f"redis://127.0.0.1:{free_port()}/6", "timeout": 0.3}
    app = flask_app()
    middleware = WSGIRefreshMiddleware(
        app.wsgi_app, engine=Engine(middleware_config(store=store), keys=keys, clock=clock)
    )
    app.wsgi_app = middleware  # type: ignore[method-assign]
    client = app.test_client()
    assert client.get("/api/x", headers={"Authorization": f"Bearer {fresh.access_token}"}).status_code == 200
    with audit_events() as events:
        response = client.get("/api/x", headers={"Authorization": f"Bearer {due.access_token}"})
    assert response.status_code == 200 and "X-Refreshed-Access-Token" not in response.headers
    assert response.get_json()["authorization"] == f"Bearer {due.access_token}"
    assert [e["reason"] for e in events if e["event"] == "refresh.refused"] == ["store unavailable"]
    clock.advance(200 + 30 + 10)  # past exp + clock_skew, within grace
    assert client.get("/api/x", headers={"Authorization": f"Bearer {due.access_token}"}).status_code == 503
    assert client.get("/readyz").status_code == 503
    assert refreshes(middleware.engine) == 0
    middleware.close()
