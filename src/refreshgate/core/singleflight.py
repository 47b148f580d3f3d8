"""Claim, then mint, then publish: one producer per key, in one process and across replicas.

The claim is an atomic set-if-absent in the store. The winner produces and publishes the result
under the same key; losers wait a bounded time for it (in-process waiters share a future, other
replicas poll the store).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from refreshgate.clock import Clock
from refreshgate.errors import TemporarilyUnavailable
from refreshgate.store.base import Store

__all__ = ["Outcome", "SingleFlight"]

PENDING = "pending"


class _Released(Exception):  # a signal between two methods, never raised to callers
    """The claim vanished while waiting: its winner failed and released it."""


class Outcome:
    """What a caller got: the published record, and whether this caller produced it."""

    __slots__ = ("produced", "record", "waited")

    def __init__(self, record: dict[str, Any], produced: bool, waited: bool = False) -> None:
        self.record = record
        self.produced = produced
        #: this caller arrived while the winner was still producing (it shared the mint)
        self.waited = waited


class SingleFlight:
    """Run a producer once per key; everyone else gets the published record."""

    def __init__(self, store: Store, clock: Clock, *, claim_ttl: float = 10.0, wait: float = 5.0) -> None:
        self._store = store
        self._clock = clock
        self._claim_ttl = claim_ttl
        self._wait = wait
        self._local: dict[str, asyncio.Future[dict[str, Any]]] = {}

    async def run(
        self,
        key: str,
        produce: Callable[[], Awaitable[dict[str, Any]]],
        *,
        keep_for: float,
    ) -> Outcome:
        """Produce under ``key`` if this call wins the claim, else wait for the winner's record.

        ``produce`` returns the record to publish; it is kept for ``keep_for`` seconds.
        An exception from ``produce`` releases the claim and propagates.
        """
        local = self._local.get(key)
        if local is not None:
            try:
                return Outcome(await asyncio.wait_for(asyncio.shield(local), self._wait), False, True)
            except TimeoutError as exc:
                raise TemporarilyUnavailable("a concurrent refresh is taking too long") from exc
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._local[key] = future
        try:
            outcome = await self._claim_or_wait(key, produce, keep_for)
        except BaseException as exc:
            if not future.done():
                future.set_exception(exc)
                future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        finally:
            self._local.pop(key, None)
        future.set_result(outcome.record)
        return outcome

    async def _claim_or_wait(
        self, key: str, produce: Callable[[], Awaitable[dict[str, Any]]], keep_for: float
    ) -> Outcome:
        for attempt in (1, 2):
            claim = {"state": PENDING, "at": self._clock.now()}
            if await self._store.add(key, claim, self._claim_ttl):
                try:
                    record = await produce()
                except BaseException:
                    await self._release(key)
                    raise
                await self._store.set(key, record, max(keep_for, 1.0) + self._claim_ttl)
                return Outcome(record, True)
            try:
                record, waited = await self._await_record(key)
            except _Released:
                if attempt == 1:
                    continue  # the winner failed and let go: claim it ourselves, once
                raise TemporarilyUnavailable("a concurrent refresh failed; try again") from None
            return Outcome(record, False, waited)
        raise AssertionError("unreachable")  # pragma: no cover

    async def wait(self, key: str) -> tuple[dict[str, Any], bool]:
        """Wait (bounded) for a record someone else is producing; ``True`` if it was still pending."""
        try:
            return await self._await_record(key)
        except _Released:
            raise TemporarilyUnavailable("a concurrent refresh failed; try again") from None

    async def _release(self, key: str) -> None:
        with contextlib.suppress(Exception):  # the claim's TTL releases it anyway
            await self._store.delete(key)

    async def _await_record(self, key: str) -> tuple[dict[str, Any], bool]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait
        delay, waited = 0.002, False
        while True:
            record = await self._store.get(key)
            if isinstance(record, dict) and record.get("state") != PENDING:
                return record, waited
            waited = True
            if record is None:
                raise _Released
            if loop.time() >= deadline:
                raise TemporarilyUnavailable("a concurrent refresh is taking too long")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
