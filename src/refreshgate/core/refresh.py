"""Explicit refresh (``POST /jwt/refresh``): SPEC §5 rules 1-7, in that order.

Rotation of generation ``g`` happens once, under an atomic claim on ``g``: the winner re-reads the
session, re-checks it, mints, seals the response for the grace period and advances the generation.
Everyone else holding ``g`` gets that same sealed response (grace replay) or, outside the rules of
grace, is a reuse: the session is revoked.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from refreshgate.config.profiles import Profile
from refreshgate.core.context import EngineContext, TokenResponse
from refreshgate.core.issuance import access_claims, capped, refresh_claims, session_ttl
from refreshgate.core.sessions import Generation, Revocation, Session, SessionRepository, SessionState
from refreshgate.core.singleflight import PENDING
from refreshgate.core.tokens import RefreshToken, new_id
from refreshgate.errors import InvalidClient, InvalidGrant, InvalidToken, OAuthError, RateLimited

__all__ = ["Refresher", "check_limits"]

_DEATH = {
    "revoked": "refresh token revoked",
    "logout": "session logged out",
    "reuse": "session revoked after refresh token reuse",
    "subject": "subject revoked",
}


class _AuditedRefusal(InvalidGrant):
    """An ``invalid_grant`` whose own event is already audited (reuse, grace replays spent)."""


def check_limits(profile: Profile, session: Session, last_use: float | None, count: int, now: float) -> None:
    """Rule 7: ``max_session_age`` (anchored at authentication), ``max_refreshes``, ``idle_timeout``."""
    if session.ends_at is not None and now >= session.ends_at:
        raise InvalidGrant("max_session_age reached: authenticate again")
    if profile.max_refreshes is not None and count >= profile.max_refreshes:
        raise InvalidGrant("max_refreshes reached: authenticate again")
    if profile.idle_timeout is not None and last_use is not None and now - last_use > profile.idle_timeout:
        raise InvalidGrant("idle_timeout reached: authenticate again")


def check_alive(session: Session | None, revoked: Revocation | None, denied_before: float | None) -> Session:
    """Rule 2: the session exists, is not revoked, and its subject was not denied after it began."""
    if session is None:
        raise InvalidGrant("unknown or expired session")
    if revoked is not None:
        raise InvalidGrant(_DEATH.get(revoked.reason, "session revoked"))
    if denied_before is not None and session.created <= denied_before:
        raise InvalidGrant(_DEATH["subject"])
    return session


@dataclass(frozen=True)
class _Attempt:
    token: str
    rt: RefreshToken
    profile: Profile
    repo: SessionRepository
    client: str | None
    remote: str | None

    def audit(self, ctx: EngineContext, event: str, **fields: Any) -> None:
        """An audit event about this attempt (the client is the bound one if none authenticated)."""
        rt = self.rt
        ctx.audit.event(
            event, sid=rt.sid, sub=rt.sub, jti_old=rt.jti, client=self.client or rt.client,
            remote=self.remote, **fields,
        )  # fmt: skip


class Refresher:
    """Exchanges refresh tokens for new tokens."""

    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        #: same hook as TransparentRefresher.provider_hook (provider sessions, e.g. GovSSO)
        self.provider_hook: Callable[[Session, SessionRepository], Awaitable[Session]] | None = None

    async def refresh(
        self,
        refresh_token: str,
        *,
        client: str | None = None,
        access_token: str | None = None,
        remote: str | None = None,
    ) -> TokenResponse:
        """Rules 1-7; returns the new tokens or raises the OAuth error that explains why not."""
        ctx = self._ctx
        started = time.perf_counter()
        outcome, profile_name = "error", "unknown"
        attempt: _Attempt | None = None
        try:
            attempt = self._decode(refresh_token, client, remote)
            profile_name = attempt.profile.name
            response, outcome = await self._refresh(attempt, access_token)
            return response
        except OAuthError as exc:
            outcome = exc.error
            if not isinstance(exc, _AuditedRefusal):
                self._audit_refusal(exc, attempt, client, remote)
            raise
        finally:
            ctx.metrics.refreshes.labels("explicit", profile_name, outcome).inc()
            ctx.metrics.refresh_latency.labels("explicit").observe(time.perf_counter() - started)

    def _audit_refusal(
        self, exc: OAuthError, attempt: _Attempt | None, client: str | None, remote: str | None
    ) -> None:
        event = "refresh.rate_limited" if isinstance(exc, RateLimited) else "refresh.refused"
        reason = exc.description or exc.error
        if attempt is not None:
            attempt.audit(self._ctx, event, reason=reason)
        else:
            self._ctx.audit.event(event, client=client, remote=remote, reason=reason)

    def _decode(self, token: str, client: str | None, remote: str | None) -> _Attempt:
        rt = self._ctx.codec.read_refresh(token)
        profile = self._ctx.profiles.get(rt.profile)
        if profile is None:
            raise InvalidGrant("refresh token of an unknown profile")
        if rt.client is not None and client is not None and client != rt.client:
            raise InvalidGrant("refresh token was issued to another client")
        if profile.bind_client and rt.client is not None and client is None:
            raise InvalidClient("client authentication is required for this refresh token")
        return _Attempt(token, rt, profile, self._ctx.sessions(profile), client, remote)

    async def _refresh(self, attempt: _Attempt, access_token: str | None) -> tuple[TokenResponse, str]:
        ctx, rt = self._ctx, attempt.rt
        state = await attempt.repo.load(rt.sid, rt.sub)
        check_alive(state.session, state.revoked, state.denied_before)
        current = state.current
        if access_token is not None or attempt.profile.require_access_token_binding:
            self._check_access_binding(access_token, rt)
        await ctx.limiter.hit("session", rt.sid, attempt.profile.rate_limit)
        await ctx.limiter.hit("address", attempt.remote or "-", ctx.config.api.address_rate_limit)
        if current is not None and rt.gen == current.gen + 1:
            current = await self._complete_advance(attempt, current)
        if current is None or rt.gen > current.gen:
            raise InvalidGrant("unknown refresh token generation")
        if not attempt.profile.rotate_refresh_tokens:
            return await self._reissue_access(attempt, state), "succeeded"
        if rt.gen == current.gen and rt.jti == current.jti:
            flight = await ctx.flight.run(
                attempt.repo.keys.rotation(rt.sid, rt.gen),
                lambda: self._rotate(attempt),
                keep_for=attempt.profile.grace_period,
            )
            if flight.produced:
                # the successor is published before the generation moves on: a failure in
                # between leaves a retry a replay of it, never a false reuse
                await self._advance(attempt, flight.record)
                return self._unseal(attempt, flight.record), "succeeded"
            return await self._replay(attempt, flight.record, current, waited=flight.waited), "grace_replayed"
        key = attempt.repo.keys.rotation(rt.sid, rt.gen)
        record, waited = await ctx.store.get(key), False
        if isinstance(record, dict) and record.get("state") == PENDING:
            # the winner (maybe on another replica) advanced the generation but has not published
            # its response yet: share it, do not mistake this caller for a thief
            record, waited = await ctx.flight.wait(key)
        return await self._replay(attempt, record, current, waited=waited), "grace_replayed"

    def _check_access_binding(self, access_token: str | None, rt: RefreshToken) -> None:
        if access_token is None:
            raise InvalidGrant("this profile requires the access token with the refresh token")
        try:
            at = self._ctx.codec.verify_access(access_token, allow_expired=True)
        except InvalidToken as exc:
            raise InvalidGrant("the access token presented with the refresh token is invalid") from exc
        if at.sid != rt.sid:
            raise InvalidGrant("the access token belongs to another session")

    async def _rotate(self, attempt: _Attempt) -> dict[str, Any]:
        """The claim winner: reload and re-check, mint the successor pair, publish, advance."""
        ctx, rt, profile = self._ctx, attempt.rt, attempt.profile
        state = await attempt.repo.load(rt.sid, rt.sub)
        session, current = check_alive(state.session, state.revoked, state.denied_before), state.current
        if current is None or current.gen != rt.gen or current.jti != rt.jti:
            raise InvalidGrant("refresh token already rotated")
        now = ctx.clock.now()
        check_limits(profile, session, state.last_use, state.refreshes, now)
        if session.provider is not None and self.provider_hook is not None:
            session = await self.provider_hook(session, attempt.repo)
        at_jti, rt_jti = new_id(), new_id()
        at_exp = capped(now + profile.access_ttl, session.ends_at)
        rt_exp = capped(now + profile.refresh_ttl, session.ends_at)
        response = TokenResponse(
            access_token=ctx.codec.mint_access(access_claims(session, jti=at_jti, now=now, exp=at_exp)),
            expires_in=int(at_exp - now),
            session_id=session.sid,
            refresh_token=ctx.codec.mint_refresh(
                refresh_claims(session, jti=rt_jti, gen=rt.gen + 1, now=now, exp=rt_exp, ati=at_jti)
            ),
            refresh_expires_in=int(rt_exp - now),
            jti=at_jti,
        )
        ttl = session_ttl(profile, session, rt_exp, now)
        attempt.audit(ctx, "refresh.succeeded", jti_new=at_jti, profile=profile.name)
        sealed = ctx.sealer.seal(attempt.token, {**response.to_json(), "jti": at_jti})
        return {
            "state": "done",
            "at": now,
            "cid": attempt.client,
            "sealed": sealed,
            "jti_new": at_jti,
            "next": {"gen": rt.gen + 1, "jti": rt_jti, "at": now, "ttl": ttl},
        }

    async def _advance(self, attempt: _Attempt, record: dict[str, Any]) -> None:
        """Make the published successor the current generation, and count the refresh."""
        step = record["next"]
        successor = Generation(int(step["gen"]), str(step["jti"]), float(step["at"]))
        await attempt.repo.record_use(attempt.rt.sid, successor.at, float(step["ttl"]), advance_to=successor)

    async def _complete_advance(self, attempt: _Attempt, current: Generation) -> Generation:
        """The successor of ``current`` was published but the generation never moved on (the
        winner failed in between): if this is that successor, finish the advance now."""
        record = await self._ctx.store.get(attempt.repo.keys.rotation(attempt.rt.sid, current.gen))
        step = record.get("next") if isinstance(record, dict) else None
        if not isinstance(step, dict) or step.get("jti") != attempt.rt.jti:
            return current
        await self._advance(attempt, record)  # type: ignore[arg-type]
        return Generation(attempt.rt.gen, attempt.rt.jti, float(step["at"]))

    async def _reissue_access(self, attempt: _Attempt, state: SessionState) -> TokenResponse:
        """A profile without rotation: a new access token, the same refresh token."""
        ctx, rt, profile = self._ctx, attempt.rt, attempt.profile
        now = ctx.clock.now()
        session = check_alive(state.session, state.revoked, state.denied_before)
        check_limits(profile, session, state.last_use, state.refreshes, now)
        if session.provider is not None and self.provider_hook is not None:
            session = await self.provider_hook(session, attempt.repo)
        at_jti = new_id()
        at_exp = capped(now + profile.access_ttl, session.ends_at)
        token = ctx.codec.mint_access(access_claims(session, jti=at_jti, now=now, exp=at_exp))
        await attempt.repo.record_use(rt.sid, now, session_ttl(profile, session, rt.exp, now))
        attempt.audit(ctx, "refresh.succeeded", jti_new=at_jti, profile=profile.name)
        return TokenResponse(token, int(at_exp - now), session.sid, attempt.token, int(rt.exp - now), at_jti)

    async def _replay(
        self, attempt: _Attempt, record: Any, current: Generation, *, waited: bool
    ) -> TokenResponse:
        """Rule 5 (same successor within grace) or rule 6 (reuse: revoke the session)."""
        ctx, rt, profile = self._ctx, attempt.rt, attempt.profile
        now = ctx.clock.now()
        in_grace = (
            isinstance(record, dict)
            and record.get("state") == "done"
            and now - float(record["at"]) <= profile.grace_period
            and record.get("cid") == attempt.client
            and current.gen <= rt.gen + 1
        )
        if not in_grace:
            await self._reuse_detected(attempt, now)
        if not waited:
            replays = await ctx.store.incr(
                attempt.repo.keys.replays(rt.sid, rt.gen), profile.grace_period + 60
            )
            if replays > profile.grace_replays:
                attempt.audit(ctx, "refresh.refused", reason="grace_replays exceeded")
                raise _AuditedRefusal("refresh token already used")
        attempt.audit(ctx, "refresh.grace_replayed", jti_new=record.get("jti_new"))
        return self._unseal(attempt, record)

    async def _reuse_detected(self, attempt: _Attempt, now: float) -> None:
        ctx, rt, profile = self._ctx, attempt.rt, attempt.profile
        if profile.reuse_detection == "revoke_session":
            await attempt.repo.revoke(rt.sid, "reuse", now, profile.refresh_ttl + profile.grace_period)
            ctx.audit.event("session.revoked", sid=rt.sid, sub=rt.sub, reason="refresh token reuse")
        attempt.audit(ctx, "refresh.reuse_detected", reason="rotated")
        raise _AuditedRefusal("refresh token reuse detected")

    def _unseal(self, attempt: _Attempt, record: dict[str, Any]) -> TokenResponse:
        body = self._ctx.sealer.unseal(attempt.token, str(record.get("sealed", "")))
        if body is None:
            raise InvalidGrant("refresh token already used")
        return TokenResponse(
            access_token=body["access_token"],
            expires_in=body["expires_in"],
            session_id=body["session_id"],
            refresh_token=body.get("refresh_token"),
            refresh_expires_in=body.get("refresh_expires_in"),
            jti=body.get("jti", ""),
        )
