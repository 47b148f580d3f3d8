"""Sidecar proxy, small responses, 50 connections, vs the direct upstream.

Goal (issue 4/6): >= 0.30x direct. Two sidecars (`refreshgate serve` with an `upstream`, memory
store) in front of the same raw ASGI hello: routes `/**` auth none (the pure data-plane cost),
and `/api/**` header tokens with a valid repeated 1-hour ES256 AT (proxy + token check).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bench import rg
from bench.comparisons import refreshgate_missing
from bench.comparisons.asgi import bearer
from bench.harness import Comparison, ServerSpec, Variant, WrkRequest, uvicorn_argv

UPSTREAM = ServerSpec("upstream", uvicorn_argv("bench.apps.hello:raw"))
DIRECT = Variant(
    "direct upstream (raw ASGI hello, uvicorn)",
    None,
    WrkRequest(path="/api/hello"),
    target="upstream",
)
SIDECAR_OPEN = rg.serve_spec("rg-sidecar-open", "BENCH_RG_SIDECAR_OPEN")
SIDECAR_AUTH = rg.serve_spec("rg-sidecar-auth", "BENCH_RG_SIDECAR_AUTH")


def setup(run_dir: Path) -> Mapping[str, str]:
    upstream = {"url": "${BENCH_UPSTREAM}"}
    return {
        "BENCH_RG_SIDECAR_OPEN": str(
            rg.write_config(run_dir, "sidecar-open", routes=rg.OPEN_ROUTES, upstream=upstream)
        ),
        "BENCH_RG_SIDECAR_AUTH": str(rg.write_config(run_dir, "sidecar-auth", upstream=upstream)),
    }


def comparison() -> Comparison:
    missing = refreshgate_missing("refreshgate.sidecar", what="sidecar")
    candidates: list[Variant] = []
    if missing is None:
        candidates = [
            Variant("sidecar, route auth none (pure proxy)", SIDECAR_OPEN, WrkRequest(path="/api/hello")),
            Variant(
                "sidecar, /api/** header token (valid repeated AT)",
                SIDECAR_AUTH,
                prepare=bearer(SIDECAR_AUTH.name),
            ),
        ]
    return Comparison(
        name="sidecar",
        title="sidecar proxy (13-byte responses, 50 conns) vs direct upstream",
        baseline=DIRECT,
        candidates=candidates,
        support=[UPSTREAM],
        env={"BENCH_UPSTREAM": "{support:upstream}"},
        goal=">= 0.30",
        goal_ratio=0.30,
        skip=missing,
        setup=setup,
    )
