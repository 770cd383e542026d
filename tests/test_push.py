"""``push`` against a real Oxigraph server on 127.0.0.1: replace, atomicity, errors."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs

import httpx
import pyoxigraph
import pytest
from click.testing import CliRunner
from pyoxigraph import DefaultGraph, NamedNode, QueryResultsFormat, RdfFormat

from csec_ld.cli import main
from csec_ld.errors import StoreError, UsageError
from csec_ld.push import push, update_endpoint_for
from tests.conftest import DATA
from tests.servers import OxigraphServer

GRAPH = "https://w3id.org/csec-ld/catalog-graph"
RESOURCE = "https://w3id.org/csec-ld/resource/"
EXTRA = """\
id: extra-report-2011
title: An extra report
issued: '2011'
type: report
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[OxigraphServer]:
    srv = OxigraphServer(tmp_path / "oxigraph")
    yield srv
    srv.stop()


def _ids(server: OxigraphServer, graph: str | None = GRAPH) -> set[str]:
    where = (
        f"GRAPH <{graph}> {{ ?c <http://purl.org/dc/terms/hasPart> ?r }}"
        if graph
        else ("?c <http://purl.org/dc/terms/hasPart> ?r")
    )
    answer = httpx.post(
        server.query_url,
        data={"query": f"SELECT ?r WHERE {{ {where} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    answer.raise_for_status()
    return {b["r"]["value"][len(RESOURCE) :] for b in answer.json()["results"]["bindings"]}


def _count(server: OxigraphServer) -> int:
    q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    answer = httpx.post(
        server.query_url,
        data={"query": q},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture
def bigger(catalog_copy: Path) -> Path:
    (catalog_copy / "records" / "extra-report-2011.yaml").write_text(EXTRA)
    return catalog_copy


def test_push_replaces_the_named_graph(server: OxigraphServer, bigger: Path) -> None:
    first = push([bigger], server.store_url, graph=GRAPH, lines_per_chunk=100)
    assert first.records == 11 and first.chunks > 3
    assert "extra-report-2011" in _ids(server)
    total = _count(server)
    second = push([DATA], server.store_url, graph=GRAPH, lines_per_chunk=100)
    assert second.records == 10
    ids = _ids(server)
    assert len(ids) == 10 and "extra-report-2011" not in ids  # replaced, not added to
    assert _count(server) < total  # and no staging graph is left behind
    graphs = httpx.post(
        server.query_url,
        data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g {} }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    assert [b["g"]["value"] for b in graphs.json()["results"]["bindings"]] == [GRAPH]


def test_push_to_the_default_graph_and_query_it_back(
    server: OxigraphServer, runner: CliRunner
) -> None:
    result = runner.invoke(main, ["push", str(DATA), "--graph-store", server.store_url, "-q"])
    assert result.exit_code == 0, result.output
    assert "10 records" in result.stdout and "default graph" in result.stdout
    assert len(_ids(server, graph=None)) == 10
    rows = runner.invoke(
        main,
        ["query", "by-country", "-p", "country=PHL", "-f", "csv", "--endpoint", server.query_url],
    )
    assert rows.exit_code == 0, rows.output
    assert rows.stdout.count(RESOURCE) == 2


def test_a_push_that_dies_half_way_leaves_the_published_graph(
    server: OxigraphServer, bigger: Path
) -> None:
    push([DATA], server.store_url, graph=GRAPH)
    before = _ids(server)
    sent = []

    def kill_after_first_chunk(n: int) -> None:
        sent.append(n)
        if len(sent) == 1:
            server.stop()

    with pytest.raises(StoreError, match="cannot reach"):
        push(
            [bigger],
            server.store_url,
            graph=GRAPH,
            lines_per_chunk=50,
            retries=1,
            on_progress=kill_after_first_chunk,
        )
    restarted = OxigraphServer(server.location, port=server.port)
    try:
        assert _ids(restarted) == before  # the half-sent catalogue never replaced it
    finally:
        restarted.stop()


def test_bad_records_send_nothing(server: OxigraphServer, catalog_copy: Path) -> None:
    (catalog_copy / "records" / "bad.yaml").write_text(
        "id: bad-2010\ntitle: Bad\nissued: 2010-13-01\ntype: report\n"
    )
    with pytest.raises(Exception, match="2010-13-01"):
        push([catalog_copy], server.store_url, graph=GRAPH)
    assert _count(server) == 0


class _Handler(BaseHTTPRequestHandler):
    """A store (in-process pyoxigraph) that wants credentials, or that is busy once.

    It holds what it is sent and answers queries: push counts the staging graph and
    the target before it swaps them, so a store that only says 204 will no longer do.
    """

    busy_left = 0
    seen_auth: ClassVar[list[str | None]] = []
    store: ClassVar[pyoxigraph.Store] = pyoxigraph.Store()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen_auth.append(self.headers.get("Authorization"))
        if self.path.startswith("/locked"):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="store"')
            self.end_headers()
            return
        if type(self).busy_left:
            type(self).busy_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        answer = b""
        if path.endswith("/store"):
            graph = parse_qs(query).get("graph")
            to = NamedNode(graph[0]) if graph else DefaultGraph()
            self.store.load(body, format=RdfFormat.N_TRIPLES, to_graph=to)
        elif path.endswith("/update"):
            self.store.update(body.decode())
        elif path.endswith("/query"):
            sparql = parse_qs(body.decode())["query"][0]
            answer = self.store.query(sparql).serialize(format=QueryResultsFormat.JSON) or b""
        if not answer:
            self.send_response(204)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_store() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.busy_left = 0
    _Handler.seen_auth = []
    _Handler.store = pyoxigraph.Store()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_store_that_wants_credentials(
    fake_store: str, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CSEC_LD_ENDPOINT_TOKEN", raising=False)
    monkeypatch.delenv("CSEC_LD_ENDPOINT_USER", raising=False)
    result = runner.invoke(main, ["push", str(DATA), "--graph-store", f"{fake_store}/locked/store"])
    assert result.exit_code == 1
    assert "wants credentials" in result.stderr and "CSEC_LD_ENDPOINT_TOKEN" in result.stderr
    assert "Traceback" not in result.output


def test_credentials_come_from_the_environment(
    fake_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSEC_LD_ENDPOINT_TOKEN", "s3cret")
    push([DATA], f"{fake_store}/store")
    assert _Handler.seen_auth and all(a == "Bearer s3cret" for a in _Handler.seen_auth)


def test_transient_errors_are_retried(fake_store: str) -> None:
    _Handler.busy_left = 2
    result = push([DATA], f"{fake_store}/store", retries=3)
    assert result.records == 10 and _Handler.busy_left == 0


def test_update_endpoint_is_derived_or_asked_for() -> None:
    assert update_endpoint_for("http://h:7878/store") == "http://h:7878/update"
    assert update_endpoint_for("http://h:3030/ds/data") == "http://h:3030/ds/update"
    with pytest.raises(UsageError, match="--update-endpoint"):
        update_endpoint_for("http://h/sparql-graph-crud")


def test_unreachable_store(runner: CliRunner) -> None:
    result = runner.invoke(
        main,
        [
            "push",
            str(DATA),
            "--graph-store",
            "http://127.0.0.1:9/store",
            "--retries",
            "0",
            "--timeout",
            "2",
        ],
    )
    assert result.exit_code == 1
    assert "cannot reach" in result.stderr


@pytest.mark.parametrize("swap", ["insert", "put"])
def test_other_swaps_replace_too(server: OxigraphServer, bigger: Path, swap: str) -> None:
    push([bigger], server.store_url, graph=GRAPH, swap=swap, lines_per_chunk=100)
    assert "extra-report-2011" in _ids(server)
    push([DATA], server.store_url, graph=GRAPH, swap=swap, lines_per_chunk=100)
    assert len(_ids(server)) == 10
    push([DATA], server.store_url, swap=swap)  # the default graph
    assert len(_ids(server, graph=None)) == 10


def test_a_graph_iri_cannot_inject_an_update(server: OxigraphServer) -> None:
    with pytest.raises(UsageError, match="--graph"):
        push([DATA], server.store_url, graph="http://x/> } ; DROP ALL ; <http://y/")
    assert _count(server) == 0


# --------------------------------------------------------------------------- Digest


class _DigestStore(_Handler):
    """The same store behind Digest authentication (MD5, qop=auth), as Virtuoso's
    ``/sparql-graph-crud-auth``; or, under ``/negotiate``, behind a scheme push cannot use."""

    user, password, realm = "alice", "s3cret-pw", "SPARQL"
    nonces: ClassVar[set[str]] = set()
    challenges = 0

    def _challenge(self) -> None:
        nonce = secrets.token_hex(16)
        self.nonces.add(nonce)
        type(self).challenges += 1
        self.send_response(401)
        self.send_header(
            "WWW-Authenticate",
            f'Digest realm="{self.realm}", nonce="{nonce}", '
            'opaque="0123", qop="auth", algorithm="MD5"',
        )
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _verified(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Digest "):
            return False
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', header[len("Digest ") :]))
        if fields.get("nonce") not in self.nonces or fields.get("username") != self.user:
            return False

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        ha1 = md5(f"{self.user}:{self.realm}:{self.password}")
        ha2 = md5(f"{self.command}:{fields.get('uri')}")
        expected = md5(
            f"{ha1}:{fields['nonce']}:{fields.get('nc')}:{fields.get('cnonce')}:auth:{ha2}"
        )
        return fields.get("uri") == self.path and fields.get("response") == expected

    def do_POST(self) -> None:
        if self.path.startswith("/negotiate"):
            self.send_response(401)
            self.send_header("WWW-Authenticate", "Negotiate")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if not self._verified():
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._challenge()
            return
        super().do_POST()


@pytest.fixture
def digest_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.delenv("CSEC_LD_ENDPOINT_TOKEN", raising=False)
    monkeypatch.delenv("CSEC_LD_ENDPOINT_USER", raising=False)
    monkeypatch.delenv("CSEC_LD_ENDPOINT_PASSWORD", raising=False)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _DigestStore)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _DigestStore.seen_auth = []
    _DigestStore.store = pyoxigraph.Store()
    _DigestStore.nonces = set()
    _DigestStore.challenges = 0
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("where", ["environment", "url"])
def test_push_answers_a_digest_challenge(
    digest_store: str, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    endpoint = f"{digest_store}/store"
    if where == "environment":
        monkeypatch.setenv("CSEC_LD_ENDPOINT_USER", "alice")
        monkeypatch.setenv("CSEC_LD_ENDPOINT_PASSWORD", "s3cret-pw")
    else:
        endpoint = endpoint.replace("http://", "http://alice:s3cret-pw@")
    result = push([DATA], endpoint, graph=GRAPH, lines_per_chunk=100)
    assert result.records == 10 and result.chunks > 3
    assert len(_DigestStore.store) == result.triples
    sent = [a for a in _DigestStore.seen_auth if a]
    assert sent and all(a.startswith("Digest ") and "s3cret" not in a for a in sent)
    # One challenge, then the nonce is reused: not a second request for every request.
    assert _DigestStore.challenges == 1


def test_a_wrong_digest_password_is_refused_and_never_shown(
    digest_store: str, runner: CliRunner
) -> None:
    endpoint = f"{digest_store}/store".replace("http://", "http://alice:s3cret-wrong@")
    result = runner.invoke(main, ["push", str(DATA), "--graph-store", endpoint, "--retries", "0"])
    assert result.exit_code == 1
    assert "refused the credentials" in result.stderr and "alice:***@" in result.stderr
    assert "s3cret" not in result.output and "Traceback" not in result.output
    assert len(_DigestStore.store) == 0


def test_an_unknown_scheme_is_a_clear_error(digest_store: str, runner: CliRunner) -> None:
    endpoint = f"{digest_store}/negotiate/store".replace("http://", "http://alice:s3cret-pw@")
    result = runner.invoke(main, ["push", str(DATA), "--graph-store", endpoint, "--retries", "0"])
    assert result.exit_code == 1
    error = result.stderr.strip()
    assert error.count("\n") == 0 and "Traceback" not in result.output
    assert "asks for negotiate authentication" in error and "Basic and Digest" in error
    assert "s3cret" not in result.output


def test_query_answers_a_digest_challenge(
    digest_store: str, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    """`csec-ld query --endpoint` logs in as push does (Virtuoso's /sparql-auth)."""
    push([DATA], f"{digest_store}/store".replace("http://", "http://alice:s3cret-pw@"))
    monkeypatch.setenv("CSEC_LD_ENDPOINT_USER", "alice")
    monkeypatch.setenv("CSEC_LD_ENDPOINT_PASSWORD", "s3cret-pw")
    _DigestStore.seen_auth = []
    result = runner.invoke(
        main, ["query", "count-by-type", "-f", "csv", "--endpoint", f"{digest_store}/query"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("type,typeLabel,resources")
    sent = [a for a in _DigestStore.seen_auth if a]
    assert sent and all(a.startswith("Digest ") for a in sent)
