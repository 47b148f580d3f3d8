"""Revocation: the denylists (``jti``, session, subject), checked on every request.

A replica trusts a "not revoked" answer for ``store.revocation_cache`` seconds, so a revocation
reaches every replica within that time; revocations made by this process are seen at once.
"""

from __future__ import annotations

from refreshgate.core.context import BoundedCache, EngineContext
from refreshgate.core.tokens import AccessToken
from refreshgate.errors import AccessDenied, InvalidGrant, InvalidToken

__all__ = ["Revoker"]


class Revoker:
    """Revokes tokens, sessions and subjects; answers "is this access token revoked?"."""

    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        self._checked: BoundedCache[str, tuple[bool, float]] = BoundedCache(
            max(ctx.config.tokens.verify_cache_size, 1000)
        )
        self._ttl = ctx.config.store.revocation_cache

    def cached(self, at: AccessToken, now: float) -> bool | None:
        """The answer still trusted from a recent check, without a store trip; else ``None``."""
        cached = self._checked.get(at.jti)
        if cached is not None and now - cached[1] < self._ttl:
            return cached[0]
        return None

    async def is_revoked(self, at: AccessToken) -> bool:
        """Whether the token's ``jti``, session or subject is denied. Raises StoreUnavailable."""
        now = self._ctx.clock.now()
        cached = self.cached(at, now)
        if cached is not None:
            return cached
        profile = self._ctx.profiles.get(at.profile)
        if profile is None:
            return True
        keys = self._ctx.sessions(profile).keys
        # a StoreUnavailable propagates; the store itself counts it (store_errors{operation})
        jti, session, subject = await self._ctx.store.get_many(
            [keys.denied_jti(at.jti), keys.revoked(at.sid), keys.denied_subject(at.sub)]
        )
        revoked = (
            jti is not None
            or session is not None
            or (isinstance(subject, dict) and at.iat <= subject["before"])
        )
        self._checked.put(at.jti, (revoked, now))
        return revoked

    async def revoke_token(
        self, token: str, hint: str | None, *, client: str | None, remote: str | None
    ) -> None:
        """RFC 7009: a refresh token ends its session; an access token is denied until ``exp``.

        Unknown or invalid tokens are not an error (the answer is 200 either way).
        """
        order = (
            ("access_token", "refresh_token") if hint == "access_token" else ("refresh_token", "access_token")
        )
        for kind in order:
            if kind == "refresh_token" and await self._revoke_refresh(token, client, remote):
                return
            if kind == "access_token" and await self._revoke_access(token, client, remote):
                return

    async def _revoke_refresh(self, token: str, client: str | None, remote: str | None) -> bool:
        try:
            rt = self._ctx.codec.read_refresh(token)
        except InvalidGrant:
            return False
        if rt.client is not None and client is not None and client != rt.client:
            return True  # RFC 7009 §2.1: not this client's token; ignore it silently
        profile = self._ctx.profiles.get(rt.profile)
        if profile is None:
            return True
        await self.end_session(rt.sid, rt.sub, profile.name, "revoked", client=client, remote=remote)
        return True

    async def _revoke_access(self, token: str, client: str | None, remote: str | None) -> bool:
        try:
            at = self._ctx.codec.verify_access(token, allow_expired=True)
        except InvalidToken:
            return False
        if at.client is not None and client is not None and client != at.client:
            return True
        profile = self._ctx.profiles.get(at.profile)
        if profile is None:
            return True
        remaining = at.exp - self._ctx.clock.now() + self._ctx.config.tokens.clock_skew
        if remaining > 0:
            await self._ctx.sessions(profile).deny_jti(at.jti, remaining)
        self._checked.pop(at.jti)
        self._ctx.audit.event(
            "token.revoked", sid=at.sid, sub=at.sub, jti_old=at.jti, client=client, remote=remote
        )
        return True

    async def end_session(
        self,
        sid: str,
        sub: str | None,
        profile_name: str,
        reason: str,
        *,
        client: str | None = None,
        remote: str | None = None,
    ) -> None:
        """Revoke one session: its refresh tokens and access tokens die (``reason`` is recorded)."""
        profile = self._ctx.profile(profile_name)
        ttl = profile.refresh_ttl + profile.grace_period + 60
        await self._ctx.sessions(profile).revoke(sid, reason, self._ctx.clock.now(), ttl)
        self._checked.clear()
        self._ctx.audit.event(
            "session.revoked", sid=sid, sub=sub, client=client, remote=remote, reason=reason
        )

    async def deny_subject_in(self, sub: str, profile_name: str, reason: str) -> None:
        """Every session of ``sub`` in one profile namespace ends (tokens issued until now die)."""
        profile = self._ctx.profile(profile_name)
        ttl = max(p.refresh_ttl + p.grace_period for p in self._ctx.profiles.values()) + 60
        await self._ctx.sessions(profile).deny_subject(sub, self._ctx.clock.now(), ttl)
        self._checked.clear()
        self._ctx.audit.event("session.revoked", sub=sub, reason=reason, profile=profile.name)

    async def revoke_subject(self, sub: str, *, client: str | None, admin: bool, remote: str | None) -> None:
        """Admin only: every session of ``sub`` ends and its tokens issued until now are denied."""
        if not admin:
            raise AccessDenied("revoking a subject needs an admin client")
        now = self._ctx.clock.now()
        longest = max(p.refresh_ttl + p.grace_period for p in self._ctx.profiles.values()) + 60
        seen = set()
        for profile in self._ctx.profiles.values():
            repo = self._ctx.sessions(profile)
            if repo.keys.ns not in seen:
                seen.add(repo.keys.ns)
                await repo.deny_subject(sub, now, longest)
        self._checked.clear()
        self._ctx.audit.event("session.revoked", sub=sub, client=client, remote=remote, reason="subject")
