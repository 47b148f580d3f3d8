"""A store wrapper that reports every failure, so store errors are counted wherever they happen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from refreshgate.errors import StoreUnavailable
from refreshgate.store.base import Store

__all__ = ["ObservedStore"]

T = TypeVar("T")


class ObservedStore:
    """Delegates to ``inner``; each :class:`StoreUnavailable` (and a failed ping) is reported to
    ``on_error(operation)`` before it propagates."""

    def __init__(self, inner: Store, on_error: Callable[[str], None]) -> None:
        self.inner = inner
        self._on_error = on_error

    def __repr__(self) -> str:
        return repr(self.inner)

    def __getattr__(self, name: str) -> Any:
        # backend extras (tests read e.g. ``url_scheme``) stay reachable through the wrapper
        return getattr(self.inner, name)

    async def _observe(self, operation: str, call: Awaitable[T]) -> T:
        try:
            return await call
        except StoreUnavailable:
            self._on_error(operation)
            raise

    async def get(self, key: str) -> Any | None:
        return await self._observe("get", self.inner.get(key))

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        return await self._observe("get_many", self.inner.get_many(keys))

    async def set(self, key: str, value: Any, ttl: float) -> None:
        await self._observe("set", self.inner.set(key, value, ttl))

    async def set_many(self, items: Sequence[tuple[str, Any]], ttl: float) -> None:
        await self._observe("set_many", self.inner.set_many(items, ttl))

    async def add(self, key: str, value: Any, ttl: float) -> bool:
        return await self._observe("add", self.inner.add(key, value, ttl))

    async def delete(self, key: str) -> None:
        await self._observe("delete", self.inner.delete(key))

    async def incr(self, key: str, ttl: float) -> int:
        return await self._observe("incr", self.inner.incr(key, ttl))

    async def expire(self, key: str, ttl: float) -> None:
        await self._observe("expire", self.inner.expire(key, ttl))

    async def ping(self) -> bool:
        answered = await self.inner.ping()
        if not answered:
            self._on_error("ping")
        return answered

    async def close(self) -> None:
        await self.inner.close()
