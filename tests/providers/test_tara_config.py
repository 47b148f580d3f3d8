"""The ``tara:`` configuration block."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from oidc_fakes import tara_config
from refreshgate.config.tara import TaraConfig


def error_locations(**overrides: Any) -> set[str]:
    """Key paths of the validation errors for a config with ``overrides``."""
    with pytest.raises(ValidationError) as caught:
        tara_config(**overrides)
    return {".".join(str(p) for p in error["loc"]) for error in caught.value.errors()}


def test_spec_example_is_accepted_with_defaults() -> None:
    config = TaraConfig.model_validate(
        {
            "issuer": "https://tara-test.ria.ee",
            "client_id": "portal-test",
            "client_secret": "secret",
            "redirect_uri": "https://portal.example.ee/tara/callback",
            "scope": "openid",
            "acr_values": "substantial",
        }
    )
    assert config.issuer == "https://tara-test.ria.ee"
    assert config.discovery and not config.provider_refresh
    assert (config.connect_timeout, config.read_timeout, config.clock_skew) == (2.0, 5.0, 30.0)
    assert config.cookie_name == "TIM_TARA_JWT"
    assert config.login_path == "/tara/login" and config.callback_path == "/tara/callback"


def test_issuer_is_kept_exactly_as_written() -> None:
    assert tara_config(issuer="https://govsso-demo.ria.ee/").issuer == "https://govsso-demo.ria.ee/"


def test_client_secret_never_shows_in_repr() -> None:
    assert "s3cr3t" not in repr(tara_config()) and "s3cr3t" not in str(tara_config())


def test_durations_accept_strings_and_numbers() -> None:
    config = tara_config(connect_timeout="500ms", read_timeout="5s", jwks_cache_ttl=600)
    assert (config.connect_timeout, config.read_timeout, config.jwks_cache_ttl) == (0.5, 5.0, 600)


def test_http_issuer_needs_the_explicit_flag() -> None:
    assert error_locations(issuer="http://127.0.0.1:9999") == {"issuer"}
    config = tara_config(issuer="http://127.0.0.1:9999", allow_insecure_issuer=True)
    assert config.issuer == "http://127.0.0.1:9999"


@pytest.mark.parametrize(
    ("overrides", "location"),
    [
        ({"client_secret": None}, "client_secret"),
        ({"client_secret": ""}, "client_secret"),
        ({"acr_values": "medium"}, "acr_values"),
        ({"scope": "idcard"}, "scope"),
        ({"redirect_uri": "/relative"}, "redirect_uri"),
        ({"redirect_uri": "https://a.example/cb#x"}, "redirect_uri"),
        ({"token_endpoint": "http://tara-test.ria.ee/oidc/token"}, "token_endpoint"),
        ({"issuer": "tara-test.ria.ee"}, "issuer"),
        ({"connect_timeout": 0}, "connect_timeout"),
        ({"read_timeout": "soon"}, "read_timeout"),
        ({"login_path": "tara/login"}, "login_path"),
        ({"client_secret_fil": "x"}, "client_secret_fil"),
    ],
)
def test_bad_values_name_their_key(overrides: dict[str, Any], location: str) -> None:
    assert error_locations(**overrides) == {location}


def test_config_is_frozen() -> None:
    with pytest.raises(ValidationError):
        setattr(tara_config(), "issuer", "https://tara.ria.ee")  # noqa: B010 - mypy knows it is frozen
