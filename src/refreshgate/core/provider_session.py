"""Provider sessions (GovSSO-style ``provider_refresh``): the upstream tokens, kept server-side.

The provider's refresh token and ID token are sealed (AES-GCM, a key derived from the refresh
key) under ``SessionKeys.provider_refresh(sid)``; the immutable :class:`Session` record only says
that a provider session exists (``Session.provider``). :meth:`ProviderSessions.hook` is the
:data:`~refreshgate.core.transparent.ProviderHook` that transparent and explicit refresh call:

- not due (provider ``exp`` further away than the profile's ``refresh_window``) → unchanged;
- due → the refresh-token grant, once per session and provider refresh token across replicas
  (single-flight on ``sid`` + a hash of the current provider RT); the new tokens replace the old
  ones, the claims come from the new ID token and ``ends_at`` is capped by its ``exp``;
- provider refused (``invalid_grant``, bad ID token) → the session ends, re-authentication;
- provider unreachable → bounded retries with backoff; while its ``exp`` is ahead the session
  keeps going unchanged (the next refresh tries again), after it re-authentication.

Back-channel logout finds local sessions by the provider ``sid`` through a TTL'd index: one
counter plus one key per entry, so concurrent logins never overwrite each other's entry.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from refreshgate.core.context import EngineContext
from refreshgate.core.sessions import Session, SessionRepository
from refreshgate.errors import InvalidGrant
from refreshgate.providers import Provider, ProviderError, ProviderTokens, RefreshedProviderSession

__all__ = ["ProviderSessions"]

Sleep = Callable[[float], Awaitable[None]]

_INDEX_LIMIT = 64


def digest(value: str) -> str:
    """A short, stable, non-reversible store key part for a provider value (sid, RT, jti)."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class ProviderSessions:
    """Keeps provider tokens sealed in the store and refreshes them through the provider."""

    def __init__(
        self,
        ctx: EngineContext,
        provider: Provider,
        *,
        backoff: float = 1.0,
        retries: int = 2,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._ctx = ctx
        self._provider = provider
        self._backoff = backoff
        self._retries = retries
        #: injectable (tests): how to wait between retries
        self.sleep = sleep

    # -- storage --------------------------------------------------------------------------------

    def _context(self, sid: str) -> str:
        return f"refreshgate/provider-tokens/v1\x00{sid}"

    async def save(self, repo: SessionRepository, sid: str, tokens: ProviderTokens, ttl: float) -> None:
        """Seal and store ``tokens`` for local session ``sid`` (replacing any previous ones)."""
        sealed = self._ctx.sealer.seal(self._context(sid), tokens.to_dict())
        await self._ctx.store.set(repo.keys.provider_refresh(sid), sealed, ttl)

    async def load(self, repo: SessionRepository, sid: str) -> ProviderTokens | None:
        """The provider tokens of ``sid``, or ``None`` when absent or not readable."""
        sealed = await self._ctx.store.get(repo.keys.provider_refresh(sid))
        if not isinstance(sealed, str):
            return None
        value = self._ctx.sealer.unseal(self._context(sid), sealed)
        try:
            return None if value is None else ProviderTokens.from_dict(value)
        except (KeyError, TypeError, ValueError):
            return None

    async def index(self, repo: SessionRepository, provider_sid: str, session: Session, ttl: float) -> None:
        """Remember that provider session ``provider_sid`` backs local session ``session``."""
        base = f"{repo.keys.ns}:pi:{digest(provider_sid)}"
        n = await self._ctx.store.incr(base + ":n", ttl)
        if n <= _INDEX_LIMIT:
            await self._ctx.store.set(f"{base}:{n}", {"sid": session.sid, "sub": session.sub}, ttl)

    async def sessions_of(self, repo: SessionRepository, provider_sid: str) -> list[tuple[str, str]]:
        """``(sid, sub)`` of every live local session backed by ``provider_sid``."""
        base = f"{repo.keys.ns}:pi:{digest(provider_sid)}"
        count = int(await self._ctx.store.get(base + ":n") or 0)
        if count <= 0:
            return []
        entries = await self._ctx.store.get_many(
            [f"{base}:{i}" for i in range(1, min(count, _INDEX_LIMIT) + 1)]
        )
        return [(e["sid"], e["sub"]) for e in entries if isinstance(e, dict)]

    # -- the refresh hook -----------------------------------------------------------------------

    async def hook(self, session: Session, repo: SessionRepository) -> Session:
        """The provider hook: the session, refreshed at the provider when its ``exp`` is near."""
        ctx = self._ctx
        profile = ctx.profile(session.profile)
        tokens = await self.load(repo, session.sid)
        if tokens is None:
            await self._end(session, repo, "provider session missing")
            raise InvalidGrant("provider session missing: authenticate again")
        if tokens.exp - ctx.clock.now() > profile.refresh_window:
            return await self._current(session, repo, tokens)
        flight = await ctx.flight.run(
            f"{repo.keys.ns}:pf:{session.sid}:{digest(tokens.refresh_token)}",
            lambda: self._refresh(session, repo, tokens),
            keep_for=max(profile.grace_period, 60.0),
        )
        record = flight.record
        if record.get("state") == "failed":
            raise InvalidGrant(str(record.get("reason", "provider refresh failed")))
        if record.get("state") == "unchanged":
            return session
        return Session.from_json(record["session"])

    async def _current(self, session: Session, repo: SessionRepository, tokens: ProviderTokens) -> Session:
        """``session``, or its newer record when another replica refreshed it meanwhile."""
        profile = self._ctx.profile(session.profile)
        cap = session.auth_time + profile.max_session_age if profile.max_session_age else tokens.exp
        if session.ends_at is None or session.ends_at >= min(cap, tokens.exp):
            return session
        fresh = await self._ctx.store.get(repo.keys.session(session.sid))
        return Session.from_json(fresh) if isinstance(fresh, dict) else session

    async def _refresh(
        self, session: Session, repo: SessionRepository, tokens: ProviderTokens
    ) -> dict[str, Any]:
        """The claim winner: call the provider (bounded retries), publish the new provider session."""
        ctx = self._ctx
        try:
            refreshed = await self._call_with_retries(tokens)
        except ProviderError as exc:
            if exc.retryable and ctx.clock.now() < tokens.exp:
                ctx.audit.event(
                    "provider.refresh_failed",
                    sid=session.sid,
                    sub=session.sub,
                    reason=f"{exc.error}: retry later",
                )
                return {"state": "unchanged"}
            reason = "provider unreachable until its session expired" if exc.retryable else str(exc)
            await self._end(session, repo, reason)
            return {"state": "failed", "reason": f"{reason}: authenticate again"}
        if refreshed is None:
            return {"state": "unchanged"}
        return {"state": "done", "session": (await self._publish(session, repo, refreshed)).to_json()}

    async def _call_with_retries(self, tokens: ProviderTokens) -> RefreshedProviderSession | None:
        delay = self._backoff
        for attempt in range(self._retries + 1):
            try:
                return await self._provider.refresh(tokens)
            except ProviderError as exc:
                last_try = attempt == self._retries or self._ctx.clock.now() + delay >= tokens.exp
                if not exc.retryable or last_try:
                    raise
            await self.sleep(delay)
            delay *= 2
        return None  # pragma: no cover - the loop returns or raises

    async def _publish(
        self, session: Session, repo: SessionRepository, refreshed: RefreshedProviderSession
    ) -> Session:
        ctx = self._ctx
        profile = ctx.profile(session.profile)
        cap = session.auth_time + profile.max_session_age if profile.max_session_age else None
        ends_at = float(refreshed.exp) if cap is None else min(cap, float(refreshed.exp))
        claims = dict(refreshed.claims_to_preserve)  # the new ID token is the truth now
        if profile.tara:
            claims["auth_time"] = int(session.auth_time)
        updated = replace(session, claims=claims, ends_at=ends_at)
        ttl = profile.refresh_ttl + profile.grace_period + 60
        await self.save(repo, session.sid, refreshed.provider_tokens, ttl)
        await ctx.store.set(repo.keys.session(session.sid), updated.to_json(), ttl)
        ctx.audit.event("provider.refreshed", sid=session.sid, sub=session.sub, profile=profile.name)
        return updated

    async def _end(self, session: Session, repo: SessionRepository, reason: str) -> None:
        ctx = self._ctx
        profile = ctx.profile(session.profile)
        await repo.revoke(
            session.sid, "provider", ctx.clock.now(), profile.refresh_ttl + profile.grace_period + 60
        )
        await ctx.store.delete(repo.keys.provider_refresh(session.sid))
        ctx.audit.event("provider.refresh_failed", sid=session.sid, sub=session.sub, reason=reason)
        ctx.audit.event("session.revoked", sid=session.sid, sub=session.sub, reason="provider")
