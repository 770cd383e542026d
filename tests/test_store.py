"""Engines and loading: in-process, embedded on-disk store, remote endpoint over HTTP.

Remote behaviour (headers, credentials, errors) is checked against a small HTTP
server on 127.0.0.1 started by the test; ``test_query_engines`` runs a real
Oxigraph server.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyoxigraph
import pytest

from csec_ld import __version__
from csec_ld.build import build
from csec_ld.errors import DataError, QueryError, SourceNotFoundError, StoreError, UsageError
from csec_ld.store import (
    EmbeddedEngine,
    MemoryEngine,
    RemoteEngine,
    catalogue_triples,
    check_query,
    load_store,
    open_engine,
    upload_graph,
)
from tests.conftest import DATA

SKOS_BROADER = "http://www.w3.org/2004/02/skos/core#broader"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _count(engine: object) -> int:
    return int(engine.query(COUNT).rows[0]["n"].value)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- local engines


def test_records_and_dumps_give_the_same_graph(tmp_path: Path) -> None:
    build([DATA], tmp_path / "dist")
    from_records = set(catalogue_triples([DATA]))
    assert any(t.predicate.value == SKOS_BROADER for t in from_records)  # the ontology is in
    for name in ("catalog.ttl", "catalog.nt", "catalog.jsonld"):
        assert set(catalogue_triples([tmp_path / "dist" / name])) == from_records, name
    # a folder of dumps (with context.jsonld beside them) reads the same
    assert set(catalogue_triples([tmp_path / "dist"])) == from_records


def test_memory_engine(tmp_path: Path) -> None:
    engine = MemoryEngine.from_sources([DATA])
    assert _count(engine) == len(engine) == len(set(catalogue_triples([DATA])))
    assert engine.query("ASK { ?s ?p ?o }").boolean is True
    assert engine.query("CONSTRUCT WHERE { ?s a <http://schema.org/Country> }").kind == "graph"
    assert "triples" in engine.describe()


def test_every_engine_reads_records_through_the_build_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One loader: query on record files, load (and push, on build) never walk the
    records one by one outside the pipeline, and get what build writes."""
    build([DATA], tmp_path / "dist", formats=["nt"], validate=False)
    built = set(catalogue_triples([tmp_path / "dist" / "catalog.nt"]))
    from csec_ld.sources import Catalogue

    def sequential(self: Catalogue) -> Iterator[object]:
        raise AssertionError("a second, sequential record loader ran")

    monkeypatch.setattr(Catalogue, "records", sequential)
    assert set(catalogue_triples([DATA])) == built
    assert len(MemoryEngine.from_sources([DATA])) == len(built)
    assert load_store(tmp_path / "store", [DATA]).triples == len(built)


def test_missing_sources_and_bad_records(catalog_copy: Path) -> None:
    with pytest.raises(SourceNotFoundError):
        MemoryEngine.from_sources([catalog_copy / "nowhere"])
    (catalog_copy / "records" / "bad.yaml").write_text(
        "id: bad\ntitle: Bad\nissued: '2010-13-01'\ntype: report\n", encoding="utf-8"
    )
    with pytest.raises(DataError) as exc:
        MemoryEngine.from_sources([catalog_copy])
    assert "bad.yaml:3" in str(exc.value) and "issued" in str(exc.value)


def test_load_store_then_query_read_only(tmp_path: Path, catalog_copy: Path) -> None:
    store = tmp_path / "store"
    first = load_store(store, [DATA])
    assert first.triples == len(set(catalogue_triples([DATA])))
    again = load_store(store, [DATA])  # replaces: same size
    assert again.triples == first.triples
    with EmbeddedEngine(store) as engine:
        assert _count(engine) == first.triples
        assert "embedded store" in engine.describe()
    # a catalogue with a problem leaves the store as it was
    (catalog_copy / "records" / "bad.yaml").write_text("id: bad\ntitle: Bad\n", encoding="utf-8")
    with pytest.raises(DataError):
        load_store(store, [catalog_copy])
    with EmbeddedEngine(store) as engine:
        assert _count(engine) == first.triples
    # --append adds
    extra = tmp_path / "extra.nt"
    extra.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    assert load_store(store, [extra], append=True).triples == first.triples + 1


def test_embedded_store_must_exist(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="csec-ld load --store"):
        EmbeddedEngine(tmp_path / "none")


def test_open_engine_chooses_one() -> None:
    assert open_engine(data=[DATA]).name == "in-process"
    assert open_engine(endpoint="http://127.0.0.1:9/sparql").name == "endpoint"
    with pytest.raises(UsageError, match="choose one"):
        open_engine(data=[DATA], endpoint="http://127.0.0.1:9/sparql")
    with pytest.raises(UsageError, match="not an http"):
        open_engine(endpoint="ftp://example.org/sparql")
    with pytest.raises(UsageError, match="--timeout"):
        RemoteEngine("http://127.0.0.1:9/", timeout=0)


def test_check_query() -> None:
    assert check_query("SELECT * WHERE { ?s ?p ?o }") == "select"
    assert check_query("ASK {}") == "ask"
    assert check_query("DESCRIBE <urn:x>") == "graph"
    with pytest.raises(QueryError, match="line 1, column"):
        check_query("SELECT * WHERE { ?s ?p ")
    with pytest.raises(QueryError, match="not SPARQL updates"):
        check_query("DELETE WHERE { ?s ?p ?o }")


def test_unreadable_rdf(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> .\n", encoding="utf-8")
    with pytest.raises(StoreError, match=r"bad\.ttl: cannot read the RDF"):
        list(catalogue_triples([bad]))


# --------------------------------------------------------------------------- remote engine

SELECT_JSON = json.dumps(
    {
        "head": {"vars": ["x"]},
        "results": {
            "bindings": [
                {
                    "x": {
                        "type": "literal",
                        "value": "1",
                        "datatype": "http://www.w3.org/2001/XMLSchema#integer",
                    }
                }
            ]
        },
    }
).encode()


class _Handler(BaseHTTPRequestHandler):
    seen: list[dict[str, object]]

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError):  # the client gave up (the timeout test)
            self.wfile.write(body)

    def do_PUT(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        url = urlsplit(self.path)
        self.seen.append(
            {
                "method": self.command,
                "path": url.path,
                "query": url.query,
                "headers": dict(self.headers),
                "body": body,
            }
        )
        if url.path == "/sparql":
            form = parse_qs(body.decode())
            if "CONSTRUCT" in form["query"][0]:
                self._answer(200, "application/n-triples", b"<urn:a> <urn:b> <urn:c> .\n")
            else:
                self._answer(200, "application/sparql-results+json", SELECT_JSON)
        elif url.path == "/html500":
            self._answer(
                500,
                "text/html",
                b"<html><head><title>Internal Server Error</title></head><body>oops</body></html>",
            )
        elif url.path == "/html200":
            self._answer(
                200,
                "text/html; charset=utf-8",
                b"<!DOCTYPE html><html><head><title>Welcome</title></head></html>",
            )
        elif url.path == "/denied":
            self._answer(401, "text/plain", b"who are you?")
        elif url.path == "/bad":
            self._answer(400, "text/plain", b"Parse error at line 1")
        elif url.path == "/slow":
            time.sleep(1.5)
            self._answer(200, "application/sparql-results+json", SELECT_JSON)
        elif url.path == "/plain":
            self._answer(200, "text/plain", b"hello")
        elif url.path == "/store":
            self._answer(204, "text/plain", b"")
        else:
            self._answer(404, "text/plain", b"not here")


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[dict[str, object]]]]:
    seen: list[dict[str, object]] = []
    handler = type("Handler", (_Handler,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_remote_select_construct_and_headers(
    http_server: tuple[str, list[dict[str, object]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, seen = http_server
    monkeypatch.delenv("CSEC_LD_ENDPOINT_TOKEN", raising=False)
    monkeypatch.setenv("CSEC_LD_ENDPOINT_USER", "librarian")
    monkeypatch.setenv("CSEC_LD_ENDPOINT_PASSWORD", "s3cret")
    with RemoteEngine(base + "/sparql") as engine:
        result = engine.query("SELECT ?x WHERE { ?x ?p ?o }")
        assert result.variables == ["x"] and result.rows[0]["x"].value == "1"
        graph = engine.query("CONSTRUCT WHERE { ?s ?p ?o }")
        assert [str(t) for t in graph.triples] == ["<urn:a> <urn:b> <urn:c>"]
    headers = {k.lower(): v for k, v in seen[0]["headers"].items()}  # type: ignore[union-attr]
    assert headers["user-agent"] == f"csec-ld/{__version__}"
    # Credentials go only where the endpoint asks for them (a 401 challenge: Basic or
    # Digest, tests/test_push.py), never in the clear to one that did not.
    assert "authorization" not in headers
    assert "application/sparql-results+json" in headers["accept"]
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    graph_headers = {k.lower(): v for k, v in seen[1]["headers"].items()}  # type: ignore[union-attr]
    assert "application/n-triples" in graph_headers["accept"]


def test_remote_token(
    http_server: tuple[str, list[dict[str, object]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, seen = http_server
    monkeypatch.setenv("CSEC_LD_ENDPOINT_TOKEN", "tok")
    with RemoteEngine(base + "/sparql") as engine:
        engine.query("ASK { }")
    assert dict(seen[0]["headers"])["Authorization"] == "Bearer tok"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/html500", "answered HTTP 500 with an HTML page (Internal Server Error)"),
        ("/html200", "answered HTTP 200 with an HTML page (Welcome)"),
        ("/denied", "access denied (HTTP 401); set CSEC_LD_ENDPOINT_TOKEN"),
        ("/missing", "answered HTTP 404: not here"),
        ("/plain", "answered text/plain, not SPARQL results"),
    ],
)
def test_remote_errors(
    http_server: tuple[str, list[dict[str, object]]], path: str, message: str
) -> None:
    base, _ = http_server
    with RemoteEngine(base + path) as engine, pytest.raises(StoreError) as exc:
        engine.query("SELECT * WHERE { ?s ?p ?o }")
    assert message in str(exc.value)
    assert exc.value.exit_code == 1


def test_remote_rejection_is_a_query_error(
    http_server: tuple[str, list[dict[str, object]]],
) -> None:
    base, _ = http_server
    with RemoteEngine(base + "/bad") as engine, pytest.raises(QueryError, match="Parse error"):
        engine.query("SELECT * WHERE { ?s ?p ?o }")


def test_remote_syntax_error_is_caught_before_sending(
    http_server: tuple[str, list[dict[str, object]]],
) -> None:
    base, seen = http_server
    with RemoteEngine(base + "/sparql") as engine, pytest.raises(QueryError, match="line 1"):
        engine.query("SELECT * WHERE { ?s ")
    assert seen == []


def test_remote_timeout(http_server: tuple[str, list[dict[str, object]]]) -> None:
    base, _ = http_server
    with (
        RemoteEngine(base + "/slow", timeout=0.2) as engine,
        pytest.raises(StoreError, match=r"no answer within 0.2 s"),
    ):
        engine.query("ASK { }")


def test_remote_unreachable() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        RemoteEngine(f"http://127.0.0.1:{port}/sparql", timeout=2) as engine,
        pytest.raises(StoreError, match="cannot reach the endpoint"),
    ):
        engine.query("ASK { }")


def test_upload_graph(http_server: tuple[str, list[dict[str, object]]]) -> None:
    base, seen = http_server
    upload_graph(base + "/store", b"<urn:a> <urn:b> <urn:c> .\n")
    upload_graph(base + "/store", b"", graph="urn:g", replace=False, media_type="text/turtle")
    assert seen[0]["method"] == "PUT" and seen[0]["query"] == "default="
    assert dict(seen[0]["headers"])["Content-Type"] == "application/n-triples"  # type: ignore[arg-type]
    assert seen[1]["method"] == "POST" and seen[1]["query"] == "graph=urn%3Ag"
    with pytest.raises(StoreError, match="graph store answered HTTP 500 with an HTML page"):
        upload_graph(base + "/html500", b"")


def test_parse_our_jsonld_offline(tmp_path: Path) -> None:
    build([DATA], tmp_path / "dist", formats=["jsonld"])
    # pyoxigraph alone cannot: the context is referenced by IRI, not fetched
    with pytest.raises(SyntaxError):
        pyoxigraph.Store().load(path=str(tmp_path / "dist" / "catalog.jsonld"))
    assert len(list(catalogue_triples([tmp_path / "dist" / "catalog.jsonld"]))) > 400
