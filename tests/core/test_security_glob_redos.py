"""Route globs against attacker-chosen paths: matching must stay linear in the path length.

A rule such as ``/**/a/**/b/**/c/**/d`` compiled to ``.*a.*b.*c.*d`` backtracks polynomially:
one 8 KiB request path held the event loop (every request of the process) for minutes.
"""

from __future__ import annotations

import random
import re
import time

import pytest

from refreshgate.core.policy import compile_glob


def test_many_double_stars_do_not_backtrack_on_a_long_path() -> None:
    glob = compile_glob("/**/a/**/b/**/c/**/d")
    path = "/" + "a/b/c/" * 1300  # about 8 KiB, never ends in /d
    started = time.perf_counter()
    assert not glob.match(path)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/**/a/**/b", "/x/a/y/b", True),
        ("/**/a/**/b", "/a/b", False),
        ("/**/a/**/b", "//a//b", True),
        ("/**/a/**", "/x/a", True),
        ("/**/a/**", "/x/a/y/z", True),
        ("/**/a/**", "/x/ab", False),
        ("/a/**/*.json/**", "/a/x/y.json/z", True),
        ("/a/**/?/**/z", "/a/x/b/c/z", True),
        ("/a/**/?/**/z", "/a//z", False),
    ],
)
def test_several_double_stars_keep_the_glob_meaning(pattern: str, path: str, matches: bool) -> None:
    assert bool(compile_glob(pattern).match(path)) is matches


def test_the_linear_matcher_agrees_with_the_regex_meaning() -> None:
    rng = random.Random(7)
    for _ in range(300):
        pattern = "".join(rng.choice(["/", "a", "b", "*", "**", "?"]) for _ in range(rng.randint(1, 8)))
        path = "".join(rng.choice("/ab") for _ in range(rng.randint(0, 10)))
        reference = _reference(pattern)
        assert bool(compile_glob(pattern).match(path)) is bool(re.match(reference, path)), (pattern, path)


def _reference(pattern: str) -> str:
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
    return "".join(out) + r"\Z"
