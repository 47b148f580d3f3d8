"""Forward-auth: nginx `auth_request` -> refreshgate `GET /jwt/auth`, vs the direct upstream.

Goal (issue 4/6): >= 0.5x direct. nginx plain `proxy_pass` is shown as the reference for what
the nginx hop alone costs. The candidate is nginx with `auth_request` to a `refreshgate serve`
token service (no upstream; memory store; `/api/**` header tokens) over a keep-alive upstream,
as in examples/nginx/refreshgate.conf, loaded with a valid repeated 1-hour ES256 AT: once
without a cache (every request asks refreshgate) and once with the example's 1 s decision
micro-cache (nginx keeps a 200 for 1 s per token + method + URI, so one repeated token asks
refreshgate about once a second: the best case for the cache; distinct tokens or URIs fall back
to the no-cache number, and revocations reach nginx up to 1 s later).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from bench import rg
from bench.comparisons import refreshgate_missing
from bench.comparisons.asgi import bearer
from bench.comparisons.sidecar import DIRECT, UPSTREAM
from bench.harness import PYTHON, Comparison, ServerSpec, Variant, WrkRequest

RG_AUTH = rg.serve_spec("rg-auth", "BENCH_RG_AUTH")


def _nginx_installed() -> bool:
    return shutil.which("nginx") is not None or os.path.exists("/usr/sbin/nginx")


def setup(run_dir: Path) -> Mapping[str, str]:
    return {"BENCH_RG_AUTH": str(rg.write_config(run_dir, "forward-auth"))}


def comparison() -> Comparison:
    candidates: list[Variant] = []
    if _nginx_installed():
        nginx = ServerSpec("nginx", [PYTHON, "-m", "bench.apps.nginx", "--port", "{port}"])
        candidates.append(
            Variant(
                "nginx proxy_pass, no auth (reference)", nginx, WrkRequest(path="/api/hello"), reference=True
            )
        )
    missing = refreshgate_missing("refreshgate.server", what="forward-auth (/jwt/auth)")
    support = [UPSTREAM]
    if missing is None and _nginx_installed():
        support.append(RG_AUTH)
        argv = [PYTHON, "-m", "bench.apps.nginx", "--port", "{port}", "--auth-url-env", "BENCH_AUTH_URL"]
        candidates.append(
            Variant(
                "nginx auth_request -> refreshgate /jwt/auth, no cache",
                ServerSpec("nginx-auth", argv),
                prepare=bearer(RG_AUTH.name),
            )
        )
        candidates.append(
            Variant(
                "same + the example's 1 s decision micro-cache",
                ServerSpec("nginx-auth-cache", [*argv, "--auth-cache"]),
                prepare=bearer(RG_AUTH.name),
            )
        )
    if not _nginx_installed():
        missing = "nginx not installed (bench/setup.sh installs nginx-light)"
    return Comparison(
        name="forward-auth",
        title="forward-auth behind nginx vs direct upstream",
        baseline=DIRECT,
        candidates=candidates,
        support=support,
        env={"BENCH_UPSTREAM": "{support:upstream}", "BENCH_AUTH_URL": "{support:rg-auth}/jwt/auth"},
        goal=">= 0.5",
        goal_ratio=0.5,
        skip=missing,
        setup=setup,
    )
