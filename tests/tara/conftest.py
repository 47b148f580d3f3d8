"""Fixtures for the TARA integration: an engine with a ``tara:`` block, TARA/GovSSO via respx."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import respx
from tara_fakes import RecordingStore
from tara_flow import ROUTES, TaraEnv, govsso_block, govsso_mock, tara_block, tara_mock

from oidc_fakes import NOW, SigningKey, key_fixture, other_key_fixture, router_fixture  # noqa: F401  (shared fixtures)
from refreshgate.clock import ManualClock
from refreshgate.config import Config
from refreshgate.core.api import TokenApi
from refreshgate.core.engine import Engine
from refreshgate.core.keys import KeySet
from refreshgate.store import create_store


@pytest.fixture
def clock() -> ManualClock:
    """Injected time, 5 s after the fixture ID token's ``iat``."""
    return ManualClock(NOW)


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
