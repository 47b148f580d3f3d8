"""`python -m bench [--quick] [--only NAME[,NAME]] [--list]`: the whole suite, side by side.

Each comparison starts its own servers on free loopback ports, measures baseline and candidates
interleaved (A B A B ...) with wrk, and the run ends with one table plus `results.json` and
`chart.png` in `bench/results/<timestamp>/`.
"""

from __future__ import annotations

import argparse
import sys
import time

from bench import comparisons
from bench.harness import (
    BenchError,
    ComparisonResult,
    Load,
    format_table,
    machine_meta,
    new_run_dir,
    run_comparison,
    write_results,
)

QUICK = {"duration": 1.0, "rounds": 2, "warmup": 1.0}
FULL = {"duration": 8.0, "rounds": 3, "warmup": 2.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke mode: under 2 minutes")
    parser.add_argument("--only", help="comma-separated comparison names (see --list)")
    parser.add_argument("--list", action="store_true", help="list comparisons and exit")
    parser.add_argument("--duration", type=float, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, help="interleaved rounds per comparison")
    args = parser.parse_args(argv)
    if args.list:
        for name in comparisons.NAMES:
            comp = comparisons.load(name)
            print(f"{name:<16} {comp.title}" + (f"  [{comp.skip}]" if comp.skip else ""))
        return 0
    mode = QUICK if args.quick else FULL
    duration = args.duration or mode["duration"]
    rounds = args.rounds or int(mode["rounds"])
    names = args.only.split(",") if args.only else list(comparisons.NAMES)
    unknown = [n for n in names if n.replace("-", "_") not in comparisons.NAMES]
    if unknown:
        parser.error(f"unknown comparison(s): {', '.join(unknown)}; see --list")
    load = Load(duration=duration, connections=50, threads=2)
    run_dir = new_run_dir()
    command = f"wrk -t{load.threads} -c{load.connections} -d{duration:g}s x {rounds} rounds"
    print(f"bench: {command}, interleaved; results in {run_dir}", file=sys.stderr)
    results: list[ComparisonResult] = []
    failed = 0
    started = time.monotonic()
    for name in names:
        comp = comparisons.load(name)
        print(f"bench: {comp.name} ...", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        try:
            if comp.measure is not None and not comp.skip:
                results.extend(comp.measure(run_dir, load, rounds, args.quick))
            else:
                results.append(run_comparison(comp, load, rounds, run_dir, mode["warmup"]))
        except BenchError as exc:
            failed += 1
            print(f"bench: {comp.name} FAILED: {exc}", file=sys.stderr)
            results.append(ComparisonResult(comp.name, comp.title, comp.goal, None, [], str(exc)))
        print(f"bench: {comp.name} took {time.monotonic() - t0:.1f} s", file=sys.stderr, flush=True)
    meta = {
        **machine_meta(),
        "title": f"refreshgate bench ({'quick' if args.quick else 'full'})",
        "command": command,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    write_results(results, run_dir, meta)
    print(format_table(results))
    print(f"\n{command}; {meta['elapsed_s']} s; {meta['date']}; {meta['cpu']} x{meta['cores']}")
    print(f"raw: {run_dir / 'results.json'}  chart: {run_dir / 'chart.png'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
