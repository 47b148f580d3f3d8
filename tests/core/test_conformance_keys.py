"""SPEC §3 keys: "configured from PEM/JWK files or environment variables" (conformance review)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from jose import jwk

from refreshgate.clock import ManualClock
from refreshgate.config import load_config, parse_config
from refreshgate.config.model import TokensConfig
from refreshgate.core.keys import KeySet, generate_key_files
from refreshgate.core.tokens import TokenCodec
from refreshgate.errors import ConfigError

TOKENS = TokensConfig(issuer="https://auth.test", audience="portal")


def _jwk_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The generated PEM/base64url key set rewritten as JWK files (private, public, oct)."""
    block = generate_key_files(tmp_path, stamp="j")["keys"]
    private = jwk.construct(Path(block["access"][0]["private_key_file"]).read_bytes(), "ES256")

    def text(data: dict[str, Any]) -> dict[str, Any]:
        return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in data.items()}

    raw = Path(block["refresh"][0]["key_file"]).read_text().strip()
    files = (tmp_path / "at.jwk", tmp_path / "at.pub.jwk", tmp_path / "rt.jwk")
    files[0].write_text(json.dumps(text(private.to_dict())))
    files[1].write_text(json.dumps(text(private.public_key().to_dict())))
    files[2].write_text(json.dumps({"kty": "oct", "k": raw}))
    return files


def test_access_and_refresh_keys_load_from_jwk_files(tmp_path: Path, clock: ManualClock) -> None:
    private, public, oct_key = _jwk_files(tmp_path)
    raw = {
        "access": [
            {"kid": "a1", "alg": "ES256", "private_key_file": str(private)},
            {"kid": "a2", "alg": "ES256", "public_key_file": str(public)},
        ],
        "refresh": [{"kid": "r1", "key_file": str(oct_key)}],
    }
    keys = KeySet.from_config(parse_config({"keys": raw}, env={}).keys)
    token = TokenCodec(keys, TOKENS, clock).mint_access({"sub": "a", "exp": int(clock.now()) + 60})
    verified = jwt.decode(
        token, jwt.PyJWK(keys.jwks()["keys"][0]).key, algorithms=["ES256"], audience="portal"
    )
    assert verified["sub"] == "a"
    assert [k["kid"] for k in keys.jwks()["keys"]] == ["a1", "a2"]


def test_access_key_jwk_from_an_environment_variable(tmp_path: Path) -> None:
    private, _, oct_key = _jwk_files(tmp_path)
    env = {"AT_JWK": private.read_text(), "RT_JWK": oct_key.read_text()}
    raw = {
        "access": [{"kid": "a1", "alg": "ES256", "private_key": "${AT_JWK}"}],
        "refresh": [{"kid": "r1", "key": "${RT_JWK}"}],
    }
    keys = KeySet.from_config(parse_config({"keys": raw}, env=env).keys)
    assert keys.signing_key.signer is not None


def test_a_jwk_whose_alg_differs_from_the_configured_alg_is_a_config_error(tmp_path: Path) -> None:
    private, _, oct_key = _jwk_files(tmp_path)
    data = json.loads(private.read_text())
    private.write_text(json.dumps({**data, "alg": "ES384"}))
    raw = {
        "access": [{"kid": "a1", "alg": "ES256", "private_key_file": str(private)}],
        "refresh": [{"kid": "r1", "key_file": str(oct_key)}],
    }
    with pytest.raises(ConfigError, match=r"keys\.access\.0"):
        KeySet.from_config(parse_config({"keys": raw}, env={}).keys)


def test_a_private_key_given_as_public_key_file_never_reaches_the_jwks(tmp_path: Path) -> None:
    block = generate_key_files(tmp_path, stamp="p")["keys"]
    other = generate_key_files(tmp_path / "o", stamp="o")["keys"]["access"][0]["private_key_file"]
    block["access"].append({"kid": "verify-only", "alg": "ES256", "public_key_file": other})
    keys = KeySet.from_config(parse_config({"keys": block}, env={}).keys)
    published = keys.jwks()["keys"]
    assert len(published) == 2
    assert all("d" not in key for key in published)


def test_hs256_secret_file_reads_the_secret(tmp_path: Path) -> None:
    (tmp_path / "hs.secret").write_text("a-long-enough-shared-secret-for-hs256-0123456789\n")
    block = generate_key_files(tmp_path, stamp="h")["keys"]
    config_file = tmp_path / "c.yaml"
    config_file.write_text(
        json.dumps(
            {
                "keys": {
                    "access": [
                        {"kid": "h1", "alg": "HS256", "allow_symmetric": True, "secret_file": "hs.secret"}
                    ],
                    "refresh": block["refresh"],
                }
            }
        )
    )
    keys = KeySet.from_config(load_config(config_file, env={}).keys)
    assert keys.signing_key.alg == "HS256"
    assert keys.jwks() == {"keys": []}
