"""ASGI pass-through: `RefreshMiddleware` on a Starlette app, valid repeated ES256 token.

Baseline: the same bare Starlette app. Goals (issue 6): memory store >= 0.85, Redis >= 0.75.
"""

from __future__ import annotations

from bench.comparisons import refreshgate_missing
from bench.harness import Comparison, ServerSpec, Variant, WrkRequest, uvicorn_argv

BASELINE = Variant(
    "bare Starlette (uvicorn, 1 worker)",
    ServerSpec("starlette", uvicorn_argv("bench.apps.hello:starlette_app")),
    WrkRequest(path="/api/hello"),
)


def comparison() -> Comparison:
    missing = refreshgate_missing("refreshgate.asgi", "RefreshMiddleware", "ASGI middleware")
    candidates: list[Variant] = []
    if missing is None:
        # TODO(product): add `bench/apps/rg_asgi.py` exposing `app_memory` and `app_redis`:
        # the same Starlette hello wrapped in RefreshMiddleware (route /api/** auth required,
        # token_from header, ES256), and a `setup(run_dir)` here that writes keys + a valid
        # 1-hour AT (not near expiry) and returns env for the servers; then two Variants with
        # WrkRequest(path="/api/hello", headers={"Authorization": f"Bearer {token}"}).
        missing = "refreshgate ASGI candidates not wired into bench/comparisons/asgi.py yet"
    return Comparison(
        name="asgi",
        title="ASGI pass-through (valid repeated ES256 token) vs bare Starlette",
        baseline=BASELINE,
        candidates=candidates,
        goal=">= 0.85 (memory), >= 0.75 (Redis)",
        goal_ratio=0.85,
        skip=missing,
    )
