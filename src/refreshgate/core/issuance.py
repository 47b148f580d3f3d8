"""Start sessions: the first access token (and refresh token) of a new session family."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from refreshgate.config.profiles import Profile
from refreshgate.core.context import EngineContext, TokenResponse
from refreshgate.core.sessions import Generation, Session
from refreshgate.core.tokens import new_id
from refreshgate.errors import InvalidRequest

__all__ = ["RESERVED_CLAIMS", "Issuer", "access_claims", "capped", "session_ttl"]

#: claims only refreshgate sets (SPEC §3), plus ``sub``/``aud`` which come from the request/config
RESERVED_CLAIMS = frozenset(
    {"iss", "exp", "iat", "nbf", "jti", "sid", "prf", "cid", "typ", "sub", "aud", "gen", "ati"}
)


def access_claims(session: Session, *, jti: str, now: float, exp: float) -> dict[str, Any]:
    """The claims of an access token for ``session``: identity kept, only jti/iat/nbf/exp new."""
    claims: dict[str, Any] = dict(session.claims)
    claims.update(
        sub=session.sub,
        iat=int(now),
        nbf=int(now),
        exp=int(exp),
        jti=jti,
        sid=session.sid,
        prf=session.profile,
    )
    if session.cid is not None:
        claims["cid"] = session.cid
    return claims


def session_ttl(profile: Profile, session: Session, refresh_exp: float, now: float) -> float:
    """How long the store keeps a session's state: past its refresh token, plus grace."""
    return max(refresh_exp - now, 1.0) + profile.grace_period + 60


class Issuer:
    """Creates sessions and their first tokens."""

    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx

    async def start_session(
        self,
        *,
        sub: str,
        profile: Profile,
        claims: Mapping[str, Any] | None = None,
        client: str | None = None,
        refresh: bool = True,
        access_ttl: float | None = None,
        auth_time: float | None = None,
        provider: str | None = None,
        provider_exp: float | None = None,
        remote: str | None = None,
    ) -> TokenResponse:
        """Mint the first tokens of a new session; ``claims`` are preserved in every refresh."""
        ctx = self._ctx
        now = ctx.clock.now()
        preserved = _checked_claims(claims or {})
        anchor = (
            now if auth_time is None else _checked_auth_time(auth_time, now, ctx.config.tokens.clock_skew)
        )
        if profile.tara:
            preserved["auth_time"] = int(anchor)
        ends_at = anchor + profile.max_session_age if profile.max_session_age else None
        if provider_exp is not None:
            ends_at = provider_exp if ends_at is None else min(ends_at, provider_exp)
        session = Session(new_id(), sub, profile.name, client, now, anchor, preserved, ends_at, provider)
        ttl = _access_ttl(profile, access_ttl)
        at_exp = capped(now + ttl, session.ends_at)
        rt_exp = capped(now + profile.refresh_ttl, session.ends_at)
        if at_exp <= now:
            raise InvalidRequest("the session is already past its max_session_age")
        at_jti, rt_jti = new_id(), new_id()
        access = ctx.codec.mint_access(access_claims(session, jti=at_jti, now=now, exp=at_exp))
        refresh_token = None
        if refresh:
            refresh_token = ctx.codec.mint_refresh(
                refresh_claims(session, jti=rt_jti, gen=0, now=now, exp=rt_exp, ati=at_jti)
            )
        await ctx.sessions(profile).create(
            session, Generation(0, rt_jti, now), session_ttl(profile, session, rt_exp, now)
        )
        ctx.metrics.tokens_issued.labels(profile.name).inc()
        ctx.audit.event(
            "token.issued",
            sid=session.sid,
            sub=sub,
            jti_new=at_jti,
            client=client,
            remote=remote,
            profile=profile.name,
        )
        return TokenResponse(
            access_token=access,
            expires_in=int(at_exp - now),
            session_id=session.sid,
            refresh_token=refresh_token,
            refresh_expires_in=int(rt_exp - now) if refresh else None,
            jti=at_jti,
        )


def refresh_claims(
    session: Session, *, jti: str, gen: int, now: float, exp: float, ati: str
) -> dict[str, Any]:
    """The claims of a refresh token of generation ``gen``."""
    claims: dict[str, Any] = {
        "sub": session.sub,
        "iat": int(now),
        "exp": int(exp),
        "jti": jti,
        "sid": session.sid,
        "gen": gen,
        "prf": session.profile,
        "ati": ati,
    }
    if session.cid is not None:
        claims["cid"] = session.cid
    return claims


def capped(value: float, cap: float | None) -> float:
    """``value``, but never past ``cap`` (a session's ``ends_at``) when there is one."""
    return value if cap is None else min(value, cap)


def _access_ttl(profile: Profile, requested: float | None) -> float:
    if requested is None:
        return profile.access_ttl
    if isinstance(requested, bool) or not isinstance(requested, int | float) or not math.isfinite(requested):
        raise InvalidRequest("access_ttl must be a number of seconds")
    if requested <= 0 or requested > profile.access_ttl:
        raise InvalidRequest(f"access_ttl must be between 1 and {int(profile.access_ttl)} seconds")
    return float(requested)


def _checked_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(claims, Mapping):
        raise InvalidRequest("claims must be a JSON object")
    reserved = sorted(RESERVED_CLAIMS & set(claims))
    if reserved:
        raise InvalidRequest(f"reserved claims cannot be set: {', '.join(reserved)}")
    return dict(claims)


def _checked_auth_time(auth_time: float, now: float, skew: float) -> float:
    if (
        isinstance(auth_time, bool)
        or not isinstance(auth_time, int | float)
        or not math.isfinite(auth_time)
        or auth_time > now + skew
    ):
        raise InvalidRequest("auth_time must be a time in the past")
    return float(min(auth_time, now))
