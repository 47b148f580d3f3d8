"""The HTTP API (SPEC §6) as plain data in, plain data out: no web framework here.

Shells (ASGI, WSGI, sidecar) read the body (at most ``max_body_bytes``), build an
:class:`ApiRequest`, and send back the :class:`ApiResponse`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from refreshgate.core.engine import Client, Engine
from refreshgate.core.metrics import CONTENT_TYPE as METRICS_TYPE
from refreshgate.core.request import Decision, read_cookie
from refreshgate.errors import (
    InvalidClient,
    InvalidRequest,
    InvalidToken,
    MethodNotAllowed,
    NotFound,
    OAuthError,
    RequestTooLarge,
    UnsupportedGrantType,
    UnsupportedMediaType,
)

__all__ = ["ApiRequest", "ApiResponse", "TokenApi"]

log = logging.getLogger("refreshgate")
_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class ApiRequest:
    """An HTTP request to an endpoint; header names lower-case."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    remote: str | None = None
    query: str = ""


@dataclass(frozen=True)
class ApiResponse:
    """An HTTP response from an endpoint."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @classmethod
    def json(
        cls, payload: Any, status: int = 200, headers: list[tuple[str, str]] | None = None
    ) -> ApiResponse:
        base = [("content-type", _JSON), ("cache-control", "no-store"), ("pragma", "no-cache")]
        return cls(status, base + (headers or []), json.dumps(payload).encode())

    @classmethod
    def error(cls, error: OAuthError) -> ApiResponse:
        return cls(error.status_code, error.headers(), error.body())

    @classmethod
    def refusal(cls, decision: Decision) -> ApiResponse:
        """What a shell answers for a decision that does not pass: a login redirect or the error."""
        if decision.action == "redirect" and decision.location is not None:
            return cls(302, [("location", decision.location), ("cache-control", "no-store")], b"")
        error = decision.error if decision.error is not None else InvalidToken("request refused")
        return cls.error(error)


class TokenApi:
    """Routes endpoint paths to the engine. ``handles(path)`` tells a shell whether to call it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        api = engine.config.api
        self.prefix = api.prefix
        self.max_body = api.max_body_bytes
        self.auth_path = f"{api.prefix}/auth"
        self._routes = {
            f"{api.prefix}/token": ("POST", self._token),
            f"{api.prefix}/refresh": ("POST", self._refresh),
            f"{api.prefix}/revoke": ("POST", self._revoke),
            f"{api.prefix}/revoke/subject": ("POST", self._revoke_subject),
            f"{api.prefix}/keys/public": ("GET", self._jwks),
            "/.well-known/jwks.json": ("GET", self._jwks),
            self.auth_path: ("GET", self._forward_auth),
            "/healthz": ("GET", self._healthz),
            "/readyz": ("GET", self._readyz),
            "/metrics": ("GET", self._metrics),
        }
        if engine.config.tara is not None and engine.provider is not None:
            from refreshgate.core.tara_login import TaraEndpoints

            self._routes.update(TaraEndpoints(engine, engine.provider).routes())

    def handles(self, path: str) -> bool:
        """Whether ``path`` is one of the endpoints (or under the API prefix)."""
        return path in self._routes or path.startswith(self.prefix + "/")

    async def handle(self, request: ApiRequest) -> ApiResponse:
        """Answer one endpoint request; errors become RFC 6749 bodies, never a 500 for bad input."""
        try:
            route = self._routes.get(request.path)
            if route is None:
                raise NotFound("no such endpoint")
            method, handler = route
            if request.method != method and not (method == "GET" and request.method == "HEAD"):
                error = MethodNotAllowed(f"use {method}")
                return ApiResponse(405, [*error.headers(), ("allow", method)], error.body())
            if len(request.body) > self.max_body:
                raise RequestTooLarge(f"request body over {self.max_body} bytes")
            return await handler(request)
        except OAuthError as exc:
            return ApiResponse.error(exc)

    # -- endpoints ------------------------------------------------------------------------------

    async def _token(self, request: ApiRequest) -> ApiResponse:
        client = self._client(request, required=True)
        body = _read_body(request, allow_form=False)
        sub = body.get("sub")
        if not isinstance(sub, str) or not sub:
            raise InvalidRequest("sub must be a non-empty string")
        refresh = body.get("refresh", True)
        profile = body.get("profile", "custom")
        if not isinstance(refresh, bool) or not isinstance(profile, str):
            raise InvalidRequest("refresh must be a boolean and profile a string")
        unknown = set(body) - {"sub", "claims", "profile", "refresh", "access_ttl", "auth_time"}
        if unknown:
            raise InvalidRequest(f"unknown fields: {', '.join(sorted(unknown))}")
        response = await self.engine.issue(
            sub, profile=profile, claims=body.get("claims") or {}, client=client, refresh=refresh,
            access_ttl=body.get("access_ttl"), auth_time=body.get("auth_time"), remote=request.remote,
        )  # fmt: skip
        return ApiResponse.json(response.to_json())

    async def _refresh(self, request: ApiRequest) -> ApiResponse:
        client = self._client(request, required=False)
        token = self._refresh_token_of(request)
        bearer = _bearer(request.headers.get("authorization"))
        response = await self.engine.refresh(token, client=client, access_token=bearer, remote=request.remote)
        return ApiResponse.json(response.to_json())

    def _refresh_token_of(self, request: ApiRequest) -> str:
        if not request.body and request.headers.get("content-type") is None:
            cookie = read_cookie(request.headers.get("cookie"), self.engine.config.cookies.refresh_token_name)
            if cookie is None:
                raise InvalidRequest("refresh_token missing")
            if not request.headers.get("x-requested-with"):
                raise InvalidRequest("X-Requested-With header required with the refresh token cookie")
            return cookie
        body = _read_body(request, allow_form=True)
        if _content_type(request) == _FORM:
            grant = body.get("grant_type")
            if grant is None:
                raise InvalidRequest("grant_type missing")
            if grant != "refresh_token":
                raise UnsupportedGrantType("only grant_type=refresh_token is supported")
        token = body.get("refresh_token")
        if not isinstance(token, str) or not token:
            raise InvalidRequest("refresh_token missing")
        return token

    async def _revoke(self, request: ApiRequest) -> ApiResponse:
        client = self._client(request, required=False)
        body = _read_body(request, allow_form=True)
        token, hint = body.get("token"), body.get("token_type_hint")
        if not isinstance(token, str) or not token:
            raise InvalidRequest("token missing")
        if hint is not None and hint not in ("access_token", "refresh_token"):
            hint = None  # RFC 7009 §2.1: an unknown hint is ignored
        await self.engine.revoke(token, token_type_hint=hint, client=client, remote=request.remote)
        return ApiResponse.json({})

    async def _revoke_subject(self, request: ApiRequest) -> ApiResponse:
        client = self._client(request, required=True)
        assert client is not None
        body = _read_body(request, allow_form=True)
        sub = body.get("sub")
        if not isinstance(sub, str) or not sub:
            raise InvalidRequest("sub missing")
        await self.engine.revoke_subject(sub, client=client, remote=request.remote)
        return ApiResponse.json({})

    async def _jwks(self, request: ApiRequest) -> ApiResponse:
        return ApiResponse.json(self.engine.jwks())

    async def _forward_auth(self, request: ApiRequest) -> ApiResponse:
        from refreshgate.core.forward_auth import forward_auth

        return await forward_auth(self.engine, request)

    async def _healthz(self, request: ApiRequest) -> ApiResponse:
        return ApiResponse.json({"status": "ok"})

    async def _readyz(self, request: ApiRequest) -> ApiResponse:
        if await self.engine.ready():
            return ApiResponse.json({"status": "ready", "store": "ok"})
        return ApiResponse.json({"status": "not ready", "store": "unavailable"}, 503, [("retry-after", "1")])

    async def _metrics(self, request: ApiRequest) -> ApiResponse:
        return ApiResponse(
            200,
            [("content-type", METRICS_TYPE), ("cache-control", "no-store")],
            self.engine.ctx.metrics.render(),
        )

    def _client(self, request: ApiRequest, *, required: bool) -> Client | None:
        client = self.engine.authenticate_client(request.headers.get("authorization"))
        if client is None and required:
            raise InvalidClient("client authentication required (HTTP Basic)")
        return client


def _content_type(request: ApiRequest) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _read_body(request: ApiRequest, *, allow_form: bool) -> dict[str, Any]:
    kind = _content_type(request)
    if not request.body:
        raise InvalidRequest("empty request body")
    if kind == _JSON or kind.endswith("+json"):
        try:
            body = json.loads(request.body, parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidRequest("malformed JSON body") from exc
        if not isinstance(body, dict):
            raise InvalidRequest("the JSON body must be an object")
        return body
    if kind == _FORM and allow_form:
        try:
            parsed = parse_qs(
                request.body.decode("ascii"),
                keep_blank_values=True,
                strict_parsing=True,
                max_num_fields=32,
            )
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidRequest("malformed form body") from exc
        for name, values in parsed.items():
            if len(values) > 1:
                raise InvalidRequest(f"parameter {name} given more than once")
        return {name: values[0] for name, values in parsed.items()}
    accepted = "application/json or application/x-www-form-urlencoded" if allow_form else "application/json"
    raise UnsupportedMediaType(f"content type must be {accepted}")


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _no_constant(name: str) -> Any:
    # JSON has no NaN/Infinity; Python's parser accepts them unless told not to
    raise ValueError(f"{name} is not JSON")
