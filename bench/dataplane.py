"""Choose the sidecar's proxy data plane by measurement (issue 4).

    .venv/bin/python -m bench.dataplane [--quick] [--rounds N] [--duration S]

A raw-ASGI hello upstream (uvicorn, uvloop + httptools) is loaded directly, through nginx
`proxy_pass` (reference, if installed), and through minimal pure-ASGI proxies on uvicorn (one
worker) built on each candidate client (see `bench.apps.proxies`), each proxy with uvicorn's
fast stack (uvloop + httptools) and its pure-Python one (asyncio + h11). All variants are
measured interleaved (A B C ... A B C ...) with `wrk -t2 -c50`; the table shows medians and the
ratio to direct. On a 2-core machine the proxy, the upstream and wrk share the CPUs: that holds
for every variant alike, and is why ~0.5x is the ceiling for any Python proxy in front of a
Python upstream here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from bench.harness import (
    PYTHON,
    Comparison,
    Load,
    ServerSpec,
    Variant,
    format_table,
    have_module,
    machine_meta,
    new_run_dir,
    run_comparison,
    uvicorn_argv,
    write_results,
)

PROXIES = {
    "httpx.AsyncClient": "httpx_app",
    "aiohttp.ClientSession": "aiohttp_app",
    "httpx + httpx-aiohttp transport": "httpx_aiohttp_app",
    "raw pool (asyncio streams + httptools)": "raw_app",
    "raw pool (asyncio.Protocol + httptools)": "proto_app",
}

UPSTREAM = ServerSpec("upstream", uvicorn_argv("bench.apps.hello:raw"))


def nginx_variant() -> Variant | None:
    """nginx proxy_pass in front of the same upstream, when nginx is installed."""
    if shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"):
        return None
    spec = ServerSpec("nginx", [PYTHON, "-m", "bench.apps.nginx", "--port", "{port}"])
    return Variant("nginx proxy_pass (reference)", spec, reference=True)


def comparison(
    stacks: tuple[bool, ...] = (True, False),
    workers: tuple[int, ...] = (1,),
    only: tuple[str, ...] = (),
) -> Comparison:
    """direct upstream vs nginx vs every (client, uvicorn stack, worker count) proxy."""
    candidates: list[Variant] = []
    nginx = nginx_variant()
    if nginx is not None:
        candidates.append(nginx)
    for n, fast in ((n, fast) for n in workers for fast in stacks):
        stack = ("uvloop+httptools" if fast else "asyncio+h11") + (f", {n} workers" if n > 1 else "")
        for label, app in PROXIES.items():
            if app == "httpx_aiohttp_app" and not have_module("httpx_aiohttp"):
                continue
            if only and app.removesuffix("_app") not in only:
                continue
            name = f"proxy-{app}-{'fast' if fast else 'pure'}-{n}w"
            # A proxy relays the upstream's Server/Date headers instead of adding its own.
            extra = ("--no-server-header", "--no-date-header")
            argv = uvicorn_argv(f"bench.apps.proxies:{app}", fast=fast, workers=n, extra=extra)
            candidates.append(Variant(f"{label} [{stack}]", ServerSpec(name, argv)))
    return Comparison(
        name="dataplane",
        title="sidecar data plane: proxy throughput vs direct upstream (13-byte body, 50 conns)",
        baseline=Variant("direct upstream", None, target="upstream"),
        candidates=candidates,
        support=[UPSTREAM],
        env={"BENCH_UPSTREAM": "{support:upstream}"},
        goal=">= 0.30",
        goal_ratio=0.30,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s runs, 2 rounds")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--duration", type=float)
    parser.add_argument("--fast-only", action="store_true", help="skip the asyncio+h11 proxies")
    parser.add_argument("--workers", default="1", help="proxy worker counts, e.g. 1,2")
    parser.add_argument("--clients", default="", help="subset, e.g. aiohttp,proto")
    args = parser.parse_args(argv)
    rounds = args.rounds or 2 if args.quick else args.rounds or 3
    duration = args.duration or (3.0 if args.quick else 8.0)
    load = Load(duration=duration, connections=50, threads=2)
    workers = tuple(int(w) for w in args.workers.split(","))
    clients = tuple(c for c in args.clients.split(",") if c)
    comp = comparison((True,) if args.fast_only else (True, False), workers, clients)
    run_dir = new_run_dir("dataplane-")
    cmd = f"wrk -t{load.threads} -c{load.connections} -d{duration:g}s, {rounds} rounds interleaved"
    print(f"{cmd}; results in {run_dir}", file=sys.stderr)
    result = run_comparison(comp, load, rounds, run_dir, warmup=1.0 if args.quick else 2.0)
    meta = {**machine_meta(), "title": "refreshgate sidecar data plane", "command": cmd}
    write_results([result], run_dir, meta)
    print(format_table([result]))
    print(f"\n{cmd}\nraw numbers: {run_dir / 'results.json'}\nchart: {run_dir / 'chart.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
