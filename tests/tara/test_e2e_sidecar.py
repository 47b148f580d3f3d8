"""End to end: ``refreshgate serve --dev`` (the sidecar) in front of the demo app, logging in at a
fake provider served on loopback. Time in the server moves through its dev clock file.

login → provider → callback → cookie → app sees the person → near-expiry refresh (capped) →
cap reached → redirect to log in again (API: 401 naming the login URL).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from fake_provider import FakeProvider

from loopback_procs import DEMO_APP, REFRESHGATE, ROOT, free_port, stop, wait_for_port
from oidc_fakes import CLIENT_ID, CLIENT_SECRET, FAMILY_NAME, KID, make_key

pytestmark = pytest.mark.e2e

CAP = 20 * 60


class World:
    """The fake provider, the demo upstream and the sidecar, plus the dev clock file."""

    def __init__(self, tmp: Path) -> None:
        self.clock_file = tmp / "clock"
        self.set_offset(0)
        self.provider = FakeProvider(make_key(KID), CLIENT_ID, CLIENT_SECRET)
        upstream_port, port = free_port(), free_port()
        self.upstream = subprocess.Popen(
            [sys.executable, str(DEMO_APP), "--port", str(upstream_port)],
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )
        self.url = f"http://127.0.0.1:{port}"
        config = tmp / "sidecar.yaml"
        config.write_text(yaml.safe_dump(self.config(f"http://127.0.0.1:{upstream_port}")))
        self.log = tmp / "sidecar.log"
        env = os.environ | {"REFRESHGATE_DEV_CLOCK_FILE": str(self.clock_file)}
        argv = [*REFRESHGATE, "serve", "--dev", "--config", str(config), "--port", str(port)]
        with self.log.open("wb") as out:
            self.sidecar = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        wait_for_port(upstream_port, self.upstream)
        wait_for_port(port, self.sidecar)

    def config(self, upstream: str) -> dict[str, Any]:
        return {
            "upstream": {"url": upstream},
            "tokens": {"issuer": "https://sidecar.test", "audience": "portal"},
            "profiles": {"tara": {"access_ttl": "15m", "refresh_window": "2m", "max_session_age": CAP}},
            "routes": [
                {"path": "/portal/**", "profile": "tara", "token_from": "cookie:TIM_TARA_JWT"},
                {"path": "/**", "auth": "none"},
            ],
            "tara": {
                "issuer": self.provider.issuer,
                "allow_insecure_issuer": True,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uri": f"{self.url}/tara/callback",
            },
            "audit": {"sink": "stdout"},
        }

    def set_offset(self, seconds: float) -> None:
        """Move the sidecar's clock (atomically: write, then rename over the old file)."""
        temporary = self.clock_file.with_suffix(".tmp")
        temporary.write_text(str(seconds))
        temporary.replace(self.clock_file)

    def close(self) -> None:
        stop(self.sidecar)
        stop(self.upstream)
        self.provider.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    yield made
    made.close()


def payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return claims


def set_cookie_value(response: httpx.Response, name: str) -> str | None:
    for value in response.headers.get_list("set-cookie"):
        if value.startswith(f"{name}="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return None


def portal(world: World, token: str, accept: str = "text/html") -> httpx.Response:
    return httpx.get(
        f"{world.url}/portal/home", headers={"cookie": f"TIM_TARA_JWT={token}", "accept": accept}
    )


def test_login_refresh_and_cap_through_the_sidecar_against_a_real_provider(world: World) -> None:
    login = httpx.get(f"{world.url}/tara/login", params={"return_to": "/portal/home"})
    assert login.status_code == 302
    assert login.headers["location"].startswith(f"{world.provider.issuer}/authorize?")
    state_cookie = set_cookie_value(login, "refreshgate_tara_state")
    assert state_cookie

    at_provider = httpx.get(login.headers["location"])
    assert at_provider.status_code == 302
    callback = urlsplit(at_provider.headers["location"])
    assert f"{callback.scheme}://{callback.netloc}" == world.url and callback.path == "/tara/callback"

    done = httpx.get(
        at_provider.headers["location"], headers={"cookie": f"refreshgate_tara_state={state_cookie}"}
    )
    assert done.status_code == 302, done.text
    assert done.headers["location"] == "/portal/home"
    token = set_cookie_value(done, "TIM_TARA_JWT")
    assert token and set_cookie_value(done, "refreshgate_rt")
    claims = payload(token)
    assert claims["sub"] == "EE60001019906" and claims["prf"] == "tara"
    assert claims["profile_attributes"]["family_name"] == FAMILY_NAME
    auth_time = claims["auth_time"]

    seen = portal(world, token)
    assert seen.status_code == 200 and token in seen.text  # the app got the person's token

    replay = httpx.get(
        at_provider.headers["location"], headers={"cookie": f"refreshgate_tara_state={state_cookie}"}
    )
    assert replay.status_code == 400  # state and code are spent

    world.set_offset(14 * 60)
    refreshed = portal(world, token)
    assert refreshed.status_code == 200
    new_token = set_cookie_value(refreshed, "TIM_TARA_JWT")
    assert new_token and new_token != token and new_token in refreshed.text
    new_claims = payload(new_token)
    assert new_claims["exp"] == auth_time + CAP  # capped at auth_time + max_session_age
    assert {k: v for k, v in new_claims.items() if k not in ("jti", "iat", "nbf", "exp")} == {
        k: v for k, v in claims.items() if k not in ("jti", "iat", "nbf", "exp")
    }

    world.set_offset(CAP + 31)
    browser = portal(world, new_token)
    assert browser.status_code == 302
    assert browser.headers["location"] == "/tara/login?return_to=%2Fportal%2Fhome"
    api = portal(world, new_token, accept="application/json")
    assert api.status_code == 401 and 'login_url="/tara/login"' in api.headers["www-authenticate"]

    log = world.log.read_text()
    assert '"event": "login.succeeded"' in log and '"event": "refresh.succeeded"' in log
    assert CLIENT_SECRET not in log and token not in log and state_cookie not in log
