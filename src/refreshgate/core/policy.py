"""Route policies: which rule applies to a request (first match wins) and its profile."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from refreshgate.config.model import Config, RouteConfig
from refreshgate.config.profiles import Profile, resolve_profiles

__all__ = ["Route", "RouteTable", "compile_glob"]


class _LinearGlob:
    """A glob with several ``**``, matched by NFA simulation: O(len(path) * len(pattern)).

    As a regex (``.*a.*b.*c``) it would backtrack polynomially on an attacker-chosen path.
    """

    __slots__ = ("_tokens",)

    def __init__(self, pattern: str) -> None:
        tokens, i = [], 0
        while i < len(pattern):
            if pattern.startswith("/**", i) and i + 3 == len(pattern):
                tokens.append("/**")
                i += 3
            elif pattern.startswith("**", i):
                tokens.append("**")
                i += 2
            else:
                tokens.append(pattern[i])
                i += 1
        self._tokens = tuple(tokens)

    def _closure(self, states: set[int]) -> set[int]:
        todo, seen = list(states), set(states)
        while todo:
            state = todo.pop()
            skips = 0 <= state < len(self._tokens) and self._tokens[state] in ("*", "**", "/**")
            if skips and state + 1 not in seen:
                seen.add(state + 1)
                todo.append(state + 1)
        return seen

    def match(self, path: str) -> bool:
        tokens, end, inside_tail = self._tokens, len(self._tokens), -1
        states = self._closure({0})
        for char in path:
            following: set[int] = set()
            for state in states:
                token = tokens[state] if 0 <= state < end else ""
                if state == inside_tail or token == "**":
                    following.add(state)
                elif token == "/**":
                    if char == "/":
                        following.add(inside_tail)
                elif token == "*":
                    if char != "/":
                        following.add(state)
                elif token == "?":
                    if char != "/":
                        following.add(state + 1)
                elif token == char:
                    following.add(state + 1)
            if not following:
                return False
            states = self._closure(following)
        return end in states or inside_tail in states


def compile_glob(pattern: str) -> re.Pattern[str] | _LinearGlob:
    """``*`` matches within a segment, ``**`` spans segments, ``?`` one character.

    ``/api/**`` matches ``/api`` itself as well as everything below it. A pattern with more than
    one spanning ``**`` gets a linear-time matcher instead of a (backtracking) regex.
    """
    if pattern.removesuffix("/**").count("**") > 1:
        return _LinearGlob(pattern)
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
