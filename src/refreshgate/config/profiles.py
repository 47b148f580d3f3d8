"""Profiles resolved to complete policies: built-in defaults overlaid by what the user set."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Literal

from refreshgate.config.durations import RateLimit

if TYPE_CHECKING:
    from refreshgate.config.model import Config

__all__ = ["BUILTIN_PROFILES", "Profile", "resolve_profiles"]


@dataclass(frozen=True)
class Profile:
    """A complete refresh policy (SPEC §7 profile keys); every field has a value."""

    name: str
    access_ttl: float
    refresh_ttl: float
    refresh_window: float
    grace_period: float
    grace_replays: int
    rotate_refresh_tokens: bool
    reuse_detection: Literal["revoke_session", "reject"]
    max_refreshes: int | None
    max_session_age: float | None
    idle_timeout: float | None
    rate_limit: RateLimit | None
    bind_client: bool
    require_access_token_binding: bool
    login_url: str | None
    #: sessions of this profile began with a TARA login (kept apart from custom ones)
    tara: bool = False


_CUSTOM = Profile(
    name="custom",
    access_ttl=3600,
    refresh_ttl=7 * 86400,
    refresh_window=300,
    grace_period=30,
    grace_replays=3,
    rotate_refresh_tokens=True,
    reuse_detection="revoke_session",
    max_refreshes=None,
    max_session_age=30 * 86400,
    idle_timeout=None,
    rate_limit=RateLimit(60, 60),
    bind_client=False,
    require_access_token_binding=False,
    login_url=None,
)
_TARA = replace(
    _CUSTOM,
    name="tara",
    access_ttl=15 * 60,
    refresh_ttl=12 * 3600,
    refresh_window=120,
    grace_period=10,
    max_session_age=12 * 3600,
    login_url="/tara/login",
    tara=True,
)
BUILTIN_PROFILES: dict[str, Profile] = {"custom": _CUSTOM, "tara": _TARA}


def resolve_profiles(config: Config) -> dict[str, Profile]:
    """Every profile the config can name, complete: built-ins first, then user-defined ones."""
    resolved = dict(BUILTIN_PROFILES)
    for name, overrides in config.profiles.items():
        base_name = overrides.extends or (name if name in BUILTIN_PROFILES else "custom")
        base = BUILTIN_PROFILES[base_name]
        changes = {
            f.name: getattr(overrides, f.name)
            for f in fields(Profile)
            if f.name in overrides.model_fields_set and f.name != "name"
        }
        resolved[name] = replace(base, name=name, **changes)
    return resolved
