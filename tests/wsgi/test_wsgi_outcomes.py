"""WSGIRefreshMiddleware applies every outcome of SPEC §5 to a real Flask app (Flask's test client)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from middleware_kit import (
    ADMIN,
    BEYOND_GRACE,
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
from werkzeug.test import TestResponse

from refreshgate.clock import ManualClock
from refreshgate.core.engine import Engine
from refreshgate.core.keys import KeySet
from refreshgate.store import create_store
from refreshgate.wsgi import WSGIRefreshMiddleware

SOURCES = ["header", "cookie"]
Wrapped = tuple[Flask, WSGIRefreshMiddleware]


def call(client: FlaskClient, source: str, token: str | None, *, base: str = "") -> TestResponse:
    """GET a protected path with ``token`` in the Authorization header or the APP_AT cookie."""
    if source == "header":
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return client.get(f"{base or '/api'}/thing", headers=headers)
    cookie = f"theme=dark; APP_AT={token}" if token is not None else "theme=dark"
    return client.get(f"{base or '/web'}/thing", headers={"Cookie": cookie})


def seen_token(response: TestResponse, source: str) -> str:
    body: dict[str, Any] = response.get_json()
    if source == "header":
        return str(body["authorization"]).removeprefix("Bearer ")
    parts = dict(part.split("=", 1) for part in body["cookie"].split("; "))
    assert parts["theme"] == "dark"
    return parts["APP_AT"]


def delivered_token(response: TestResponse, source: str) -> str | None:
    if source == "header":
        return response.headers.get("X-Refreshed-Access-Token")
    cookie = response.headers.get("Set-Cookie")
    return None if cookie is None else cookie.split(";", 1)[0].removeprefix("APP_AT=")


@pytest.fixture
def client(wrapped: Wrapped) -> FlaskClient:
    return wrapped[0].test_client(use_cookies=False)


@pytest.mark.parametrize("source", SOURCES)
def test_valid_token_not_near_expiry_reaches_flask_untouched_with_claims_in_environ(
    client: FlaskClient, wrapped: Wrapped, source: str
) -> None:
    issued = wrapped[1].issue("alice", claims={"roles": ["reader"]})
    response = call(client, source, issued.access_token)
    assert response.status_code == 200
    assert seen_token(response, source) == issued.access_token
    assert delivered_token(response, source) is None
    info = response.get_json()["info"]
    assert info["sub"] == "alice" and info["refreshed"] is False and info["claims"]["roles"] == ["reader"]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("advance", [NEAR, WITHIN_GRACE], ids=["near-expiry", "expired-within-grace"])
def test_due_token_is_replaced_for_flask_and_client_and_refresh_token_stays_valid(
    client: FlaskClient, wrapped: Wrapped, clock: ManualClock, source: str, advance: int
) -> None:
    middleware = wrapped[1]
    issued = middleware.issue("alice")
    clock.advance(advance)
    response = call(client, source, issued.access_token)
    assert response.status_code == 200
    new = delivered_token(response, source)
    assert new is not None and new != issued.access_token
    assert seen_token(response, source) == new
    assert response.get_json()["info"]["refreshed"] is True
    if source == "header":
        assert response.headers["X-Refreshed-Expires-In"] == "3600"
    else:
        assert {"HttpOnly", "Secure", "SameSite=Lax"} <= set(response.headers["Set-Cookie"].split("; "))
    assert issued.refresh_token is not None
    assert middleware.run(middleware.engine.refresh(issued.refresh_token)).session_id == issued.session_id


@pytest.mark.parametrize("source", SOURCES)
def test_refused_refresh_passes_the_old_token_and_audits_the_reason(
    client: FlaskClient, wrapped: Wrapped, clock: ManualClock, source: str
) -> None:
    base = "/api/limited" if source == "header" else "/web-limited"
    issued = wrapped[1].issue("alice", profile="limited")
    clock.advance(NEAR)
    second = delivered_token(call(client, source, issued.access_token, base=base), source)
    assert second is not None
    clock.advance(NEAR)
    with audit_events() as events:
        response = call(client, source, second, base=base)
    assert response.status_code == 200 and seen_token(response, source) == second
    assert delivered_token(response, source) is None
    assert any(e["event"] == "refresh.refused" and "max_refreshes" in e["reason"] for e in events)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("kind", ["jti", "subject", "session", "beyond-grace", "garbage", "missing"])
def test_dead_or_denylisted_token_is_401_invalid_token(
    client: FlaskClient, wrapped: Wrapped, clock: ManualClock, source: str, kind: str
) -> None:
    middleware = wrapped[1]
    engine = middleware.engine
    issued = middleware.issue("alice")
    token: str | None = issued.access_token
    if kind == "jti":
        middleware.run(engine.revoke(issued.access_token, token_type_hint="access_token"))
    elif kind == "subject":
        middleware.run(engine.revoke_subject("alice", client=ADMIN))
    elif kind == "session":
        middleware.run(engine.end_session(issued.session_id, profile="custom"))
    elif kind == "beyond-grace":
        clock.advance(BEYOND_GRACE)
    else:
        token = "garbage" if kind == "garbage" else None
    response = call(client, source, token)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_browser_request_with_dead_cookie_is_redirected_to_login(
    client: FlaskClient, wrapped: Wrapped, clock: ManualClock
) -> None:
    issued = wrapped[1].issue("alice", profile="browser")
    clock.advance(BEYOND_GRACE)
    response = client.get(
        "/portal/page?tab=2", headers={"Accept": "text/html", "Cookie": f"PORTAL_AT={issued.access_token}"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?return_to=%2Fportal%2Fpage%3Ftab%3D2"


def test_route_policies_none_optional_methods_and_refresh_off(
    client: FlaskClient, wrapped: Wrapped, clock: ManualClock
) -> None:
    assert client.get("/api/public").get_json()["info"] is None
    assert client.get("/api/open/x").status_code == 200
    assert client.get("/api/items/1").status_code == 200
    assert client.post("/api/items/1").status_code == 401
    issued = wrapped[1].issue("alice")
    clock.advance(NEAR)
    static = client.get("/api/static/x", headers={"Authorization": f"Bearer {issued.access_token}"})
    assert static.status_code == 200 and "X-Refreshed-Access-Token" not in static.headers


def test_endpoints_are_served_in_process_and_can_be_switched_off(keys: KeySet, clock: ManualClock) -> None:
    config = middleware_config(clients={"portal": {"secret": "s3cret"}})
    app = Flask("endpoints")
    app.add_url_rule("/<path:path>", view_func=lambda path: "app", methods=["GET", "POST"])
    served = WSGIRefreshMiddleware(app.wsgi_app, engine=Engine(config, keys=keys, clock=clock))
    app.wsgi_app = served  # type: ignore[method-assign]
    basic = "Basic " + base64.b64encode(b"portal:s3cret").decode()
    client = app.test_client()
    issued = client.post("/jwt/token", json={"sub": "bob"}, headers={"Authorization": basic})
    assert issued.status_code == 200 and issued.get_json()["token_type"] == "Bearer"
    assert (
        client.post("/jwt/token", data="x" * 20_000, headers={"Content-Type": "application/json"}).status_code
        == 413
    )
    assert "keys" in client.get("/.well-known/jwks.json").get_json()
    served.close()
    off = WSGIRefreshMiddleware(
        app.wsgi_app.app,
        engine=Engine(config, keys=keys, store=create_store("memory://")),
        serve_endpoints=False,
    )  # type: ignore[attr-defined]
    app.wsgi_app = off  # type: ignore[method-assign]
    assert app.test_client().get("/jwt/keys/public").get_data() == b"app"
    off.close()


FORGERIES = {
    "alg-none": lambda t, e, rt: alg_none(t),
    "hs256-with-public-key": lambda t, e, rt: hs256_with_public_key(t, e),
    "refresh-token-as-access-token": lambda t, e, rt: rt,
    "tampered-signature": lambda t, e, rt: tampered(t),
    "foreign-id-token": lambda t, e, rt: foreign_id_token(t, same_kid=True),
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_spoofed_token_is_401_and_never_refreshed(
    client: FlaskClient, wrapped: Wrapped, clock: ManualClock, forge: Any
) -> None:
    issued = wrapped[1].issue("alice")
    clock.advance(NEAR)
    forged = forge(issued.access_token, wrapped[1].engine, issued.refresh_token)
    for source in SOURCES:
        response = call(client, source, forged)
        assert response.status_code == 401 and delivered_token(response, source) is None
    assert refreshes(wrapped[1].engine) == 0


def test_close_stops_the_background_loop_thread(wrapped: Wrapped) -> None:
    middleware = wrapped[1]
    middleware.issue("alice")
    thread = middleware._loop._thread
    assert thread is not None and thread.is_alive()
    middleware.close()
    assert not thread.is_alive()
