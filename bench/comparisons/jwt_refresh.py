"""`POST /jwt/refresh` with rotation, memory and Redis stores, vs simplejwt's refresh view.

Goals (issue 6): >= 3x simplejwt; Redis >= 0.5x memory. The simplejwt side (baseline) reuses
`peer_simplejwt`; it is measured alone there until refreshgate's token service exists.
"""

from __future__ import annotations

from bench.comparisons import peer_simplejwt, refreshgate_missing
from bench.harness import Comparison, Variant


def comparison() -> Comparison:
    missing = refreshgate_missing("refreshgate.sidecar", what="token service (/jwt/refresh)")
    if missing is None:
        # TODO(product): start `refreshgate serve --dev` (no upstream) twice, store memory:// and
        # redis://, as Variants; their `prepare` issues N sessions via POST /jwt/token and
        # writes one `{"refresh_token": ...}` body per line (see peer_simplejwt.fresh_tokens).
        missing = "refreshgate /jwt/refresh candidates not wired into jwt_refresh.py yet"
    return Comparison(
        name="jwt-refresh",
        title="POST /jwt/refresh with rotation vs simplejwt TokenRefreshView",
        baseline=Variant(
            "simplejwt refresh, rotate + blacklist",
            peer_simplejwt.SIMPLEJWT,
            prepare=peer_simplejwt.fresh_tokens,
        ),
        goal=">= 3.0 (memory); Redis >= 0.5x memory",
        goal_ratio=3.0,
        skip=missing,
        baseline_alone=False,
        setup=peer_simplejwt.setup,
    )
