"""The SPARQL endpoint under attack, on 127.0.0.1: every attack here worked on the old server.

Each test starts the app under uvicorn in a thread (tests/servers.py); attacks that
need a victim start one more listener on 127.0.0.1 and count what reaches it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from csec_ld.server import create_app
from csec_ld.server.sandbox import MAX_NESTING, nesting_depth, network_sandbox_available
from csec_ld.site.publish import publish
from tests.conftest import DATA
from tests.processes import running
from tests.servers import Server, free_port

RECORD = "tracer-study-paraguay-2012"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # OAI-PMH needs the catalogue's contact_email (Identify's adminEmail): give one here.
    data = tmp_path_factory.mktemp("attack-data") / "data"
    shutil.copytree(DATA, data)
    catalog = data / "catalog.yaml"
    catalog.write_text(
        catalog.read_text(encoding="utf-8") + "contact_email: catalogue@example.org\n",
        encoding="utf-8",
    )
    return publish([data], tmp_path_factory.mktemp("attack") / "site", validate=False).out_dir


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[Server]:
    with Server(create_app(site, timeout=5.0, row_limit=100)) as s:
        yield s


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


class Listener:
    """A TCP listener on 127.0.0.1 that counts every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.hits += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.thread.join(5)
        self.sock.close()


def service_corpus(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}/sparql"
    local = f"http://localhost:{port}/sparql"
    return [
        f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ service <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SeRvIcE SILENT <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERVICE\t\n<{local}> {{ ?s ?p ?o }} }}",
        # A comment ends at CR as well as LF: text matching took the rest for a comment.
        f"SELECT * {{ # a comment\rSERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ #\r\nSERVICE#\r<{url}> {{ ?s ?p ?o }} }}",
        f"PREFIX x: <http://127.0.0.1:{port}/> SELECT * {{ SERVICE x:sparql {{ ?s ?p ?o }} }}",
        f"BASE <http://127.0.0.1:{port}/> SELECT * {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERVICE <http://127.0.0.1:{port}/\\u0073parql> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ BIND(<{url}> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
        f"SELECT * {{ VALUES ?u {{ <{url}> }} SERVICE ?u {{ ?s ?p ?o }} }}",
        f"SELECT * {{ {{ SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
        f"ASK {{ FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        f"ASK {{ FILTER NOT EXISTS {{ SERVICE SILENT <{url}> {{ }} }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        f"DESCRIBE ?s WHERE {{ ?s ?p ?o MINUS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        f'SELECT * {{ ?s ?p "SERVICE" . SERVICE <{url}> {{ ?s ?p ?o }} }}',
        f"SELECT * {{ ?r a ?t . OPTIONAL {{ SERVICE <{url}> {{ ?r ?p ?o }} }} }} LIMIT 1",
        f"SELECT * WHERE {{ GRAPH ?g {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
    ]


def test_no_query_reaches_another_server(client: httpx.Client) -> None:
    if os.environ.get("CI") == "true":
        assert network_sandbox_available(), "CI must run the endpoint with libseccomp"
    listener = Listener()
    try:
        answers = []
        for query in service_corpus(listener.port):
            for r in (
                client.get("/sparql", params={"query": query}),
                client.post("/sparql", data={"query": query}),
                client.post(
                    "/sparql",
                    content=query.encode(),
                    headers={"Content-Type": "application/sparql-query"},
                ),
            ):
                assert r.status_code < 500, (query, r.status_code, r.text)
                answers.append(r.status_code)
        time.sleep(0.3)
        assert listener.hits == 0, f"{listener.hits} connections reached the listener"
        assert 403 in answers
    finally:
        listener.close()


def test_service_refusal_is_403_with_a_message(client: httpx.Client) -> None:
    port = free_port()
    r = client.get(
        "/sparql",
        params={"query": f"SELECT * {{ #\rSERVICE <http://127.0.0.1:{port}/x> {{ ?s ?p ?o }} }}"},
    )
    assert r.status_code == 403, r.text
    assert "SERVICE" in r.text


def test_deeply_nested_queries_get_400_and_the_server_lives(client: httpx.Client) -> None:
    for query in (
        "SELECT * { FILTER(" + "(" * 8000 + "1" + ")" * 8000 + ") }",
        "SELECT * " + "{" * 8000 + "}" * 8000,
        "ASK { " + "{ " * 3000 + "}" * 3000 + " }",
        "SELECT * { ?s ?p " + "[ :p " * 2000 + "1" + " ]" * 2000 + " }",
    ):
        assert len(query) <= 16_384
        r = client.post(
            "/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"}
        )
        assert r.status_code == 400, r.text
        assert "deep" in r.text
    r = client.get(f"/resource/{RECORD}", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert client.get("/sparql", params={"query": "ASK {}"}).json()["boolean"] is True


def test_nesting_depth_cannot_be_hidden_in_strings_or_comments() -> None:
    assert nesting_depth("ASK { " + "((" * 10 + " }") >= 21
    # closing brackets inside strings and comments do not lower the count
    hidden = "ASK { FILTER(" + '("))))")' * 0 + "(" * 300 + '")))"' + ")" * 300 + ") }"
    assert nesting_depth(hidden) > MAX_NESTING
    assert nesting_depth("ASK { # )))))\n" + "(" * 300 + ")" * 300 + " }") > MAX_NESTING
    assert nesting_depth('SELECT * { ?s ?p "(((" }') == 4  # openers count everywhere


def test_the_time_limit_stops_the_work(site: Path) -> None:
    app = create_app(site, timeout=0.5, row_limit=10**9, workers=1)
    pool = app.state.pool
    with Server(app) as s, httpx.Client(base_url=s.url, timeout=30) as c:
        worker = pool._idle[0].process.pid
        start = time.monotonic()
        r = c.get("/sparql", params={"query": SLOW})
        assert r.status_code == 503
        assert "time limit" in r.text
        assert r.headers["retry-after"]
        assert time.monotonic() - start < 10
        deadline = time.monotonic() + 5
        while running(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not running(worker), "the worker that ran the query is still running"
        assert c.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    pool.close()


def test_memory_per_query_is_bounded(site: Path) -> None:
    app = create_app(site, timeout=30, row_limit=10, workers=1, memory_mb=1024)
    query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
    with Server(app) as s, httpx.Client(base_url=s.url, timeout=60) as c:
        r = c.get("/sparql", params={"query": query})
        assert r.status_code == 503, r.text[:300]
        assert "memory" in r.text
        assert c.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    app.state.pool.close()


def test_a_full_queue_gets_503_with_retry_after_and_pages_keep_coming(site: Path) -> None:
    app = create_app(site, timeout=3, workers=1, queue=1)
    with Server(app) as s:

        async def attack() -> tuple[list[httpx.Response], list[httpx.Response]]:
            async with httpx.AsyncClient(base_url=s.url, timeout=30) as c:
                heavy: list[httpx.Response] = []
                pages: list[httpx.Response] = []

                async def one_heavy() -> None:
                    heavy.append(await c.get("/sparql", params={"query": SLOW}))

                async def one_page() -> None:
                    await anyio.sleep(0.3)
                    pages.append(
                        await c.get(f"/resource/{RECORD}", headers={"Accept": "text/html"})
                    )

                async with anyio.create_task_group() as tg:
                    for _ in range(4):
                        tg.start_soon(one_heavy)
                    for _ in range(5):
                        tg.start_soon(one_page)
                return heavy, pages

        heavy, pages = anyio.run(attack)
    app.state.pool.close()
    busy = [r for r in heavy if r.status_code == 503 and "busy" in r.text]
    assert len(busy) >= 2, [(r.status_code, r.text) for r in heavy]
    assert all(r.headers.get("retry-after") for r in busy)
    assert all(r.status_code == 503 for r in heavy)  # the others ran out of time
    assert [r.status_code for r in pages] == [200] * 5


def test_a_worker_that_dies_does_not_take_the_server(site: Path) -> None:
    app = create_app(site, timeout=20, workers=1)
    pool = app.state.pool
    with Server(app) as s, httpx.Client(base_url=s.url, timeout=30) as c:
        pid = pool._idle[0].process.pid

        def crash() -> None:
            time.sleep(0.5)
            os.kill(pid, signal.SIGSEGV)  # as a parser stack overflow would

        killer = threading.Thread(target=crash)
        killer.start()
        r = c.get("/sparql", params={"query": SLOW})
        killer.join()
        assert r.status_code == 400
        assert "too complex" in r.text
        assert c.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    pool.close()


def test_no_host_reflection(client: httpx.Client) -> None:
    evil = {"Host": "evil.example:666"}
    void = client.get("/void.ttl", headers=evil)
    assert void.status_code == 200
    assert b"evil.example" not in void.content
    assert b"https://w3id.org/csec-ld/sparql" in void.content  # the base IRI's endpoint
    oai = client.get("/oai", params={"verb": "Identify"}, headers=evil)
    assert oai.status_code == 200
    assert b"evil.example" not in oai.content
    for path in ("/api/queries", "/api/openapi.json", f"/resource/{RECORD}"):
        assert b"evil.example" not in client.get(path, headers=evil).content


def test_public_url_names_the_endpoint(site: Path) -> None:
    app = create_app(site, public_url="https://csec.example.org/ld/")
    with Server(app) as s, httpx.Client(base_url=s.url, timeout=30) as c:
        assert b"<https://csec.example.org/ld/sparql>" in c.get("/void.ttl").content
        assert (
            b"https://csec.example.org/ld/oai" in c.get("/oai", params={"verb": "Identify"}).content
        )
    app.state.pool.close()


@pytest.mark.parametrize(
    "update",
    [
        "# a comment first\nINSERT DATA { <http://e/a> <http://e/b> 1 }",
        "#\rDELETE WHERE { ?s ?p ?o }",
        "PREFIX e: <http://e/> # c\n\n insert data { e:a e:b 1 }",
        "BASE <http://e/> DROP ALL",
        "LOAD <http://127.0.0.1:9/x.ttl>",
        "  \n\t CLEAR DEFAULT ; DROP ALL",
    ],
)
def test_updates_get_403_wherever_they_hide(client: httpx.Client, update: str) -> None:
    for r in (
        client.get("/sparql", params={"query": update}),
        client.post("/sparql", data={"query": update}),
        client.post(
            "/sparql", content=update.encode(), headers={"Content-Type": "application/sparql-query"}
        ),
    ):
        assert r.status_code == 403, (update, r.text)
        assert "read-only" in r.text
    assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"]


@pytest.mark.parametrize("accept", ["garbage", "text/csv;q=9", ";;;", "application/json;q=abc"])
def test_a_malformed_accept_is_read_leniently(client: httpx.Client, accept: str) -> None:
    r = client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    r = client.get(f"/resource/{RECORD}", headers={"Accept": accept})
    assert r.status_code == 200
