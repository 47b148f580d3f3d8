"""refreshgate pieces the comparisons share: keys + config files, tokens, metrics, Redis.

Configs are written at set-up into `<run_dir>/rg/` with keys from `refreshgate keys generate`
(the same ES256 keys for every server of a run). Bench profiles switch the per-session and
per-address rate limits off (a load generator is one address hammering few sessions) and the
audit sink off (one JSON line per refresh on stdout is a deployment choice, not the core's cost).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import subprocess
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.harness import HOST, PYTHON, REPO_DIR, ServerSpec

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
CLIENT_ID, CLIENT_SECRET = "bench", "bench-secret"
_BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()

#: an hour-long AT: never inside the refresh window during a run
PROFILE = {
    "access_ttl": "1h",
    "refresh_ttl": "7d",
    "refresh_window": "5m",
    "grace_period": "30s",
    "rate_limit": "off",
}
HEADER_ROUTES = [
    {"path": "/api/**", "profile": "custom", "auth": "required", "refresh": True, "token_from": "header"},
    {"path": "/**", "auth": "none"},
]
OPEN_ROUTES = [{"path": "/**", "auth": "none"}]


def rg_dir(run_dir: Path) -> Path:
    path = run_dir / "rg"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keys_block(run_dir: Path) -> dict[str, Any]:
    """The `keys:` mapping of freshly generated ES256 keys (made once per run)."""
    key_dir = rg_dir(run_dir) / "keys"
    cached = key_dir / "keys.json"
    if cached.exists():
        return dict(json.loads(cached.read_text()))
    argv = [PYTHON, "-m", "refreshgate", "keys", "generate", "--out", str(key_dir)]
    out = subprocess.run(argv, cwd=REPO_DIR, check=True, capture_output=True, text=True).stdout
    import yaml

    keys = dict(yaml.safe_load(out)["keys"])
    cached.write_text(json.dumps(keys))
    return keys


def write_config(
    run_dir: Path,
    name: str,
    *,
    store: str = "memory://",
    routes: Sequence[Mapping[str, Any]] = HEADER_ROUTES,
    profile: Mapping[str, Any] | None = None,
    upstream: Mapping[str, Any] | None = None,
) -> Path:
    """`<run_dir>/rg/<name>.yaml`: a complete bench config (JSON is YAML)."""
    config: dict[str, Any] = {
        "store": {"url": store},
        "tokens": {"issuer": "https://bench.refreshgate.local", "audience": "bench"},
        "keys": keys_block(run_dir),
        "clients": {CLIENT_ID: {"secret": CLIENT_SECRET}},
        "profiles": {"custom": {**PROFILE, **(profile or {})}},
        "routes": list(routes),
        "api": {"address_rate_limit": "off"},
        "audit": {"sink": "off"},
        "cookies": {"secure": False},
    }
    if upstream is not None:
        config["upstream"] = dict(upstream)
    path = rg_dir(run_dir) / f"{name}.yaml"
    path.write_text(json.dumps(config, indent=2))
    return path


def serve_spec(name: str, config_env: str) -> ServerSpec:
    """`refreshgate serve --config $<config_env>` on `{port}` (the product's own server)."""
    argv = [PYTHON, "-m", "bench.apps.rg_serve", config_env, "{port}"]
    return ServerSpec(name, argv, ready_path="/healthz")


def flush_redis(url: str = REDIS_URL) -> None:
    """Empty the bench's Redis database (db 11 by default; never another one)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


# ---------------------------------------------------------------- tokens over HTTP


def issue(base_url: str, sub: str = "bench-user", **body: Any) -> dict[str, Any]:
    """One `POST /jwt/token` (client `bench`); the token response."""
    data = json.dumps({"sub": sub, "claims": {"name": sub}, **body}).encode()
    req = urllib.request.Request(
        f"{base_url}/jwt/token",
        data=data,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": _BASIC},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return dict(json.loads(resp.read()))


def issue_many(base_url: str, count: int, *, concurrency: int = 32, prefix: str = "u") -> list[str]:
    """`count` sessions through `POST /jwt/token`, concurrently; their refresh tokens."""

    async def run() -> list[str]:
        import aiohttp

        out: list[str] = []
        todo = iter(range(count))
        headers = {"Content-Type": "application/json", "Authorization": _BASIC}

        async def worker(session: aiohttp.ClientSession) -> None:
            for i in todo:
                body = {"sub": f"{prefix}{i}", "claims": {"name": f"{prefix}{i}"}}
                async with session.post(f"{base_url}/jwt/token", json=body, headers=headers) as resp:
                    if resp.status != 200:
                        raise RuntimeError(f"/jwt/token answered {resp.status}: {await resp.text()}")
                    out.append((await resp.json())["refresh_token"])

        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return out

    return asyncio.run(run())


def write_bodies(path: Path, refresh_tokens: Sequence[str]) -> Path:
    """One `{"refresh_token": ...}` JSON body per line (for `WrkRequest.bodies_file`)."""
    path.write_text("".join(json.dumps({"refresh_token": rt}) + "\n" for rt in refresh_tokens))
    return path


# ---------------------------------------------------------------- metrics

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([0-9.eE+-]+)$")


def metric(base_url: str, name: str, **labels: str) -> float:
    """Sum of `name` samples in `/metrics` whose labels include `labels`."""
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    total = 0.0
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(3))
    return total


def mints(base_url: str) -> float:
    """Transparent refreshes that minted (not shared) so far."""
    return metric(base_url, "refreshgate_refreshes_total", kind="transparent", outcome="succeeded")


def url_of(urls: Mapping[str, str], name: str) -> str:
    return urls.get(name, f"http://{HOST}")
