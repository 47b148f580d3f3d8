"""How cost grows with live sessions: pass-through and refresh at 1k, 10k and 100k sessions.

One `RefreshMiddleware` server per store (the `asgi` comparison's apps). Before each tier the
bench-only `POST /__bench/populate` (bench/apps/rg_asgi.py, outside the middleware) starts
sessions in-process up to the tier, keeping their refresh tokens; then pass-through (a valid
repeated 1-hour AT on `/api/hello`) and `POST /jwt/refresh` (chained rotation from a slice of
the tier's own never-used refresh tokens, so the live count stays at the tier) run interleaved.
Tiers necessarily run in order (sessions cannot be un-made); the ratio is to the first tier.
Full mode only: the quick mode skips it (populating and loading three tiers twice is minutes).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from bench import rg
from bench.comparisons import asgi, refreshgate_missing
from bench.harness import (
    Comparison,
    ComparisonResult,
    Load,
    Variant,
    VariantSummary,
    WrkRequest,
    _servers,
    judge,
    run_wrk,
)

TIERS = {True: (1_000, 10_000), False: (1_000, 10_000, 100_000)}  # (quick: for --only runs)
POOL = 200  # refresh tokens per refresh run (a slice of the tier's own sessions)


def _populate(url: str, count: int, out: Path) -> list[str]:
    req = urllib.request.Request(f"{url}/__bench/populate?n={count}&out={out}", method="POST")
    with urllib.request.urlopen(req, timeout=900) as resp:
        json.loads(resp.read())
    return out.read_text().splitlines()


def _store(
    run_dir: Path, load: Load, rounds: int, quick: bool, server_name: str, store: str
) -> list[ComparisonResult]:
    spec = asgi.RG_MEMORY if server_name == asgi.RG_MEMORY.name else asgi.RG_REDIS
    env = asgi.setup(run_dir)
    tiers = TIERS[quick]
    passes: list[VariantSummary] = []
    refreshes: list[VariantSummary] = []
    with _servers([spec], run_dir / "logs" / "scaling", env) as servers:
        url = servers[spec.name].url
        token = rg.issue(url)["access_token"]  # (one more session; `issue` is not counted)
        pass_req = WrkRequest(path="/api/hello", headers={"Authorization": f"Bearer {token}"})
        have = 1
        unused: list[str] = []
        warm = Load(1.0, load.connections, load.threads, load.timeout)
        for tier in tiers:
            unused += _populate(url, tier - have, rg.rg_dir(run_dir) / f"scaling-{spec.name}-{tier}.jsonl")
            have = tier
            p = VariantSummary(f"{store}: pass-through @ {tier:,} sessions", [])
            r = VariantSummary(f"{store}: /jwt/refresh (rotation) @ {tier:,} sessions", [])
            for i in range(rounds + 1):
                batch, unused = unused[:POOL], unused[POOL:]
                pool = rg.rg_dir(run_dir) / f"scaling-{spec.name}-pool.jsonl"
                pool.write_text("".join(line + "\n" for line in batch))
                refresh_req = WrkRequest(
                    method="POST",
                    path="/jwt/refresh",
                    headers={"Content-Type": "application/json"},
                    bodies_file=pool,
                    chain_refresh=True,
                )
                this = warm if i == 0 else load
                pr = run_wrk(url, pass_req, this)
                rr = run_wrk(url, refresh_req, this)
                if i:
                    p.rounds.append(pr)
                    r.rounds.append(rr)
            passes.append(p)
            refreshes.append(r)
    results = []
    for kind, rows in (("pass-through", passes), ("refresh", refreshes)):
        for row in rows:
            row.summarize()
        res = ComparisonResult(
            f"scaling-{store}",
            f"{kind} vs live sessions, {store} store (ratio to {tiers[0]:,})",
            "report",
            None,
            rows,
        )
        judge(res)
        results.append(res)
    return results


def _measure(run_dir: Path, load: Load, rounds: int, quick: bool) -> Sequence[ComparisonResult]:
    if quick:
        comp = comparison()
        return [
            ComparisonResult(
                comp.name, comp.title, comp.goal, None, [], "full mode only (populates 100k sessions)"
            )
        ]
    out = _store(run_dir, load, rounds, quick, asgi.RG_MEMORY.name, "memory")
    out += _store(run_dir, load, rounds, quick, asgi.RG_REDIS.name, "redis")
    return out


def comparison() -> Comparison:
    missing = refreshgate_missing("refreshgate.asgi", "RefreshMiddleware", "ASGI middleware")
    return Comparison(
        name="scaling",
        title="pass-through and refresh throughput at 1k / 10k / 100k live sessions",
        baseline=Variant("1k sessions", None, target="none"),
        goal="report",
        skip=missing,
        baseline_alone=False,
        measure=_measure,
    )
