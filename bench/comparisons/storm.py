"""Refresh storm: 1,000 concurrent connections with one near-expiry AT -> exactly one mint.

Goal (issue 6): exactly 1 mint; p99 <= 3x the pass-through p99. Both sides load the same
`RefreshMiddleware` server (memory store) with `wrk -c1000`: the baseline with a fresh 1-hour AT
(pass-through), the storm with one AT issued with `access_ttl: 60` (inside the 5-minute refresh
window), a new one for every run. After each run `/metrics` must show exactly one more
`refreshgate_refreshes_total{kind="transparent",outcome="succeeded"}`; every other request
shares that mint (outcome "shared") and gets the same new token.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bench import rg
from bench.comparisons import asgi, refreshgate_missing
from bench.harness import Comparison, Load, Variant, WrkRequest

SERVER = asgi.RG_MEMORY


class _Storm:
    """prepare: count mints so far, issue a fresh near-expiry AT; after: exactly one more mint."""

    def __init__(self) -> None:
        self.before = 0.0

    def prepare(self, run_dir: Path, urls: Mapping[str, str], load: Load) -> WrkRequest:
        url = urls[SERVER.name]
        self.before = rg.mints(url)
        token = rg.issue(url, sub="storm", access_ttl=60)["access_token"]
        return WrkRequest(path="/api/hello", headers={"Authorization": f"Bearer {token}"})

    def after(self, run_dir: Path, urls: Mapping[str, str]) -> tuple[dict[str, float], str | None]:
        minted = rg.mints(urls[SERVER.name]) - self.before
        problem = None if minted == 1 else f"{minted:g} mints in a run, not 1"
        return {"mints": minted}, problem


def comparison() -> Comparison:
    missing = refreshgate_missing("refreshgate.asgi", "RefreshMiddleware", "ASGI middleware")
    candidates: list[Variant] = []
    storm = _Storm()
    if missing is None:
        candidates = [
            Variant(
                "storm: one near-expiry AT on every request (1 mint/run)",
                None,
                target=SERVER.name,
                prepare=storm.prepare,
                after=storm.after,
            )
        ]
    return Comparison(
        name="storm",
        title="storm: 1,000 connections, one near-expiry AT (p99 ratio)",
        baseline=Variant(
            "RefreshMiddleware pass-through, fresh AT (memory)",
            SERVER,
            prepare=asgi.bearer(SERVER.name),
        ),
        candidates=candidates,
        goal="exactly 1 mint; p99 <= 3x pass-through",
        goal_ratio=3.0,
        metric="p99",
        load=Load(connections=1000, threads=2),
        skip=missing,
        baseline_alone=False,
        setup=asgi.setup,
    )
