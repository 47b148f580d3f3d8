"""Helpers that drive the TARA endpoints through :class:`TokenApi` (framework-free)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import respx
from tara_fakes import RecordingStore

from oidc_fakes import CLIENT_ID, CLIENT_SECRET, GOVSSO, TARA, MockProvider, SigningKey, claims_like
from refreshgate.clock import ManualClock
from refreshgate.core.api import ApiRequest, ApiResponse, TokenApi
from refreshgate.core.engine import Engine
from refreshgate.core.request import Decision, RequestView, read_cookie

HTML = "text/html,application/xhtml+xml"


ROUTES = [
    {"path": "/portal/**", "profile": "tara", "token_from": "cookie:TIM_TARA_JWT"},
    {"path": "/tara-api/**", "profile": "tara", "token_from": "header"},
    {"path": "/api/**", "profile": "custom", "token_from": "header"},
    {"path": "/**", "auth": "none"},
]


def tara_block(**overrides: Any) -> dict[str, Any]:
    """The ``tara:`` block for the TARA test instance."""
    return {
        "issuer": TARA,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": "https://portal.example.ee/tara/callback",
        "acr_values": "substantial",
    } | overrides


def govsso_block(**overrides: Any) -> dict[str, Any]:
    """The ``tara:`` block for the GovSSO demo instance with provider refresh."""
    return (
        tara_block(issuer=GOVSSO, provider_refresh=True, acr_values="high", refresh_retry_backoff=0.5)
        | overrides
    )


def tara_mock(router: respx.MockRouter, key: SigningKey) -> MockProvider:
    paths = {"discovery": "/.well-known/openid-configuration", "authorize": "/oidc/authorize",
             "token": "/oidc/token", "jwks": "/oidc/jwks"}  # fmt: skip
    mock = MockProvider(router, TARA, paths, keys=[key.jwk])
    mock.install()
    return mock


def govsso_mock(router: respx.MockRouter, key: SigningKey) -> MockProvider:
    paths = {"discovery": "/.well-known/openid-configuration", "authorize": "/oauth2/auth",
             "token": "/oauth2/token", "jwks": "/.well-known/jwks.json", "logout": "/oauth2/sessions/logout"}  # fmt: skip
    mock = MockProvider(router, GOVSSO, paths, keys=[key.jwk])
    mock.discovery_extra = {
        "code_challenge_methods_supported": ["S256"],
        "end_session_endpoint": mock.url("logout"),
    }
    mock.install()
    return mock


def cookies_of(response: ApiResponse) -> dict[str, str]:
    """``name → full Set-Cookie value`` of a response."""
    out = {}
    for name, value in response.headers:
        if name == "set-cookie":
            out[value.split("=", 1)[0]] = value
    return out


def cookie_value(set_cookie: str) -> str:
    """The value part of a ``Set-Cookie`` header."""
    return set_cookie.split(";", 1)[0].split("=", 1)[1]


def header(response: ApiResponse, name: str) -> str | None:
    """The first header ``name`` of a response."""
    return next((v for k, v in response.headers if k == name), None)


def query_of(url: str) -> dict[str, str]:
    """Single-valued query parameters of a URL."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@dataclass
class Started:
    """A login started at ``/tara/login``: the authorize URL's parameters and the state cookie."""

    response: ApiResponse
    params: dict[str, str]
    state_cookie: str


@dataclass
class LoggedIn:
    """The callback's answer and the cookies it set."""

    response: ApiResponse
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def access_token(self) -> str:
        return cookie_value(self.cookies["TIM_TARA_JWT"])

    @property
    def refresh_token(self) -> str:
        return cookie_value(self.cookies["refreshgate_rt"])


@dataclass
class TaraEnv:
    """An engine with the ``tara:`` block, its API, a recording store, a clock and the mock."""

    engine: Engine
    api: TokenApi
    store: RecordingStore
    clock: ManualClock
    mock: MockProvider
    key: SigningKey
    caplog: pytest.LogCaptureFixture

    async def start(self, return_to: str = "/portal/home") -> Started:
        response = await self.api.handle(
            ApiRequest("GET", "/tara/login", query=urlencode({"return_to": return_to}))
        )
        assert response.status == 302, response.body
        cookie = cookies_of(response)["refreshgate_tara_state"]
        return Started(response, query_of(header(response, "location") or ""), cookie_value(cookie))

    def answer(self, claims: dict[str, Any], key: SigningKey | None = None, **body: Any) -> None:
        """The token endpoint's next answer: an ID token over ``claims``."""
        token = (key or self.key).sign(claims)
        self.mock.token_response(
            **(
                {"access_token": "tara-at", "token_type": "bearer", "expires_in": 40, "id_token": token}
                | body
            )
        )

    async def callback(
        self, started: Started, *, code: str = "code-1", accept: str = HTML, **params: str
    ) -> ApiResponse:
        query = {"code": code, "state": started.params["state"]} | params
        return await self.api.handle(
            ApiRequest(
                "GET",
                "/tara/callback",
                headers={"cookie": f"refreshgate_tara_state={started.state_cookie}", "accept": accept},
                query=urlencode({k: v for k, v in query.items() if v is not None}),
            )
        )

    async def login(self, claims: dict[str, Any], return_to: str = "/portal/home", **body: Any) -> LoggedIn:
        """A whole successful login with ``claims`` (the nonce is filled in)."""
        started = await self.start(return_to)
        self.answer(claims_like(claims, nonce=started.params["nonce"]), **body)
        response = await self.callback(started, code=f"code-{started.params['state'][:12]}")
        assert response.status == 302, response.body
        return LoggedIn(response, cookies_of(response))

    async def visit(self, path: str, token: str, *, accept: str = HTML) -> Decision:
        """A browser request carrying the TARA cookie."""
        return await self.engine.decide(
            RequestView("GET", path, cookie=f"TIM_TARA_JWT={token}", accept=accept, remote="127.0.0.1")
        )

    def audit_events(self) -> list[str]:
        """Names of the audit events logged so far."""
        import json

        return [
            json.loads(r.getMessage())["event"] for r in self.caplog.records if r.name == "refreshgate.audit"
        ]

    def audit_text(self) -> str:
        return "\n".join(r.getMessage() for r in self.caplog.records)


def token_cookie(logged: LoggedIn) -> str | None:
    return read_cookie(f"TIM_TARA_JWT={logged.access_token}", "TIM_TARA_JWT")


__all__ = [
    "HTML",
    "LoggedIn",
    "Started",
    "TaraEnv",
    "cookie_value",
    "cookies_of",
    "header",
    "logging",
    "query_of",
]
