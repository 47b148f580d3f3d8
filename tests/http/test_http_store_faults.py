"""Store faults (SPEC §10): Redis down at start or mid-run → 503 with Retry-After, never a 500.

Each test runs its own ``redis-server`` on a free port, so killing it disturbs nobody else.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from http_helpers import OPS, PORTAL, assert_oauth_error, make_config

from refreshgate.clock import ManualClock
from refreshgate.core.engine import Engine
from refreshgate.shells.token_service import TokenServiceApp

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisProcess:
    """A throw-away redis-server on one port that can be stopped and started again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while not _answers(self.port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.02)  # waiting for a process to come up, not for a token to expire

    def pause(self, paused: bool) -> None:
        """Freeze the server (it accepts connections but never answers), or let it go on."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP if paused else signal.SIGCONT)

    def stop(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)
            self._process.kill()
            self._process.wait(5)
            self._process = None


@pytest.fixture
def redis_process() -> Iterator[RedisProcess]:
    process = RedisProcess(_free_port())
    yield process
    process.stop()


@pytest.fixture
async def service(redis_process: RedisProcess) -> AsyncIterator[httpx.AsyncClient]:
    """The token service on the throw-away Redis (not started yet), with a short store timeout."""
    config = make_config(store={"url": f"redis://127.0.0.1:{redis_process.port}/0", "timeout": "0.5s"})
    engine = Engine.development(config, clock=ManualClock(start=float(int(time.time()))))
    transport = httpx.ASGITransport(app=TokenServiceApp(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://rg.test") as http:
        yield http
    await engine.aclose()


async def _assert_store_down(http: httpx.AsyncClient, rt: str, at: str) -> None:
    """Every store-backed endpoint is 503 temporarily_unavailable; liveness and JWKS still answer."""
    calls = [
        http.post("/jwt/token", json={"sub": "alice"}, auth=PORTAL),
        http.post("/jwt/refresh", json={"refresh_token": rt}),
        http.post("/jwt/refresh", data={"grant_type": "refresh_token", "refresh_token": rt}),
        http.post("/jwt/revoke", data={"token": rt}),
        http.post("/jwt/revoke/subject", json={"sub": "alice"}, auth=OPS),
    ]
    for call in calls:
        assert_oauth_error(await call, 503, "temporarily_unavailable")
    ready = await http.get("/readyz")
    assert ready.status_code == 503
    assert int(ready.headers["retry-after"]) >= 1
    assert (await http.get("/healthz")).status_code == 200
    assert (await http.get("/.well-known/jwks.json")).status_code == 200
    assert (await http.get("/metrics")).status_code == 200
    auth = await http.get("/jwt/auth", headers={"Authorization": f"Bearer {at}", "X-Original-URI": "/api/x"})
    assert auth.status_code != 500


async def test_redis_down_mid_run_gives_503_and_service_resumes_when_it_is_back(
    redis_process: RedisProcess, service: httpx.AsyncClient
) -> None:
    redis_process.start()
    tokens = (await service.post("/jwt/token", json={"sub": "alice"}, auth=PORTAL)).json()
    assert (await service.get("/readyz")).status_code == 200

    redis_process.stop()
    await _assert_store_down(service, tokens["refresh_token"], tokens["access_token"])

    redis_process.start()  # same port, empty data: the old session is gone, the service is not
    assert (await service.get("/readyz")).status_code == 200
    fresh = await service.post("/jwt/token", json={"sub": "alice"}, auth=PORTAL)
    assert fresh.status_code == 200
    refreshed = await service.post("/jwt/refresh", json={"refresh_token": fresh.json()["refresh_token"]})
    assert refreshed.status_code == 200
    assert_oauth_error(
        await service.post("/jwt/refresh", json={"refresh_token": tokens["refresh_token"]}),
        400,
        "invalid_grant",
    )


async def test_redis_unreachable_at_start_gives_503_until_it_appears(
    redis_process: RedisProcess, service: httpx.AsyncClient
) -> None:
    assert (await service.get("/healthz")).status_code == 200
    assert_oauth_error(
        await service.post("/jwt/token", json={"sub": "alice"}, auth=PORTAL), 503, "temporarily_unavailable"
    )
    assert (await service.get("/readyz")).status_code == 503

    redis_process.start()
    assert (await service.get("/readyz")).status_code == 200
    tokens = await service.post("/jwt/token", json={"sub": "alice"}, auth=PORTAL)
    assert tokens.status_code == 200
    refreshed = await service.post("/jwt/refresh", json={"refresh_token": tokens.json()["refresh_token"]})
    assert refreshed.status_code == 200


async def test_hanging_redis_gives_503_within_the_store_timeout(
    redis_process: RedisProcess, service: httpx.AsyncClient
) -> None:
    redis_process.start()
    tokens = (await service.post("/jwt/token", json={"sub": "alice"}, auth=PORTAL)).json()

    redis_process.pause(True)
    started = time.monotonic()
    response = await service.post("/jwt/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_oauth_error(response, 503, "temporarily_unavailable")
    assert time.monotonic() - started < 3

    redis_process.pause(False)
    response = await service.post("/jwt/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200, response.text
