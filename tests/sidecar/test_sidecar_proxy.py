"""End-to-end: the demo legacy app behind ``refreshgate serve`` (real processes, loopback)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sidecar_procs import Sidecar

from loopback_procs import free_port

pytestmark = pytest.mark.e2e


def seen(response: httpx.Response) -> dict[str, Any]:
    """What the demo app echoed back."""
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_public_route_passes_method_path_query_and_body_through(sidecar: Sidecar) -> None:
    answer = httpx.post(f"{sidecar.url}/public/form%20x?a=1&a=2&b=%2F", content=b"hello")
    echoed = seen(answer)
    assert (echoed["method"], echoed["path"], echoed["query"]) == (
        "POST",
        "/public/form%20x",
        "a=1&a=2&b=%2F",
    )
    assert echoed["body_bytes"] == 5


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_every_method_is_forwarded(sidecar: Sidecar, method: str) -> None:
    assert seen(httpx.request(method, f"{sidecar.url}/public/m"))["method"] == method


def test_head_is_forwarded_without_a_body(sidecar: Sidecar) -> None:
    answer = httpx.head(f"{sidecar.url}/public/h")
    assert answer.status_code == 200 and answer.content == b""
    assert int(answer.headers["content-length"]) > 0


def test_token_far_from_expiry_passes_untouched(sidecar: Sidecar) -> None:
    token = sidecar.token()
    answer = httpx.get(f"{sidecar.url}/api/me", headers={"authorization": f"Bearer {token}"})
    assert seen(answer)["authorization"] == f"Bearer {token}"
    assert "x-refreshed-access-token" not in answer.headers


def test_near_expiry_header_token_is_refreshed_for_upstream_and_client(sidecar: Sidecar) -> None:
    token = sidecar.token("bob", access_ttl=60)
    answer = httpx.get(f"{sidecar.url}/api/me", headers={"authorization": f"Bearer {token}"})
    new = answer.headers["x-refreshed-access-token"]
    assert new != token and int(answer.headers["x-refreshed-expires-in"]) > 60
    echoed = seen(answer)
    assert echoed["authorization"] == f"Bearer {new}"
    assert echoed["auth_headers"]["x-auth-subject"] == "bob"
    again = httpx.get(f"{sidecar.url}/api/me", headers={"authorization": f"Bearer {new}"})
    assert seen(again)["authorization"] == f"Bearer {new}" and "x-refreshed-access-token" not in again.headers


def test_near_expiry_cookie_token_is_replaced_upstream_and_set_on_the_client(sidecar: Sidecar) -> None:
    token = sidecar.token("carol", access_ttl=60)
    answer = httpx.get(f"{sidecar.url}/portal/home", headers={"cookie": f"theme=dark; DEMO_JWT={token}"})
    set_cookie = answer.headers["set-cookie"]
    assert set_cookie.startswith("DEMO_JWT=") and "HttpOnly" in set_cookie
    new = set_cookie.split(";", 1)[0].removeprefix("DEMO_JWT=")
    assert new != token
    assert seen(answer)["cookie"] == [f"theme=dark; DEMO_JWT={new}"]
    assert "x-refreshed-access-token" not in answer.headers


def test_missing_token_is_401_json_and_never_reaches_upstream(sidecar: Sidecar) -> None:
    answer = httpx.get(f"{sidecar.url}/api/me")
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token"
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_spoofed_identity_headers_never_reach_upstream(sidecar: Sidecar) -> None:
    spoofed = {
        "x-auth-subject": "mallory",
        "x-auth-admin": "yes",
        "x-forwarded-access-token": "forged",
        "x-refreshed-access-token": "forged",
    }
    public = seen(httpx.get(f"{sidecar.url}/public/x", headers=spoofed))
    names = {name for name, _ in public["headers"]}
    assert names.isdisjoint(spoofed)
    token = sidecar.token("dave")
    private = seen(httpx.get(f"{sidecar.url}/api/x", headers={**spoofed, "authorization": f"Bearer {token}"}))
    assert private["auth_headers"]["x-auth-subject"] == "dave"
    assert "x-auth-admin" not in private["auth_headers"]
    assert {name for name, _ in private["headers"]}.isdisjoint(
        {"x-forwarded-access-token", "x-refreshed-access-token"}
    )


def test_hop_by_hop_headers_and_those_named_in_connection_are_removed(sidecar: Sidecar) -> None:
    headers = {
        "connection": "keep-alive, x-private",
        "x-private": "1",
        "keep-alive": "timeout=5",
        "te": "trailers",
    }
    names = {name for name, _ in seen(httpx.get(f"{sidecar.url}/public/x", headers=headers))["headers"]}
    assert names.isdisjoint({"connection", "x-private", "keep-alive", "te"})


def test_forwarded_headers_are_set_and_forwarded_for_is_appended(sidecar: Sidecar) -> None:
    headers = {"x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "gopher"}
    forwarded = seen(httpx.get(f"{sidecar.url}/public/x", headers=headers))["forwarded"]
    host = sidecar.url.removeprefix("http://")
    assert forwarded == {
        "x-forwarded-for": "203.0.113.7, 127.0.0.1",
        "x-forwarded-proto": "http",
        "x-forwarded-host": host,
    }


def test_repeated_request_headers_and_multiple_set_cookies_stay_intact(sidecar: Sidecar) -> None:
    headers = [("x-multi", "one"), ("x-multi", "two")]
    answer = httpx.get(f"{sidecar.url}/public/x?cookies=3", headers=headers)
    assert [value for name, value in seen(answer)["headers"] if name == "x-multi"] == ["one", "two"]
    assert answer.headers.get_list("set-cookie") == [f"demo{n}=v{n}; Path=/" for n in range(3)]


def test_dot_segment_paths_are_refused_before_any_decision(sidecar: Sidecar) -> None:
    with httpx.Client() as client:
        request = client.build_request("GET", f"{sidecar.url}/public/x")
        request.url = request.url.copy_with(raw_path=b"/public/..%2Fapi/me")
        answer = client.send(request)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_fifty_megabytes_stream_up_and_down_without_growing_memory(sidecar: Sidecar) -> None:
    size = 50 * 1024 * 1024
    httpx.get(f"{sidecar.url}/public/warm?bytes=1000000")
    before = sidecar.rss_kib()

    def upload() -> Iterator[bytes]:
        block = b"u" * (1024 * 1024)
        for _ in range(50):
            yield block

    up = seen(httpx.post(f"{sidecar.url}/public/upload", content=upload(), timeout=60))
    assert up["body_bytes"] == size
    received = 0
    with httpx.stream("GET", f"{sidecar.url}/public/download?bytes={size}", timeout=60) as down:
        for chunk in down.iter_raw():
            received += len(chunk)
    assert received == size
    growth_mib = (sidecar.rss_kib() - before) / 1024
    assert growth_mib < 20, f"sidecar RSS grew {growth_mib:.1f} MiB while streaming 2 x 50 MiB"


async def test_hundred_concurrent_requests_with_one_near_expiry_token_mint_once(sidecar: Sidecar) -> None:
    metric = 'refreshgate_refreshes_total{kind="transparent",outcome="succeeded",profile="custom"}'
    minted_before = sidecar.metric(metric)
    token = sidecar.token("erin", access_ttl=60)
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        answers = await asyncio.gather(
            *(
                client.get(f"{sidecar.url}/api/c", headers={"authorization": f"Bearer {token}"})
                for _ in range(100)
            )
        )
    new_tokens = {answer.headers["x-refreshed-access-token"] for answer in answers}
    assert len(new_tokens) == 1
    assert {seen(answer)["authorization"] for answer in answers} == {f"Bearer {new_tokens.pop()}"}
    assert sidecar.metric(metric) - minted_before == 1


def test_upstream_down_is_502_json(
    make_sidecar: Callable[..., Sidecar], config_for: Callable[..., dict[str, Any]]
) -> None:
    made = make_sidecar(config_for(f"http://127.0.0.1:{free_port()}"))
    answer = httpx.get(f"{made.url}/public/x")
    assert answer.status_code == 502
    assert answer.json()["error"] == "bad_gateway"


def test_slow_upstream_is_504_json(
    upstream_url: str, make_sidecar: Callable[..., Sidecar], config_for: Callable[..., dict[str, Any]]
) -> None:
    made = make_sidecar(config_for(upstream_url, read_timeout=0.5))
    started = time.monotonic()
    answer = httpx.get(f"{made.url}/public/slow?delay=3", timeout=10)
    assert answer.status_code == 504
    assert answer.json()["error"] == "gateway_timeout"
    assert time.monotonic() - started < 2.5


def test_sigterm_drains_the_in_flight_request_then_exits_cleanly(
    upstream_url: str, make_sidecar: Callable[..., Sidecar], config_for: Callable[..., dict[str, Any]]
) -> None:
    made = make_sidecar(config_for(upstream_url))
    with httpx.Client(timeout=10) as client:
        # the request is in flight (upstream waits 1 s) when SIGTERM arrives
        result: list[httpx.Response] = []
        worker = threading.Thread(target=lambda: result.append(client.get(f"{made.url}/public/s?delay=1")))
        worker.start()
        time.sleep(0.3)  # let the request reach the upstream; not waiting for any expiry
        made.process.send_signal(signal.SIGTERM)
        worker.join(10)
    assert result and result[0].status_code == 200
    # drained, shut down, and a clean exit status
    assert made.process.wait(10) == 0
    log = made.log.read_text()
    assert "Traceback" not in log and "Finished server process" in log


def test_config_error_at_start_up_names_the_key_path_and_exits_nonzero(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("upstream: {url: 'ftp://nowhere', read_timout: 5s}\n")
    done = subprocess.run(
        [sys.executable, "-m", "refreshgate", "serve", "--dev", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert "upstream.url" in done.stderr and "upstream.read_timout" in done.stderr
