"""Time and peak memory of ``csec-ld push`` into real triple stores.

    python benchmarks/push.py --records 1000000 --stores oxigraph,virtuoso

For a seeded synthetic catalogue of ``--records`` (``synth.py``; ``--work DIR`` keeps and
reuses it), this starts each store on 127.0.0.1 with a fresh database in a temporary
folder, runs ``csec-ld push`` (this checkout's code, in a process of its own) into it, and
stops the store at the end whatever happens:

- ``oxigraph``: ``oxigraph serve`` (PyPI ``oxigraph``), pushed to its Graph Store
  ``/store``, default graph;
- ``virtuoso``: Debian's ``virtuoso-t``, pushed with Digest (the stock ``dba`` account)
  into ``/sparql-graph-crud-auth``, a named graph (Virtuoso's ``/sparql`` reads the union).

It prints, per store: the triples the store holds after the swap, push's wall time, the
peak RSS of push's process tree (sampled every 0.2 s: the build's workers included) and
the store's peak RSS and database size. A store whose RSS passes ``--store-cap-mb``
(default 16,000) is killed, and its row says so. The build (validation off, as ``--no-validate``)
is timed on its own first, so the upload's share can be told apart. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import load  # noqa: E402  (process-tree RSS)
import synth  # noqa: E402

GRAPH = "https://example.org/graph/csec-ld-benchmark"


class Peak:
    """The peak RSS (MB) of a process tree, sampled in a thread until stopped; with *cap*
    (MB), the tree's root is killed once it holds more (:attr:`capped` then says so)."""

    def __init__(self, pid: int, cap: float | None = None) -> None:
        self.pid = pid
        self.cap = cap
        self.capped = False
        self.mb = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.is_set():
            with contextlib.suppress(Exception):  # the tree changed: the next sample counts
                self.mb = max(self.mb, load.rss_mb(self.pid))
            if self.cap is not None and self.mb > self.cap and not self.capped:
                self.capped = True
                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.SIGKILL)
            self._done.wait(0.2)

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.mb


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def run_cli(args: list[str], env: dict[str, str], log: Path) -> tuple[float, float, int]:
    """``csec-ld ARGS`` in a process of its own: wall seconds, peak tree RSS, exit code."""
    full_env = {
        **os.environ,
        **env,
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    start = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "csec_ld", *args],
            cwd=ROOT,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        peak = Peak(process.pid)
        code = process.wait()
    return time.perf_counter() - start, peak.stop(), code


def count(query_url: str, graph: str | None) -> int:
    import httpx

    pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
    answer = httpx.get(
        query_url,
        params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=600,
    )
    answer.raise_for_status()
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def bench_store(
    name: str, sources: Path, tmp: Path, timeout: int, cap: float, after_image: int
) -> list[str]:
    """Start store *name*, push *sources* into it, stop it: one table row."""
    from tests.servers import OxigraphServer
    from tests.virtuoso import PASSWORD, USER, VirtuosoServer

    folder = tmp / name
    env: dict[str, str] = {}
    if name == "oxigraph":
        store: object = OxigraphServer(folder)
        target = ["--graph-store", store.store_url]  # type: ignore[attr-defined]
        graph = None
    else:
        # 1.3 GB of buffers (Virtuoso's tuning guide: about 2/3 of the memory it may use);
        # the swap is one transaction: its log must be allowed to hold every triple
        # and to run for as long as it takes (MaxQueryExecutionTime 0: no limit)
        store = VirtuosoServer(folder, buffers=170_000, after_image=after_image, query_time=0)
        target = [
            "--graph-store",
            store.store_url,
            "--update-endpoint",
            store.update_url,
            "--endpoint",
            store.query_url,
            "--graph",
            GRAPH,
        ]
        env = {"CSEC_LD_ENDPOINT_USER": USER, "CSEC_LD_ENDPOINT_PASSWORD": PASSWORD}
        graph = GRAPH
    try:
        store_peak = Peak(store.process.pid, cap)  # type: ignore[attr-defined]
        seconds, peak, code = run_cli(
            ["push", str(sources), *target, "--no-validate", "--timeout", str(timeout)],
            env,
            tmp / f"push-{name}.log",
        )
        store_mb = store_peak.stop()
        if store_peak.capped:
            return [name, "store killed", "", "", f"> {cap:.0f}", ""]
        if code != 0:
            tail = (tmp / f"push-{name}.log").read_text(errors="replace")[-1500:]
            print(f"push → {name} failed:\n{tail}", file=sys.stderr, flush=True)
            return [name, "push failed", f"exit {code}", f"{peak:.0f}", f"{store_mb:.0f}", ""]
        held = count(store.query_url, graph)  # type: ignore[attr-defined]
        disk = folder_mb(folder)
        return [
            name,
            f"{held:,}",
            f"{seconds:.0f}",
            f"{peak:.0f}",
            f"{store_mb:.0f}",
            f"{disk:.0f}",
        ]
    finally:
        store.stop()  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--stores", default="oxigraph,virtuoso")
    parser.add_argument("--timeout", type=int, default=3600, help="push --timeout (seconds)")
    parser.add_argument(
        "--store-cap-mb",
        type=float,
        default=16_000,
        help="kill a store whose RSS grows past this (the machine's memory is shared)",
    )
    parser.add_argument(
        "--virtuoso-after-image",
        type=int,
        default=2_000_000_000,
        help="Virtuoso's TransactionAfterImageLimit in bytes (its default, 50 MB, fails the "
        "swap of more than a few hundred thousand triples; past 2^31 Virtuoso 7.2 refuses "
        "every upload)",
    )
    parser.add_argument("--work", type=Path, help="keep the catalogue here")
    args = parser.parse_args(argv)
    stores = [s for s in args.stores.split(",") if s]
    unknown = set(stores) - {"oxigraph", "virtuoso"}
    if unknown:
        parser.error(f"unknown stores: {', '.join(sorted(unknown))}")

    with tempfile.TemporaryDirectory(prefix="csec-ld-push-bench-") as tmp_name:
        tmp = Path(tmp_name)
        work = args.work or tmp
        sources = work / f"catalogue-{args.records}"
        if not (sources / "records.jsonl").is_file():
            synth.generate(args.records, sources)
        seconds, peak, code = run_cli(
            [
                "build",
                str(sources),
                "-o",
                str(tmp / "dist"),
                "--format",
                "nt",
                "--no-validate",
                "-q",
            ],
            {},
            tmp / "build.log",
        )
        if code != 0:
            sys.exit(f"build failed: {(tmp / 'build.log').read_text()[-1500:]}")
        print(f"{args.records:,} records ({sources})", flush=True)
        print(
            "| step | triples held | seconds | push peak RSS MB | store peak RSS MB "
            "| store on disk MB |\n|---|---:|---:|---:|---:|---:|\n"
            f"| build --format nt alone | – | {seconds:.0f} | {peak:.0f} | – | – |",
            flush=True,
        )
        for name in stores:
            row = bench_store(
                name, sources, tmp, args.timeout, args.store_cap_mb, args.virtuoso_after_image
            )
            print(f"| push → {row[0]} | " + " | ".join(row[1:]) + " |", flush=True)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # as an exception, so that the store is stopped


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    main()
