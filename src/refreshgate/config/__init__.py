"""Configuration: the typed model, its loader, and resolved profiles."""

from refreshgate.config.durations import RateLimit, parse_duration, parse_rate
from refreshgate.config.loader import load_config, parse_config
from refreshgate.config.model import Config
from refreshgate.config.profiles import BUILTIN_PROFILES, Profile, resolve_profiles

__all__ = [
    "BUILTIN_PROFILES",
    "Config",
    "Profile",
    "RateLimit",
    "load_config",
    "parse_config",
    "parse_duration",
    "parse_rate",
    "resolve_profiles",
]
