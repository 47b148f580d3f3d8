"""Fixtures for the TARA integration: an engine with a ``tara:`` block, TARA/GovSSO via respx."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import respx
from tara_fakes import (
    KID,
    NOW,
    RecordingStore,
    SigningKey,
    make_key,
)
from tara_flow import ROUTES, TaraEnv, govsso_block, govsso_mock, tara_block, tara_mock

from refreshgate.clock import ManualClock
from refreshgate.config import Config
from refreshgate.core.api import TokenApi
from refreshgate.core.engine import Engine
from refreshgate.core.keys import KeySet
from refreshgate.store import create_store


@pytest.fixture(scope="session")
def key() -> SigningKey:
    """The provider's signing key (TARA.md's kid)."""
    return make_key(KID)


@pytest.fixture(scope="session")
def other_key() -> SigningKey:
    """An attacker's key, or the rotation target."""
    return make_key("2e6c8d11-rotated")


@pytest.fixture
def clock() -> ManualClock:
    """Injected time, 5 s after the fixture ID token's ``iat``."""
    return ManualClock(NOW)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    """respx router; anything unmocked fails instead of touching the network."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


EnvFactory = Callable[..., TaraEnv]


@pytest.fixture
async def make_env(
    router: respx.MockRouter,
    key: SigningKey,
    keys: KeySet,
    clock: ManualClock,
    make_config: Callable[..., Config],
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[Callable[..., TaraEnv]]:
    """``make_env(govsso=False, profiles=..., tara=...)`` → a :class:`TaraEnv`; closed after the test."""
    made: list[Engine] = []
    caplog.set_level(logging.INFO, logger="refreshgate.audit")
    logging.getLogger("refreshgate.audit").propagate = True

    def factory(*, govsso: bool = False, profiles: dict[str, Any] | None = None, **tara: Any) -> TaraEnv:
        block = govsso_block(**tara) if govsso else tara_block(**tara)
        config = make_config(tara=block, routes=ROUTES, profiles=profiles or {}, cookies={"secure": True})
        store = RecordingStore(create_store("memory://"))
        engine = Engine(config, keys=keys, store=store, clock=clock)  # type: ignore[arg-type]
        made.append(engine)
        mock = govsso_mock(router, key) if govsso else tara_mock(router, key)
        return TaraEnv(engine, TokenApi(engine), store, clock, mock, key, caplog)

    yield factory
    for engine in made:
        await engine.aclose()


@pytest.fixture
def env(make_env: EnvFactory) -> TaraEnv:
    """TARA (login only), default ``tara`` profile."""
    return make_env()


@pytest.fixture
def sso(make_env: EnvFactory) -> TaraEnv:
    """GovSSO with provider refresh."""
    return make_env(govsso=True)
