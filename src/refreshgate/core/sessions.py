"""Session state in the store: one record per session plus small independent keys.

Mutable pieces live under their own keys so that concurrent writers never overwrite each other
(read-modify-write of one blob would lose a rotation): the current generation is written only by
the winner of that generation's claim; the refresh count is an atomic counter; revocation is a
flag. Custom and TARA sessions live in separate namespaces (``c:`` and ``t:``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from refreshgate.config.profiles import Profile
from refreshgate.store.base import Store

__all__ = ["Generation", "Revocation", "Session", "SessionKeys", "SessionRepository", "SessionState"]


@dataclass(frozen=True)
class Session:
    """What the store remembers about one session (family). Never a raw token."""

    sid: str
    sub: str
    profile: str
    cid: str | None
    created: float
    auth_time: float
    claims: dict[str, Any] = field(default_factory=dict)
    #: hard end of the session (``auth_time + max_session_age``), or None
    ends_at: float | None = None
    #: provider session (e.g. GovSSO), sealed; never readable from the store alone
    provider: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        return cls(**data)


@dataclass(frozen=True)
class Generation:
    """The current refresh-token generation of a session."""

    gen: int
    jti: str
    at: float


@dataclass(frozen=True)
class Revocation:
    """Why and when a session ended early: ``revoked``, ``logout``, ``reuse``, ``subject``."""

    reason: str
    at: float


class SessionState(NamedTuple):
    """A session as the rules see it, read in one round trip."""

    session: Session | None
    current: Generation | None
    revoked: Revocation | None
    denied_before: float | None
    #: the last refresh (the session's creation when it was never refreshed)
    last_use: float | None
    refreshes: int


class SessionKeys:
    """Store key names, namespaced by profile kind so TARA state stays apart from custom state."""

    def __init__(self, profile: Profile) -> None:
        self.ns = "t" if profile.tara else "c"

    def session(self, sid: str) -> str:
        return f"{self.ns}:s:{sid}"

    def generation(self, sid: str) -> str:
        return f"{self.ns}:g:{sid}"

    def revoked(self, sid: str) -> str:
        return f"{self.ns}:x:{sid}"

    def count(self, sid: str) -> str:
        return f"{self.ns}:n:{sid}"

    def last_use(self, sid: str) -> str:
        return f"{self.ns}:u:{sid}"

    def rotation(self, sid: str, gen: int) -> str:
        return f"{self.ns}:r:{sid}:{gen}"

    def replays(self, sid: str, gen: int) -> str:
        return f"{self.ns}:rp:{sid}:{gen}"

    def mint(self, jti: str) -> str:
        return f"{self.ns}:m:{jti}"

    def provider_refresh(self, sid: str) -> str:
        return f"{self.ns}:p:{sid}"

    def denied_jti(self, jti: str) -> str:
        return f"{self.ns}:dj:{jti}"

    def denied_subject(self, sub: str) -> str:
        return f"{self.ns}:ds:{sub}"


class SessionRepository:
    """Reads and writes session state for one profile namespace."""

    def __init__(self, store: Store, profile: Profile) -> None:
        self.store = store
        self.keys = SessionKeys(profile)

    async def create(self, session: Session, first: Generation, ttl: float) -> None:
        """Store a new session and its first generation (its last use is its creation)."""
        items = [
            (self.keys.session(session.sid), session.to_json()),
            (self.keys.generation(session.sid), asdict(first)),
        ]
        await self.store.set_many(items, ttl)

    async def load(self, sid: str, sub: str) -> SessionState:
        """Everything the rules read about a session, in one round trip."""
        keys = self.keys
        raw = await self.store.get_many(
            [
                keys.session(sid),
                keys.generation(sid),
                keys.revoked(sid),
                keys.denied_subject(sub),
                keys.last_use(sid),
                keys.count(sid),
            ]
        )
        session = Session.from_json(raw[0]) if isinstance(raw[0], dict) else None
        return SessionState(
            session=session,
            current=Generation(**raw[1]) if isinstance(raw[1], dict) else None,
            revoked=Revocation(**raw[2]) if isinstance(raw[2], dict) else None,
            denied_before=float(raw[3]["before"]) if isinstance(raw[3], dict) else None,
            last_use=float(raw[4]) if raw[4] is not None else (session.created if session else None),
            refreshes=int(raw[5] or 0),
        )

    async def record_use(
        self, sid: str, now: float, ttl: float, *, advance_to: Generation | None = None
    ) -> int:
        """Record a refresh (and, for the rotation winner, the new current generation).

        The session's TTL grows with its newest refresh token. Returns the refresh count.
        """
        items: list[tuple[str, Any]] = [(self.keys.last_use(sid), now)]
        if advance_to is not None:
            items.append((self.keys.generation(sid), asdict(advance_to)))
            await self.store.expire(self.keys.session(sid), ttl)
        await self.store.set_many(items, ttl)
        return await self.store.incr(self.keys.count(sid), ttl)

    async def revoke(self, sid: str, reason: str, now: float, ttl: float) -> None:
        """End a session: every generation and every access token of it dies."""
        await self.store.set(self.keys.revoked(sid), asdict(Revocation(reason, now)), ttl)

    async def deny_jti(self, jti: str, ttl: float) -> None:
        await self.store.set(self.keys.denied_jti(jti), 1, ttl)

    async def deny_subject(self, sub: str, before: float, ttl: float) -> None:
        await self.store.set(self.keys.denied_subject(sub), {"before": before}, ttl)
