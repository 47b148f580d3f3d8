"""Real nginx (``auth_request``) in front of the demo app, refreshgate deciding via ``/jwt/auth``.

The nginx config under test is ``examples/nginx/refreshgate.conf`` itself, with its ports
replaced and wrapped in a minimal ``nginx.conf`` whose pid, logs and temp paths live in tmp.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sidecar_procs import Sidecar

from loopback_procs import ROOT, free_port, stop, wait_for_port

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "examples" / "nginx"


def nginx_binary() -> str:
    """nginx, installed from Debian's ``nginx-light`` when missing and we are root; else skip."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("nginx is not installed and cannot be installed here (needs root and apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "nginx-light"], env=env, capture_output=True, timeout=300
    )
    if done.returncode != 0 or not os.path.exists("/usr/sbin/nginx"):
        pytest.skip(f"installing nginx-light failed: {done.stderr.decode(errors='replace')[-300:]}")
    return "/usr/sbin/nginx"


def nginx_conf(tmp: Path, port: int, refreshgate: str, upstream: str) -> Path:
    example = (EXAMPLE / "refreshgate.conf").read_text()
    example = example.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    example = example.replace("127.0.0.1:8080", refreshgate.removeprefix("http://"))
    example = example.replace("127.0.0.1:9000", upstream.removeprefix("http://"))
    example = example.replace("/var/cache/nginx/refreshgate", f"{tmp}/auth_cache")
    (tmp / "refreshgate.conf").write_text(example)
    temp = "\n".join(
        f"  {kind}_temp_path {tmp}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"{user}worker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log warn;\n"
        f"events {{ worker_connections 256; }}\n"
        f"http {{\n  access_log off;\n{temp}\n  include {tmp}/refreshgate.conf;\n}}\n"
    )
    return conf


@pytest.fixture
def nginx(
    tmp_path: Path, upstream_url: str, make_sidecar: Callable[..., Sidecar]
) -> Iterator[tuple[str, Sidecar]]:
    """nginx's base URL, and the refreshgate (token service + forward-auth) it asks."""
    binary = nginx_binary()
    config: dict[str, Any] = yaml.safe_load((EXAMPLE / "sidecar-forward-auth.yaml").read_text())
    config.pop("server")
    config["audit"] = {"sink": "off"}
    refreshgate = make_sidecar(config)
    port = free_port()
    conf = nginx_conf(tmp_path, port, refreshgate.url, upstream_url)
    process = subprocess.Popen(
        [binary, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # nginx logs to error.log in tmp
    )
    wait_for_port(port, process)
    yield f"http://127.0.0.1:{port}", refreshgate
    stop(process)


def token_via(base: str, sub: str, **body: Any) -> str:
    answer = httpx.post(f"{base}/jwt/token", json={"sub": sub, **body}, auth=("demo", "demo-secret"))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_nginx_copies_the_refreshed_token_to_the_app_and_to_the_client(nginx: tuple[str, Sidecar]) -> None:
    base, _ = nginx
    token = token_via(base, "alice", access_ttl=60)
    answer = httpx.get(f"{base}/api/me?x=1", headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    new = answer.headers["x-refreshed-access-token"]
    assert new != token and int(answer.headers["x-refreshed-expires-in"]) > 60
    echoed = answer.json()
    assert echoed["authorization"] == f"Bearer {new}"
    assert echoed["auth_headers"] == {
        "x-auth-subject": "alice",
        "x-auth-session": echoed["auth_headers"]["x-auth-session"],
    }
    assert echoed["query"] == "x=1"


def test_nginx_passes_a_fresh_token_untouched(nginx: tuple[str, Sidecar]) -> None:
    base, _ = nginx
    token = token_via(base, "bob")
    answer = httpx.get(f"{base}/api/me", headers={"authorization": f"Bearer {token}"})
    assert answer.json()["authorization"] == f"Bearer {token}"
    assert "x-refreshed-access-token" not in answer.headers


def test_nginx_sets_the_refreshed_cookie_for_cookie_routes(nginx: tuple[str, Sidecar]) -> None:
    base, _ = nginx
    token = token_via(base, "carol", access_ttl=60)
    answer = httpx.get(f"{base}/portal/home", headers={"cookie": f"DEMO_JWT={token}"})
    assert answer.status_code == 200
    assert answer.headers["set-cookie"].startswith("DEMO_JWT=")
    assert answer.headers["set-cookie"].split(";")[0] != f"DEMO_JWT={token}"


def test_nginx_answers_401_json_when_refreshgate_refuses(nginx: tuple[str, Sidecar]) -> None:
    base, _ = nginx
    answer = httpx.get(f"{base}/api/me", headers={"authorization": "Bearer not-a-token"})
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_token"}
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_nginx_overwrites_spoofed_identity_headers(nginx: tuple[str, Sidecar]) -> None:
    base, _ = nginx
    spoofed = {"x-auth-subject": "mallory", "x-forwarded-access-token": "forged"}
    public = httpx.get(f"{base}/public/x", headers=spoofed).json()
    assert public["auth_headers"] == {}
    assert "x-forwarded-access-token" not in {name for name, _ in public["headers"]}
    token = token_via(base, "dave")
    private = httpx.get(f"{base}/api/x", headers={**spoofed, "authorization": f"Bearer {token}"}).json()
    assert private["auth_headers"]["x-auth-subject"] == "dave"
