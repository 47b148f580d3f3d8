"""WSGI pass-through: `WSGIRefreshMiddleware` on Flask, under the suite's one WSGI server.

Baseline: the bare Flask app under the same server (gunicorn gthread, 1 worker, 8 threads;
see `harness.gunicorn_argv`). Goal (issue 6): >= 0.80. Memory store; the token is a 1-hour
ES256 AT from the middleware's own `POST /jwt/token`, repeated on every request.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bench import rg
from bench.comparisons import refreshgate_missing
from bench.comparisons.asgi import bearer
from bench.harness import Comparison, ServerSpec, Variant, WrkRequest, gunicorn_argv

BASELINE = Variant(
    "bare Flask (gunicorn gthread 1x8)",
    ServerSpec("flask", gunicorn_argv("bench.apps.hello:flask_app")),
    WrkRequest(path="/api/hello"),
)
RG_WSGI = ServerSpec("rg-wsgi", gunicorn_argv("bench.apps.rg_wsgi:app"), ready_path="/healthz")


def setup(run_dir: Path) -> Mapping[str, str]:
    return {"BENCH_RG_WSGI": str(rg.write_config(run_dir, "wsgi-memory"))}


def comparison() -> Comparison:
    missing = refreshgate_missing("refreshgate.wsgi", "WSGIRefreshMiddleware", "WSGI middleware")
    candidates: list[Variant] = []
    if missing is None:
        candidates = [
            Variant(
                "WSGIRefreshMiddleware, memory store (same server)", RG_WSGI, prepare=bearer(RG_WSGI.name)
            )
        ]
    return Comparison(
        name="wsgi",
        title="WSGI pass-through vs bare Flask under the same server",
        baseline=BASELINE,
        candidates=candidates,
        goal=">= 0.80",
        goal_ratio=0.80,
        skip=missing,
        setup=setup,
    )
