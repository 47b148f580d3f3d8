"""The README's one command: ``scripts/demo.sh`` starts the demo and its printed curl lines work."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from loopback_procs import ROOT, free_port, wait_for_port

pytestmark = pytest.mark.e2e


def printed_until(process: subprocess.Popen[str], marker: str, timeout: float) -> str:
    assert process.stdout is not None
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        lines.append(line)
        if marker in line:
            return "".join(lines)
    raise AssertionError(f"demo.sh never printed {marker!r}:\n{''.join(lines)}")


def curl_block(printed: str, first: str) -> str:
    """The shell lines from the comment starting with ``first`` up to the next blank line."""
    block = printed.split(first, 1)[1].split("\n\n", 1)[0]
    lines = block.splitlines()[1:]  # the rest of the opening comment line
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_demo_script_serves_and_its_curl_lines_show_a_silent_refresh(tmp_path: Path) -> None:
    sidecar_port, app_port = free_port(), free_port()
    env = {**os.environ, "DEMO_PORT": str(sidecar_port), "DEMO_APP_PORT": str(app_port)}
    process = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "demo.sh")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        printed = printed_until(process, "Ctrl-C stops the demo", timeout=120)
        wait_for_port(sidecar_port, process)
        script = curl_block(printed, "# 1.") + "\n" + curl_block(printed, "# 2.")
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
        answer = done.stdout.lower()
        assert "http/1.1 200" in answer, done.stdout + done.stderr
        assert "x-refreshed-access-token: ey" in answer
        assert '"x-auth-subject": "alice"' in answer
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(15)
        finally:
            if process.stdout is not None:
                process.stdout.close()
    for port in (sidecar_port, app_port):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
