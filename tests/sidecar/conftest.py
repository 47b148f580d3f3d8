"""Real processes on loopback: the demo legacy app as upstream, ``refreshgate serve`` in front."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sidecar_procs import Sidecar, sidecar_config, start_sidecar

from loopback_procs import DEMO_APP, ROOT, free_port, stop, wait_for_port


@pytest.fixture(scope="session")
def upstream_url() -> Iterator[str]:
    """The demo legacy app (plain ``http.server``) on a free loopback port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(DEMO_APP), "--port", str(port)], stdout=subprocess.DEVNULL, cwd=ROOT
    )
    wait_for_port(port, process)
    yield f"http://127.0.0.1:{port}"
    stop(process)


@pytest.fixture(scope="session")
def sidecar(upstream_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sidecar]:
    """One sidecar in front of the demo app, shared by the tests that do not stop it."""
    made = start_sidecar(tmp_path_factory.mktemp("sidecar"), sidecar_config(upstream_url))
    yield made
    stop(made.process)


@pytest.fixture
def make_sidecar(tmp_path: Path) -> Iterator[Callable[..., Sidecar]]:
    """Start a sidecar with its own config; stopped after the test."""
    started: list[Sidecar] = []

    def make(config: dict[str, Any], extra: tuple[str, ...] = ()) -> Sidecar:
        made = start_sidecar(tmp_path, config, extra=extra)
        started.append(made)
        return made

    yield make
    for made in started:
        stop(made.process)


@pytest.fixture
def config_for() -> Callable[..., dict[str, Any]]:
    """``config_for(upstream_url, read_timeout=0.5)`` → a sidecar config dict."""
    return sidecar_config
