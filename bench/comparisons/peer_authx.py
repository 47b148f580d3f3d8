"""Peer: AuthX (implicit-refresh middleware) on FastAPI vs bare FastAPI.

Two AuthX loads: a fresh cookie token (pass-through: AuthX verifies it in the route dependency
and again in its middleware) and a token inside AuthX's 10-minute refresh window (every request
mints and sets a new cookie, because wrk never stores it). Issue 6 asks for the ratio to be
reported; refreshgate's ASGI ratio should be >= 4x AuthX's.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from bench.harness import (
    PYTHON,
    REPO_DIR,
    Comparison,
    Load,
    Prepare,
    ServerSpec,
    Variant,
    WrkRequest,
    uvicorn_argv,
)
from bench.peers.authx_app import COOKIE


def _setup(run_dir: Path) -> Mapping[str, str]:
    key_dir = run_dir / "authx"
    argv = [PYTHON, "-m", "bench.peers.authx_app", "keys", str(key_dir)]
    subprocess.run(argv, cwd=REPO_DIR, check=True)
    return {"BENCH_AUTHX_KEYS": str(key_dir)}


def _cookie(name: str) -> Prepare:
    def prepare(run_dir: Path, urls: Mapping[str, str], load: Load) -> WrkRequest:
        token = (run_dir / "authx" / name).read_text()
        return WrkRequest(path="/api/hello", headers={"Cookie": f"{COOKIE}={token}"})

    return prepare


def comparison() -> Comparison:
    authx = ServerSpec("authx", uvicorn_argv("bench.peers.authx_app:app"), ready_path="/healthz")
    return Comparison(
        name="peer-authx",
        title="peer: AuthX implicit-refresh middleware on FastAPI vs bare FastAPI",
        baseline=Variant(
            "bare FastAPI (uvicorn, 1 worker)",
            ServerSpec("fastapi", uvicorn_argv("bench.apps.hello:fastapi_app")),
            WrkRequest(path="/api/hello"),
        ),
        candidates=[
            Variant("AuthX, fresh token (pass-through)", authx, prepare=_cookie("token-fresh")),
            Variant(
                "AuthX, near-expiry token (mints each request)",
                None,
                target="authx",
                prepare=_cookie("token-near"),
            ),
        ],
        goal="report (refreshgate's ASGI ratio >= 4x this)",
        setup=_setup,
    )
