"""`POST /jwt/refresh` with rotation, memory and Redis stores, vs simplejwt's refresh view.

Goals (issue 6): >= 3x simplejwt; Redis >= 0.5x memory. The refreshgate side runs the product's
own server (`refreshgate serve`, no upstream: the token service) once per store. Each run starts
from a pool of fresh sessions minted through `POST /jwt/token`; wrk then *chains* rotations
(`WrkRequest.chain_refresh`): every refresh token is sent exactly once, and the one its answer
carries goes back in the queue, so each request is a real rotation of a never-used token.
simplejwt (baseline) gets one never-used token per request from a file, as in `peer_simplejwt`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path

from bench import rg
from bench.comparisons import peer_simplejwt, refreshgate_missing
from bench.harness import Comparison, Load, Prepare, Variant, WrkRequest

#: sessions per wrk run: far above the 50 connections, so the queue never runs dry
POOL = 400
_runs = itertools.count()

RG_MEMORY = rg.serve_spec("rg-serve-memory", "BENCH_RG_SERVE_MEMORY")
RG_REDIS = rg.serve_spec("rg-serve-redis", "BENCH_RG_SERVE_REDIS")


def setup(run_dir: Path) -> Mapping[str, str]:
    env = dict(peer_simplejwt.setup(run_dir))
    rg.flush_redis()
    # grace 0: a token sent twice would be an error, never a quiet replay
    profile = {"grace_period": 0}
    env["BENCH_RG_SERVE_MEMORY"] = str(rg.write_config(run_dir, "serve-memory", profile=profile))
    env["BENCH_RG_SERVE_REDIS"] = str(
        rg.write_config(run_dir, "serve-redis", store=rg.REDIS_URL, profile=profile)
    )
    return env


def chained(server: str, pool: int = POOL) -> Prepare:
    def prepare(run_dir: Path, urls: Mapping[str, str], load: Load) -> WrkRequest:
        tokens = rg.issue_many(urls[server], pool, prefix=f"r{next(_runs)}-")
        bodies = rg.write_bodies(rg.rg_dir(run_dir) / f"{server}-pool.jsonl", tokens)
        return WrkRequest(
            method="POST",
            path="/jwt/refresh",
            headers={"Content-Type": "application/json"},
            bodies_file=bodies,
            chain_refresh=True,
        )

    return prepare


def comparison() -> Comparison:
    missing = refreshgate_missing("refreshgate.server", what="token service (/jwt/refresh)")
    candidates: list[Variant] = []
    if missing is None:
        candidates = [
            Variant(
                "refreshgate serve /jwt/refresh, memory store", RG_MEMORY, prepare=chained(RG_MEMORY.name)
            ),
            Variant(
                "refreshgate serve /jwt/refresh, Redis store",
                RG_REDIS,
                prepare=chained(RG_REDIS.name),
                goal_ratio=0.5,
                goal_of="refreshgate serve /jwt/refresh, memory store",
            ),
        ]
    return Comparison(
        name="jwt-refresh",
        title="POST /jwt/refresh with rotation vs simplejwt TokenRefreshView",
        baseline=Variant(
            "simplejwt refresh, rotate + blacklist",
            peer_simplejwt.SIMPLEJWT,
            prepare=peer_simplejwt.fresh_tokens,
        ),
        candidates=candidates,
        goal=">= 3.0 (memory); Redis >= 0.5x memory",
        goal_ratio=3.0,
        skip=missing,
        baseline_alone=False,
        setup=setup,
    )
