"""Two uvicorn processes sharing Redis and key files mint one token for a storm of requests."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from loopback_procs import free_port
from refreshgate.config import load_config
from refreshgate.core.engine import Engine
from refreshgate.core.keys import generate_key_files

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

REDIS_DB = 5
HERE = Path(__file__).parent


def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn on {port} exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"uvicorn on {port} did not become ready")


@pytest.fixture
def storm_config(tmp_path: Path) -> Path:
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_connect_timeout=0.5)
    try:
        client.flushdb()
    except redis.RedisError:
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    finally:
        client.close()
    raw: dict[str, Any] = {
        **generate_key_files(tmp_path / "keys", stamp="storm"),
        "store": {"url": f"redis://127.0.0.1:6379/{REDIS_DB}"},
        "tokens": {"issuer": "https://auth.test", "audience": "portal"},
        "profiles": {"custom": {"access_ttl": 3600, "refresh_window": 300}},
        "routes": [{"path": "/api/**", "auth": "required"}],
        "audit": {"sink": "off"},
    }
    path = tmp_path / "sidecar.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture
def replicas(storm_config: Path) -> Iterator[list[int]]:
    ports = [free_port(), free_port()]
    env = {**os.environ, "RG_STORM_CONFIG": str(storm_config)}
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "storm_app:app",
                "--app-dir",
                str(HERE),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            _wait_ready(port, process)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _minted(metrics: str) -> float:
    pattern = r'refreshgate_refreshes_total\{kind="transparent",outcome="succeeded",profile="custom"\} (\S+)'
    found = re.search(pattern, metrics)
    return float(found.group(1)) if found else 0.0


async def test_storm_across_two_processes_sharing_redis_mints_exactly_once(
    storm_config: Path, replicas: list[int]
) -> None:
    engine = Engine(load_config(storm_config))
    issued = await engine.issue("alice", access_ttl=60)  # within the 300 s refresh window
    await engine.aclose()
    headers = {"authorization": f"Bearer {issued.access_token}"}
    async with httpx.AsyncClient(timeout=10) as client:
        responses = await asyncio.gather(
            *(client.get(f"http://127.0.0.1:{replicas[i % 2]}/api/x", headers=headers) for i in range(50))
        )
        metrics = [(await client.get(f"http://127.0.0.1:{port}/metrics")).text for port in replicas]
    assert {r.status_code for r in responses} == {200}
    new_tokens = {r.headers.get("x-refreshed-access-token") for r in responses}
    assert len(new_tokens) == 1 and None not in new_tokens
    assert {r.json()["authorization"] for r in responses} == {f"Bearer {next(iter(new_tokens))}"}
    assert sum(_minted(text) for text in metrics) == 1
