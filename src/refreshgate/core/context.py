"""The parts every engine component shares, wired once from the config."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from refreshgate.clock import Clock
from refreshgate.config.model import Config
from refreshgate.config.profiles import Profile
from refreshgate.core.audit import AuditLog
from refreshgate.core.keys import KeySet
from refreshgate.core.metrics import Metrics
from refreshgate.core.policy import RouteTable
from refreshgate.core.ratelimit import RateLimiter
from refreshgate.core.seal import Sealer
from refreshgate.core.sessions import SessionRepository
from refreshgate.core.singleflight import SingleFlight
from refreshgate.core.tokens import TokenCodec
from refreshgate.errors import InvalidRequest
from refreshgate.store.base import Store
from refreshgate.store.observed import ObservedStore

__all__ = ["BoundedCache", "EngineContext", "TokenResponse"]

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """A size-bounded mapping that forgets its oldest entries first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        return self._data.get(key)

    def put(self, key: K, value: V) -> None:
        if self._size <= 0:
            return
        self._data[key] = value
        if len(self._data) > self._size:
            self._data.popitem(last=False)

    def pop(self, key: K) -> None:
        self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()


@dataclass(frozen=True)
class TokenResponse:
    """An RFC 6749 §5.1 token response."""

    access_token: str
    expires_in: int
    session_id: str
    refresh_token: str | None = None
    refresh_expires_in: int | None = None
    jti: str = field(default="", repr=False)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
            body["refresh_expires_in"] = self.refresh_expires_in
        body["session_id"] = self.session_id
        return body

    def __repr__(self) -> str:
        return f"TokenResponse(session_id={self.session_id!r}, expires_in={self.expires_in})"


def claim_ttl(config: Config) -> float:
    """How long a rotation/mint claim holds: longer than the slowest winner can take.

    A claim that expired under a still-working winner would let a second replica mint for the
    same generation, so the budget covers the store round trips and, with a refreshing login
    provider, its bounded retries (three attempts at connect + read timeout, plus backoff).
    """
    budget = 30.0
    tara = config.tara
    if tara is not None and tara.provider_refresh:
        budget += 3 * (tara.connect_timeout + tara.read_timeout) + 4 * tara.refresh_retry_backoff
    return budget


@dataclass
class EngineContext:
    """Config, keys, store, clock and the helpers built on them."""

    config: Config
    keys: KeySet
    store: Store
    clock: Clock
    codec: TokenCodec
    routes: RouteTable
    audit: AuditLog
    metrics: Metrics
    sealer: Sealer
    flight: SingleFlight
    limiter: RateLimiter

    @classmethod
    def build(cls, config: Config, keys: KeySet, store: Store, clock: Clock) -> EngineContext:
        metrics = Metrics()
        # every failure of the store is counted where it happens (SPEC §9), whoever called it
        store = ObservedStore(store, lambda operation: metrics.store_errors.labels(operation).inc())
        return cls(
            config=config,
            keys=keys,
            store=store,
            clock=clock,
            codec=TokenCodec(keys, config.tokens, clock),
            routes=RouteTable(config),
            audit=AuditLog(clock),
            metrics=metrics,
            sealer=Sealer(keys),
            flight=SingleFlight(store, clock, claim_ttl=claim_ttl(config)),
            limiter=RateLimiter(store, clock),
        )

    @property
    def profiles(self) -> dict[str, Profile]:
        return self.routes.profiles

    def profile(self, name: str) -> Profile:
        """The named profile; an unknown name is the caller's error."""
        found = self.profiles.get(name)
        if found is None:
            raise InvalidRequest(f"unknown profile {name!r}")
        return found

    def sessions(self, profile: Profile) -> SessionRepository:
        """The session repository of this profile's namespace."""
        return SessionRepository(self.store, profile)
