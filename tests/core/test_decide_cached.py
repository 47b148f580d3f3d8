"""The I/O-free decision answers only what is already known, and never differently from decide()."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from refreshgate.clock import ManualClock
from refreshgate.core.request import RequestView


def _view(token: str | None, path: str = "/api/x") -> RequestView:
    return RequestView("GET", path, authorization=f"Bearer {token}" if token else None)


async def test_a_token_never_verified_needs_the_full_decision(make_engine: Callable[..., Any]) -> None:
    engine = make_engine()
    issued = await engine.issue("alice")
    assert engine.decide_cached(_view(issued.access_token)) is None


async def test_a_known_good_token_passes_without_io(make_engine: Callable[..., Any]) -> None:
    engine = make_engine()
    issued = await engine.issue("alice")
    full = await engine.decide(_view(issued.access_token))
    cached = engine.decide_cached(_view(issued.access_token))
    assert cached is not None and cached.action == full.action == "pass"
    assert cached.token is not None and cached.token.sub == "alice" and cached.refreshed is None


async def test_a_token_near_expiry_is_left_to_the_full_decision(
    make_engine: Callable[..., Any], clock: ManualClock
) -> None:
    engine = make_engine(custom={"refresh_window": 300})
    issued = await engine.issue("alice", access_ttl=3600)
    await engine.decide(_view(issued.access_token))
    clock.advance(3600 - 200)
    assert engine.decide_cached(_view(issued.access_token)) is None
    assert (await engine.decide(_view(issued.access_token))).refreshed is not None


async def test_a_stale_revocation_answer_is_checked_again(
    make_engine: Callable[..., Any], clock: ManualClock
) -> None:
    engine = make_engine()
    issued = await engine.issue("alice")
    await engine.decide(_view(issued.access_token))
    await engine.revoke(issued.access_token, token_type_hint="access_token")
    assert engine.decide_cached(_view(issued.access_token)) is None
    clock.advance(5)
    assert engine.decide_cached(_view(issued.access_token)) is None
    assert (await engine.decide(_view(issued.access_token))).action == "reject"


async def test_routes_without_auth_and_optional_without_a_token_pass(make_engine: Callable[..., Any]) -> None:
    engine = make_engine()
    decision = engine.decide_cached(_view(None, "/public"))
    assert decision is not None and decision.action == "pass"


async def test_a_missing_token_on_a_required_route_is_left_to_the_full_decision(
    make_engine: Callable[..., Any],
) -> None:
    engine = make_engine()
    assert engine.decide_cached(_view(None)) is None
    assert (await engine.decide(_view(None))).action == "reject"
