"""Store footprint probe: bytes per live session, and whether expiry gives them all back.

    python -m bench.footprint --config FILE --sessions N [--wait SECONDS]

Runs in its own process (a clean heap), builds the engine from FILE (memory:// or redis://) and
starts N sessions through `engine.issue` in-process. Prints one JSON line:

- memory store: tracemalloc's traced bytes and blocks (the Python heap: store entries, their
  TTL timers) and RSS before, with N live sessions, and after `--wait` seconds (past the
  sessions' TTL). After expiry the blocks say whether every entry was freed; the bytes keep
  the store dicts' hash tables, which CPython never shrinks (reused by the next sessions);
- Redis store: the keys in the store's db, `MEMORY USAGE` summed over them (exact per-key
  accounting, blind to other clients of the same server) and `INFO memory` used_memory deltas.

The store keeps a session for `refresh_ttl + grace_period + 60 s` (core/issuance.py
`session_ttl`); with the bench profile `refresh_ttl: 2s, grace_period: 0` that is 62 s.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import time
import tracemalloc
from typing import Any


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _heap() -> dict[str, int]:
    """Traced bytes, traced blocks (allocations) and RSS."""
    gc.collect()
    blocks = sum(stat.count for stat in tracemalloc.take_snapshot().statistics("filename"))
    return {"traced": tracemalloc.get_traced_memory()[0], "blocks": blocks, "rss": _rss()}


class _RedisProbe:
    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix

    def keys(self) -> list[bytes]:
        return list(self.client.scan_iter(match=f"{self.prefix}*", count=5000))

    def usage(self) -> dict[str, int]:
        keys = self.keys()
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.memory_usage(key, samples=0)
        sizes = pipe.execute() if keys else []
        info = self.client.info("memory")
        return {
            "keys": len(keys),
            "key_bytes": int(sum(s or 0 for s in sizes)),
            "used_memory": int(info["used_memory"]),
        }


async def probe(config_path: str, sessions: int, wait: float) -> dict[str, Any]:
    from refreshgate import load_config
    from refreshgate.server import build_engine

    config = load_config(config_path)
    redis_store = config.store.url.startswith("redis")
    rprobe = _RedisProbe(config.store.url, config.store.key_prefix) if redis_store else None
    if rprobe is not None:
        rprobe.client.flushdb()
    if not redis_store:
        tracemalloc.start()
    engine = build_engine(config)
    await engine.issue("warm-up", claims={"name": "warm-up"})  # imports, key objects, pools
    out: dict[str, Any] = {"store": "redis" if redis_store else "memory", "sessions": sessions}
    before = rprobe.usage() if rprobe else _heap()
    started = time.monotonic()
    for i in range(sessions):
        await engine.issue(f"s{i}", claims={"name": f"s{i}"})
    out["create_s"] = round(time.monotonic() - started, 2)
    live = rprobe.usage() if rprobe else _heap()
    out["before"], out["live"] = before, live
    if wait > 0:
        await asyncio.sleep(wait)
        out["expired"] = rprobe.usage() if rprobe else _heap()
    if rprobe is not None:
        rprobe.client.flushdb()
        rprobe.client.close()
    await engine.aclose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--wait", type=float, default=0.0)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(probe(args.config, args.sessions, args.wait))), flush=True)


if __name__ == "__main__":
    main()
