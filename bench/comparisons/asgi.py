"""ASGI pass-through: `RefreshMiddleware` on a Starlette app, valid repeated ES256 token.

Baseline: the same bare Starlette app. Goals (issue 6): memory store >= 0.85, Redis >= 0.75.
The token is a 1-hour ES256 AT issued by each server's own `POST /jwt/token` (so its session is
in that server's store), sent on every request in `Authorization: Bearer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bench import rg
from bench.comparisons import refreshgate_missing
from bench.harness import Comparison, Load, Prepare, ServerSpec, Variant, WrkRequest, uvicorn_argv

BASELINE = Variant(
    "bare Starlette (uvicorn, 1 worker)",
    ServerSpec("starlette", uvicorn_argv("bench.apps.hello:starlette_app")),
    WrkRequest(path="/api/hello"),
)
RG_MEMORY = ServerSpec("rg-asgi-memory", uvicorn_argv("bench.apps.rg_asgi:app_memory"), ready_path="/healthz")
RG_REDIS = ServerSpec("rg-asgi-redis", uvicorn_argv("bench.apps.rg_asgi:app_redis"), ready_path="/healthz")


def setup(run_dir: Path) -> Mapping[str, str]:
    """Keys + one config per store; Redis db flushed."""
    rg.flush_redis()
    return {
        "BENCH_RG_ASGI_MEMORY": str(rg.write_config(run_dir, "asgi-memory")),
        "BENCH_RG_ASGI_REDIS": str(rg.write_config(run_dir, "asgi-redis", store=rg.REDIS_URL)),
    }


def bearer(server: str, path: str = "/api/hello", **issue: object) -> Prepare:
    """A prepare that sends one token (issued once per server URL, then repeated)."""
    tokens: dict[str, str] = {}

    def prepare(run_dir: Path, urls: Mapping[str, str], load: Load) -> WrkRequest:
        url = urls[server]
        if url not in tokens:
            tokens[url] = rg.issue(url, **issue)["access_token"]
        return WrkRequest(path=path, headers={"Authorization": f"Bearer {tokens[url]}"})

    return prepare


def comparison() -> Comparison:
    missing = refreshgate_missing("refreshgate.asgi", "RefreshMiddleware", "ASGI middleware")
    candidates: list[Variant] = []
    if missing is None:
        candidates = [
            Variant("RefreshMiddleware, memory store", RG_MEMORY, prepare=bearer(RG_MEMORY.name)),
            Variant(
                "RefreshMiddleware, Redis store",
                RG_REDIS,
                prepare=bearer(RG_REDIS.name),
                goal_ratio=0.75,
            ),
        ]
    return Comparison(
        name="asgi",
        title="ASGI pass-through (valid repeated ES256 token) vs bare Starlette",
        baseline=BASELINE,
        candidates=candidates,
        goal=">= 0.85 (memory), >= 0.75 (Redis)",
        goal_ratio=0.85,
        skip=missing,
        setup=setup,
    )
