"""Benchmark harness: servers as subprocesses on loopback, `wrk` as the load, A/B interleaving.

Shape of a run::

    Comparison ── support servers (started once, e.g. the upstream behind a proxy)
               ├─ baseline  Variant ── ServerSpec + WrkRequest
               └─ candidate Variant(s)
    rounds: A B C A B C ...  →  medians of req/s and latency percentiles  →  ratio to baseline

Everything a comparison needs (servers, requests, goals) is data; `run_comparison` is the only
place that starts processes and measures.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PYTHON = sys.executable
HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent


class BenchError(RuntimeError):
    """A server did not start, or the load generator failed."""


# ---------------------------------------------------------------- servers


def free_port() -> int:
    """A loopback port that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def have_module(name: str) -> bool:
    """Whether `name` is importable in this interpreter (without importing it)."""
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def uvicorn_argv(app: str, *, fast: bool = True, workers: int = 1, extra: Sequence[str] = ()) -> list[str]:
    """uvicorn command line for an ASGI `module:attr`; `{port}` is filled in at start."""
    argv = [PYTHON, "-m", "uvicorn", app, "--host", HOST, "--port", "{port}", *extra]
    argv += ["--no-access-log", "--log-level", "warning", "--workers", str(workers)]
    if fast and have_module("uvloop") and have_module("httptools"):
        argv += ["--loop", "uvloop", "--http", "httptools"]
    else:
        argv += ["--loop", "asyncio", "--http", "h11"]
    return argv


def gunicorn_argv(app: str, *, workers: int = 1, threads: int = 8) -> list[str]:
    """gunicorn (gthread: keep-alive capable) command line for a WSGI `module:attr`.

    The one WSGI server class of the suite: the Flask baseline, the Django peer and the
    refreshgate WSGI middleware all run under exactly this.
    """
    return [
        PYTHON,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"{HOST}:{{port}}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server. `{port}` (and `{name}` env refs) in argv/env are filled at start."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    ready_path: str = "/"
    ready_timeout: float = 30.0
    cwd: Path = REPO_DIR


class Server:
    """A running server subprocess in its own process group; use as a context manager."""

    def __init__(self, spec: ServerSpec, log_dir: Path, extra_env: Mapping[str, str] = {}):
        self.spec = spec
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = log_dir / f"{spec.name}.log"
        self._extra_env = dict(extra_env)
        self._proc: subprocess.Popen[bytes] | None = None

    def _fill(self, text: str) -> str:
        return text.replace("{port}", str(self.port))

    def start(self) -> Server:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self._extra_env}
        env.update({k: self._fill(v) for k, v in self.spec.env.items()})
        argv = [self._fill(a) for a in self.spec.argv]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            argv,
            cwd=self.spec.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.spec.ready_timeout
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise BenchError(f"{self.spec.name} exited at start-up; see {self.log_path}")
            if http_status(HOST, self.port, self.spec.ready_path) is not None:
                return
            time.sleep(0.05)
        self.stop()
        raise BenchError(f"{self.spec.name} not ready in {self.spec.ready_timeout}s")

    def stop(self) -> None:
        """SIGTERM the server's process group, then SIGKILL it if it lingers."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def http_status(host: str, port: int, path: str, timeout: float = 1.0) -> int | None:
    """Status code of a plain `GET path`, or None if nothing answers HTTP there yet."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            req = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
            sock.sendall(req.encode())
            head = sock.recv(64)
    except OSError:
        return None
    parts = head.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        return None
    return int(parts[1])


# ---------------------------------------------------------------- load (wrk)


@dataclass(frozen=True)
class WrkRequest:
    """One request shape for wrk. `bodies_file` (one body per line) varies the body per request:
    each wrk thread takes its own slice of the lines, so no body is sent twice by two threads."""

    method: str = "GET"
    path: str = "/"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    bodies_file: Path | None = None
    #: rotate refresh tokens in a chain: start from `bodies_file`'s tokens, and send each
    #: `refresh_token` a 200 answer returns as the body of a later request (each used once)
    chain_refresh: bool = False


@dataclass(frozen=True)
class Load:
    """wrk's own knobs."""

    duration: float = 8.0
    connections: int = 50
    threads: int = 2
    timeout: float = 10.0


@dataclass
class WrkResult:
    """What one wrk run measured. Latencies in milliseconds."""

    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]

    @property
    def bad(self) -> int:
        return sum(self.errors.values())


_LUA_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""

_LUA_BODIES = """
local bodies = {}
local idx = 0
local nthreads = %d
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  local n = 0
  for line in io.lines(%s) do
    if n %% nthreads == tid then bodies[#bodies + 1] = line end
    n = n + 1
  end
end
function request()
  idx = idx + 1
  if idx > #bodies then idx = 1 end
  return wrk.format(nil, nil, nil, bodies[idx])
end
"""


_LUA_CHAIN = """
local queue, head, tail = {}, 1, 0
local nthreads = %d
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  local n = 0
  for line in io.lines(%s) do
    if n %% nthreads == tid then
      tail = tail + 1
      queue[tail] = line
    end
    n = n + 1
  end
end
function request()
  local body = '{"refresh_token":"pool-exhausted"}'
  if head <= tail then
    body = queue[head]
    queue[head] = nil
    head = head + 1
  end
  return wrk.format(nil, nil, nil, body)
end
function response(status, headers, body)
  if status == 200 then
    local rt = string.match(body, '"refresh_token"%%s*:%%s*"([^"]+)"')
    if rt then
      tail = tail + 1
      queue[tail] = '{"refresh_token":"' .. rt .. '"}'
    end
  end
end
"""


def _lua_str(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for ASCII


def wrk_script(req: WrkRequest, load: Load) -> str:
    """The Lua script that shapes the request and prints the result as one JSON line."""
    lines = [f"wrk.method = {_lua_str(req.method)}", f"wrk.path = {_lua_str(req.path)}"]
    lines += [f"wrk.headers[{_lua_str(k)}] = {_lua_str(v)}" for k, v in req.headers.items()]
    if req.body is not None:
        lines.append(f"wrk.body = {_lua_str(req.body)}")
    script = "\n".join(lines) + "\n"
    if req.bodies_file is not None:
        lua = _LUA_CHAIN if req.chain_refresh else _LUA_BODIES
        script += lua % (load.threads, _lua_str(str(req.bodies_file)))
    return script + _LUA_DONE


def run_wrk(url: str, req: WrkRequest, load: Load) -> WrkResult:
    """Run wrk once against `url` and parse its JSON line."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed; run bench/setup.sh")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(wrk_script(req, load))
        script = fh.name
    # wrk takes whole seconds only.
    seconds, timeout = max(1, round(load.duration)), max(1, round(load.timeout))
    argv = [wrk, f"-t{load.threads}", f"-c{load.connections}", f"-d{seconds}s"]
    argv += [f"--timeout={timeout}s", "-s", script, url]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=load.duration + 60, check=False)
    finally:
        os.unlink(script)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if out.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({out.returncode}): {out.stderr.strip() or out.stdout}")
    raw = json.loads(line.removeprefix("WRKJSON "))
    duration_s = raw["duration_us"] / 1e6
    errors = {k: raw[k] for k in ("connect", "read", "write", "status", "timeout") if raw[k]}
    return WrkResult(
        requests=raw["requests"],
        duration_s=duration_s,
        rps=raw["requests"] / duration_s if duration_s else 0.0,
        p50_ms=raw["p50"] / 1000,
        p90_ms=raw["p90"] / 1000,
        p99_ms=raw["p99"] / 1000,
        max_ms=raw["max"] / 1000,
        errors=errors,
    )


# ---------------------------------------------------------------- comparisons


Prepare = Callable[[Path, Mapping[str, str], Load], WrkRequest]
#: after a measured wrk run: (numbers to keep with the round, a problem that voids it or None)
After = Callable[[Path, Mapping[str, str]], tuple[dict[str, float], str | None]]


@dataclass(frozen=True)
class Variant:
    """One side of a comparison: a server and the request to load it with.

    `server=None` loads another variant's or a support server (named by `target`), e.g. the
    direct upstream. `prepare(run_dir, urls, load)` runs before each wrk run (warm-up included)
    and returns the request to send: for values made at set-up (tokens) and for requests that
    cannot repeat (one-time refresh tokens: make at least what `load.duration` can consume).
    """

    label: str
    server: ServerSpec | None
    request: WrkRequest = WrkRequest()
    target: str | None = None
    prepare: Prepare | None = None
    reference: bool = False  # shown for context (e.g. nginx), not judged against the goal
    after: After | None = None
    #: this variant's own goal (default: the comparison's), as a ratio to the variant labelled
    #: `goal_of` (default: the baseline)
    goal_ratio: float | None = None
    goal_of: str | None = None


@dataclass(frozen=True)
class Comparison:
    """A baseline and its candidates, measured interleaved in one run.

    `env` is given to every server; `{support:NAME}` in it becomes that support server's URL.
    `skip` explains why candidates are missing (e.g. refreshgate part not written yet); the
    baseline still runs so its number is on record, unless `baseline_alone` is False (when it is
    measured by another comparison anyway). `setup(run_dir)` runs once before any server starts
    (keys, databases, tokens) and returns extra environment for every server.
    """

    name: str
    title: str
    baseline: Variant
    candidates: Sequence[Variant] = ()
    support: Sequence[ServerSpec] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    goal: str = ""
    goal_ratio: float | None = None
    load: Load | None = None
    skip: str | None = None
    baseline_alone: bool = True
    setup: Callable[[Path], Mapping[str, str]] | None = None
    #: what the ratio compares: "rps" (higher is better) or "p99" (latency: lower is better)
    metric: str = "rps"
    #: a measurement that is not a wrk load (e.g. memory footprint): replaces the whole run
    measure: Callable[[Path, Load, int, bool], Sequence[ComparisonResult]] | None = None


@dataclass
class VariantSummary:
    """Medians over rounds for one variant, and its ratio to the baseline."""

    label: str
    rounds: list[WrkResult]
    reference: bool = False
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    ratio: float | None = None
    bad: int = 0
    goal_ratio: float | None = None
    goal_of: str | None = None
    met: bool | None = None
    extras: list[dict[str, float]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: for non-wrk measurements: the value shown instead of req/s, and its unit
    value: float | None = None
    unit: str = ""
    note: str = ""

    def summarize(self) -> None:
        if not self.rounds:
            return
        self.rps = statistics.median(r.rps for r in self.rounds)
        self.p50_ms = statistics.median(r.p50_ms for r in self.rounds)
        self.p99_ms = statistics.median(r.p99_ms for r in self.rounds)
        self.bad = sum(r.bad for r in self.rounds) + len(self.problems)


@dataclass
class ComparisonResult:
    """One comparison's outcome, ready for the table, the JSON and the chart."""

    name: str
    title: str
    goal: str
    goal_ratio: float | None
    variants: list[VariantSummary]
    skipped: str | None = None
    metric: str = "rps"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@contextlib.contextmanager
def _servers(
    specs: Sequence[ServerSpec], log_dir: Path, env: Mapping[str, str]
) -> Iterator[dict[str, Server]]:
    started: dict[str, Server] = {}
    try:
        for spec in specs:
            started[spec.name] = Server(spec, log_dir, env).start()
        yield started
    finally:
        for srv in reversed(list(started.values())):
            srv.stop()


def run_comparison(
    comp: Comparison, load: Load, rounds: int, run_dir: Path, warmup: float = 1.0
) -> ComparisonResult:
    """Start everything, warm each variant up, then measure rounds interleaved A B A B."""
    if comp.skip and not comp.candidates and not comp.baseline_alone:
        return ComparisonResult(comp.name, comp.title, comp.goal, comp.goal_ratio, [], comp.skip)
    if comp.load is not None:  # its own connections/threads, the mode's duration
        load = Load(load.duration, comp.load.connections, comp.load.threads, comp.load.timeout)
    log_dir = run_dir / "logs" / comp.name
    env: dict[str, str] = dict(comp.setup(run_dir) if comp.setup else {})
    with _servers(comp.support, log_dir, env) as support:
        env.update(_resolve_support(comp.env, support))
        variants = [comp.baseline, *comp.candidates]
        specs = [v.server for v in variants if v.server is not None]
        with _servers(specs, log_dir, env) as own:
            urls = {**{n: s.url for n, s in support.items()}, **{n: s.url for n, s in own.items()}}
            summaries = [
                VariantSummary(v.label, [], v.reference, goal_ratio=v.goal_ratio, goal_of=v.goal_of)
                for v in variants
            ]
            warm = Load(warmup, load.connections, load.threads, load.timeout)
            for v in variants:
                run_wrk(_url_of(v, urls), _request_of(v, run_dir, urls, warm), warm)
            for _ in range(rounds):
                for v, summary in zip(variants, summaries, strict=True):
                    req = _request_of(v, run_dir, urls, load)
                    summary.rounds.append(run_wrk(_url_of(v, urls), req, load))
                    if v.after is not None:
                        extra, problem = v.after(run_dir, urls)
                        summary.extras.append(extra)
                        if problem:
                            summary.problems.append(problem)
    for summary in summaries:
        summary.summarize()
    result = ComparisonResult(comp.name, comp.title, comp.goal, comp.goal_ratio, summaries, comp.skip)
    result.metric = comp.metric
    judge(result)
    return result


def judge(result: ComparisonResult) -> None:
    """Ratios to the baseline, and each judged candidate's goal (its own or the comparison's)."""
    summaries = result.variants
    if not summaries:
        return
    by_label = {s.label: s for s in summaries}
    lower_better = result.metric != "rps"

    def ratio(s: VariantSummary, base: VariantSummary) -> float | None:
        if s.value is not None and base.value is not None:
            a, b = s.value, base.value
        elif lower_better:
            a, b = s.p99_ms, base.p99_ms
        else:
            a, b = s.rps, base.rps
        return a / b if b else None

    for s in summaries:
        if s.ratio is None:
            s.ratio = ratio(s, summaries[0])
    for i, s in enumerate(summaries):
        if (i == 0 and result.metric != "bytes") or s.reference:
            continue
        goal = s.goal_ratio if s.goal_ratio is not None else result.goal_ratio
        if goal is None:
            continue
        s.goal_ratio = goal
        r = ratio(s, by_label[s.goal_of]) if s.goal_of in by_label else s.ratio
        if r is None:
            continue
        s.met = (r <= goal if lower_better else r >= goal) and not s.problems


def _resolve_support(env: Mapping[str, str], support: Mapping[str, Server]) -> dict[str, str]:
    out = {}
    for key, value in env.items():
        for name, srv in support.items():
            value = value.replace(f"{{support:{name}}}", srv.url)
        out[key] = value
    return out


def _url_of(v: Variant, urls: Mapping[str, str]) -> str:
    name = v.target or (v.server.name if v.server else None)
    if name is None or name not in urls:
        raise BenchError(f"variant {v.label!r} has no server to load")
    return urls[name]


def _request_of(v: Variant, run_dir: Path, urls: Mapping[str, str], load: Load) -> WrkRequest:
    return v.prepare(run_dir, urls, load) if v.prepare else v.request


# ---------------------------------------------------------------- reporting


def format_table(results: Sequence[ComparisonResult]) -> str:
    """Plain-text table: one row per variant, ratios against each comparison's baseline."""
    header = f"{'comparison':<16} {'variant':<58} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
    header += f"{'ratio':>7}  goal"
    rows = [header, "-" * len(header)]
    for res in results:
        for i, v in enumerate(res.variants):
            ratio = f"{v.ratio:.3f}" if v.ratio is not None else "-"
            goal = res.goal if i == 1 else ""
            if v.reference:
                goal = "(reference)"
            elif v.met is not None:
                mark = "MET" if v.met else "NOT MET"
                sign = "<=" if res.metric != "rps" else ">="
                against = f" x {v.goal_of}" if v.goal_of else ""
                goal += f"  {mark} ({sign} {v.goal_ratio:g}{against})"
            note = f"  ({v.bad} errors)" if v.bad else ""
            if v.problems:
                note += "  [" + "; ".join(sorted(set(v.problems))) + "]"
            if v.note:
                note += f"  {v.note}"
            first = f"{v.value:>9.0f}" if v.value is not None else f"{v.rps:>9.0f}"
            lat = f"{v.p50_ms:>8.2f} {v.p99_ms:>8.2f}" if v.rounds else f"{v.unit:>17}"
            rows.append(
                f"{res.name if i == 0 else '':<16} {v.label:<58} {first} {lat} {ratio:>7}  {goal}{note}"
            )
        if res.skipped:
            rows.append(f"{res.name if not res.variants else '':<16} ({res.skipped})")
    return "\n".join(rows)


def format_markdown(results: Sequence[ComparisonResult]) -> str:
    """The same table in Markdown (for bench/README.md)."""
    rows = [
        "| comparison | variant | req/s | p50 ms | p99 ms | ratio | goal |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for res in results:
        if not res.variants:
            rows.append(f"| {res.name} | ({res.skipped}) | | | | | |")
            continue
        for i, v in enumerate(res.variants):
            ratio = f"{v.ratio:.3f}" if v.ratio is not None else "-"
            goal = "(reference)" if v.reference else ""
            if v.met is not None:
                sign = "<=" if res.metric != "rps" else ">="
                against = f" x {v.goal_of}" if v.goal_of else ""
                goal = f"{'**MET**' if v.met else '**NOT MET**'} ({sign} {v.goal_ratio:g}{against})"
            if v.problems:
                goal += " " + "; ".join(sorted(set(v.problems)))
            elif v.bad:
                goal += f" ({v.bad} errors)"
            if v.rounds:
                nums = f"{v.rps:,.0f} | {v.p50_ms:.2f} | {v.p99_ms:.2f}"
            else:
                nums = f"{v.value:,.0f} {v.unit} | | "
            label = v.label + (f" — {v.note}" if v.note else "")
            rows.append(f"| {res.name if i == 0 else ''} | {label} | {nums} | {ratio} | {goal} |")
    return "\n".join(rows)


def write_results(results: Sequence[ComparisonResult], run_dir: Path, meta: Mapping[str, Any]) -> None:
    """results.json (raw rounds included), table.txt and chart.png in `run_dir`."""
    run_dir.mkdir(parents=True, exist_ok=True)
    payload = {"meta": dict(meta), "comparisons": [r.to_json() for r in results]}
    (run_dir / "results.json").write_text(json.dumps(payload, indent=2))
    (run_dir / "table.txt").write_text(format_table(results) + "\n")
    (run_dir / "table.md").write_text(format_markdown(results) + "\n")
    write_chart(results, run_dir / "chart.png", str(meta.get("title", "refreshgate bench")))


def write_chart(results: Sequence[ComparisonResult], path: Path, title: str) -> None:
    """One horizontal bar panel per comparison: req/s per variant, ratio printed on each bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [r for r in results if r.variants and all(v.rounds for v in r.variants)]
    if not shown:
        return
    heights = [0.6 + 0.45 * len(r.variants) for r in shown]
    fig, axes = plt.subplots(
        len(shown),
        1,
        figsize=(10, sum(heights) + 0.8),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for ax, res in zip(axes[:, 0], shown, strict=True):
        labels = [v.label for v in res.variants][::-1]
        values = [v.rps for v in res.variants][::-1]
        colors = ["#888888" if i == 0 else "#2b7bba" for i in range(len(res.variants))][::-1]
        bars = ax.barh(labels, values, color=colors)
        for bar, v in zip(bars, res.variants[::-1], strict=True):
            text = f" {v.rps:,.0f}/s"
            if res.metric == "p99":
                text += f"  p99 {v.p99_ms:,.0f} ms"
            text += (f"  x{v.ratio:.2f}" if v.ratio is not None else "") + (
                " p99" if res.metric == "p99" else ""
            )
            ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, text, va="center")
        ax.set_title(f"{res.title}" + (f"  (goal {res.goal})" if res.goal else ""), fontsize=9)
        ax.set_xlim(0, max(values) * 1.35 if max(values) else 1)
        ax.tick_params(labelsize=8)
    axes[-1, 0].set_xlabel("requests per second (median of rounds; grey = baseline)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def load_results(path: Path) -> tuple[dict[str, Any], list[ComparisonResult]]:
    """A results.json back as (meta, results)."""
    data = json.loads(path.read_text())
    results = []
    for comp in data["comparisons"]:
        variants = []
        for v in comp["variants"]:
            rounds = [WrkResult(**r) for r in v.pop("rounds")]
            variants.append(VariantSummary(rounds=rounds, **v))
        comp["variants"] = variants
        results.append(ComparisonResult(**comp))
    return dict(data["meta"]), results


def machine_meta() -> dict[str, Any]:
    """Date, CPU and versions: the context a number needs to be read honestly."""
    import platform

    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    wrk = shutil.which("wrk")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wrk": wrk,
    }


def new_run_dir(prefix: str = "") -> Path:
    """bench/results/<timestamp>/ (ignored by git)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = BENCH_DIR / "results" / f"{prefix}{stamp}"
    path.mkdir(parents=True, exist_ok=True)
    return path
