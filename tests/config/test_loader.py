"""Loading sidecar.yaml (SPEC §7): the normative example, interpolation, secrets, problem paths."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from refreshgate.config import load_config, parse_config
from refreshgate.core.keys import KeySet, generate_key_files
from refreshgate.errors import ConfigError

SPEC_EXAMPLE = Path(__file__).parent.parent / "fixtures" / "spec-example.yaml"
SPEC_ENV = {"PORTAL_CLIENT_SECRET": "portal-secret-value", "TARA_CLIENT_SECRET": "tara-secret-value"}


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    """The SPEC example next to the key files and secrets it names."""
    generate_key_files(tmp_path / "keys", stamp="2026-12")  # at-2026-12.pem, rt-2026-12.key
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "ops").write_text("ops-secret-value\n")
    shutil.copy(SPEC_EXAMPLE, tmp_path / "sidecar.yaml")
    return tmp_path


def problems_of(raw: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, env=kwargs.pop("env", {}), **kwargs)
    return {p.path: p.message for p in info.value.problems}


def test_spec_example_loads_with_the_files_and_variables_it_names(spec_dir: Path) -> None:
    config = load_config(spec_dir / "sidecar.yaml", env=SPEC_ENV)

    assert config.tokens.issuer == "https://auth.example.ee"
    assert config.tokens.clock_skew == 30
    assert config.upstream is not None and config.upstream.read_timeout == 30
    assert config.clients["portal"].secret.get_secret_value() == "portal-secret-value"
    assert config.clients["ops"].secret.get_secret_value() == "ops-secret-value"
    assert config.clients["ops"].admin is True
    assert config.tara is not None and config.tara.client_secret is not None
    assert config.tara.client_secret.get_secret_value() == "tara-secret-value"
    assert [r.path for r in config.routes] == ["/api/**", "/portal/**", "/**"]
    assert config.routes[1].token_from == "cookie:TIM_TARA_JWT"


def test_spec_example_key_files_resolve_next_to_the_yaml_and_parse(spec_dir: Path) -> None:
    config = load_config(spec_dir / "sidecar.yaml", env=SPEC_ENV)

    assert config.keys.access[0].private_key_file == str(spec_dir / "keys" / "at-2026-12.pem")
    keys = KeySet.from_config(config.keys)
    assert keys.signing_key.kid == "at-2026-12" and keys.signing_key.alg == "ES256"
    assert keys.encryption_key.kid == "rt-2026-12"


def test_spec_example_without_its_variables_names_each_missing_one(spec_dir: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(spec_dir / "sidecar.yaml", env={})

    paths = {p.path for p in info.value.problems}
    assert {"clients.portal.secret", "tara.client_secret"} <= paths


def test_env_variable_is_substituted_inside_a_string() -> None:
    config = parse_config({"tokens": {"issuer": "https://${HOST}/auth"}}, env={"HOST": "id.example.ee"})
    assert config.tokens.issuer == "https://id.example.ee/auth"


def test_env_default_is_used_only_when_the_variable_is_unset() -> None:
    raw = {"store": {"url": "${STORE_URL:-memory://}"}}
    assert parse_config(raw, env={}).store.url == "memory://"
    assert parse_config(raw, env={"STORE_URL": "redis://h:1/3"}).store.url == "redis://h:1/3"


def test_empty_env_default_is_allowed() -> None:
    config = parse_config({"clients": {"a": {"secret": "x${SUFFIX:-}"}}}, env={})
    assert config.clients["a"].secret.get_secret_value() == "x"


def test_secret_file_is_read_relative_to_the_base_dir_and_stripped(tmp_path: Path) -> None:
    (tmp_path / "portal.secret").write_text("s3cret\n")
    config = parse_config(
        {"clients": {"portal": {"secret_file": "portal.secret"}}}, env={}, base_dir=tmp_path
    )
    assert config.clients["portal"].secret.get_secret_value() == "s3cret"


def test_missing_secret_file_is_a_problem_at_its_key_path(tmp_path: Path) -> None:
    found = problems_of({"clients": {"portal": {"secret_file": "absent"}}}, base_dir=tmp_path)
    assert "clients.portal.secret_file" in found


def test_secret_and_secret_file_together_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "s").write_text("x")
    found = problems_of({"clients": {"portal": {"secret": "y", "secret_file": "s"}}}, base_dir=tmp_path)
    assert "clients.portal.secret_file" in found


def test_every_problem_is_reported_at_once_with_its_key_path() -> None:
    found = problems_of(
        {
            "profiles": {"custom": {"acess_ttl": "1h", "refresh_ttl": "soon"}},
            "store": {"url": "ftp://nowhere"},
            "routes": [{"path": "/api/**", "profile": "nope"}],
        }
    )

    assert found["profiles.custom.acess_ttl"] == "unknown key"
    assert "not a duration" in found["profiles.custom.refresh_ttl"]
    assert "store.url" in found
    assert "unknown profile" in found["routes.0.profile"]


def test_unknown_route_profile_is_named() -> None:
    found = problems_of({"routes": [{"path": "/**"}, {"path": "/x", "profile": "gold"}]})
    assert found == {"routes.1.profile": "unknown profile 'gold'"}


def test_route_without_auth_may_name_no_profile() -> None:
    config = parse_config({"routes": [{"path": "/**", "auth": "none", "profile": "whatever"}]}, env={})
    assert config.routes[0].auth == "none"


def test_unknown_top_level_key_is_named() -> None:
    assert problems_of({"serer": {}}) == {"serer": "unknown key"}


def test_bad_token_source_is_named() -> None:
    found = problems_of({"routes": [{"path": "/**", "token_from": "query"}]})
    assert "routes.0.token_from" in found


def test_client_naming_an_unknown_profile_is_named() -> None:
    found = problems_of({"clients": {"app": {"secret": "x", "profiles": ["custom", "gold"]}}})
    assert "clients.app.profiles.1" in found


def test_hs256_without_allow_symmetric_is_refused() -> None:
    found = problems_of({"keys": {"access": [{"kid": "h", "alg": "HS256", "secret": "k" * 32}]}})
    assert "allow_symmetric" in found["keys.access.0"]


def test_unreadable_yaml_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("server: [unclosed")
    with pytest.raises(ConfigError):
        load_config(tmp_path / "bad.yaml")


def test_config_error_message_does_not_show_the_secret_values() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"clients": {"a": {"secret": "hunter2-value", "admin": "maybe"}}}, env={})
    assert "hunter2-value" not in str(info.value)
