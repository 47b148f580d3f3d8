"""Run the real ``refreshgate`` command: one-shot commands and ``serve`` as a child process."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

#: the console script installed next to this interpreter (``pip install -e .``)
REFRESHGATE = str(Path(sys.executable).with_name("refreshgate"))
PORTAL = ("portal", "portal-secret")
AUDIENCE = "portal"


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run a one-shot ``refreshgate`` command to completion."""
    return subprocess.run(
        [REFRESHGATE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_config(path: Path, **sections: Any) -> Path:
    """A token-service config (no upstream) with the portal client; ``sections`` add or replace."""
    config: dict[str, Any] = {
        "tokens": {"issuer": "https://auth.example.ee", "audience": AUDIENCE},
        "clients": {"portal": {"secret": PORTAL[1], "profiles": ["custom"]}},
        "audit": {"sink": "off"},
        **sections,
    }
    path.write_text(yaml.safe_dump(config))
    return path


class Server:
    """``refreshgate serve`` as a child process; its output goes to files (no pipe can fill up)."""

    def __init__(self, args: list[str], workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._stdout = workdir / f"serve-{self.port}.out"
        self._stderr = workdir / f"serve-{self.port}.err"
        with self._stdout.open("wb") as out, self._stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [REFRESHGATE, "serve", "--port", str(self.port), *args], cwd=workdir, stdout=out, stderr=err
            )

    @property
    def stderr(self) -> str:
        return self._stderr.read_text()

    @property
    def stdout(self) -> str:
        return self._stdout.read_text()

    def wait_healthy(self, timeout: float = 20) -> None:
        """Poll ``/healthz`` until it answers (start-up, not token expiry, is what we wait for)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited with {self.process.returncode}: {self.stderr}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"serve did not become healthy: {self.stderr}")

    def terminate(self, timeout: float = 15) -> int:
        """SIGTERM, then wait for the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        return self.process.returncode
