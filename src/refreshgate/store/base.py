"""The refresh store interface: a small key-value contract every backend fulfils.

Values are JSON-compatible. Every write carries a TTL, so the store never outgrows live state.
Backends raise only :class:`~refreshgate.errors.StoreUnavailable` when they cannot answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["Store"]


class Store(Protocol):
    """What the engine needs from a store; one contract suite tests every backend."""

    async def get(self, key: str) -> Any | None:
        """The value at ``key``, or ``None``."""

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        """The values at ``keys`` in one round trip (``None`` where absent)."""

    async def set(self, key: str, value: Any, ttl: float) -> None:
        """Write ``value`` at ``key`` for ``ttl`` seconds."""

    async def set_many(self, items: Sequence[tuple[str, Any]], ttl: float) -> None:
        """Write several keys, all with the same TTL, in one round trip."""

    async def add(self, key: str, value: Any, ttl: float) -> bool:
        """Atomically write ``value`` only if ``key`` is absent; ``True`` when this call won."""

    async def delete(self, key: str) -> None:
        """Remove ``key`` (no error if absent)."""

    async def incr(self, key: str, ttl: float) -> int:
        """Atomically add one to a counter; the TTL is set when the counter is created."""

    async def expire(self, key: str, ttl: float) -> None:
        """Give an existing key a new TTL."""

    async def ping(self) -> bool:
        """Whether the store answers now (readiness)."""

    async def close(self) -> None:
        """Release connections."""
