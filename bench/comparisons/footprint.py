"""Store footprint: bytes per live session (memory and Redis), and back to baseline after expiry.

Goal (issue 6): <= 1 KiB per live session. Not a wrk load: `bench.footprint` (one process per
store, run side by side) starts N sessions through the engine in-process and measures them;
the ratio column is bytes per session / 1024 (so <= 1.0 meets the goal). The full mode also
waits past the sessions' store TTL (62 s with `refresh_ttl: 2s, grace_period: 0`) and checks
that the store gives everything back; the quick mode skips that wait.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import rg
from bench.comparisons import refreshgate_missing
from bench.harness import (
    PYTHON,
    REPO_DIR,
    Comparison,
    ComparisonResult,
    Load,
    Variant,
    VariantSummary,
    judge,
)

PROFILE = {"refresh_ttl": 2, "grace_period": 0}
SESSIONS = {True: 2_000, False: 10_000}
WAIT = 66.0  # session_ttl = refresh_ttl + grace + 60 s, plus Redis' active-expiry sampling
GOAL = 1024.0


def _probe_all(run_dir: Path, sessions: int, wait: float) -> list[dict[str, Any]]:
    configs = [
        rg.write_config(run_dir, "footprint-memory", profile=PROFILE),
        rg.write_config(run_dir, "footprint-redis", store=rg.REDIS_URL, profile=PROFILE),
    ]
    procs = [
        subprocess.Popen(
            [
                PYTHON,
                "-m",
                "bench.footprint",
                "--config",
                str(c),
                "--sessions",
                str(sessions),
                "--wait",
                str(wait),
            ],
            cwd=REPO_DIR,
            stdout=subprocess.PIPE,
            text=True,
        )
        for c in configs
    ]
    outs = []
    for proc in procs:
        stdout, _ = proc.communicate(timeout=wait + 600)
        if proc.returncode != 0:
            raise RuntimeError(f"bench.footprint failed ({proc.returncode})")
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    (run_dir / "footprint.json").write_text(json.dumps(outs, indent=2))
    return outs


def _row(out: dict[str, Any]) -> VariantSummary:
    """One store's row: bytes per live session; problems if expiry did not give them back."""
    n = out["sessions"]
    before, live, expired = out["before"], out["live"], out.get("expired")
    problems: list[str] = []
    if out["store"] == "memory":
        per = (live["traced"] - before["traced"]) / n
        note = f"tracemalloc; RSS +{(live['rss'] - before['rss']) / n:.0f} B/session"
        if expired is not None:
            left = expired["blocks"] - before["blocks"]
            made = live["blocks"] - before["blocks"]
            kept = expired["traced"] - before["traced"]
            note += f"; after expiry {left:+,} of {made:,} allocations and {kept:+,} B left"
            note += " (the store dicts' tables keep their capacity)"
            if left > 0.02 * made:
                problems.append("entries not freed after expiry")
    else:
        per = (live["key_bytes"] - before["key_bytes"]) / n
        used = (live["used_memory"] - before["used_memory"]) / n
        note = f"MEMORY USAGE of {live['keys'] - before['keys']:,} keys; used_memory +{used:.0f} B/session"
        if expired is not None:
            note += f"; after expiry {expired['keys']} keys, used_memory {expired['used_memory'] - before['used_memory']:+,} B"
            if expired["keys"] > 0:
                problems.append(f"{expired['keys']} keys left after expiry")
    if expired is None:
        note += "; expiry not checked (quick mode)"
    label = f"{out['store']} store, {n:,} live sessions"
    row = VariantSummary(label, [], value=per, unit="B/session", ratio=per / GOAL, note=note)
    row.problems = problems
    row.bad = len(problems)
    return row


def _measure(run_dir: Path, load: Load, rounds: int, quick: bool) -> Sequence[ComparisonResult]:
    outs = _probe_all(run_dir, SESSIONS[quick], 0.0 if quick else WAIT)
    comp = comparison()
    result = ComparisonResult(comp.name, comp.title, comp.goal, 1.0, [_row(o) for o in outs])
    result.metric = "bytes"
    judge(result)
    return [result]


def comparison() -> Comparison:
    missing = refreshgate_missing("refreshgate.store", "create_store", "store")
    return Comparison(
        name="footprint",
        title="store footprint per live session (ratio = bytes / 1 KiB)",
        baseline=Variant("live sessions", None, target="none"),
        goal="<= 1 KiB per session; back to baseline after expiry",
        goal_ratio=1.0,
        skip=missing,
        baseline_alone=False,
        measure=_measure,
        metric="bytes",
    )
