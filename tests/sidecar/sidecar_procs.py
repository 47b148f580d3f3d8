"""Helpers for the sidecar tests: start and stop real processes on loopback ports."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEMO_APP = ROOT / "demo" / "legacy_app.py"
REFRESHGATE = [sys.executable, "-m", "refreshgate"]
CLIENT = ("demo", "demo-secret")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Sidecar:
    """A running ``refreshgate serve`` and its base URL."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def token(self, sub: str = "alice", **body: Any) -> str:
        """An access token from ``POST /jwt/token`` (``access_ttl=60`` makes it near expiry)."""
        answer = httpx.post(f"{self.url}/jwt/token", json={"sub": sub, **body}, auth=CLIENT)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def metric(self, line_start: str) -> float:
        """The value of the first ``/metrics`` line starting with ``line_start`` (0 if none)."""
        for line in httpx.get(f"{self.url}/metrics").text.splitlines():
            if line.startswith(line_start):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")


def sidecar_config(upstream: str, **upstream_extra: Any) -> dict[str, Any]:
    return {
        "upstream": {"url": upstream, **upstream_extra},
        "tokens": {"issuer": "https://sidecar.test", "audience": "demo"},
        "clients": {"demo": {"secret": CLIENT[1]}},
        "profiles": {"custom": {"refresh_window": "5m", "rate_limit": "100000/minute"}},
        "routes": [
            {"path": "/api/**", "auth": "required", "token_from": "header"},
            {"path": "/portal/**", "auth": "required", "token_from": "cookie:DEMO_JWT"},
            {"path": "/**", "auth": "none"},
        ],
        "audit": {"sink": "off"},
    }


def start_sidecar(directory: Path, config: dict[str, Any], *, extra: tuple[str, ...] = ()) -> Sidecar:
    port = free_port()
    path = directory / f"sidecar-{port}.yaml"
    path.write_text(yaml.safe_dump(config))
    log = directory / f"sidecar-{port}.log"
    argv = [*REFRESHGATE, "serve", "--dev", "--config", str(path), "--port", str(port), *extra]
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    wait_for_port(port, process)
    return Sidecar(f"http://127.0.0.1:{port}", process, log)
