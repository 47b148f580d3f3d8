"""Shared fixtures: an injected clock, config and engine builders, and a Redis database.

Keep this file small and stable: every test package relies on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from refreshgate.clock import ManualClock
from refreshgate.config import Config, parse_config
from refreshgate.core.engine import Engine
from refreshgate.core.keys import KeySet
from refreshgate.store import create_store

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
#: the shared Redis database of the engine tests (tests/core, tests/store own db 1 and 2)
REDIS_DB = 1

ISSUER = "https://auth.test"
AUDIENCE = "portal"


def build_config(**overrides: Any) -> Config:
    """A valid Config: a fixed issuer and audience, top-level sections replaced by ``overrides``."""
    raw: dict[str, Any] = {"tokens": {"issuer": ISSUER, "audience": AUDIENCE, "clock_skew": 30}}
    raw.update(overrides)
    return parse_config(raw, env={})


@pytest.fixture
def clock() -> ManualClock:
    """Time that only moves when a test says so (``clock.advance(seconds)``)."""
    return ManualClock()


@pytest.fixture
def make_config() -> Callable[..., Config]:
    """``make_config(profiles={...}, routes=[...])`` → a validated Config (via ``parse_config``)."""
    return build_config


@pytest.fixture(scope="session")
def keys() -> KeySet:
    """Ephemeral ES256 access key and refresh key, shared by the whole run (generating is slow-ish)."""
    return KeySet.ephemeral()


@pytest.fixture
async def engine(keys: KeySet, clock: ManualClock) -> AsyncIterator[Engine]:
    """An engine on a fresh memory store with ephemeral keys and the ManualClock."""
    made = Engine(build_config(), keys=keys, store=create_store("memory://"), clock=clock)
    yield made
    await made.aclose()


def _redis_or_skip(db: int) -> Any:
    redis = pytest.importorskip("redis", reason="the redis extra is not installed")
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        pytest.skip(f"Redis does not answer on {REDIS_HOST}:{REDIS_PORT} ({type(exc).__name__})")
    return client


@pytest.fixture
def redis_url() -> Iterator[str]:
    """``redis://127.0.0.1:6379/1``, flushed before each test; skips when Redis does not answer."""
    client = _redis_or_skip(REDIS_DB)
    client.flushdb()
    client.close()
    yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
