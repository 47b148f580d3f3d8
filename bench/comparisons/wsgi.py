"""WSGI pass-through: `WSGIRefreshMiddleware` on Flask, under the suite's one WSGI server.

Baseline: the bare Flask app under the same server (gunicorn gthread, 1 worker, 8 threads;
see `harness.gunicorn_argv`). Goal (issue 6): >= 0.80.
"""

from __future__ import annotations

from bench.comparisons import refreshgate_missing
from bench.harness import Comparison, ServerSpec, Variant, WrkRequest, gunicorn_argv

BASELINE = Variant(
    "bare Flask (gunicorn gthread 1x8)",
    ServerSpec("flask", gunicorn_argv("bench.apps.hello:flask_app")),
    WrkRequest(path="/api/hello"),
)


def comparison() -> Comparison:
    missing = refreshgate_missing("refreshgate.wsgi", "WSGIRefreshMiddleware", "WSGI middleware")
    if missing is None:
        # TODO(product): add `bench/apps/rg_wsgi.py` with `app` = the Flask hello wrapped in
        # WSGIRefreshMiddleware, served by gunicorn_argv("bench.apps.rg_wsgi:app"), and a
        # token set-up as in asgi.py.
        missing = "refreshgate WSGI candidate not wired into bench/comparisons/wsgi.py yet"
    return Comparison(
        name="wsgi",
        title="WSGI pass-through vs bare Flask under the same server",
        baseline=BASELINE,
        goal=">= 0.80",
        goal_ratio=0.80,
        skip=missing,
    )
