"""Real nginx running ``examples/nginx/refreshgate.conf`` as shipped: login redirects for browsers
(nginx's ``auth_request`` cannot pass a 302 through) and the 1 s decision micro-cache."""

from __future__ import annotations

import time

import httpx
import pytest
from sidecar_procs import Sidecar
from test_sidecar_nginx import nginx, token_via  # noqa: F401  (nginx is a fixture)

pytestmark = pytest.mark.e2e

HTML = "text/html,application/xhtml+xml,*/*;q=0.8"


def test_a_browser_without_a_token_is_redirected_to_the_login_url_with_return_to(
    nginx: tuple[str, Sidecar],  # noqa: F811
) -> None:
    base, _ = nginx
    answer = httpx.get(f"{base}/app/page?x=1", headers={"accept": HTML})
    assert answer.status_code == 302, answer.text
    assert answer.headers["location"] == "/login?return_to=%2Fapp%2Fpage%3Fx%3D1"


def test_a_browser_with_an_expired_session_cookie_is_redirected_too(nginx: tuple[str, Sidecar]) -> None:  # noqa: F811
    base, _ = nginx
    answer = httpx.get(f"{base}/app/page", headers={"accept": HTML, "cookie": "DEMO_JWT=not-a-token"})
    assert answer.status_code == 302
    assert answer.headers["location"] == "/login?return_to=%2Fapp%2Fpage"


def test_an_api_request_on_a_login_route_gets_the_401_json_with_the_challenge(
    nginx: tuple[str, Sidecar],  # noqa: F811
) -> None:
    base, _ = nginx
    answer = httpx.get(f"{base}/app/data", headers={"accept": "application/json"})
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_token"}
    challenges = answer.headers.get_list("www-authenticate")
    assert len(challenges) == 1 and challenges[0].startswith("Bearer")
    assert 'login_url="/login"' in challenges[0]
    assert "location" not in answer.headers and "x-auth-redirect" not in answer.headers


def test_a_browser_with_a_valid_cookie_reaches_the_app(nginx: tuple[str, Sidecar]) -> None:  # noqa: F811
    base, _ = nginx
    token = token_via(base, "erin", profile="browser")
    answer = httpx.get(f"{base}/app/page", headers={"accept": HTML, "cookie": f"DEMO_JWT={token}"})
    assert answer.status_code == 200
    assert answer.json()["auth_headers"]["x-auth-subject"] == "erin"


def test_cached_decisions_are_kept_per_token(nginx: tuple[str, Sidecar]) -> None:  # noqa: F811
    base, _ = nginx
    tokens = {sub: token_via(base, sub) for sub in ("frank", "grace")}
    for _ in range(3):
        for sub, token in tokens.items():
            answer = httpx.get(f"{base}/api/same", headers={"authorization": f"Bearer {token}"})
            assert answer.json()["auth_headers"]["x-auth-subject"] == sub
    assert httpx.get(f"{base}/api/same", headers={"authorization": "Bearer forged"}).status_code == 401
    assert httpx.get(f"{base}/api/same").status_code == 401


def test_a_refusal_is_not_cached(nginx: tuple[str, Sidecar]) -> None:  # noqa: F811
    base, _ = nginx
    for _ in range(2):  # the second 401 is refreshgate's again: with it gone nginx would answer 500
        assert httpx.get(f"{base}/api/gone", headers={"authorization": "Bearer nope"}).status_code == 401
    _, refreshgate = nginx
    refreshgate.process.kill()
    refreshgate.process.wait()
    assert httpx.get(f"{base}/api/gone", headers={"authorization": "Bearer nope"}).status_code == 500


def test_a_pass_is_answered_from_the_one_second_decision_cache(nginx: tuple[str, Sidecar]) -> None:  # noqa: F811
    base, refreshgate = nginx
    token = token_via(base, "heidi")
    headers = {"authorization": f"Bearer {token}"}
    started = time.monotonic()
    assert httpx.get(f"{base}/api/cached", headers=headers).status_code == 200
    refreshgate.process.kill()  # from now on only nginx's cache can say yes
    refreshgate.process.wait()
    answer = httpx.get(f"{base}/api/cached", headers=headers)
    if time.monotonic() - started > 0.8:
        pytest.skip("the machine was too slow to ask twice within the cache's second")
    assert answer.status_code == 200
    assert answer.json()["auth_headers"]["x-auth-subject"] == "heidi"
    other = httpx.get(f"{base}/api/other", headers=headers)  # another URI: another key, not cached
    assert other.status_code == 500
