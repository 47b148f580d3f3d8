"""Durations and rates as users write them (SPEC §7)."""

from __future__ import annotations

import pytest

from refreshgate.config import RateLimit, parse_config, parse_duration, parse_rate
from refreshgate.errors import ConfigError


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("30s", 30), ("15m", 900), ("12h", 43200), ("7d", 604800), (45, 45), ("90", 90), ("500ms", 0.5)],
)
def test_duration_is_read_in_seconds(written: object, seconds: float) -> None:
    assert parse_duration(written) == seconds


@pytest.mark.parametrize("bad", ["soon", "5 years", "-3s", -1, True, None, "1.5.2h"])
def test_bad_duration_is_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_profile_duration_keys_accept_strings_and_integers() -> None:
    config = parse_config({"profiles": {"custom": {"access_ttl": "15m", "refresh_ttl": 3600}}}, env={})
    assert config.profiles["custom"].access_ttl == 900
    assert config.profiles["custom"].refresh_ttl == 3600


@pytest.mark.parametrize(
    ("written", "limit"),
    [("30/minute", RateLimit(30, 60)), ("5/10s", RateLimit(5, 10)), ("100/hour", RateLimit(100, 3600))],
)
def test_rate_is_read_as_count_per_period(written: str, limit: RateLimit) -> None:
    assert parse_rate(written) == limit


def test_rate_off_disables_the_limit() -> None:
    assert parse_rate("off") is None


def test_bad_rate_names_its_key_path() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"profiles": {"custom": {"rate_limit": "lots"}}}, env={})
    assert [p.path for p in info.value.problems] == ["profiles.custom.rate_limit"]
