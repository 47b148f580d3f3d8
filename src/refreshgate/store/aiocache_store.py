"""Store backends on aiocache: memory (one process) and Redis (shared by replicas)."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlparse

from aiocache import SimpleMemoryCache
from aiocache.serializers import StringSerializer

from refreshgate.errors import StoreUnavailable

__all__ = ["AiocacheStore", "create_store"]

_INCR_WITH_TTL = """
local value = redis.call('INCR', KEYS[1])
if value == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return value
"""


def _seconds(ttl: float) -> int:
    return max(1, math.ceil(ttl))


class AiocacheStore:
    """A :class:`~refreshgate.store.base.Store` over an aiocache cache (memory or Redis)."""

    def __init__(self, cache: Any, *, prefix: str = "rg:", timeout: float | None = 1.0, redis: bool) -> None:
        self._cache = cache
        self._prefix = prefix
        self._timeout = timeout
        self._redis = redis
        self.url_scheme = "redis" if redis else "memory"

    def __repr__(self) -> str:
        return f"AiocacheStore(backend={self.url_scheme!r})"

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def _call(self, operation: Any, *args: Any, **kwargs: Any) -> Any:
        # the whole call is bounded here (asyncio.timeout: a timer, not a task per call as
        # aiocache's own timeout makes), so a frozen or unreachable store is an answer in time
        try:
            if self._timeout is None:
                return await operation(*args, **kwargs)
            async with asyncio.timeout(self._timeout):
                return await operation(*args, **kwargs)
        except (TimeoutError, OSError, ConnectionError) as exc:
            raise StoreUnavailable() from exc
        except Exception as exc:
            if _is_redis_error(exc):
                raise StoreUnavailable() from exc
            raise

    async def get(self, key: str) -> Any | None:
        return _decode(await self._call(self._cache.get, self._key(key)))

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        if not keys:
            return []
        raws = await self._call(self._cache.multi_get, [self._key(k) for k in keys])
        return [_decode(raw) for raw in raws]

    async def set(self, key: str, value: Any, ttl: float) -> None:
        await self._call(self._cache.set, self._key(key), _encode(value), ttl=_seconds(ttl))

    async def set_many(self, items: Sequence[tuple[str, Any]], ttl: float) -> None:
        if items:
            pairs = [(self._key(key), _encode(value)) for key, value in items]
            await self._call(self._cache.multi_set, pairs, ttl=_seconds(ttl))

    async def add(self, key: str, value: Any, ttl: float) -> bool:
        try:
            await self._call(self._cache.add, self._key(key), _encode(value), ttl=_seconds(ttl))
        except ValueError:
            return False
        return True

    async def delete(self, key: str) -> None:
        await self._call(self._cache.delete, self._key(key))

    async def incr(self, key: str, ttl: float) -> int:
        full = self._key(key)
        if self._redis:
            value = await self._call(self._cache.raw, "eval", _INCR_WITH_TTL, 1, full, _seconds(ttl))
            return int(value)
        value = await self._call(self._cache.increment, full, 1)
        if value == 1:
            await self._call(self._cache.expire, full, _seconds(ttl))
        return int(value)

    async def expire(self, key: str, ttl: float) -> None:
        await self._call(self._cache.expire, self._key(key), _seconds(ttl))

    async def ping(self) -> bool:
        if not self._redis:
            return True
        try:
            return bool(await self._call(self._cache.raw, "ping"))
        except StoreUnavailable:
            return False

    async def close(self) -> None:
        if self._redis:
            client = self._cache.client
            await client.aclose()


def _encode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _decode(raw: Any) -> Any:
    # counters are plain integers in memory and digit strings in Redis; everything else is JSON
    if raw is None or isinstance(raw, int):
        return raw
    return json.loads(raw)


def _is_redis_error(exc: Exception) -> bool:
    return type(exc).__module__.startswith("redis")


def create_store(url: str = "memory://", *, prefix: str = "rg:", timeout: float = 1.0) -> AiocacheStore:
    """A store for ``memory://``, ``redis://host:port/db`` or ``rediss://host:port/db``."""
    parsed = urlparse(url)
    if parsed.scheme == "memory":
        # memory operations cannot hang: no timeout task per call on the hot path
        return AiocacheStore(
            SimpleMemoryCache(serializer=StringSerializer(), timeout=None),
            prefix=prefix,
            timeout=None,
            redis=False,
        )
    if parsed.scheme in ("redis", "rediss"):
        try:
            from aiocache import RedisCache
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError("the Redis store needs: pip install 'refreshgate[redis]'") from exc
        db = int(parsed.path.lstrip("/") or 0)
        cache = RedisCache(
            serializer=StringSerializer(),
            endpoint=parsed.hostname or "127.0.0.1",
            port=parsed.port or 6379,
            db=db,
            password=unquote(parsed.password) if parsed.password else None,
            ssl=parsed.scheme == "rediss",
            create_connection_timeout=timeout,
            timeout=None,  # bounded in AiocacheStore._call instead
        )
        return AiocacheStore(cache, prefix=prefix, timeout=timeout, redis=True)
    raise ValueError(f"unsupported store URL scheme {parsed.scheme!r} (memory://, redis://, rediss://)")
