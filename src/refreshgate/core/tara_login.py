"""The TARA login as endpoints: ``ApiRequest`` in, ``ApiResponse`` out, no web framework.

::

    GET  /tara/login?return_to=/x     302 → provider authorize URL; sealed state cookie
    GET  /tara/callback?code=&state=  state cookie checked and spent once, code spent once,
                                      code exchanged, ID token verified → session (profile
                                      ``tara``), AT cookie + RT cookie, 302 → return_to
    POST /tara/backchannel-logout     logout_token verified → local sessions of its sid/sub end

Failures never create a session. ``user_cancel`` sends the person back to ``return_to`` with
``?login_error=user_cancel``; other failures answer a small page (HTML for browsers, JSON
otherwise) with a short reason: 400 for what the browser brought (state, replay, provider
refusal), 502 for what the provider did wrong (unreachable, slow, bad ID token). Every failure is
audited as ``login.failed`` with its reason; never a code, token, state or nonce.
"""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from refreshgate.core.api import ApiRequest, ApiResponse
from refreshgate.core.provider_session import digest
from refreshgate.core.request import read_cookie
from refreshgate.core.rewrite import set_cookie
from refreshgate.errors import OAuthError, RefreshgateError, StoreUnavailable
from refreshgate.providers import (
    IdTokenInvalid,
    LoginCancelled,
    LoginState,
    OIDCProvider,
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
    StateMismatch,
    VerifiedLogin,
    safe_return_to,
    state_for,
)

if TYPE_CHECKING:
    from refreshgate.core.engine import Engine

__all__ = ["LoginFailed", "TaraEndpoints"]

Handler = Callable[[ApiRequest], Coroutine[Any, Any, ApiResponse]]

_STATE_CONTEXT = "refreshgate/tara-state/v1"
_MAX_PARAM = 4096


class LoginFailed(RefreshgateError):
    """A login that must not create a session: HTTP ``status`` and a short, loggable ``reason``."""

    def __init__(self, status: int, reason: str, description: str) -> None:
        self.status = status
        self.reason = reason
        self.description = description
        super().__init__(f"login failed: {reason}")


class TaraEndpoints:
    """Serves the login, callback and back-channel logout of the configured provider."""

    def __init__(self, engine: Engine, provider: OIDCProvider) -> None:
        config = engine.config
        assert config.tara is not None
        self._engine = engine
        self._ctx = engine.ctx
        self._provider = provider
        self._tara = config.tara
        self._cookies = config.cookies
        self._rt_cookies = config.cookies.model_copy(update={"path": config.api.prefix})
        self._profile = engine.ctx.profile("tara")

    def routes(self) -> dict[str, tuple[str, Handler]]:
        """``path → (method, handler)`` for :class:`~refreshgate.core.api.TokenApi`."""
        return {
            self._tara.login_path: ("GET", self.login),
            self._tara.callback_path: ("GET", self.callback),
            self._tara.backchannel_logout_path: ("POST", self.backchannel_logout),
        }

    # -- login ----------------------------------------------------------------------------------

    async def login(self, request: ApiRequest) -> ApiResponse:
        """302 to the provider's authorize URL; the login state travels in a sealed cookie."""
        query = _query(request.query)
        return_to = safe_return_to(query.get("return_to"))
        try:
            start = await self._provider.make_login(return_to, ui_locales=query.get("ui_locales"))
        except ProviderError as exc:
            return self._failure(request, LoginFailed(502, exc.error, "the login service is unreachable"))
        sealed = self._ctx.sealer.seal(_STATE_CONTEXT, start.login_state.to_dict())
        cookie = set_cookie(
            self._tara.state_cookie_name, sealed, int(self._tara.login_state_ttl), self._state_cookies()
        )
        return _redirect(start.authorize_url, [("set-cookie", cookie)])

    # -- callback -------------------------------------------------------------------------------

    async def callback(self, request: ApiRequest) -> ApiResponse:
        """Verify the callback, start the session, set the cookies and go back to ``return_to``."""
        params = _query(request.query)
        clear = ("set-cookie", set_cookie(self._tara.state_cookie_name, "", 0, self._state_cookies()))
        login_state = self._unseal(read_cookie(request.headers.get("cookie"), self._tara.state_cookie_name))
        try:
            if login_state is None:
                raise LoginFailed(400, "state_missing", "the login was not started here or took too long")
            verified = await self._verify(params, login_state)
            headers = await self._start_session(verified, request)
        except LoginCancelled:
            self._ctx.audit.event("login.failed", remote=request.remote, reason="user_cancel")
            target = _with_param(login_state.return_to if login_state else "/", "login_error", "user_cancel")
            return _redirect(target, [clear])
        except LoginFailed as exc:
            return self._failure(request, exc, [clear])
        return _redirect(login_state.return_to, [clear, *headers])

    async def _verify(self, params: dict[str, str], login_state: LoginState) -> VerifiedLogin:
        try:
            await self._spend(params, login_state)
            return await self._provider.complete_login(params, login_state)
        except LoginCancelled:
            raise
        except StateMismatch as exc:
            raise LoginFailed(400, f"state_{exc.reason}", "the login state does not match") from exc
        except ProviderAuthError as exc:
            raise LoginFailed(400, f"provider_{exc.error}", "the login service refused the login") from exc
        except IdTokenInvalid as exc:
            raise LoginFailed(
                502, f"id_token_{exc.reason}", "the login service sent an invalid answer"
            ) from exc
        except ProviderUnavailable as exc:
            raise LoginFailed(502, "provider_unavailable", "the login service is unreachable") from exc
        except ProviderError as exc:
            raise LoginFailed(502, exc.error, "the login failed") from exc
        except StoreUnavailable as exc:
            raise LoginFailed(503, "store_unavailable", "try again in a moment") from exc

    async def _spend(self, params: dict[str, str], login_state: LoginState) -> None:
        """Use the state and the code once (atomic set-if-absent), before the code exchange."""
        state = params.get("state")
        if not state:
            raise StateMismatch("missing")
        if state != state_for(login_state.secret):
            raise StateMismatch("mismatch")
        ttl = self._tara.login_state_ttl + self._tara.clock_skew
        if not await self._ctx.store.add(f"t:ls:{digest(login_state.secret)}", 1, ttl):
            raise LoginFailed(400, "state_replayed", "this login was already completed")
        code = params.get("code")
        if code and not await self._ctx.store.add(f"t:lc:{digest(code)}", 1, ttl):
            raise LoginFailed(400, "code_replayed", "this login was already completed")

    async def _start_session(self, verified: VerifiedLogin, request: ApiRequest) -> list[tuple[str, str]]:
        engine, tokens = self._engine, verified.provider_tokens
        try:
            issued = await engine.issue(
                verified.subject, profile=self._profile.name, claims=verified.claims_to_preserve,
                auth_time=verified.auth_time, refresh=True, remote=request.remote,
                provider=self._provider.name if tokens is not None else None,
                provider_exp=tokens.exp if tokens is not None else None,
            )  # fmt: skip
            if tokens is not None and engine.provider_sessions is not None:
                await self._keep_provider_session(issued.session_id, verified)
        except OAuthError as exc:
            raise LoginFailed(
                exc.status_code, exc.error, exc.description or "the session could not start"
            ) from exc
        self._ctx.audit.event(
            "login.succeeded",
            sid=issued.session_id,
            sub=verified.subject,
            remote=request.remote,
            profile="tara",
        )
        assert issued.refresh_token is not None and issued.refresh_expires_in is not None
        return [
            (
                "set-cookie",
                set_cookie(self._tara.cookie_name, issued.access_token, issued.expires_in, self._cookies),
            ),
            (
                "set-cookie",
                set_cookie(
                    self._cookies.refresh_token_name,
                    issued.refresh_token,
                    issued.refresh_expires_in,
                    self._rt_cookies,
                ),
            ),
        ]

    async def _keep_provider_session(self, sid: str, verified: VerifiedLogin) -> None:
        sessions, tokens = self._engine.provider_sessions, verified.provider_tokens
        assert sessions is not None and tokens is not None
        repo = self._ctx.sessions(self._profile)
        session = (await repo.load(sid, verified.subject)).session
        assert session is not None
        ttl = self._profile.refresh_ttl + self._profile.grace_period + 60
        await sessions.save(repo, sid, tokens, ttl)
        if tokens.sid is not None:
            await sessions.index(repo, tokens.sid, session, ttl)

    # -- back-channel logout --------------------------------------------------------------------

    async def backchannel_logout(self, request: ApiRequest) -> ApiResponse:
        """OIDC back-channel logout: 400 when the token is invalid or replayed, 200 otherwise."""
        token = _query(request.body.decode("ascii", "replace")).get("logout_token")
        if not token:
            return _json_error(400, "invalid_request", "logout_token missing")
        try:
            logout = await self._provider.verify_logout_token(token)
        except ProviderUnavailable:
            return _json_error(503, "temporarily_unavailable", "provider keys unavailable", retry_after=True)
        except ProviderError as exc:
            self._ctx.audit.event("logout.refused", remote=request.remote, reason=exc.error)
            return _json_error(400, "invalid_request", "invalid logout_token")
        ttl = max(self._profile.refresh_ttl, 3600.0)
        marker = f"t:lj:{digest(logout.jti)}" if logout.jti is not None else None
        if marker is not None and not await self._ctx.store.add(marker, 1, ttl):
            self._ctx.audit.event("logout.refused", remote=request.remote, reason="replayed")
            return _json_error(400, "invalid_request", "logout_token already used")
        try:
            await self._end_sessions(logout.sid, logout.sub)
        except BaseException:
            if marker is not None:  # not done: the provider's retry of this token must be honoured
                with contextlib.suppress(StoreUnavailable):
                    await self._ctx.store.delete(marker)
            raise
        return ApiResponse.json({})

    async def _end_sessions(self, provider_sid: str | None, sub: str | None) -> None:
        engine, repo = self._engine, self._ctx.sessions(self._profile)
        if provider_sid is not None and engine.provider_sessions is not None:
            for sid, owner in await engine.provider_sessions.sessions_of(repo, provider_sid):
                await engine.end_session(sid, profile=self._profile.name, reason="logout", sub=owner)
            return
        if sub is not None:
            await engine.end_subject_sessions(sub, profile=self._profile.name, reason="logout")

    # -- helpers --------------------------------------------------------------------------------

    def _state_cookies(self) -> Any:
        return self._cookies.model_copy(update={"same_site": "lax"})

    def _unseal(self, cookie: str | None) -> LoginState | None:
        if not cookie or len(cookie) > _MAX_PARAM:
            return None
        value = self._ctx.sealer.unseal(_STATE_CONTEXT, cookie)
        try:
            return None if value is None else LoginState.from_dict(value)
        except (KeyError, TypeError, ValueError):
            return None

    def _failure(
        self, request: ApiRequest, failure: LoginFailed, headers: list[tuple[str, str]] | None = None
    ) -> ApiResponse:
        self._ctx.audit.event("login.failed", remote=request.remote, reason=failure.reason)
        out = [("cache-control", "no-store"), *(headers or [])]
        if "text/html" in request.headers.get("accept", ""):
            page = _PAGE.format(reason=html.escape(failure.reason), text=html.escape(failure.description),
                                login=html.escape(self._tara.login_path))  # fmt: skip
            return ApiResponse(
                failure.status, [("content-type", "text/html; charset=utf-8"), *out], page.encode()
            )
        body = {"error": "login_failed", "error_description": failure.description, "reason": failure.reason}
        return ApiResponse(
            failure.status, [("content-type", "application/json"), *out], json.dumps(body).encode()
        )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Login failed</title></head>
<body><h1>Login failed</h1><p>{text}.</p><p>Reason: <code>{reason}</code></p>
<p><a href="{login}">Log in again</a></p></body></html>
"""


def _query(raw: str) -> dict[str, str]:
    """Single-valued query/form parameters; repeated or oversized values are dropped."""
    try:
        parsed = parse_qs(raw, keep_blank_values=True, max_num_fields=32)
    except ValueError:
        return {}
    return {k: v[0] for k, v in parsed.items() if len(v) == 1 and len(v[0]) <= _MAX_PARAM}


def _with_param(path: str, name: str, value: str) -> str:
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{urlencode({name: value})}"


def _redirect(location: str, headers: list[tuple[str, str]]) -> ApiResponse:
    return ApiResponse(302, [("location", location), ("cache-control", "no-store"), *headers], b"")


def _json_error(status: int, error: str, description: str, *, retry_after: bool = False) -> ApiResponse:
    headers = [("retry-after", "1")] if retry_after else []
    return ApiResponse.json({"error": error, "error_description": description}, status, headers)
