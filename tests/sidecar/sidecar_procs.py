"""Helpers for the sidecar tests: a running ``refreshgate serve`` (process helpers: loopback_procs)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from loopback_procs import REFRESHGATE, ROOT, free_port, wait_for_port

CLIENT = ("demo", "demo-secret")


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
