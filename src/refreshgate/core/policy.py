"""Route policies: which rule applies to a request (first match wins) and its profile."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from refreshgate.config.model import Config, RouteConfig
from refreshgate.config.profiles import Profile, resolve_profiles

__all__ = ["Route", "RouteTable", "compile_glob"]


def compile_glob(pattern: str) -> re.Pattern[str]:
    """``*`` matches within a segment, ``**`` spans segments, ``?`` one character.

    ``/api/**`` matches ``/api`` itself as well as everything below it.
    """
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("(?:/.*)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass(frozen=True)
class Route:
    """A compiled route rule with its resolved profile."""

    index: int
    pattern: str
    methods: frozenset[str] | None
    profile: Profile
    auth: Literal["required", "optional", "none"]
    refresh: bool
    cookie: str | None  # None: the Authorization header carries the token

    @property
    def token_from(self) -> str:
        return f"cookie:{self.cookie}" if self.cookie else "header"


_NO_AUTH_PROFILE_NAME = "custom"


class RouteTable:
    """The ordered route rules. Without a matching rule a request passes untouched."""

    def __init__(self, config: Config) -> None:
        self.profiles = resolve_profiles(config)
        self._rules = [
            (compile_glob(rule.path), self._route(index, rule)) for index, rule in enumerate(config.routes)
        ]
        self.match = lru_cache(maxsize=4096)(self._match)

    def _route(self, index: int, rule: RouteConfig) -> Route:
        profile = self.profiles.get(rule.profile) or self.profiles[_NO_AUTH_PROFILE_NAME]
        cookie = rule.token_from.removeprefix("cookie:") if rule.token_from != "header" else None
        methods = frozenset(rule.methods) if rule.methods else None
        return Route(index, rule.path, methods, profile, rule.auth, rule.refresh, cookie)

    def _match(self, method: str, path: str) -> Route | None:
        for pattern, route in self._rules:
            if (route.methods is None or method in route.methods) and pattern.match(path):
                return route
        return None

    @property
    def routes(self) -> list[Route]:
        """Every rule in order."""
        return [route for _, route in self._rules]
