"""Forward-auth: nginx `auth_request` -> refreshgate `GET /jwt/auth`, vs the direct upstream.

Goal (issue 4/6): >= 0.5x direct. nginx plain `proxy_pass` is shown as the reference for what
the nginx hop alone costs. `bench.apps.nginx --auth-url` renders the auth_request config.
"""

from __future__ import annotations

import os
import shutil

from bench.comparisons import refreshgate_missing
from bench.comparisons.sidecar import DIRECT, UPSTREAM
from bench.harness import PYTHON, Comparison, ServerSpec, Variant


def _nginx_installed() -> bool:
    return shutil.which("nginx") is not None or os.path.exists("/usr/sbin/nginx")


def comparison() -> Comparison:
    candidates: list[Variant] = []
    if _nginx_installed():
        nginx = ServerSpec("nginx", [PYTHON, "-m", "bench.apps.nginx", "--port", "{port}"])
        candidates.append(Variant("nginx proxy_pass, no auth (reference)", nginx, reference=True))
    missing = refreshgate_missing("refreshgate.sidecar", what="forward-auth (/jwt/auth)")
    if missing is None:
        # TODO(product): support server `refreshgate serve --dev` (token service), then nginx
        # with `--auth-url {that}/jwt/auth` as the candidate; prepare = a valid AT header.
        missing = "refreshgate forward-auth candidate not wired into forward_auth.py yet"
    if not _nginx_installed():
        missing = "nginx not installed (bench/setup.sh installs nginx-light)"
    return Comparison(
        name="forward-auth",
        title="forward-auth behind nginx vs direct upstream",
        baseline=DIRECT,
        candidates=candidates,
        support=[UPSTREAM],
        env={"BENCH_UPSTREAM": "{support:upstream}"},
        goal=">= 0.5",
        goal_ratio=0.5,
        skip=missing,
    )
