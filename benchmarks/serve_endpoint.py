"""Record-page latency of ``csec-ld serve --endpoint`` (pages from a store), next to
``csec-ld serve SITE`` (pages from files).

    python benchmarks/serve_endpoint.py --records 100000 --clients 50 --requests 100 --instances 2

For the catalogue of ``--records`` (``data/`` for its own size, else a seeded synthetic
one, as ``load.py`` makes them; ``--work DIR`` keeps and reuses them), this:

1. publishes the site (for ``serve SITE`` and for the ids) and starts ``oxigraph serve``
   on 127.0.0.1 with a fresh store, into which ``push`` puts the same catalogue;
2. starts ``--instances`` processes of ``csec-ld serve --endpoint`` (this checkout's
   code) and one ``csec-ld serve SITE``, each on 127.0.0.1 in a process group of its own,
   stopped at the end whatever happens;
3. sends ``--clients`` clients, each with its own connection, after random record IRIs
   (three in four as ``text/html``, one in four as ``text/turtle``), ``--requests`` each:
   the clients are spread over the instances in turn (a round-robin load balancer);
4. prints p50, p99, max and requests per second for each server.

The clients, the servers and the store share this machine's cores: compare rows within
one run only. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import load  # noqa: E402  (benchmarks/load.py: sites, clients, percentiles)


class Serve(load.ServerProcess):
    """``csec-ld serve ARGS`` on 127.0.0.1 in its own process group."""

    def __init__(self, args: list[str], port: int, log: Path) -> None:
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
                *args,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.process.pid


async def run(
    bases: list[str], ids: list[str], clients: int, requests: int
) -> tuple[load.Scenario, float]:
    """The scenario's latencies and its wall time, the clients spread over *bases*."""
    result = load.Scenario("pages")
    async with contextlib.AsyncExitStack() as stack:
        pool = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=bases[i % len(bases)], timeout=load.PAGE_TIMEOUT)
            )
            for i in range(clients)
        ]
        warm = load.Scenario("warm-up")
        await asyncio.gather(
            *(load.page_client(c, ids, 2, -1 - i, float("inf"), warm) for i, c in enumerate(pool))
        )
        start = time.perf_counter()
        await asyncio.gather(
            *(
                load.page_client(c, ids, requests, i, float("inf"), result)
                for i, c in enumerate(pool)
            )
        )
        return result, time.perf_counter() - start


def row(name: str, result: load.Scenario, wall: float) -> str:
    lat = [x * 1000 for x in result.latencies]
    errors = sum(result.errors.values())
    if not lat:
        return f"| {name} | {result.requests} | – | – | – | – | {errors} |"
    return (
        f"| {name} | {result.requests} | {load.percentile(lat, 50):.1f} | "
        f"{load.percentile(lat, 99):.1f} | {max(lat):.1f} | {result.requests / wall:.0f} | "
        f"{errors} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=load.bundled_size())
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="per client")
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--work", type=Path, help="keep the catalogues and sites here")
    args = parser.parse_args(argv)

    from csec_ld.push import push
    from tests.servers import OxigraphServer

    with tempfile.TemporaryDirectory(prefix="csec-ld-endpoint-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        site = load.prepare_site(args.records, work)
        ids = load.record_ids(site)
        sources = (
            load.BUNDLED
            if args.records == load.bundled_size()
            else work / f"catalogue-{args.records}"
        )
        store = OxigraphServer(Path(tmp) / "oxigraph")
        servers: list[Serve] = []
        try:
            start = time.perf_counter()
            pushed = push([sources], store.store_url, validate=False)
            print(
                f"pushed {pushed.triples:,} triples in {time.perf_counter() - start:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            deadline = time.monotonic() + 120
            for i in range(args.instances):
                servers.append(
                    Serve(
                        ["--endpoint", store.query_url],
                        load._free_port(),
                        Path(tmp) / f"endpoint-{i}.log",
                    )
                )
            static = Serve([str(site)], load._free_port(), Path(tmp) / "site.log")
            servers.append(static)
            probe = f"/resource/{ids[0]}.nt"
            for s in servers:
                s.wait_ready(probe, deadline)
            lines = [
                "| server | requests | p50 ms | p99 ms | max ms | requests/s | errors |",
                "|---|---:|---:|---:|---:|---:|---:|",
            ]
            endpoint, wall = asyncio.run(
                run([s.base for s in servers[:-1]], ids, args.clients, args.requests)
            )
            lines.append(row(f"{args.instances} × serve --endpoint (one oxigraph)", endpoint, wall))
            alone, wall = asyncio.run(run([static.base], ids, args.clients, args.requests))
            lines.append(row("1 × serve SITE", alone, wall))
            print(
                f"{args.records:,} records, {args.clients} clients × {args.requests} "
                "requests (3/4 text/html, 1/4 text/turtle)"
            )
            print("\n".join(lines))
        finally:
            for s in servers:
                s.stop()
            store.stop()


if __name__ == "__main__":
    main()
