"""Failures between the steps of a refresh leave the session usable, and answer 4xx/503, never 500."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from refreshgate.clock import ManualClock
from refreshgate.core.api import ApiRequest, TokenApi
from refreshgate.core.singleflight import SingleFlight
from refreshgate.errors import InvalidRequest, StoreUnavailable, TemporarilyUnavailable
from refreshgate.store import create_store

GENEROUS = {"grace_replays": 10, "rate_limit": "1000/minute"}


async def test_a_failure_to_advance_after_publishing_is_retried_as_a_replay_not_a_theft(
    make_engine: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(custom=GENEROUS)
    issued = await engine.issue("alice")
    repo_class = type(engine.ctx.sessions(engine.ctx.profile("custom")))
    original = repo_class.record_use
    failing = {"left": 1}

    async def record_use_once_failing(self: Any, *args: Any, **kwargs: Any) -> int:
        if kwargs.get("advance_to") is not None and failing["left"]:
            failing["left"] -= 1
            raise StoreUnavailable()
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(repo_class, "record_use", record_use_once_failing)
    with pytest.raises(StoreUnavailable):
        await engine.refresh(issued.refresh_token)
    retried = await engine.refresh(issued.refresh_token)  # the same successor, session intact
    again = await engine.refresh(issued.refresh_token)
    assert retried.refresh_token == again.refresh_token
    # the successor works: its generation is completed on first use
    successor = await engine.refresh(retried.refresh_token)
    assert successor.refresh_token not in (issued.refresh_token, retried.refresh_token)


async def test_a_rotation_that_never_published_leaves_the_generation_current(
    make_engine: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(custom=GENEROUS)
    issued = await engine.issue("alice")
    store = engine.ctx.store
    original = type(store).set
    failing = {"left": 1}

    async def publish_once_failing(self: Any, key: str, value: Any, ttl: float) -> None:
        if ":r:" in key and failing["left"]:
            failing["left"] -= 1
            raise StoreUnavailable()
        await original(self, key, value, ttl)

    monkeypatch.setattr(type(store), "set", publish_once_failing)
    with pytest.raises(StoreUnavailable):
        await engine.refresh(issued.refresh_token)
    # the pending claim runs out (its TTL, simulated): the same refresh token simply rotates
    sid = issued.session_id
    await store.delete(engine.ctx.sessions(engine.ctx.profile("custom")).keys.rotation(sid, 0))
    rotated = await engine.refresh(issued.refresh_token)
    assert (await engine.refresh(rotated.refresh_token)).session_id == sid


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
async def test_non_finite_numbers_in_a_token_request_are_invalid_request(
    make_engine: Callable[..., Any], value: str
) -> None:
    engine = make_engine(clients={"portal": {"secret": "s"}})
    api = TokenApi(engine)
    body = f'{{"sub": "alice", "auth_time": {value}}}'.encode()
    auth = "Basic cG9ydGFsOnM="  # portal:s
    response = await api.handle(
        ApiRequest("POST", "/jwt/token", {"content-type": "application/json", "authorization": auth}, body)
    )
    assert response.status == 400 and json.loads(response.body)["error"] == "invalid_request"


async def test_an_infinite_auth_time_from_python_is_refused(make_engine: Callable[..., Any]) -> None:
    engine = make_engine()
    with pytest.raises(InvalidRequest):
        await engine.issue("alice", auth_time=float("nan"))


async def test_an_in_process_waiter_that_runs_out_of_time_is_temporarily_unavailable() -> None:
    store = create_store("memory://")
    flight = SingleFlight(store, ManualClock(), wait=0.05)
    release = asyncio.Event()

    async def slow() -> dict[str, Any]:
        await release.wait()
        return {"state": "done"}

    winner = asyncio.create_task(flight.run("k", slow, keep_for=1))
    await asyncio.sleep(0)
    with pytest.raises(TemporarilyUnavailable):
        await flight.run("k", slow, keep_for=1)
    release.set()
    assert (await winner).produced


async def test_a_waiter_on_another_replica_takes_over_when_the_winner_fails() -> None:
    store = create_store("memory://")
    first, second = SingleFlight(store, ManualClock()), SingleFlight(store, ManualClock())
    started = asyncio.Event()

    async def failing() -> dict[str, Any]:
        started.set()
        await asyncio.sleep(0.02)
        raise RuntimeError("winner died")

    async def working() -> dict[str, Any]:
        return {"state": "done", "by": "second"}

    doomed = asyncio.create_task(first.run("k", failing, keep_for=1))
    await started.wait()
    outcome = await second.run("k", working, keep_for=1)
    with pytest.raises(RuntimeError):
        await doomed
    assert outcome.produced and outcome.record["by"] == "second"
