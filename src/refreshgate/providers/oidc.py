"""The OpenID Connect provider for TARA (login only) and GovSSO (login, refresh, logout).

Flow: :meth:`OIDCProvider.make_login` builds the authorize URL and the :class:`LoginState` the
core keeps in its encrypted state cookie; :meth:`~OIDCProvider.complete_login` checks the callback,
exchanges the code (``client_secret_basic``) and verifies the ID token; with
``provider_refresh`` :meth:`~OIDCProvider.refresh` runs the refresh-token grant and
:meth:`~OIDCProvider.verify_logout_token` checks back-channel logout tokens. Single-flight,
storage and cookies are the core's job.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import httpx

from refreshgate.config.tara import TaraConfig
from refreshgate.providers.errors import (
    IdTokenInvalid,
    LoginCancelled,
    ProviderAuthError,
    StateMismatch,
)
from refreshgate.providers.http import ProviderHTTP, basic_auth_header
from refreshgate.providers.jwks import JWKSCache
from refreshgate.providers.login import pkce_challenge, safe_return_to, state_for
from refreshgate.providers.metadata import ProviderMetadata, load_metadata
from refreshgate.providers.models import (
    LoginStart,
    LoginState,
    LogoutRequest,
    ProviderTokens,
    RefreshedProviderSession,
    VerifiedLogin,
)
from refreshgate.providers.tokens import (
    ACR_ORDER,
    ClaimRules,
    allowed_amr,
    check_id_token,
    check_logout_token,
    preserved_claims,
    verify_jws,
)

__all__ = ["OIDCProvider"]


class OIDCProvider:
    """One OpenID Connect provider (TARA or GovSSO) configured by a :class:`TaraConfig`.

    ``clock`` returns epoch seconds (inject one in tests). An ``http_client`` passed in is used
    as is (with the configured timeouts per request) and not closed by :meth:`aclose`.
    """

    name = "tara"

    def __init__(
        self,
        config: TaraConfig,
        http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if config.client_secret is None:
            raise ValueError("tara.client_secret is required")
        self._config = config
        self._clock = clock
        timeout = httpx.Timeout(
            config.read_timeout, connect=config.connect_timeout, pool=config.connect_timeout
        )
        self._http = ProviderHTTP(http_client, timeout)
        self._auth = basic_auth_header(config.client_id, config.client_secret.get_secret_value())
        self._metadata: ProviderMetadata | None = None
        self._metadata_lock = asyncio.Lock()
        self._jwks = JWKSCache(self._http, self._jwks_uri, ttl=config.jwks_cache_ttl, clock=clock)
        self._rules = ClaimRules(
            issuer=config.issuer,
            client_id=config.client_id,
            clock_skew=config.clock_skew,
            allowed_amr=allowed_amr(config.scopes),
            min_acr=config.acr_values or "substantial",
        )

    @property
    def config(self) -> TaraConfig:
        """The configuration this provider was built from."""
        return self._config

    async def metadata(self) -> ProviderMetadata:
        """Endpoints from discovery (fetched once, retried after a failure) or configuration."""
        if self._metadata is None:
            async with self._metadata_lock:
                if self._metadata is None:
                    self._metadata = await load_metadata(self._config, self._http)
        return self._metadata

    async def make_login(self, return_to: str, *, ui_locales: str | None = None) -> LoginStart:
        """Start a login: the authorize URL and the state to keep in the state cookie.

        ``return_to`` is reduced to a local path (``/`` otherwise) against open redirects.
        Async because the first call may fetch the discovery document.
        """
        metadata = await self.metadata()
        login_state = LoginState(
            secret=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(24),
            return_to=safe_return_to(return_to),
            code_verifier=secrets.token_urlsafe(48) if metadata.pkce_s256 else None,
            created_at=self._clock(),
        )
        state = state_for(login_state.secret)
        query = self._authorize_params(state, login_state, ui_locales or self._config.ui_locales)
        url = metadata.authorization_endpoint
        separator = "&" if "?" in url else "?"
        return LoginStart(f"{url}{separator}{urlencode(query)}", state, login_state)

    def _authorize_params(
        self, state: str, login_state: LoginState, ui_locales: str | None
    ) -> dict[str, str]:
        config = self._config
        params = {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": config.redirect_uri,
            "scope": config.scope,
            "state": state,
            "nonce": login_state.nonce,
        }
        if config.acr_values:
            params["acr_values"] = config.acr_values
        if ui_locales:
            params["ui_locales"] = ui_locales
        if login_state.code_verifier is not None:
            params["code_challenge"] = pkce_challenge(login_state.code_verifier)
            params["code_challenge_method"] = "S256"
        return params

    async def complete_login(self, params: Mapping[str, str], login_state: LoginState) -> VerifiedLogin:
        """Check the callback, exchange the code and verify the ID token.

        Raises :class:`StateMismatch`, :class:`LoginCancelled`, :class:`ProviderAuthError`,
        :class:`ProviderUnavailable` or :class:`IdTokenInvalid`.
        """
        self._check_state(params.get("state"), login_state)
        if "error" in params:
            raise _callback_error(params)
        code = params.get("code")
        if not code:
            raise ProviderAuthError("invalid_request", "callback without code")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self._config.redirect_uri,
        }
        if login_state.code_verifier is not None:
            form["code_verifier"] = login_state.code_verifier
        body = await self._token_request(form)
        claims, id_token = await self._verified_id_token(body, login_state.nonce, True)
        tokens = None
        if self._config.provider_refresh:
            tokens = _provider_tokens(body, id_token, claims, login_state.nonce)
        return VerifiedLogin(
            subject=claims["sub"],
            claims_to_preserve=preserved_claims(claims),
            auth_time=_auth_time(claims),
            acr=claims.get("acr"),
            amr=tuple(claims["amr"]),
            provider_tokens=tokens,
        )

    def _check_state(self, state: str | None, login_state: LoginState) -> None:
        if not state:
            raise StateMismatch("missing")
        age = self._clock() - login_state.created_at
        if age > self._config.login_state_ttl or age < -self._config.clock_skew:
            raise StateMismatch("expired")
        expected = state_for(login_state.secret)
        if not hmac.compare_digest(state.encode(), expected.encode()):
            raise StateMismatch("mismatch")

    async def refresh(self, provider_tokens: ProviderTokens) -> RefreshedProviderSession:
        """GovSSO session update: new ID token and new (single-use) refresh token.

        The new ID token is verified like a login token (a missing ``nonce`` is accepted); its
        ``sub`` and ``sid`` must be unchanged and its ``acr`` not raised. An ``invalid_grant``
        is :class:`ProviderAuthError` (end the session); network trouble is retryable.
        """
        form = {"grant_type": "refresh_token", "refresh_token": provider_tokens.refresh_token}
        body = await self._token_request(form)
        claims, id_token = await self._verified_id_token(body, provider_tokens.nonce, False)
        _check_unchanged(provider_tokens, claims)
        tokens = _provider_tokens(body, id_token, claims, provider_tokens.nonce)
        return RefreshedProviderSession(
            provider_tokens=tokens,
            claims_to_preserve=preserved_claims(claims),
            auth_time=_auth_time(claims),
            exp=tokens.exp,
        )

    async def verify_logout_token(self, token: str) -> LogoutRequest:
        """Verify a back-channel ``logout_token``; :class:`IdTokenInvalid` means answer 400."""
        claims = await verify_jws(token, self._jwks)
        check_logout_token(claims, self._rules, self._clock())
        return LogoutRequest(_str(claims, "sid"), _str(claims, "sub"), _str(claims, "jti"))

    async def end_session_url(
        self, provider_tokens: ProviderTokens, post_logout_redirect_uri: str | None = None
    ) -> str | None:
        """RP-initiated logout URL (GovSSO), or ``None`` when the provider has no logout."""
        endpoint = (await self.metadata()).end_session_endpoint
        if endpoint is None:
            return None
        query = {"id_token_hint": provider_tokens.id_token}
        if post_logout_redirect_uri:
            query["post_logout_redirect_uri"] = post_logout_redirect_uri
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{urlencode(query)}"

    async def aclose(self) -> None:
        """Close the HTTP client if the provider created it."""
        await self._http.aclose()

    async def __aenter__(self) -> OIDCProvider:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _jwks_uri(self) -> str:
        return (await self.metadata()).jwks_uri

    async def _token_request(self, form: Mapping[str, str]) -> dict[str, Any]:
        endpoint = (await self.metadata()).token_endpoint
        return await self._http.post_form(endpoint, form, self._auth)

    async def _verified_id_token(
        self, body: Mapping[str, Any], nonce: str | None, nonce_required: bool
    ) -> tuple[dict[str, Any], str]:
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise IdTokenInvalid("missing")
        claims = await verify_jws(id_token, self._jwks)
        check_id_token(claims, self._rules, self._clock(), nonce=nonce, nonce_required=nonce_required)
        return claims, id_token


def _callback_error(params: Mapping[str, str]) -> ProviderAuthError:
    description = params.get("error_description")
    if params["error"] == "user_cancel":
        return LoginCancelled(description)
    return ProviderAuthError(params["error"], description)


def _auth_time(claims: Mapping[str, Any]) -> int:
    """GovSSO's ``auth_time`` when present; TARA has none, so its ``iat`` is the login time."""
    value = claims.get("auth_time")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    return int(claims["iat"])


def _provider_tokens(
    body: Mapping[str, Any], id_token: str, claims: Mapping[str, Any], nonce: str | None
) -> ProviderTokens:
    refresh_token = body.get("refresh_token")
    if not isinstance(refresh_token, str) or not refresh_token:
        raise ProviderAuthError("invalid_response", "no refresh_token from the provider")
    return ProviderTokens(
        refresh_token=refresh_token,
        id_token=id_token,
        exp=int(claims["exp"]),
        sid=_str(claims, "sid"),
        subject=claims["sub"],
        acr=claims.get("acr"),
        nonce=nonce,
    )


def _check_unchanged(old: ProviderTokens, claims: Mapping[str, Any]) -> None:
    """A refresh never changes identity, never switches session, never raises ``acr``."""
    if claims["sub"] != old.subject:
        raise IdTokenInvalid("sub_changed")
    sid = claims.get("sid")
    if old.sid is not None and sid is not None and sid != old.sid:
        raise IdTokenInvalid("sid_changed")
    if ACR_ORDER.get(claims.get("acr") or "", -1) > ACR_ORDER.get(old.acr or "", -1):
        raise IdTokenInvalid("acr_raised")


def _str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None
