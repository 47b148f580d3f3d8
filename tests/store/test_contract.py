"""The store contract (STYLE.md #7): one suite, every backend — memory and a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from refreshgate.clock import ManualClock
from refreshgate.config import parse_config
from refreshgate.core.engine import Client, Engine
from refreshgate.core.keys import KeySet
from refreshgate.core.request import RequestView
from refreshgate.errors import StoreUnavailable
from refreshgate.store import AiocacheStore, create_store

REDIS_DB = 2  # owned by these tests; flushed before each one
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
DEAD_URL = "redis://127.0.0.1:6399/0"  # nothing listens there


@dataclass
class Backend:
    """A store under test plus a way to read a key's remaining TTL behind its back."""

    store: AiocacheStore
    ttl: Callable[[str], Awaitable[float | None]]  # None: the key has no TTL; -2.0: absent
    keys: Callable[[], Awaitable[list[str]]]


def _redis_client() -> Any:
    redis = pytest.importorskip("redis", reason="the redis extra is not installed")
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        pytest.skip(f"Redis does not answer on 127.0.0.1:6379 ({type(exc).__name__})")
    return client


def _memory_backend() -> Backend:
    store = create_store("memory://")
    cache = store._cache  # the probe reads the backend's own timers: that is where a TTL lives

    async def ttl(key: str) -> float | None:
        full = "rg:" + key
        if full not in cache._cache:
            return -2.0
        handle = cache._handlers.get(full)
        return None if handle is None else handle.when() - asyncio.get_running_loop().time()

    async def keys() -> list[str]:
        return [k.removeprefix("rg:") for k in cache._cache]

    return Backend(store, ttl, keys)


def _redis_backend(client: Any) -> Backend:
    async def ttl(key: str) -> float | None:
        value = float(client.ttl("rg:" + key))
        return None if value == -1 else value

    async def keys() -> list[str]:
        return [k.decode().removeprefix("rg:") for k in client.scan_iter("rg:*")]

    return Backend(create_store(REDIS_URL, timeout=2.0), ttl, keys)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "memory":
        made = _memory_backend()
        yield made
        await made.store.close()
        return
    client = _redis_client()
    client.flushdb()
    made = _redis_backend(client)
    try:
        yield made
    finally:
        await made.store.close()
        client.close()


async def test_get_returns_what_set_wrote(backend: Backend) -> None:
    value = {"a": [1, 2.5, "x", None, True], "b": {"c": "d"}}
    await backend.store.set("k", value, 60)
    assert await backend.store.get("k") == value


async def test_get_of_a_missing_key_is_none(backend: Backend) -> None:
    assert await backend.store.get("absent") is None


async def test_set_overwrites(backend: Backend) -> None:
    await backend.store.set("k", 1, 60)
    await backend.store.set("k", "two", 60)
    assert await backend.store.get("k") == "two"


async def test_add_writes_only_when_the_key_is_absent(backend: Backend) -> None:
    assert await backend.store.add("claim", {"owner": "first"}, 60) is True
    assert await backend.store.add("claim", {"owner": "second"}, 60) is False
    assert await backend.store.get("claim") == {"owner": "first"}


async def test_concurrent_adds_have_exactly_one_winner(backend: Backend) -> None:
    results = await asyncio.gather(*(backend.store.add("race", i, 60) for i in range(30)))
    assert results.count(True) == 1
    assert await backend.store.get("race") == results.index(True)


async def test_delete_removes_and_tolerates_absent_keys(backend: Backend) -> None:
    await backend.store.set("k", 1, 60)
    await backend.store.delete("k")
    await backend.store.delete("never-there")
    assert await backend.store.get("k") is None
    assert await backend.store.add("k", 2, 60) is True


async def test_incr_counts_from_one(backend: Backend) -> None:
    assert [await backend.store.incr("n", 60) for _ in range(3)] == [1, 2, 3]
    assert await backend.store.get("n") == 3


async def test_concurrent_incr_loses_no_count(backend: Backend) -> None:
    results = await asyncio.gather(*(backend.store.incr("n", 60) for _ in range(25)))
    assert sorted(results) == list(range(1, 26))


async def test_incr_sets_the_ttl_once_when_the_counter_is_created(backend: Backend) -> None:
    await backend.store.incr("n", 100)
    await backend.store.incr("n", 5)
    remaining = await backend.ttl("n")
    assert remaining is not None and 90 < remaining <= 100


async def test_set_gives_the_key_its_ttl(backend: Backend) -> None:
    await backend.store.set("k", 1, 100)
    remaining = await backend.ttl("k")
    assert remaining is not None and 90 < remaining <= 100


async def test_set_many_writes_every_key_with_the_ttl(backend: Backend) -> None:
    await backend.store.set_many([("a", {"x": 1}), ("b", 2)], 100)
    assert await backend.store.get_many(["a", "b"]) == [{"x": 1}, 2]
    for key in ("a", "b"):
        remaining = await backend.ttl(key)
        assert remaining is not None and 90 < remaining <= 100


async def test_fractional_ttl_is_rounded_up_never_to_zero(backend: Backend) -> None:
    await backend.store.set("k", 1, 0.2)
    remaining = await backend.ttl("k")
    assert remaining is not None and 0 < remaining <= 1


async def test_add_gives_the_key_its_ttl(backend: Backend) -> None:
    await backend.store.add("k", 1, 100)
    remaining = await backend.ttl("k")
    assert remaining is not None and 90 < remaining <= 100


async def test_expire_replaces_the_ttl(backend: Backend) -> None:
    await backend.store.set("k", 1, 100)
    await backend.store.expire("k", 5)
    remaining = await backend.ttl("k")
    assert remaining is not None and 0 < remaining <= 5
    assert await backend.store.get("k") == 1


async def test_expire_of_an_absent_key_creates_nothing(backend: Backend) -> None:
    await backend.store.expire("ghost", 5)
    assert await backend.store.get("ghost") is None


async def test_get_many_answers_in_order_with_none_for_absent_keys(backend: Backend) -> None:
    await backend.store.set("a", {"x": 1}, 60)
    await backend.store.incr("c", 60)
    assert await backend.store.get_many(["a", "b", "c"]) == [{"x": 1}, None, 1]
    assert await backend.store.get_many([]) == []


async def test_ping_is_true_when_the_store_answers(backend: Backend) -> None:
    assert await backend.store.ping() is True


async def test_every_key_the_engine_writes_has_a_ttl(backend: Backend, keys: KeySet) -> None:
    config = parse_config(
        {
            "tokens": {"issuer": "https://auth.test"},
            "routes": [{"path": "/api/**", "profile": "custom"}],
        },
        env={},
    )
    clock = ManualClock()
    engine = Engine(config, keys=keys, store=backend.store, clock=clock)
    first = await engine.issue("alice", claims={"roles": ["r"]})
    second = await engine.issue("alice")
    assert first.refresh_token is not None and second.refresh_token is not None
    rotated = await engine.refresh(first.refresh_token, remote="10.0.0.1")
    await engine.refresh(first.refresh_token, remote="10.0.0.1")  # grace replay
    clock.advance(3600 - 60)  # near expiry: a transparent mint
    await engine.decide(RequestView("GET", "/api/x", authorization=f"Bearer {rotated.access_token}"))
    await engine.revoke(rotated.access_token, token_type_hint="access_token")
    await engine.revoke(second.refresh_token)
    await engine.revoke_subject("alice", client=Client("ops", admin=True, profiles=None))

    written = await backend.keys()
    assert len(written) >= 10
    without_ttl = [key for key in written if (await backend.ttl(key)) is None]
    assert without_ttl == []


@pytest.mark.redis
@pytest.mark.parametrize(
    "operation",
    [
        lambda s: s.get("k"),
        lambda s: s.get_many(["a", "b"]),
        lambda s: s.set("k", 1, 60),
        lambda s: s.add("k", 1, 60),
        lambda s: s.delete("k"),
        lambda s: s.incr("k", 60),
        lambda s: s.expire("k", 60),
    ],
    ids=["get", "get_many", "set", "add", "delete", "incr", "expire"],
)
async def test_unreachable_redis_raises_store_unavailable(operation: Callable[[Any], Awaitable[Any]]) -> None:
    store = create_store(DEAD_URL, timeout=0.5)
    try:
        with pytest.raises(StoreUnavailable):
            await operation(store)
    finally:
        await store.close()


@pytest.mark.redis
async def test_unreachable_redis_pings_false() -> None:
    store = create_store(DEAD_URL, timeout=0.5)
    try:
        assert await store.ping() is False
    finally:
        await store.close()


def test_unknown_store_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported store URL scheme"):
        create_store("mongodb://127.0.0.1/0")


def test_store_repr_names_the_backend_not_the_url() -> None:
    assert repr(create_store("redis://:hunter2@127.0.0.1:6379/2")) == "AiocacheStore(backend='redis')"
