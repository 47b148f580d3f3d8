"""Transparent refresh (SPEC §5, second part): the one decision every shell asks for.

pass untouched │ pass with a new access token │ pass with the old one (refresh refused,
token still valid) │ reject 401 │ redirect a browser to log in.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from refreshgate.config.profiles import Profile
from refreshgate.core.context import BoundedCache, EngineContext
from refreshgate.core.issuance import access_claims, capped, session_ttl
from refreshgate.core.policy import Route
from refreshgate.core.refresh import check_alive, check_limits
from refreshgate.core.request import Decision, RefreshedAccess, RequestView, read_cookie
from refreshgate.core.revocation import Revoker
from refreshgate.core.sessions import Session, SessionRepository
from refreshgate.core.tokens import AccessToken, new_id
from refreshgate.errors import (
    InvalidGrant,
    InvalidToken,
    OAuthError,
    RateLimited,
    StoreUnavailable,
    TemporarilyUnavailable,
)

__all__ = ["ProviderHook", "TransparentRefresher"]

#: called by the mint winner for sessions with a provider session (e.g. GovSSO): returns the
#: session with updated claims/``ends_at``, or raises InvalidGrant to demand re-authentication
ProviderHook = Callable[[Session, SessionRepository], Awaitable[Session]]

_PASS = Decision("pass")
#: rejection reasons used as metric labels (anything else is counted under its error code)
_METRIC_REASONS = frozenset(
    {
        "missing",
        "expired",
        "revoked",
        "signature",
        "kid",
        "alg",
        "typ",
        "iss",
        "aud",
        "nbf",
        "claims",
        "profile",
        "refresh_refused",
        "seal",
    }
)


class TransparentRefresher:
    """Decides about one request and mints at most one new access token per old ``jti``."""

    def __init__(self, ctx: EngineContext, revoker: Revoker) -> None:
        self._ctx = ctx
        self._revoker = revoker
        self._verified: BoundedCache[str, AccessToken] = BoundedCache(ctx.config.tokens.verify_cache_size)
        self._skew = ctx.config.tokens.clock_skew
        #: old ``jti`` -> the access token minted for it (this process's share of the mint)
        self._minted: BoundedCache[str, AccessToken] = BoundedCache(ctx.config.tokens.verify_cache_size)
        self.provider_hook: ProviderHook | None = None

    def decide_cached(self, request: RequestView) -> Decision | None:
        """The decision when it needs no I/O and no new work, else ``None`` (then :meth:`decide`).

        Answers the common cases from what is already known: routes without auth, and a token
        verified before, not near expiry, whose "not revoked" answer is still trusted. Only reads
        shared state, so a shell may call it from any thread (the WSGI workers do).
        """
        route = self._ctx.routes.match(request.method, request.path)
        if route is None or route.auth == "none":
            return _PASS if route is None else Decision("pass", route)
        raw = _token_of(request, route)
        if raw is None:
            return Decision("pass", route) if route.auth == "optional" else None
        at = self._verified.get(raw)
        if at is None or at.profile != route.profile.name:
            return None
        now = self._ctx.clock.now()
        if now > at.exp + self._skew or (route.refresh and at.exp - now <= route.profile.refresh_window):
            return None
        return Decision("pass", route, at) if self._revoker.cached(at, now) is False else None

    async def decide(self, request: RequestView) -> Decision:
        """The whole decision for one request."""
        known = self.decide_cached(request)
        if known is not None:
            return known
        route = self._ctx.routes.match(request.method, request.path)
        if route is None or route.auth == "none":
            return _PASS if route is None else Decision("pass", route)
        raw = _token_of(request, route)
        if raw is None:
            if route.auth == "optional":
                return Decision("pass", route)
            return self._reject(request, route, InvalidToken("access token missing", reason="missing"))
        try:
            at = self._verify(raw, route)
        except InvalidToken as exc:
            return self._reject(request, route, exc)
        return await self._decide_valid(request, route, at)

    async def _decide_valid(self, request: RequestView, route: Route, at: AccessToken) -> Decision:
        now = self._ctx.clock.now()
        expired = now > at.exp + self._skew
        try:
            revoked = self._revoker.cached(at, now)
            if revoked is None:
                revoked = await self._revoker.is_revoked(at)
            if revoked:
                return self._reject(request, route, InvalidToken("access token revoked", reason="revoked"))
        except StoreUnavailable:
            if expired:
                return self._reject(request, route, TemporarilyUnavailable("session store unavailable"))
            if route.refresh and at.exp - now <= route.profile.refresh_window:
                self._ctx.audit.event(
                    "refresh.refused", sid=at.sid, sub=at.sub, jti_old=at.jti, remote=request.remote,
                    route=route.pattern, reason="store unavailable",
                )  # fmt: skip
            return Decision("pass", route, at, refusal="store unavailable")
        if not expired and (at.exp - now > route.profile.refresh_window or not route.refresh):
            return Decision("pass", route, at)
        if expired and (not route.refresh or now - at.exp > route.profile.grace_period + self._skew):
            return self._reject(request, route, InvalidToken("access token expired", reason="expired"))
        return await self._refresh(request, route, at, expired)

    async def _refresh(self, request: RequestView, route: Route, at: AccessToken, expired: bool) -> Decision:
        try:
            new = await self.mint(at, route.profile, remote=request.remote, route=route.pattern)
        except OAuthError as exc:
            self._ctx.audit.event(
                "refresh.rate_limited" if isinstance(exc, RateLimited) else "refresh.refused",
                sid=at.sid,
                sub=at.sub,
                jti_old=at.jti,
                remote=request.remote,
                route=route.pattern,
                reason=exc.description or exc.error,
            )
            if not expired:
                return Decision("pass", route, at, refusal=exc.description or exc.error)
            if isinstance(exc, InvalidGrant):
                self._ctx.audit.event(
                    "reauth.required",
                    sid=at.sid,
                    sub=at.sub,
                    route=route.pattern,
                    reason=exc.description,
                )
                exc = InvalidToken(exc.description, reason="refresh_refused")
            return self._reject(request, route, exc)
        return Decision("pass", route, new[0], refreshed=new[1])

    async def mint(
        self,
        at: AccessToken,
        profile: Profile,
        *,
        remote: str | None = None,
        route: str | None = None,
    ) -> tuple[AccessToken, RefreshedAccess]:
        """A new access token for ``at``'s session: checks 2, 3, 7; one mint per old ``jti``.

        Only the winner of the ``jti`` claim checks and counts (rate limit, limits) and mints;
        everyone else holding the same old token gets the same new one.
        """
        ctx = self._ctx
        started = time.perf_counter()
        outcome = "error"
        try:
            cached = self._minted.get(at.jti)
            if cached is not None:
                outcome = "shared"
                return cached, RefreshedAccess(cached.token, max(int(cached.exp - ctx.clock.now()), 0))
            repo = ctx.sessions(profile)
            # as long as the old token can still be presented (its exp + grace + skew)
            keep_for = max(at.exp - ctx.clock.now(), 0) + profile.grace_period + self._skew
            flight = await ctx.flight.run(
                repo.keys.mint(at.jti),
                lambda: self._mint(at, profile, repo, remote, route),
                keep_for=keep_for,
            )
            sealed = ctx.sealer.unseal(at.token, str(flight.record.get("sealed", "")))
            if sealed is None:
                raise InvalidToken("access token could not be refreshed", reason="seal")
            new_at = self._codec_verify(str(sealed["token"]))
            self._minted.put(at.jti, new_at)
            outcome = "succeeded" if flight.produced else "shared"
            return new_at, RefreshedAccess(new_at.token, max(int(new_at.exp - ctx.clock.now()), 0))
        except OAuthError as exc:
            outcome = exc.error
            raise
        finally:
            ctx.metrics.refreshes.labels("transparent", profile.name, outcome).inc()
            ctx.metrics.refresh_latency.labels("transparent").observe(time.perf_counter() - started)

    def _codec_verify(self, token: str) -> AccessToken:
        at = self._verified.get(token)
        if at is None:
            at = self._ctx.codec.verify_access(token)
            self._verified.put(token, at)
        return at

    async def _mint(
        self,
        at: AccessToken,
        profile: Profile,
        repo: SessionRepository,
        remote: str | None,
        route: str | None,
    ) -> dict[str, Any]:
        """The claim winner: reload, re-check, mint, publish."""
        ctx = self._ctx
        state = await repo.load(at.sid, at.sub)
        session, current = check_alive(state.session, state.revoked, state.denied_before), state.current
        await ctx.limiter.hit("session", at.sid, profile.rate_limit)
        now = ctx.clock.now()
        check_limits(profile, session, state.last_use, state.refreshes, now)
        if session.provider is not None and self.provider_hook is not None:
            session = await self.provider_hook(session, repo)
        exp = capped(now + profile.access_ttl, session.ends_at)
        jti = new_id()
        minted = ctx.codec.mint_access_token(access_claims(session, jti=jti, now=now, exp=exp))
        self._verified.put(minted.token, minted)  # this process need not verify its own signature
        token = minted.token
        refresh_exp = current.at + profile.refresh_ttl if current else now + profile.refresh_ttl
        await repo.record_use(at.sid, now, session_ttl(profile, session, max(refresh_exp, exp), now))
        ctx.audit.event(
            "refresh.succeeded",
            sid=at.sid,
            sub=at.sub,
            jti_old=at.jti,
            jti_new=jti,
            remote=remote,
            route=route,
            profile=profile.name,
            reason="transparent",
        )
        return {
            "state": "done",
            "at": now,
            "jti_new": jti,
            "sealed": ctx.sealer.seal(at.token, {"token": token}),
        }

    def _verify(self, raw: str, route: Route) -> AccessToken:
        at = self._verified.get(raw)
        if at is None:
            at = self._ctx.codec.verify_access(raw, allow_expired=True)
            self._verified.put(raw, at)
        if at.profile != route.profile.name:
            raise InvalidToken("token of another profile", reason="profile")
        return at

    def _reject(self, request: RequestView, route: Route, error: OAuthError) -> Decision:
        reason = getattr(error, "reason", "")
        self._ctx.metrics.rejected.labels(reason if reason in _METRIC_REASONS else error.error).inc()
        login = route.profile.login_url
        if login and isinstance(error, InvalidToken):
            if request.wants_html:
                separator = "&" if "?" in login else "?"
                location = f"{login}{separator}return_to={quote(request.target, safe='')}"
                return Decision("redirect", route, error=error, location=location)
            error.login_url = login
        return Decision("reject", route, error=error)


def _token_of(request: RequestView, route: Route) -> str | None:
    if route.cookie is not None:
        return read_cookie(request.cookie, route.cookie)
    header = request.authorization
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
