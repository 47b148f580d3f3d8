"""Fixed-window rate limits counted in the store, so they hold across replicas."""

from __future__ import annotations

import math

from refreshgate.clock import Clock
from refreshgate.config.durations import RateLimit
from refreshgate.errors import RateLimited
from refreshgate.store.base import Store

__all__ = ["RateLimiter"]


class RateLimiter:
    """Counts events per key and window; raises :class:`RateLimited` past the limit."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def hit(self, scope: str, key: str, limit: RateLimit | None) -> None:
        """Count one event for ``key``; refuse it if the window's budget is spent."""
        if limit is None:
            return
        now = self._clock.now()
        window = int(now // limit.period)
        count = await self._store.incr(f"rl:{scope}:{key}:{window}", limit.period + 1)
        if count > limit.count:
            retry_after = max(1, math.ceil((window + 1) * limit.period - now))
            raise RateLimited(f"too many requests for this {scope}", retry_after=retry_after)
