"""Profile resolution: built-in defaults (SPEC §7) overlaid by what the user set."""

from __future__ import annotations

from refreshgate.config import RateLimit, parse_config, resolve_profiles


def test_custom_defaults_follow_the_spec() -> None:
    custom = resolve_profiles(parse_config({}, env={}))["custom"]
    assert (custom.access_ttl, custom.refresh_ttl, custom.refresh_window, custom.grace_period) == (
        3600,
        7 * 86400,
        300,
        30,
    )
    assert custom.rotate_refresh_tokens is True
    assert custom.grace_replays == 3
    assert custom.reuse_detection == "revoke_session"


def test_tara_defaults_follow_the_spec() -> None:
    tara = resolve_profiles(parse_config({}, env={}))["tara"]
    assert (tara.access_ttl, tara.refresh_ttl, tara.refresh_window, tara.grace_period) == (
        900,
        43200,
        120,
        10,
    )
    assert tara.rotate_refresh_tokens is True
    assert tara.max_session_age == 12 * 3600
    assert tara.login_url is not None
    assert tara.tara is True


def test_user_settings_override_only_the_keys_given() -> None:
    config = parse_config({"profiles": {"custom": {"access_ttl": "10m", "rate_limit": "5/minute"}}}, env={})
    custom = resolve_profiles(config)["custom"]
    assert custom.access_ttl == 600
    assert custom.rate_limit == RateLimit(5, 60)
    assert custom.refresh_ttl == 7 * 86400


def test_user_profile_extends_custom_by_default_and_tara_when_asked() -> None:
    config = parse_config(
        {"profiles": {"short": {"access_ttl": 60}, "citizen": {"extends": "tara", "idle_timeout": "30m"}}},
        env={},
    )
    profiles = resolve_profiles(config)
    assert profiles["short"].access_ttl == 60 and profiles["short"].refresh_ttl == 7 * 86400
    assert profiles["short"].tara is False
    assert profiles["citizen"].tara is True and profiles["citizen"].idle_timeout == 1800
    assert profiles["citizen"].max_session_age == 12 * 3600


def test_overriding_tara_keeps_its_tara_defaults() -> None:
    config = parse_config({"profiles": {"tara": {"idle_timeout": "30m"}}}, env={})
    tara = resolve_profiles(config)["tara"]
    assert tara.idle_timeout == 1800 and tara.access_ttl == 900 and tara.tara is True
