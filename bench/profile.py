"""Profile a refreshgate server under the bench's own load: where does the time go?

    python -m bench.profile asgi-memory|asgi-redis|wsgi|refresh-memory|refresh-redis|sidecar|forward-auth
                            [--seconds 10] [--top 25]

Starts the comparison's server (and support servers), loads it with the same wrk request as
`python -m bench`, records it with `py-spy record --format raw` (collapsed stacks with line
numbers; `pip install py-spy`), and prints the top functions by self time and by inclusive time
(percent of samples), each with file:line. Raw stacks are kept under results/profile-<ts>/.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from bench.harness import Comparison, Load, Server, ServerSpec, Variant, WrkRequest, new_run_dir, run_wrk


def _target(name: str) -> tuple[Comparison, Variant, str]:
    """(comparison, variant to load, name of the server process to record)."""
    from bench.comparisons import asgi, forward_auth, jwt_refresh, sidecar, wsgi

    table: dict[str, Callable[[], tuple[Comparison, int, str]]] = {
        "asgi-memory": lambda: (asgi.comparison(), 1, asgi.RG_MEMORY.name),
        "asgi-redis": lambda: (asgi.comparison(), 2, asgi.RG_REDIS.name),
        "wsgi": lambda: (wsgi.comparison(), 1, wsgi.RG_WSGI.name),
        "refresh-memory": lambda: (jwt_refresh.comparison(), 1, jwt_refresh.RG_MEMORY.name),
        "refresh-redis": lambda: (jwt_refresh.comparison(), 2, jwt_refresh.RG_REDIS.name),
        "sidecar": lambda: (sidecar.comparison(), 2, sidecar.SIDECAR_AUTH.name),
        "sidecar-open": lambda: (sidecar.comparison(), 1, sidecar.SIDECAR_OPEN.name),
        "forward-auth": lambda: (forward_auth.comparison(), -1, forward_auth.RG_AUTH.name),
    }
    comp, index, record = table[name]()
    variants = [comp.baseline, *comp.candidates]
    return comp, variants[index], record


def _summarize(raw: Path, top: int) -> str:
    """Top functions by self and inclusive samples from py-spy's collapsed stacks."""
    own: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        total += count
        frames = [f for f in stack.split(";") if f]
        if frames:
            own[frames[-1]] += count
        for frame in set(frames):
            incl[_function(frame)] += count
    out = [f"{total} samples", "", "self time (frame with line):"]
    out += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    out += ["", "inclusive time (function):"]
    out += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in incl.most_common(top)]
    return "\n".join(out)


def _function(frame: str) -> str:
    # "name (path:line)" -> "name (path)" so a function counts once, whatever line it was on
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if where else name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    pyspy = shutil.which("py-spy") or str(Path(__file__).parents[1] / ".venv" / "bin" / "py-spy")
    comp, variant, record = _target(args.target)
    run_dir = new_run_dir("profile-")
    env: dict[str, str] = dict(comp.setup(run_dir) if comp.setup else {})
    started: list[Server] = []
    try:
        servers: dict[str, Server] = {}
        for spec in comp.support:
            servers[spec.name] = Server(spec, run_dir / "logs", env).start()
            started.append(servers[spec.name])
        for key, value in comp.env.items():
            for name, srv in servers.items():
                value = value.replace(f"{{support:{name}}}", srv.url)
            env[key] = value
        specs: list[ServerSpec] = [v.server for v in [comp.baseline, *comp.candidates] if v.server]
        for spec in specs:
            if spec.name not in servers and (spec.name == record or spec is variant.server):
                servers[spec.name] = Server(spec, run_dir / "logs", env).start()
                started.append(servers[spec.name])
        urls: Mapping[str, str] = {n: s.url for n, s in servers.items()}
        load = Load(duration=args.seconds + 4, connections=50, threads=2)
        req: WrkRequest = variant.prepare(run_dir, urls, load) if variant.prepare else variant.request
        url = urls[variant.target or (variant.server.name if variant.server else "")]
        pid = servers[record]._proc.pid  # type: ignore[union-attr]
        raw = run_dir / f"{args.target}.txt"
        spy = [pyspy, "record", "--pid", str(pid), "--duration", str(args.seconds), "--format", "raw"]
        spy += ["--rate", "200", "--subprocesses", "--output", str(raw)]
        result: dict[str, object] = {}
        loader = threading.Thread(target=lambda: result.update(wrk=run_wrk(url, req, load)))
        loader.start()
        subprocess.run(spy, check=True, capture_output=True)
        loader.join()
        print(f"{args.target}: {result.get('wrk')}")
        summary = _summarize(raw, args.top)
        (run_dir / f"{args.target}-summary.txt").write_text(summary + "\n")
        print(summary)
        print(f"\nraw stacks: {raw}")
    finally:
        for srv in reversed(started):
            srv.stop()


if __name__ == "__main__":
    main()
