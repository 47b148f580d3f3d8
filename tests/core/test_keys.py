"""Keys (SPEC §3): algorithms, rotation (first signs, all verify), JWKS, no material in repr."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from refreshgate.clock import ManualClock
from refreshgate.config import parse_config
from refreshgate.config.model import KeysConfig, TokensConfig
from refreshgate.core.keys import KeySet, generate_key_files
from refreshgate.core.tokens import TokenCodec
from refreshgate.errors import ConfigError, InvalidToken
from refreshgate.secret import Secret

TOKENS = TokensConfig(issuer="https://auth.test", audience="portal")


def keys_config(*blocks: dict[str, Any]) -> KeysConfig:
    """Merge several ``keys:`` blocks (as generate_key_files returns them), first one first."""
    access = [entry for block in blocks for entry in block["keys"]["access"]]
    refresh = [entry for block in blocks for entry in block["keys"]["refresh"]]
    return parse_config({"keys": {"access": access, "refresh": refresh}}, env={}).keys


def header_of(token: str) -> dict[str, Any]:
    first = token.split(".", 1)[0]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    return decoded


def claims(now: float, **extra: Any) -> dict[str, Any]:
    base = {
        "sub": "alice",
        "jti": "j-1",
        "sid": "s-1",
        "prf": "custom",
        "iat": int(now),
        "exp": int(now) + 600,
    }
    return {**base, **extra}


def test_es256_is_the_default_algorithm(tmp_path: Path) -> None:
    block = generate_key_files(tmp_path, stamp="a")
    del block["keys"]["access"][0]["alg"]
    keys = KeySet.from_config(keys_config(block))
    assert keys.signing_key.alg == "ES256"


def test_rs256_key_signs_and_verifies(tmp_path: Path, clock: ManualClock) -> None:
    keys = KeySet.from_config(keys_config(generate_key_files(tmp_path, alg="RS256", stamp="r")))
    codec = TokenCodec(keys, TOKENS, clock)
    token = codec.mint_access(claims(clock.now()))
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert codec.verify_access(token).sub == "alice"


def test_hs256_works_only_with_allow_symmetric(clock: ManualClock) -> None:
    entry = {"kid": "h1", "alg": "HS256", "secret": "k" * 32}
    with pytest.raises(ConfigError):
        parse_config({"keys": {"access": [entry]}}, env={})
    config = parse_config(
        {
            "keys": {
                "access": [{**entry, "allow_symmetric": True}],
                "refresh": [{"kid": "r", "key": "A" * 43}],
            }
        },
        env={},
    )
    keys = KeySet.from_config(config.keys)
    codec = TokenCodec(keys, TOKENS, clock)
    assert codec.verify_access(codec.mint_access(claims(clock.now()))).jti == "j-1"


def test_key_whose_type_does_not_match_its_alg_is_refused(tmp_path: Path) -> None:
    block = generate_key_files(tmp_path, alg="ES256", stamp="x")
    block["keys"]["access"][0]["alg"] = "RS256"
    with pytest.raises(ConfigError) as info:
        KeySet.from_config(keys_config(block))
    assert [p.path for p in info.value.problems] == ["keys.access.0"]


def test_refresh_key_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    config = parse_config(
        {
            "keys": {
                "access": generate_key_files(tmp_path, stamp="a")["keys"]["access"],
                "refresh": [{"kid": "r", "key": "AAAA"}],
            }
        },
        env={},
    )
    with pytest.raises(ConfigError) as info:
        KeySet.from_config(config.keys)
    assert "keys.refresh.0" in {p.path for p in info.value.problems}


def test_after_rotation_new_tokens_use_the_new_kid_and_old_tokens_still_verify(
    tmp_path: Path, clock: ManualClock
) -> None:
    old_block = generate_key_files(tmp_path, stamp="old")
    new_block = generate_key_files(tmp_path, stamp="new")
    before = TokenCodec(KeySet.from_config(keys_config(old_block)), TOKENS, clock)
    after = TokenCodec(KeySet.from_config(keys_config(new_block, old_block)), TOKENS, clock)

    old_token = before.mint_access(claims(clock.now()))
    new_token = after.mint_access(claims(clock.now(), jti="j-2"))

    assert jwt.get_unverified_header(new_token)["kid"] == "at-new"
    assert after.verify_access(old_token).jti == "j-1"
    with pytest.raises(InvalidToken):
        before.verify_access(new_token)  # the old deployment never heard of the new key


def test_refresh_token_of_the_old_refresh_key_still_decrypts_after_rotation(
    tmp_path: Path, clock: ManualClock
) -> None:
    old_block = generate_key_files(tmp_path, stamp="old")
    new_block = generate_key_files(tmp_path, stamp="new")
    before = TokenCodec(KeySet.from_config(keys_config(old_block)), TOKENS, clock)
    after = TokenCodec(KeySet.from_config(keys_config(new_block, old_block)), TOKENS, clock)
    rt = before.mint_refresh(
        {
            "sub": "a",
            "jti": "r",
            "sid": "s",
            "gen": 0,
            "prf": "custom",
            "iat": 1,
            "exp": int(clock.now()) + 60,
        }
    )
    assert after.read_refresh(rt).sid == "s"
    assert header_of(after.mint_refresh({"sub": "a"}))["kid"] == "rt-new"


def test_jwks_has_only_public_parts_of_every_verifying_key(tmp_path: Path) -> None:
    keys = KeySet.from_config(
        keys_config(
            generate_key_files(tmp_path, stamp="a"), generate_key_files(tmp_path, alg="RS256", stamp="b")
        )
    )
    published = keys.jwks()["keys"]
    assert [k["kid"] for k in published] == ["at-a", "at-b"]
    for key in published:
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & key.keys()
        assert key["use"] == "sig"


def test_jwks_never_publishes_symmetric_keys(tmp_path: Path) -> None:
    access = [
        *generate_key_files(tmp_path, stamp="a")["keys"]["access"],
        {"kid": "h", "alg": "HS256", "secret": "k" * 32, "allow_symmetric": True},
    ]
    config = parse_config({"keys": {"access": access, "refresh": [{"kid": "r", "key": "A" * 43}]}}, env={})
    assert [k["kid"] for k in KeySet.from_config(config.keys).jwks()["keys"]] == ["at-a"]


def test_pyjwt_verifies_an_access_token_with_the_published_jwks(keys: KeySet) -> None:
    codec = TokenCodec(keys, TOKENS, ManualClock(start=time.time()))
    token = codec.mint_access(claims(time.time()))
    jwk_set = jwt.PyJWKSet.from_dict(keys.jwks())
    signing_key = jwk_set[jwt.get_unverified_header(token)["kid"]]

    decoded = jwt.decode(
        token, signing_key, algorithms=["ES256"], audience="portal", issuer="https://auth.test"
    )
    assert decoded["sub"] == "alice"


def test_repr_of_keys_and_secrets_shows_no_material(tmp_path: Path) -> None:
    keys = KeySet.from_config(keys_config(generate_key_files(tmp_path, stamp="a")))
    pem = (tmp_path / "at-a.pem").read_text()
    refresh_text = (tmp_path / "rt-a.key").read_text().strip()
    shown = repr(keys) + str(keys) + repr(keys.signing_key) + repr(keys.encryption_key)
    for fragment in (pem.splitlines()[1], refresh_text, keys.encryption_key.secret.reveal().hex()):
        assert fragment not in shown
    assert repr(Secret("hunter2")) == str(Secret("hunter2")) == "Secret('**********')"
