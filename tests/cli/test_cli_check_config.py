"""``refreshgate check-config``: effective policies for a good file, key paths for a bad one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cli_helpers import run_cli, write_config

pytestmark = pytest.mark.e2e


def test_check_config_prints_effective_profiles_and_routes_for_a_good_file(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "sidecar.yaml",
        profiles={"custom": {"access_ttl": "10m", "rate_limit": "30/minute"}},
        routes=[
            {"path": "/api/**", "profile": "custom", "auth": "required", "token_from": "header"},
            {"path": "/**", "auth": "none"},
        ],
    )
    result = run_cli("check-config", "--dev", str(config))
    assert result.returncode == 0, result.stderr
    first, _, rest = result.stdout.partition("\n")
    assert first.endswith("OK")
    effective = yaml.safe_load(rest)
    assert effective["profiles"]["custom"]["access_ttl"] == 600
    assert "tara" in effective["profiles"]
    assert [route["path"] for route in effective["routes"]] == ["/api/**", "/**"]


def test_check_config_names_every_bad_key_path_and_fails(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "sidecar.yaml",
        profiles={"custom": {"acess_ttl": "1h", "refresh_ttl": "forever"}},
        store={"url": "mysql://db"},
    )
    result = run_cli("check-config", "--dev", str(config))
    assert result.returncode != 0
    for path in ("profiles.custom.acess_ttl", "profiles.custom.refresh_ttl", "store.url"):
        assert path in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_without_dev_requires_keys(tmp_path: Path) -> None:
    result = run_cli("check-config", str(write_config(tmp_path / "sidecar.yaml")))
    assert result.returncode != 0
    assert "keys.access" in result.stderr


def test_check_config_of_a_missing_file_fails_cleanly(tmp_path: Path) -> None:
    result = run_cli("check-config", str(tmp_path / "absent.yaml"))
    assert result.returncode != 0
    assert "absent.yaml" in result.stderr
    assert "Traceback" not in result.stderr
