"""Route policies: glob matching, first match wins, methods (SPEC §7 routes)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from refreshgate.config import Config
from refreshgate.core.policy import RouteTable, compile_glob


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/api/**", "/api", True),
        ("/api/**", "/api/v1/users/7", True),
        ("/api/**", "/apix", False),
        ("/api/*", "/api/users", True),
        ("/api/*", "/api/users/7", False),
        ("/a/**/z", "/a/b/c/z", True),
        ("/file?.txt", "/file1.txt", True),
        ("/file?.txt", "/file/.txt", False),
        ("/**", "/anything/at/all", True),
        ("/exact", "/exact/more", False),
    ],
)
def test_glob_star_stays_in_a_segment_and_double_star_spans_segments(
    pattern: str, path: str, matches: bool
) -> None:
    assert bool(compile_glob(pattern).match(path)) is matches


def test_first_matching_route_wins(make_config: Callable[..., Config]) -> None:
    config = make_config(
        routes=[
            {"path": "/api/public/**", "auth": "none"},
            {"path": "/api/**", "profile": "tara"},
            {"path": "/**", "profile": "custom"},
        ]
    )
    table = RouteTable(config)
    public, api, other = (table.match("GET", p) for p in ("/api/public/x", "/api/x", "/x"))
    assert public is not None and public.index == 0 and public.auth == "none"
    assert api is not None and api.index == 1 and api.profile.name == "tara"
    assert other is not None and other.index == 2


def test_route_with_methods_matches_only_those_methods(make_config: Callable[..., Config]) -> None:
    table = RouteTable(
        make_config(routes=[{"path": "/api/**", "methods": ["post"], "auth": "none"}, {"path": "/api/**"}])
    )
    post, get = table.match("POST", "/api/x"), table.match("GET", "/api/x")
    assert post is not None and post.index == 0
    assert get is not None and get.index == 1


def test_no_matching_route_means_no_policy(make_config: Callable[..., Config]) -> None:
    assert RouteTable(make_config(routes=[{"path": "/api/**"}])).match("GET", "/other") is None


def test_cookie_token_source_is_parsed(make_config: Callable[..., Config]) -> None:
    route = RouteTable(make_config(routes=[{"path": "/**", "token_from": "cookie:TIM_TARA_JWT"}])).match(
        "GET", "/"
    )
    assert route is not None and route.cookie == "TIM_TARA_JWT" and route.token_from == "cookie:TIM_TARA_JWT"
