"""Peer: djangorestframework-simplejwt `TokenRefreshView` (rotation + blacklist) vs bare Django.

Both under the suite's WSGI server (gunicorn gthread, 1 worker; `harness.gunicorn_argv`), on
one SQLite (WAL) database made at set-up. Every request carries a refresh token never used
before (minted in bulk before each run), so each one really rotates: blacklist the old token,
register the new one, sign both new tokens. `jwt_refresh` then compares refreshgate's
`POST /jwt/refresh` against this.
"""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Mapping
from pathlib import Path

from bench.harness import (
    PYTHON,
    REPO_DIR,
    Comparison,
    Load,
    ServerSpec,
    Variant,
    WrkRequest,
    gunicorn_argv,
)

REFRESH_PATH = "/api/token/refresh/"
# Tokens minted per wrk second: above what simplejwt sustains here, so none is reused.
TOKENS_PER_SECOND = 1000
_runs = itertools.count()


def _site(run_dir: Path) -> dict[str, str]:
    return {"BENCH_DJANGO_DB": str(run_dir / "simplejwt" / "db.sqlite3")}


def _manage(run_dir: Path, *args: str) -> None:
    argv = [PYTHON, "-m", "bench.peers.simplejwt_site", *args]
    subprocess.run(argv, cwd=REPO_DIR, env=_env(run_dir), check=True)


def _env(run_dir: Path) -> dict[str, str]:
    import os

    return {**os.environ, **_site(run_dir)}


def setup(run_dir: Path) -> Mapping[str, str]:
    """Create the database and its user; give every server its path."""
    (run_dir / "simplejwt").mkdir(parents=True, exist_ok=True)
    _manage(run_dir, "migrate")
    return _site(run_dir)


def fresh_tokens(run_dir: Path, urls: Mapping[str, str], load: Load) -> WrkRequest:
    """A new file of never-used refresh tokens, one JSON body per line."""
    out = run_dir / "simplejwt" / f"tokens-{next(_runs)}.jsonl"
    _manage(run_dir, "mint", str(int(max(load.duration, 1) * TOKENS_PER_SECOND)), str(out))
    return WrkRequest(
        method="POST",
        path=REFRESH_PATH,
        headers={"Content-Type": "application/json"},
        bodies_file=out,
    )


SIMPLEJWT = ServerSpec("simplejwt", gunicorn_argv("bench.peers.simplejwt_site:application"))


def comparison() -> Comparison:
    return Comparison(
        name="peer-simplejwt",
        title="peer: simplejwt TokenRefreshView (rotate + blacklist) vs bare Django view",
        baseline=Variant("bare Django view (gunicorn gthread 1x8)", SIMPLEJWT, WrkRequest("GET")),
        candidates=[
            Variant(
                "simplejwt refresh, rotate + blacklist",
                None,
                target="simplejwt",
                prepare=fresh_tokens,
            )
        ],
        goal="report",
        setup=setup,
    )
