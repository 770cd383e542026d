"""Record-page latency of ``csec-ld serve --endpoint`` (pages from a store), next to
``csec-ld serve SITE`` (pages from files).

    python benchmarks/serve_endpoint.py --records 100000 --clients 50 --requests 100 --instances 2 \
        --pace 0.5

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

Clients that ask again as soon as they have an answer (a closed loop) measure how much a
server can take: with 50 of them, latency is 50 / throughput (Little's law), whatever
the server. ``--pace`` adds a round of readers: each client asks once every PACE seconds
(default 0.5, about 100 requests a second from 50 clients), which measures what a page
costs under that load rather than the queue in front of a saturated server.

Then the same for nginx serving the published site with the configuration ``publish``
writes, and a round of listing pages (home, types, topics, countries, agents) on the
endpoint instances and on ``serve SITE``.

The clients, the servers and the store share this machine's cores: compare rows within
one run only. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
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


class Nginx(load.ServerProcess):
    """Debian's nginx serving the published *site* with the configuration ``publish``
    wrote (``csec-ld.nginx.conf``), on 127.0.0.1, in its own process group."""

    def __init__(self, site: Path, port: int, work: Path) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        conf = work / "nginx"
        conf.mkdir(parents=True, exist_ok=True)
        temp = "\n".join(
            f"    {kind}_temp_path {conf}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # as root, nginx's workers would read the site as nobody (a private temp folder)
        user = "user root;\n" if os.geteuid() == 0 else ""
        (conf / "nginx.conf").write_text(
            f"""{user}worker_processes 2;
error_log {conf}/error.log warn;
pid {conf}/nginx.pid;
events {{ worker_connections 512; }}
http {{
    access_log off;
{temp}
    server {{
        listen 127.0.0.1:{port};
        root {site};
        include {site}/csec-ld.nginx.conf;
    }}
}}
"""
        )
        self.base = f"http://127.0.0.1:{port}"
        self.log = conf / "error.log"
        self._log = (conf / "stdout.log").open("wb")
        self.process = subprocess.Popen(
            [binary, "-p", str(conf), "-c", str(conf / "nginx.conf"), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.process.pid


def listing_urls(site: Path, limit: int = 200) -> list[str]:
    """Listing pages of the site (home, its pages, types, topics, countries, agents)."""
    urls = []
    for page in sorted(site.rglob("index.html")):
        rel = page.relative_to(site).parent
        if rel.parts[:1] not in (("resource",), ("queries",)):
            urls.append("/" + "".join(f"{p}/" for p in rel.parts))
    return urls[:: max(1, len(urls) // limit)]


async def listing_client(
    client: httpx.AsyncClient,
    urls: list[str],
    requests: int,
    seed: int,
    result: load.Scenario,
) -> None:
    rng = random.Random(seed)
    for _ in range(requests):
        start = time.perf_counter()
        try:
            r = await client.get(rng.choice(urls))
        except httpx.HTTPError as exc:
            result.errors[type(exc).__name__] += 1
            continue
        if r.status_code == 200:
            result.latencies.append(time.perf_counter() - start)
        else:
            result.errors[str(r.status_code)] += 1


async def run_listings(
    bases: list[str], urls: list[str], clients: int, requests: int
) -> tuple[load.Scenario, float]:
    """Listing pages: the scenario's latencies and wall time, clients spread over *bases*."""
    result = load.Scenario("listings")
    async with contextlib.AsyncExitStack() as stack:
        pool = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=bases[i % len(bases)], timeout=load.PAGE_TIMEOUT)
            )
            for i in range(clients)
        ]
        start = time.perf_counter()
        await asyncio.gather(
            *(listing_client(c, urls, requests, i, result) for i, c in enumerate(pool))
        )
        return result, time.perf_counter() - start


async def run(
    bases: list[str], ids: list[str], clients: int, requests: int, pace: float = 0.0
) -> tuple[load.Scenario, float]:
    """The scenario's latencies and its wall time, the clients spread over *bases*
    (*pace*: each client asks at most once every *pace* seconds)."""
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
                load.page_client(c, ids, requests, i, float("inf"), result, pace)
                for i, c in enumerate(pool)
            )
        )
        return result, time.perf_counter() - start


def row(name: str, result: load.Scenario, wall: float) -> str:
    lat = [x * 1000 for x in result.latencies]
    errors: int | str = sum(result.errors.values())
    if errors:  # which: a status, or the client's exception (a timeout)
        kinds = ", ".join(f"{n}× {kind}" for kind, n in sorted(result.errors.items()))
        errors = f"{errors} ({kinds})"
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
    parser.add_argument(
        "--pace",
        type=float,
        default=0.5,
        help="a second round where each client asks once every PACE seconds (0: none)",
    )
    parser.add_argument(
        "--listing-requests",
        type=int,
        help="listing pages per client (default: a quarter of --requests; 0: none)",
    )
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
        servers: list[load.ServerProcess] = []
        try:
            start = time.perf_counter()
            # a MOVE of millions of triples takes Oxigraph longer than the default 30 s
            pushed = push([sources], store.store_url, validate=False, timeout=1800)
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
            nginx = Nginx(site, load._free_port(), Path(tmp))
            servers.append(nginx)
            probe = f"/resource/{ids[0]}.nt"
            for s in servers:
                s.wait_ready(probe, deadline)
            print(
                f"{args.records:,} records, {args.clients} clients × {args.requests} "
                "requests (3/4 text/html, 1/4 text/turtle)",
                flush=True,
            )

            def out(line: str) -> None:
                print(line, flush=True)  # row by row: a long round shows what came before

            out("| server | requests | p50 ms | p99 ms | max ms | requests/s | errors |")
            out("|---|---:|---:|---:|---:|---:|---:|")
            endpoints = [s.base for s in servers[: args.instances]]
            endpoint, wall = asyncio.run(run(endpoints, ids, args.clients, args.requests))
            out(row(f"{args.instances} × serve --endpoint (one oxigraph)", endpoint, wall))
            alone, wall = asyncio.run(run([static.base], ids, args.clients, args.requests))
            out(row("1 × serve SITE", alone, wall))
            web, wall = asyncio.run(run([nginx.base], ids, args.clients, args.requests))
            out(row("nginx (2 workers), the published site", web, wall))
            if args.pace > 0:
                rate = args.clients / args.pace
                out(
                    f"| *paced: each client one request every {args.pace:g} s "
                    f"(about {rate:.0f} requests/s in all)* |||||||"
                )
                paced = [
                    (f"{args.instances} × serve --endpoint (one oxigraph)", endpoints),
                    ("1 × serve SITE", [static.base]),
                    ("nginx (2 workers), the published site", [nginx.base]),
                ]
                for name, bases in paced:
                    result, wall = asyncio.run(
                        run(bases, ids, args.clients, args.requests, args.pace)
                    )
                    out(row(name, result, wall))
            few = args.listing_requests
            if few is None:
                few = max(1, args.requests // 4)  # listing pages cost more: fewer of them
            if few > 0:
                urls = listing_urls(site)
                out(f"| *listing pages ({len(urls)} of the site's, {few} per client)* |||||||")
                listed, wall = asyncio.run(run_listings(endpoints, urls, args.clients, few))
                out(row(f"{args.instances} × serve --endpoint", listed, wall))
                listed, wall = asyncio.run(run_listings([static.base], urls, args.clients, few))
                out(row("1 × serve SITE", listed, wall))
        finally:
            for s in servers:
                s.stop()
            store.stop()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # as an exception, so that every server is stopped


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    main()
