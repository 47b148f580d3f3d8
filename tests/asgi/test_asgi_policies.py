"""RefreshMiddleware: route policies, endpoints in-process, spoofed tokens, storms, faults, lifespan."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from asgi_kit import client_for, starlette_app
from fastapi import FastAPI, Request
from middleware_kit import (
    NEAR,
    WITHIN_GRACE,
    alg_none,
    audit_events,
    foreign_id_token,
    hs256_with_public_key,
    middleware_config,
    refreshes,
    tampered,
)

from loopback_procs import free_port
from refreshgate.asgi import RefreshMiddleware
from refreshgate.clock import ManualClock
from refreshgate.core.engine import Engine
from refreshgate.core.keys import KeySet, generate_key_files
from refreshgate.store import create_store


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


# -- route policies --------------------------------------------------------------------------------


async def test_auth_none_route_passes_without_token_and_state_is_none(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/public")
    assert response.status_code == 200 and response.json()["info"] is None


async def test_first_matching_rule_wins_optional_before_required(
    client: httpx.AsyncClient, mw_engine: Engine
) -> None:
    assert (await client.get("/api/open/x")).json()["info"] is None
    issued = await mw_engine.issue("alice")
    assert (await client.get("/api/open/x", headers=bearer(issued.access_token))).json()["info"][
        "sub"
    ] == "alice"
    assert (await client.get("/api/other")).status_code == 401


async def test_rule_with_methods_applies_only_to_those_methods(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/items/1")).status_code == 200
    assert (await client.post("/api/items/1")).status_code == 401


async def test_glob_double_star_spans_segments(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/a/b/c/d")).status_code == 401
    assert (await client.get("/elsewhere/a/b")).status_code == 200


async def test_route_with_refresh_off_passes_near_expiry_untouched_and_rejects_expired(
    client: httpx.AsyncClient, mw_engine: Engine, clock: ManualClock
) -> None:
    issued = await mw_engine.issue("alice")
    clock.advance(NEAR)
    response = await client.get("/api/static/x", headers=bearer(issued.access_token))
    assert response.status_code == 200 and "x-refreshed-access-token" not in response.headers
    clock.advance(WITHIN_GRACE - NEAR)
    assert (await client.get("/api/static/x", headers=bearer(issued.access_token))).status_code == 401
    assert refreshes(mw_engine) == 0


# -- endpoints in-process --------------------------------------------------------------------------


async def test_token_endpoints_are_served_in_process(keys: KeySet, clock: ManualClock) -> None:
    config = middleware_config(clients={"portal": {"secret": "s3cret"}})
    engine = Engine(config, keys=keys, store=create_store("memory://"), clock=clock)
    basic = "Basic " + base64.b64encode(b"portal:s3cret").decode()
    async with client_for(RefreshMiddleware(starlette_app(), engine=engine)) as client:
        issued = await client.post("/jwt/token", json={"sub": "bob"}, headers={"authorization": basic})
        assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
        token = issued.json()["access_token"]
        assert (await client.get("/api/x", headers=bearer(token))).json()["info"]["sub"] == "bob"
        assert (await client.get("/.well-known/jwks.json")).json()["keys"]
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        refreshed = await client.post("/jwt/refresh", json={"refresh_token": issued.json()["refresh_token"]})
        assert refreshed.status_code == 200
    await engine.aclose()


async def test_endpoints_switched_off_reach_the_app(keys: KeySet, clock: ManualClock) -> None:
    engine = Engine(middleware_config(api={"enabled": False}), keys=keys, store=create_store("memory://"))
    async with client_for(RefreshMiddleware(starlette_app(), engine=engine)) as client:
        response = await client.get("/jwt/keys/public")
        assert response.status_code == 200 and "keys" not in response.json()
        assert (await client.get("/healthz")).json()["info"] is None
    async with client_for(RefreshMiddleware(starlette_app(), engine=engine, serve_endpoints=True)) as client:
        assert "keys" in (await client.get("/jwt/keys/public")).json()
    await engine.aclose()


# -- spoofed and malformed tokens ------------------------------------------------------------------

FORGERIES = {
    "alg-none": lambda token, engine, rt: alg_none(token),
    "hs256-with-public-key": lambda token, engine, rt: hs256_with_public_key(token, engine),
    "refresh-token-as-access-token": lambda token, engine, rt: rt,
    "tampered-signature": lambda token, engine, rt: tampered(token),
    "foreign-id-token": lambda token, engine, rt: foreign_id_token(token, same_kid=False),
    "foreign-id-token-with-our-kid": lambda token, engine, rt: foreign_id_token(token, same_kid=True),
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
async def test_spoofed_token_is_401_and_never_refreshed(
    client: httpx.AsyncClient, mw_engine: Engine, clock: ManualClock, forge: Any
) -> None:
    issued = await mw_engine.issue("alice")
    clock.advance(NEAR)  # a genuine token would be refreshed now
    forged = forge(issued.access_token, mw_engine, issued.refresh_token)
    for response in (
        await client.get("/api/x", headers=bearer(forged)),
        await client.get("/web/x", headers={"cookie": f"APP_AT={forged}"}),
    ):
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
        assert "x-refreshed-access-token" not in response.headers and "set-cookie" not in response.headers
    assert refreshes(mw_engine) == 0


# -- concurrency -----------------------------------------------------------------------------------


async def test_storm_of_50_requests_with_one_near_expiry_token_mints_once(
    client: httpx.AsyncClient, mw_engine: Engine, clock: ManualClock
) -> None:
    issued = await mw_engine.issue("alice")
    clock.advance(NEAR)
    responses = await asyncio.gather(
        *(client.get(f"/api/x{i}", headers=bearer(issued.access_token)) for i in range(50))
    )
    assert {r.status_code for r in responses} == {200}
    new_tokens = {r.headers["x-refreshed-access-token"] for r in responses}
    assert len(new_tokens) == 1
    assert {r.json()["authorization"] for r in responses} == {f"Bearer {new_tokens.pop()}"}
    assert refreshes(mw_engine) == 1


# -- faults ----------------------------------------------------------------------------------------


@pytest.mark.redis
async def test_store_down_valid_tokens_pass_nothing_refreshed_never_500(
    keys: KeySet, clock: ManualClock
) -> None:
    issuer = Engine(middleware_config(), keys=keys, store=create_store("memory://"), clock=clock)
    fresh = await issuer.issue("alice")
    clock.advance(NEAR)
    due = await issuer.issue("bob", access_ttl=200)
    store = {"url": f"redis://127.0.0.1:{free_port()}/5", "timeout": 0.3}
    down = Engine(middleware_config(store=store), keys=keys, clock=clock)
    async with client_for(RefreshMiddleware(starlette_app(), engine=down)) as client:
        assert (await client.get("/api/x", headers=bearer(fresh.access_token))).status_code == 200
        with audit_events() as events:
            response = await client.get("/api/x", headers=bearer(due.access_token))
        assert response.status_code == 200 and "x-refreshed-access-token" not in response.headers
        assert response.json()["authorization"] == f"Bearer {due.access_token}"
        assert [e["reason"] for e in events if e["event"] == "refresh.refused"] == ["store unavailable"]
        clock.advance(200 + 30 + 10)  # past exp + clock_skew, within grace
        expired = await client.get("/api/x", headers=bearer(due.access_token))
        assert expired.status_code == 503 and "retry-after" in expired.headers
        assert (await client.get("/readyz")).status_code == 503
    assert refreshes(down) == 0
    await issuer.aclose()


# -- plumbing: config path, lifespan, websocket, FastAPI -------------------------------------------


def _write_config(tmp_path: Path) -> Path:
    raw: dict[str, Any] = {
        **generate_key_files(tmp_path / "keys", stamp="t"),
        "tokens": {"issuer": "https://auth.test"},
        "routes": [{"path": "/api/**"}],
        "audit": {"sink": "logger"},
    }
    path = tmp_path / "sidecar.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


async def test_config_path_builds_an_engine_closed_at_lifespan_shutdown(tmp_path: Path) -> None:
    middleware = RefreshMiddleware(starlette_app(), str(_write_config(tmp_path)))
    closed: list[bool] = []
    original = middleware.engine.aclose

    async def aclose() -> None:
        closed.append(True)
        await original()

    middleware.engine.aclose = aclose  # type: ignore[method-assign]
    incoming = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def receive() -> dict[str, Any]:
        return next(incoming)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    await middleware({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert closed == [True]


async def test_non_http_scopes_reach_the_app_unchanged(mw_engine: Engine) -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope)

    scope = {"type": "websocket", "path": "/api/ws", "headers": []}
    await RefreshMiddleware(app, engine=mw_engine)(scope, None, None)  # type: ignore[arg-type]
    assert seen == [scope]


async def test_fastapi_app_reads_claims_from_request_state(mw_engine: Engine, clock: ManualClock) -> None:
    api = FastAPI()

    @api.get("/api/me")
    async def me(request: Request) -> dict[str, Any]:
        info = request.state.refreshgate
        return {"sub": info.subject, "refreshed": info.refreshed, "roles": info.claims["roles"]}

    api.add_middleware(RefreshMiddleware, engine=mw_engine)
    issued = await mw_engine.issue("carol", claims={"roles": ["admin"]})
    clock.advance(NEAR)
    async with client_for(api) as client:
        response = await client.get("/api/me", headers=bearer(issued.access_token))
    assert response.json() == {"sub": "carol", "refreshed": True, "roles": ["admin"]}
    assert "x-refreshed-access-token" in response.headers


async def test_auth_info_and_decision_reprs_never_show_a_token(mw_engine: Engine, clock: ManualClock) -> None:
    from refreshgate.core.identity import auth_info
    from refreshgate.core.request import RequestView

    issued = await mw_engine.issue("alice")
    clock.advance(NEAR)
    decision = await mw_engine.decide(
        RequestView("GET", "/api/x", authorization=f"Bearer {issued.access_token}")
    )
    info = auth_info(decision)
    assert info is not None and info.refreshed and decision.refreshed is not None
    for text in (repr(info), repr(decision)):
        assert issued.access_token not in text and decision.refreshed.token not in text
