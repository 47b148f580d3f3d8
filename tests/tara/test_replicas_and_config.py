"""Two replicas on one Redis share the provider refresh; the ``tara:`` block's config rules."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import respx
from tara_flow import ROUTES, TaraEnv, govsso_block, govsso_mock

from oidc_fakes import GOVSSO_CLAIMS, SigningKey, claims_like
from refreshgate.clock import ManualClock
from refreshgate.config import Config, parse_config
from refreshgate.core.api import TokenApi
from refreshgate.core.engine import Engine
from refreshgate.core.keys import KeySet
from refreshgate.errors import ConfigError

REDIS_DB = 9


@pytest.fixture
def redis_db9() -> str:
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    client.flushdb()
    client.close()
    return f"redis://127.0.0.1:6379/{REDIS_DB}"


@pytest.mark.redis
async def test_two_replicas_call_the_provider_grant_once_for_one_session(
    redis_db9: str,
    router: respx.MockRouter,
    key: SigningKey,
    keys: KeySet,
    clock: ManualClock,
    make_config: Callable[..., Config],
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = make_config(tara=govsso_block(), routes=ROUTES, store={"url": redis_db9})
    replicas = [Engine(config, keys=keys, clock=clock) for _ in range(2)]
    try:
        mock = govsso_mock(router, key)
        env = TaraEnv(replicas[0], TokenApi(replicas[0]), replicas[0].store, clock, mock, key, caplog)  # type: ignore[arg-type]
        logged = await env.login(GOVSSO_CLAIMS, refresh_token="rt-1", expires_in=1)
        due = GOVSSO_CLAIMS["exp"] - 100
        clock.set(due)
        claims = claims_like(GOVSSO_CLAIMS, jti="n", iat=due, exp=due + 600)
        mock.token_response(
            access_token="a", token_type="bearer", refresh_token="rt-2", id_token=key.sign(claims)
        )
        at = replicas[0].ctx.codec.verify_access(logged.access_token)
        repo = replicas[0].ctx.sessions(replicas[0].ctx.profile("tara"))
        session = (await repo.load(at.sid, at.sub)).session
        assert session is not None
        hooks = [r.provider_sessions.hook for r in replicas if r.provider_sessions is not None]
        results = await asyncio.gather(*(hooks[i % 2](session, repo) for i in range(6)))
        grants = [c for c in mock.route("token").calls if b"grant_type=refresh_token" in c.request.content]
        assert len(grants) == 1
        assert {r.ends_at for r in results} == {due + 600}
    finally:
        for replica in replicas:
            await replica.aclose()


def test_an_http_issuer_needs_allow_insecure_issuer() -> None:
    block: dict[str, Any] = govsso_block(issuer="http://127.0.0.1:9999")
    with pytest.raises(ConfigError) as caught:
        parse_config({"tara": block}, env={})
    assert "tara.issuer" in str(caught.value)
    config = parse_config({"tara": block | {"allow_insecure_issuer": True}}, env={})
    assert config.tara is not None and config.tara.issuer == "http://127.0.0.1:9999"


def test_the_spec_example_tara_block_is_accepted() -> None:
    spec_block = {
        "issuer": "https://tara-test.ria.ee",
        "client_id": "portal-test",
        "client_secret": "${TARA_CLIENT_SECRET}",
        "redirect_uri": "https://portal.example.ee/tara/callback",
        "scope": "openid",
        "acr_values": "substantial",
    }
    config = parse_config({"tara": spec_block}, env={"TARA_CLIENT_SECRET": "x"})
    assert config.tara is not None and config.tara.cookie_name == "TIM_TARA_JWT"
