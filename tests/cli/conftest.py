"""Fixtures for the real-process tests of ``refreshgate serve`` and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import Server, write_config


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One ``refreshgate serve --dev --config FILE`` (no upstream) shared by a module's tests."""
    workdir: Path = tmp_path_factory.mktemp("serve-dev")
    config = write_config(workdir / "sidecar.yaml")
    server = Server(["--dev", "--config", str(config)], workdir)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.terminate()
