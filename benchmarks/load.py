"""Load figures for ``csec-ld serve``: record-page latency under concurrent clients, alone
and while heavy SPARQL queries run.

    python benchmarks/load.py --records 10,100000 --clients 50 --requests 100 --heavy 50

For each size, a site: the bundled ``data/`` for its own size (10 records), otherwise a
seeded synthetic catalogue (``synth.py``, no injected errors) published without
validation (``--work DIR`` keeps the sites and reuses them: publishing 10,000 records took
a minute here, 100,000 a quarter of an hour). The site is served by ``csec-ld serve SITE``
(this checkout's code) in a process group of its own, on 127.0.0.1 only, stopped at the
end whatever happens (an error, the time limit, Ctrl-C, SIGTERM), and:

* **pages alone**: ``--clients`` clients, each with its own connection, fetch
  ``--requests`` random record pages each (``/resource/{id}``, three in four as
  ``text/html``, one in four as ``text/turtle``);
* **pages + heavy SPARQL**: the same, while ``--heavy`` more clients each send one heavy
  query to ``/sparql`` at once (``--heavy-queries``, taken in turn), whose answers are
  counted by status (200 / 503 / other).

After each scenario nothing is sent for ``--cpu-window`` seconds (5) and the CPU time the
server process and its children use meanwhile is read from ``/proc/PID/stat``: an idle
server uses none, a server whose timed-out queries go on working uses up to the cores.
The server's memory is watched as it runs: over ``--max-rss`` MB it is stopped (some of
the heavy queries can fill the machine's memory) and the table says so.

The client runs on the same machine as the server and shares its cores. Nothing here is
asserted: speed is measured, never tested. The whole run is bounded by ``--time-limit``
(publishing a catalogue is not interrupted, but nothing starts after the limit).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

#: Heavy queries, by name, as a careless or hostile client sends them.
HEAVY_QUERIES: dict[str, str] = {
    # every triple with every triple, sorted (2 s at 10 records): the sort holds the whole
    # product, so from 10,000 records on its memory grows by about 200 MB a second
    "cross-sort": "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f",
    # the same product, counted (0.05 s at 10 records, minutes at 10,000): CPU-bound, its
    # memory bounded by a hash table of one side (1.4 GB at 100,000 records)
    "cross-count": "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f }",
    # a case-insensitive regular expression over every object, the matches sorted
    # (0.25 s at 10,000 records, 4 s at 100,000)
    "regex": 'SELECT ?s ?o { ?s ?p ?o FILTER(REGEX(STR(?o), "(a|e|i)[^ ]*(o|u)[^ ]*(x|z|q)", '
    '"i")) } ORDER BY DESC(STR(?o)) ?s',
}
BUNDLED = ROOT / "data"
PAGE_TIMEOUT = 60.0  # seconds for one record page before it counts as an error


# --------------------------------------------------------------------------- sites


def bundled_size() -> int:
    return sum(1 for p in (BUNDLED / "records").iterdir() if p.suffix in (".yaml", ".yml"))


def prepare_site(n: int, work: Path) -> Path:
    """The published site of *n* records in *work*, made now unless it is there already."""
    from csec_ld.site.publish import is_site, publish

    bundled = n == bundled_size()
    site = work / ("site-data" if bundled else f"site-{n}")
    if is_site(site):
        print(f"{n:,} records: reusing {site}", file=sys.stderr, flush=True)
        return site
    if bundled:
        sources = BUNDLED
    else:
        import synth

        sources = work / f"catalogue-{n}"
        if not (sources / "records.jsonl").is_file():
            synth.generate(n, sources, error_rate=0.0)
    start = time.perf_counter()
    print(f"{n:,} records: publishing {sources} into {site}", file=sys.stderr, flush=True)
    publish([sources], site, validate=False)
    print(
        f"{n:,} records: published in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    return site


def record_ids(site: Path) -> list[str]:
    """The ids of the site's records that have a page (withdrawn ones answer 410)."""
    from csec_ld.site.publish import read_withdrawn

    withdrawn = read_withdrawn(site)
    with os.scandir(site / "resource") as entries:
        ids = [e.name for e in entries if e.is_dir() and e.name not in withdrawn]
    return sorted(i for i in ids if (site / "resource" / i / "index.html").is_file())


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _proc_tree(root: int) -> list[int]:
    """*root* and its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(root: int) -> float:
    """User and system CPU time of *root* and its children (live ones, and those waited for)."""
    total = 0
    for pid in _proc_tree(root):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # utime, stime, cutime, cstime: fields 14-17 of proc(5), 12-15 after the name
        total += sum(int(f) for f in fields[11:15])
    return total / _TICK


def rss_mb(root: int) -> float:
    """Resident memory of *root* and its live descendants, in MB."""
    total = 0
    for pid in _proc_tree(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class ServerProcess:
    """``csec-ld serve SITE`` (this checkout's code) on 127.0.0.1, in its own process group."""

    def __init__(self, site: Path, port: int, log: Path, extra: list[str]) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
        }
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "csec_ld",
                "serve",
                str(site),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *extra,
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.process.pid

    def wait_ready(self, path: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited ({self.process.returncode}):\n" + self.tail()
                )
            try:
                if httpx.get(self.base + path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not answer before the time limit:\n" + self.tail())

    def tail(self, lines: int = 20) -> str:
        self._log.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kill(self, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def stop(self) -> None:
        """Stop the whole process group: SIGTERM, then SIGKILL after 5 s."""
        if self.process.poll() is None:
            self.kill(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        self.kill(signal.SIGKILL)  # whatever is left of the group
        self.process.wait()
        self._log.close()
        print(f"server stopped (pid {self.pid})", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- load


@dataclass
class Scenario:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, record pages answered 200
    errors: Counter[str] = field(default_factory=Counter)  # what the others got
    heavy: Counter[str] = field(default_factory=Counter)  # heavy answers by status
    heavy_by_query: dict[str, Counter[str]] = field(default_factory=dict)
    cpu_after: float | None = None
    cpu_cut: float | None = None  # seconds into the window when the server was killed
    peak_rss: float = 0.0
    note: str = ""

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank *p*-th percentile of *values*."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@contextlib.asynccontextmanager
async def http_clients(n: int, base: str, timeout: float) -> AsyncIterator[list[httpx.AsyncClient]]:
    """*n* clients, each with its own connection, made before anything is timed (a client
    is slow to make: made as the others send, it would delay their answers)."""
    tls = ssl.create_default_context()  # one for all (httpx loads certificates for each)
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=base, timeout=timeout, verify=tls)
            )
            for _ in range(n)
        ]


async def page_client(
    client: httpx.AsyncClient,
    ids: list[str],
    requests: int,
    seed: int,
    deadline: float,
    result: Scenario,
    pace: float = 0.0,
) -> None:
    """*requests* record pages, one after the other; with *pace* (seconds), one request
    every *pace* seconds at most (a reader who looks at each page), from a random
    offset so that the clients do not ask in step."""
    rng = random.Random(seed)
    due = time.perf_counter() + rng.uniform(0, pace)
    for i in range(requests):
        if pace:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            due += pace
        if time.monotonic() > deadline:
            return
        accept = "text/turtle" if (seed + i) % 4 == 3 else "text/html"
        path = "/resource/" + urllib.parse.quote(rng.choice(ids))
        start = time.perf_counter()
        try:
            r = await client.get(path, headers={"Accept": accept})
        except httpx.HTTPError as exc:
            result.errors[type(exc).__name__] += 1
            continue
        elapsed = time.perf_counter() - start
        if r.status_code == 200:
            result.latencies.append(elapsed)
        else:
            result.errors[str(r.status_code)] += 1


async def warm_up(base: str, ids: list[str], clients: int) -> None:
    """A few requests, not counted: the server's caches filled."""
    async with http_clients(clients, base, PAGE_TIMEOUT) as pool:
        await asyncio.gather(
            *(
                page_client(c, ids, 2, -1 - seed, math.inf, Scenario("warm-up"))
                for seed, c in enumerate(pool)
            )
        )


async def heavy_client(client: httpx.AsyncClient, name: str, result: Scenario) -> None:
    try:
        r = await client.get(
            "/sparql",
            params={"query": HEAVY_QUERIES[name]},
            headers={"Accept": "application/sparql-results+json"},
        )
        status = str(r.status_code)
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    result.heavy[status] += 1
    result.heavy_by_query.setdefault(name, Counter())[status] += 1


async def watch_memory(
    server: ServerProcess, max_rss: float, result: Scenario, stopped: asyncio.Event
) -> None:
    """Keep the server's peak RSS; over *max_rss* MB, kill it (and say so)."""
    while not stopped.is_set():
        rss = rss_mb(server.pid)
        result.peak_rss = max(result.peak_rss, rss)
        if rss > max_rss:
            server.kill()
            result.note = f"server killed: RSS {rss:,.0f} MB over --max-rss {max_rss:,.0f}"
            stopped.set()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopped.wait(), 0.25)


async def run_scenario(
    name: str,
    server: ServerProcess,
    ids: list[str],
    args: argparse.Namespace,
    deadline: float,
    heavy: list[str],
) -> Scenario:
    async with (
        http_clients(args.clients, server.base, PAGE_TIMEOUT) as page_pool,
        http_clients(len(heavy), server.base, args.heavy_timeout) as heavy_pool,
    ):
        return await _run_scenario(
            Scenario(name),
            server,
            ids,
            args,
            deadline,
            list(zip(heavy_pool, heavy, strict=True)),
            page_pool,
        )


async def _run_scenario(
    result: Scenario,
    server: ServerProcess,
    ids: list[str],
    args: argparse.Namespace,
    deadline: float,
    heavy: list[tuple[httpx.AsyncClient, str]],
    page_pool: list[httpx.AsyncClient],
) -> Scenario:
    stopped = asyncio.Event()
    watcher = asyncio.create_task(watch_memory(server, args.max_rss, result, stopped))
    heavy_tasks = [asyncio.create_task(heavy_client(c, q, result)) for c, q in heavy]
    if heavy_tasks:
        await asyncio.sleep(0.5)  # the queries are running before the pages are asked for
    pages = [
        page_client(c, ids, args.requests, seed, deadline, result)
        for seed, c in enumerate(page_pool)
    ]
    work = asyncio.gather(*pages, *heavy_tasks)
    stop = asyncio.create_task(stopped.wait())
    try:
        done, _ = await asyncio.wait(
            [work, stop],
            timeout=max(0.0, deadline - time.monotonic()),
            return_when=asyncio.FIRST_COMPLETED,
        )
        if not done:
            result.note = result.note or "stopped at --time-limit"
        if not done or stop in done:
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)
            return result
        # the last answer is in: nothing more is sent while the server's CPU time is read
        # (a server killed meanwhile stays readable, as a zombie, until it is waited for)
        before, start = cpu_seconds(server.pid), time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopped.wait(), args.cpu_window)
        result.cpu_after = cpu_seconds(server.pid) - before
        if stopped.is_set():
            result.cpu_cut = time.monotonic() - start
        return result
    finally:
        stopped.set()
        stop.cancel()
        work.cancel()  # when this scenario is itself cancelled (Ctrl-C, SIGTERM)
        await asyncio.gather(work, return_exceptions=True)
        await watcher


# --------------------------------------------------------------------------- driver


COLUMNS = [
    "records",
    "scenario",
    "requests",
    "p50 ms",
    "p99 ms",
    "max ms",
    "errors",
    "heavy answers (200/503/other)",
    "p99 with heavy / alone",
    "CPU seconds burned in the 5 s after the last answer",
    "server peak RSS MB",
]


def _ms(result: Scenario, p: float | None) -> str:
    if not result.latencies:
        return "–"
    value = max(result.latencies) if p is None else percentile(result.latencies, p)
    return f"{value * 1000:.1f}"


def _counts(counter: Counter[str]) -> str:
    others = {k: v for k, v in counter.items() if k not in ("200", "503")}
    text = f"{counter['200']}/{counter['503']}/{sum(others.values())}"
    if others:
        text += " (" + ", ".join(f"{v}× {k}" for k, v in sorted(others.items())) + ")"
    return text


def rows(n: int, alone: Scenario, loaded: Scenario | None) -> list[list[str]]:
    out = []
    for result in (alone, loaded):
        if result is None:
            continue
        errors = str(sum(result.errors.values()))
        if result.errors:
            errors += " (" + ", ".join(f"{v}× {k}" for k, v in sorted(result.errors.items())) + ")"
        ratio = "–"
        if result is loaded and alone.latencies and loaded.latencies:
            ratio = f"{percentile(loaded.latencies, 99) / percentile(alone.latencies, 99):.1f}×"
        cpu = "–" if result.cpu_after is None else f"{result.cpu_after:.2f}"
        if result.cpu_cut is not None:
            cpu += f" (killed after {result.cpu_cut:.1f} s)"
        scenario = result.name + (f" ({result.note})" if result.note else "")
        out.append(
            [
                f"{n:,}",
                scenario,
                str(result.requests),
                _ms(result, 50),
                _ms(result, 99),
                _ms(result, None),
                errors,
                _counts(result.heavy) if result is loaded else "–",
                ratio,
                cpu,
                f"{result.peak_rss:,.0f}",
            ]
        )
    return out


def table(lines: list[list[str]], window: float) -> str:
    header = [c.replace("the 5 s", f"the {window:g} s") for c in COLUMNS]
    text = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if i != 1 else "---" for i in range(len(header))) + "|",
    ]
    text += ["| " + " | ".join(line) + " |" for line in lines]
    return "\n".join(text)


def measure(
    n: int, args: argparse.Namespace, work: Path, deadline: float
) -> tuple[list[list[str]], dict[str, Counter[str]]]:
    site = prepare_site(n, work)
    ids = record_ids(site)
    if not ids:
        raise SystemExit(f"{site}: no record pages")
    if time.monotonic() > deadline:
        raise SystemExit("--time-limit reached before serving")
    server = ServerProcess(
        site, args.port or _free_port(), work / f"server-{n}.log", shlex.split(args.serve_args)
    )
    try:
        print(
            f"{n:,} records: serving {site} (pid {server.pid}, {server.base})",
            file=sys.stderr,
            flush=True,
        )
        server.wait_ready("/resource/" + urllib.parse.quote(ids[0]), deadline)
        kinds = [k.strip() for k in args.heavy_queries.split(",") if k.strip()]
        heavy = [kinds[i % len(kinds)] for i in range(args.heavy)]
        asyncio.run(warm_up(server.base, ids, args.clients))
        alone = asyncio.run(run_scenario("pages alone", server, ids, args, deadline, []))
        print(f"{n:,} records: pages alone: {alone.requests} requests", file=sys.stderr, flush=True)
        loaded = None
        if heavy and server.process.poll() is None and time.monotonic() < deadline:
            loaded = asyncio.run(
                run_scenario(
                    f"pages + {args.heavy} heavy SPARQL", server, ids, args, deadline, heavy
                )
            )
            print(
                f"{n:,} records: pages + heavy: {loaded.requests} requests, heavy answers "
                f"{dict(loaded.heavy)}",
                file=sys.stderr,
                flush=True,
            )
        return rows(n, alone, loaded), (loaded.heavy_by_query if loaded else {})
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--records",
        default="10,100000",
        help="comma-separated sizes (the bundled data/ for its own size, 10)",
    )
    parser.add_argument("--clients", type=int, default=50, help="record-page clients")
    parser.add_argument("--requests", type=int, default=100, help="record pages per client")
    parser.add_argument(
        "--heavy",
        type=int,
        default=50,
        help="heavy SPARQL queries sent at once in the second scenario",
    )
    parser.add_argument(
        "--heavy-queries",
        default=",".join(HEAVY_QUERIES),
        help=f"which heavy queries, in turn (of {', '.join(HEAVY_QUERIES)})",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=1800.0,
        metavar="S",
        help="bound on the whole run, in seconds",
    )
    parser.add_argument(
        "--cpu-window",
        type=float,
        default=5.0,
        metavar="S",
        help="quiet seconds after a scenario whose server CPU time is read",
    )
    parser.add_argument(
        "--max-rss",
        type=float,
        default=8000.0,
        metavar="MB",
        help="kill the server if its memory grows over this",
    )
    parser.add_argument(
        "--heavy-timeout",
        type=float,
        default=120.0,
        metavar="S",
        help="the heavy clients' own time limit (the server's is --timeout)",
    )
    parser.add_argument("--port", type=int, default=0, help="the server's port (0: a free one)")
    parser.add_argument(
        "--serve-args",
        default="",
        metavar="ARGS",
        help="more options for `csec-ld serve`, e.g. '--timeout 5'",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the catalogues and sites here, and reuse them",
    )
    args = parser.parse_args(argv)
    unknown = set(args.heavy_queries.split(",")) - set(HEAVY_QUERIES)
    if unknown:
        parser.error(f"unknown heavy queries: {', '.join(sorted(unknown))}")
    deadline = time.monotonic() + args.time_limit

    from csec_ld import __version__

    print(
        f"csec-ld {__version__} · {os.cpu_count()} cores · Python {sys.version.split()[0]} · "
        f"{args.clients} clients × {args.requests} record pages, {args.heavy} heavy queries "
        f"({args.heavy_queries}) · load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    work = args.work or Path(tempfile.mkdtemp(prefix="csec-ld-load-"))
    work.mkdir(parents=True, exist_ok=True)
    lines: list[list[str]] = []
    by_query: dict[int, dict[str, Counter[str]]] = {}
    try:
        for n in (int(x) for x in args.records.split(",")):
            if time.monotonic() > deadline:
                print(f"{n:,} records: not run (--time-limit)", file=sys.stderr)
                continue
            new, by_query[n] = measure(n, args, work, deadline)
            lines += new
            print(table(new, args.cpu_window), file=sys.stderr, flush=True)
    finally:
        if args.work is None:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}\n")
    print(table(lines, args.cpu_window))
    for n, counts in by_query.items():
        if counts:
            print(
                f"\n{n:,} records, heavy answers by query (200/503/other): "
                + "; ".join(f"{name} {_counts(c)}" for name, c in counts.items())
            )


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # as an exception, so that the server is stopped


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted")
