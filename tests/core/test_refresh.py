"""Explicit refresh (SPEC §5 rules 1-7), revocation and audit, on the memory store with a ManualClock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from refreshgate.clock import ManualClock
from refreshgate.core.context import TokenResponse
from refreshgate.core.engine import Client, Engine
from refreshgate.core.request import RequestView
from refreshgate.errors import AccessDenied, InvalidClient, InvalidGrant, RateLimited, StoreUnavailable

EngineFactory = Callable[..., Engine]
AuditReader = Callable[..., list[dict[str, Any]]]

PORTAL = Client("portal", admin=False, profiles=None)
OTHER = Client("other", admin=False, profiles=None)
OPS = Client("ops", admin=True, profiles=None)


@pytest.fixture
def engine(make_engine: EngineFactory) -> Engine:
    """The default engine, with routes (``/api/**`` custom) so that ``decide`` applies policies."""
    return make_engine()


def rt_of(response: TokenResponse) -> str:
    assert response.refresh_token is not None
    return response.refresh_token


def gen_of(engine: Engine, response: TokenResponse) -> int:
    return engine.ctx.codec.read_refresh(rt_of(response)).gen


async def access_allowed(engine: Engine, token: str) -> bool:
    decision = await engine.decide(RequestView("GET", "/api/x", authorization=f"Bearer {token}"))
    return decision.action == "pass"


# -- rule 4: rotation --------------------------------------------------------------------------


async def test_refresh_rotates_to_the_next_generation_with_a_new_access_token(engine: Engine) -> None:
    issued = await engine.issue("alice")
    rotated = await engine.refresh(rt_of(issued))

    assert gen_of(engine, issued) == 0 and gen_of(engine, rotated) == 1
    assert rotated.refresh_token != issued.refresh_token
    assert rotated.access_token != issued.access_token
    assert rotated.session_id == issued.session_id
    assert gen_of(engine, await engine.refresh(rt_of(rotated))) == 2


async def test_refreshed_access_token_keeps_identity_and_changes_only_jti_iat_nbf_exp(
    engine: Engine, clock: ManualClock
) -> None:
    issued = await engine.issue("alice", claims={"roles": ["reader"], "email": "a@example.ee"}, client=PORTAL)
    clock.advance(120)
    rotated = await engine.refresh(rt_of(issued), client=PORTAL)

    before = dict(engine.ctx.codec.verify_access(issued.access_token).claims)
    after = dict(engine.ctx.codec.verify_access(rotated.access_token).claims)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {"jti", "iat", "nbf", "exp"}
    assert after["cid"] == "portal" and after["roles"] == ["reader"]


async def test_old_generation_is_dead_once_its_successor_was_used(engine: Engine, audit: AuditReader) -> None:
    issued = await engine.issue("alice")
    rotated = await engine.refresh(rt_of(issued))
    await engine.refresh(rt_of(rotated))  # the successor is used

    with pytest.raises(InvalidGrant, match="reuse"):
        await engine.refresh(rt_of(issued))
    assert len(audit("refresh.reuse_detected")) == 1


async def test_profile_without_rotation_returns_the_same_refresh_token(make_engine: EngineFactory) -> None:
    engine = make_engine(custom={"rotate_refresh_tokens": False})
    issued = await engine.issue("alice")
    first = await engine.refresh(rt_of(issued))
    second = await engine.refresh(rt_of(issued))

    assert first.refresh_token == second.refresh_token == issued.refresh_token
    assert len({issued.access_token, first.access_token, second.access_token}) == 3


# -- rule 5: grace replay ----------------------------------------------------------------------


async def test_replay_within_grace_returns_the_identical_successor(
    engine: Engine, clock: ManualClock, audit: AuditReader
) -> None:
    issued = await engine.issue("alice")
    first = await engine.refresh(rt_of(issued))
    clock.advance(29)
    again = await engine.refresh(rt_of(issued))

    assert again.to_json() == first.to_json()
    assert len(audit("refresh.succeeded")) == 1
    assert len(audit("refresh.grace_replayed")) == 1


async def test_replay_with_a_different_client_binding_is_reuse(engine: Engine, audit: AuditReader) -> None:
    issued = await engine.issue("alice")  # an unbound session, first rotated by client "portal"
    rotated = await engine.refresh(rt_of(issued), client=PORTAL)

    with pytest.raises(InvalidGrant, match="reuse"):
        await engine.refresh(rt_of(issued))
    assert len(audit("refresh.reuse_detected")) == 1
    with pytest.raises(InvalidGrant, match="reuse"):
        await engine.refresh(rt_of(rotated), client=PORTAL)


async def test_grace_replays_are_limited_and_the_excess_does_not_revoke(
    make_engine: EngineFactory, audit: AuditReader
) -> None:
    engine = make_engine(custom={"grace_replays": 2})
    issued = await engine.issue("alice")
    rotated = await engine.refresh(rt_of(issued))
    for _ in range(2):
        assert (await engine.refresh(rt_of(issued))).to_json() == rotated.to_json()

    with pytest.raises(InvalidGrant, match="already used"):
        await engine.refresh(rt_of(issued))
    assert audit("refresh.reuse_detected") == []
    assert gen_of(engine, await engine.refresh(rt_of(rotated))) == 2


# -- rule 6: reuse -----------------------------------------------------------------------------


async def test_replay_after_grace_revokes_the_session_and_kills_the_newest_token(
    engine: Engine, clock: ManualClock, audit: AuditReader
) -> None:
    issued = await engine.issue("alice")
    rotated = await engine.refresh(rt_of(issued))
    clock.advance(31)  # custom grace_period is 30 s

    with pytest.raises(InvalidGrant, match="reuse detected"):
        await engine.refresh(rt_of(issued))

    [reuse] = audit("refresh.reuse_detected")
    assert reuse["sid"] == issued.session_id and reuse["sub"] == "alice"
    with pytest.raises(InvalidGrant, match="reuse"):
        await engine.refresh(rt_of(rotated))
    assert not await access_allowed(engine, rotated.access_token)


async def test_reuse_revokes_only_that_session_not_the_subjects_others(
    engine: Engine, clock: ManualClock
) -> None:
    stolen = await engine.issue("alice")
    other = await engine.issue("alice")
    await engine.refresh(rt_of(stolen))
    clock.advance(31)
    with pytest.raises(InvalidGrant):
        await engine.refresh(rt_of(stolen))

    assert gen_of(engine, await engine.refresh(rt_of(other))) == 1


async def test_reuse_detection_reject_refuses_without_revoking(
    make_engine: EngineFactory, clock: ManualClock, audit: AuditReader
) -> None:
    engine = make_engine(custom={"reuse_detection": "reject"})
    issued = await engine.issue("alice")
    rotated = await engine.refresh(rt_of(issued))
    clock.advance(31)

    with pytest.raises(InvalidGrant, match="reuse"):
        await engine.refresh(rt_of(issued))
    assert len(audit("refresh.reuse_detected")) == 1
    assert audit("session.revoked") == []
    assert gen_of(engine, await engine.refresh(rt_of(rotated))) == 2


@pytest.mark.parametrize("how", ["revoke", "logout"])
async def test_revoked_or_logged_out_token_is_plain_invalid_grant_without_reuse_audit(
    engine: Engine, audit: AuditReader, how: str
) -> None:
    issued = await engine.issue("alice")
    rotated = await engine.refresh(rt_of(issued))
    if how == "revoke":
        await engine.revoke(rt_of(rotated))
    else:
        await engine.end_session(rotated.session_id, profile="custom", reason="logout", sub="alice")

    for token in (rt_of(rotated), rt_of(issued)):  # the current one and a rotated one
        with pytest.raises(InvalidGrant) as info:
            await engine.refresh(token)
        assert "reuse" not in info.value.description
    assert audit("refresh.reuse_detected") == []
    expected = "refresh token revoked" if how == "revoke" else "session logged out"
    assert info.value.description == expected


# -- rule 7: limits ----------------------------------------------------------------------------


async def test_max_refreshes_ends_the_session(make_engine: EngineFactory) -> None:
    engine = make_engine(custom={"max_refreshes": 2})
    response = await engine.issue("alice")
    for _ in range(2):
        response = await engine.refresh(rt_of(response))

    with pytest.raises(InvalidGrant, match="max_refreshes"):
        await engine.refresh(rt_of(response))


async def test_max_session_age_is_anchored_at_authentication_and_caps_every_exp(
    make_engine: EngineFactory, clock: ManualClock
) -> None:
    engine = make_engine(custom={"max_session_age": "2h", "access_ttl": "1h"})
    start = clock.now()
    response = await engine.issue("alice")
    clock.advance(5400)  # 1.5 h: rotation must not push the end past 2 h
    response = await engine.refresh(rt_of(response))

    assert response.expires_in == 1800
    assert engine.ctx.codec.verify_access(response.access_token).exp == int(start + 7200)
    assert engine.ctx.codec.read_refresh(rt_of(response)).exp == int(start + 7200)
    clock.advance(1800)
    with pytest.raises(InvalidGrant, match="max_session_age"):
        await engine.refresh(rt_of(response))


async def test_max_session_age_counts_from_the_given_auth_time(
    make_engine: EngineFactory, clock: ManualClock
) -> None:
    engine = make_engine(custom={"max_session_age": "2h", "access_ttl": "1h"})
    issued = await engine.issue("alice", auth_time=clock.now() - 5400)
    assert issued.expires_in == 1800


async def test_idle_timeout_ends_an_unused_session(make_engine: EngineFactory, clock: ManualClock) -> None:
    engine = make_engine(custom={"idle_timeout": "10m"})
    response = await engine.issue("alice")
    clock.advance(540)
    response = await engine.refresh(rt_of(response))
    clock.advance(601)

    with pytest.raises(InvalidGrant, match="idle_timeout"):
        await engine.refresh(rt_of(response))


# -- rule 1: client binding, access-token binding ----------------------------------------------


async def test_bound_refresh_token_needs_its_own_client(make_engine: EngineFactory) -> None:
    engine = make_engine(custom={"bind_client": True})
    issued = await engine.issue("alice", client=PORTAL)

    with pytest.raises(InvalidClient):
        await engine.refresh(rt_of(issued))
    with pytest.raises(InvalidGrant, match="another client"):
        await engine.refresh(rt_of(issued), client=OTHER)
    assert gen_of(engine, await engine.refresh(rt_of(issued), client=PORTAL)) == 1


async def test_another_clients_refresh_token_is_refused_even_without_bind_client(engine: Engine) -> None:
    issued = await engine.issue("alice", client=PORTAL)
    with pytest.raises(InvalidGrant, match="another client"):
        await engine.refresh(rt_of(issued), client=OTHER)


async def test_required_access_token_binding_checks_presence_signature_and_session(
    make_engine: EngineFactory, clock: ManualClock
) -> None:
    engine = make_engine(custom={"require_access_token_binding": True})
    mine, theirs = await engine.issue("alice"), await engine.issue("bob")

    with pytest.raises(InvalidGrant, match="requires the access token"):
        await engine.refresh(rt_of(mine))
    with pytest.raises(InvalidGrant, match="another session"):
        await engine.refresh(rt_of(mine), access_token=theirs.access_token)
    with pytest.raises(InvalidGrant, match="invalid"):
        await engine.refresh(rt_of(mine), access_token=mine.access_token[:-4] + "AAAA")
    clock.advance(7200)  # the access token's expiry is ignored for binding
    assert gen_of(engine, await engine.refresh(rt_of(mine), access_token=mine.access_token)) == 1


async def test_optional_access_token_binding_is_checked_when_sent(engine: Engine) -> None:
    mine, theirs = await engine.issue("alice"), await engine.issue("bob")
    with pytest.raises(InvalidGrant, match="another session"):
        await engine.refresh(rt_of(mine), access_token=theirs.access_token)


# -- rule 3: rate limits -----------------------------------------------------------------------


async def test_session_rate_limit_refuses_with_retry_after(
    make_engine: EngineFactory, clock: ManualClock
) -> None:
    engine = make_engine(custom={"rate_limit": "2/minute"})
    clock.set(1_800_000_040.0)  # 40 s into a minute window
    response = await engine.issue("alice")
    for _ in range(2):
        response = await engine.refresh(rt_of(response))

    with pytest.raises(RateLimited) as info:
        await engine.refresh(rt_of(response))
    assert info.value.retry_after == 20
    clock.advance(20)
    assert gen_of(engine, await engine.refresh(rt_of(response))) == 3


async def test_address_rate_limit_counts_across_sessions(make_engine: EngineFactory) -> None:
    engine = make_engine(api={"address_rate_limit": "2/minute"})
    sessions = [await engine.issue("alice") for _ in range(3)]
    for issued in sessions[:2]:
        await engine.refresh(rt_of(issued), remote="192.0.2.1")

    with pytest.raises(RateLimited) as info:
        await engine.refresh(rt_of(sessions[2]), remote="192.0.2.1")
    assert info.value.retry_after is not None and 1 <= info.value.retry_after <= 60
    assert gen_of(engine, await engine.refresh(rt_of(sessions[2]), remote="192.0.2.2")) == 1


# -- revocation --------------------------------------------------------------------------------


async def test_revoking_a_refresh_token_ends_the_session_and_denies_its_access_tokens(engine: Engine) -> None:
    issued = await engine.issue("alice")
    rotated = await engine.refresh(rt_of(issued))
    await engine.revoke(rt_of(rotated), token_type_hint="refresh_token")

    with pytest.raises(InvalidGrant, match="revoked"):
        await engine.refresh(rt_of(rotated))
    assert not await access_allowed(engine, issued.access_token)
    assert not await access_allowed(engine, rotated.access_token)


async def test_revoking_an_access_token_denies_only_that_jti(engine: Engine) -> None:
    issued = await engine.issue("alice")
    rotated = await engine.refresh(rt_of(issued))
    await engine.revoke(issued.access_token, token_type_hint="access_token")

    assert not await access_allowed(engine, issued.access_token)
    assert await access_allowed(engine, rotated.access_token)
    assert gen_of(engine, await engine.refresh(rt_of(rotated))) == 2


async def test_revoking_an_unknown_token_is_not_an_error(engine: Engine) -> None:
    await engine.revoke("not-a-token")


async def test_revoking_a_subject_kills_every_session_of_it_and_no_one_elses(
    engine: Engine, clock: ManualClock
) -> None:
    alice = [await engine.issue("alice"), await engine.issue("alice", profile="tara")]
    bob = await engine.issue("bob")
    clock.advance(1)
    await engine.revoke_subject("alice", client=OPS)

    for session in alice:
        with pytest.raises(InvalidGrant, match="subject revoked"):
            await engine.refresh(rt_of(session))
    assert not await access_allowed(engine, alice[0].access_token)
    assert await access_allowed(engine, bob.access_token)
    assert gen_of(engine, await engine.refresh(rt_of(bob))) == 1


async def test_sessions_started_after_a_subject_revocation_work(engine: Engine, clock: ManualClock) -> None:
    await engine.revoke_subject("alice", client=OPS)
    clock.advance(1)
    fresh = await engine.issue("alice")
    assert await access_allowed(engine, fresh.access_token)
    assert gen_of(engine, await engine.refresh(rt_of(fresh))) == 1


async def test_only_an_admin_client_may_revoke_a_subject(engine: Engine) -> None:
    issued = await engine.issue("alice")
    with pytest.raises(AccessDenied):
        await engine.revoke_subject("alice", client=PORTAL)
    assert gen_of(engine, await engine.refresh(rt_of(issued))) == 1


# -- audit -------------------------------------------------------------------------------------


async def test_audit_lines_are_json_with_the_spec_fields_and_never_a_token(
    engine: Engine, clock: ManualClock, audit: AuditReader, caplog: pytest.LogCaptureFixture
) -> None:
    issued = await engine.issue("alice", client=PORTAL, remote="192.0.2.7")
    rotated = await engine.refresh(rt_of(issued), client=PORTAL, remote="192.0.2.7")
    await engine.refresh(rt_of(issued), client=PORTAL)  # grace replay
    clock.advance(31)
    with pytest.raises(InvalidGrant):
        await engine.refresh(rt_of(issued), client=PORTAL)  # reuse
    await engine.revoke(rotated.access_token)

    events = [e["event"] for e in audit()]
    assert events[:3] == ["token.issued", "refresh.succeeded", "refresh.grace_replayed"]
    assert {"session.revoked", "refresh.reuse_detected"} <= set(events)
    [succeeded] = audit("refresh.succeeded")
    assert succeeded["sid"] == issued.session_id and succeeded["client"] == "portal"
    assert succeeded["remote"] == "192.0.2.7" and "ts" in succeeded
    secrets = {issued.access_token, rt_of(issued), rotated.access_token, rt_of(rotated)}
    for record in caplog.records:
        message = record.getMessage()
        for token in secrets:
            assert token not in message
            assert token.split(".")[-1] not in message  # not even a signature or tag


async def test_store_down_makes_refresh_and_issuance_temporarily_unavailable(
    make_engine: EngineFactory, audit: AuditReader
) -> None:
    healthy = make_engine()
    issued = await healthy.issue("alice")
    down = make_engine(store_url="redis://127.0.0.1:6399/0")  # nothing listens there

    with pytest.raises(StoreUnavailable) as info:
        await down.refresh(rt_of(issued))
    assert info.value.status_code == 503 and info.value.retry_after == 1
    with pytest.raises(StoreUnavailable):
        await down.issue("bob")
    assert await down.ready() is False
    assert audit("refresh.reuse_detected") == []
