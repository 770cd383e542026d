"""``push`` when things go wrong between it and the store: the published graph is never lost.

A real ``oxigraph serve`` sits behind a proxy of ours (a thread on 127.0.0.1) that loses
the answer to the swap after the store applied it, drops the connection, never forwards
the swap, swallows a chunk, or wants a password. Whatever happens, the target holds
either all its old triples or exactly the new ones, and push's exit code says which.
"""

from __future__ import annotations

import base64
import http.client
import re
import socket
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple

import httpx
import pyoxigraph
import pytest
from click.testing import CliRunner, Result
from pyoxigraph import RdfFormat, Triple

from csec_ld.cli import main
from csec_ld.push import push
from csec_ld.store import catalogue_triples
from tests.conftest import DATA
from tests.servers import OxigraphServer

GRAPH = "https://w3id.org/csec-ld/catalog-graph"
PREFIX = "urn:csec-ld:staging:"
EXTRA = """\
id: extra-report-2011
title: An extra report
issued: '2011'
type: report
"""


class Seen(NamedTuple):
    """A request the proxy saw."""

    method: str
    path: str
    body: bytes
    meddled: bool


# Headers that belong to one connection, not to the request: a proxy does not pass them on.
_HOP_HEADERS = frozenset(
    {
        "connection",
        "content-length",
        "host",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


#: What Virtuoso 7.2 answered a MOVE of 2.66 million triples with its default settings,
#: and one of 26.6 million with a 60 s MaxQueryExecutionTime.
FINAL = {
    "sr325": b"Virtuoso 40005 Error SR325: Transaction aborted because it's log after image "
    b"size went above the limit\n\nSPARQL query:\nMOVE GRAPH <urn:x> TO GRAPH <urn:y>",
    "sr171": b"Virtuoso S1T00 Error SR171: Transaction timed out\n\nSPARQL query:\n"
    b"MOVE GRAPH <urn:x> TO GRAPH <urn:y>",
}


class MeddlingProxy:
    """An HTTP proxy on 127.0.0.1 in front of *upstream* that meddles with some requests.

    Every request is forwarded as it is, except the first *times* (None: every one) of
    those that *picks(method, path, body)* selects, which get *mode*:

    * ``"504 after"``: forwarded, the store's answer thrown away, the client told 504;
    * ``"drop after"``: forwarded, then the connection closed without any answer;
    * ``"504"``: not forwarded, the client told 504;
    * ``"400"``: not forwarded, the client told 400 (as a store that cannot run it would);
    * ``"sr325"``, ``"sr171"``: not forwarded, the client told 500 with the error
      Virtuoso gives a transaction larger than its ``TransactionAfterImageLimit``, or
      longer than its ``MaxQueryExecutionTime``;
    * ``"swallow"``: not forwarded, the client told 204 (a request lost on the way).

    With *auth* (``"user:password"``) every request without those basic credentials
    gets 401, as a store behind an authenticating proxy would. ``log`` holds every
    request, in order; ``forwarded`` counts the picked requests that reached the store.
    """

    MODES = ("504 after", "drop after", "504", "400", "sr325", "sr171", "swallow")

    def __init__(
        self,
        upstream: str,
        mode: str = "504 after",
        picks: Callable[[str, str, bytes], bool] | None = None,
        *,
        times: int | None = 1,
        auth: str | None = None,
    ) -> None:
        if mode not in self.MODES:
            raise ValueError(mode)
        target = urllib.parse.urlsplit(upstream)
        self.upstream = (target.hostname or "127.0.0.1", target.port or 80)
        self.mode = mode
        self.picks = picks or (lambda method, path, body: False)
        self.left = times
        self.expected_auth = (
            "Basic " + base64.b64encode(auth.encode()).decode() if auth is not None else None
        )
        self.log: list[Seen] = []
        self.forwarded = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10  # seconds a connection may sit idle or half-sent

            def do_GET(self) -> None:
                proxy._handle(self)

            do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def picked(self) -> list[Seen]:
        """The requests meddled with, in order."""
        return [seen for seen in self.log if seen.meddled]

    def swaps(self) -> list[int]:
        """Where the swap requests are in ``log``."""
        return [i for i, seen in enumerate(self.log) if is_swap(*seen[:3])]

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        if self.expected_auth is not None and h.headers.get("Authorization") != self.expected_auth:
            self._answer(h, 401, [("WWW-Authenticate", 'Basic realm="store"')], b"")
            return
        with self.lock:
            meddle = self.left != 0 and self.picks(h.command, h.path, body)
            if meddle and self.left is not None:
                self.left -= 1
            self.log.append(Seen(h.command, h.path, body, meddle))
        if meddle and self.mode == "504":
            self._answer(h, 504, [("Content-Type", "text/plain")], b"Gateway Time-out")
            return
        if meddle and self.mode == "400":
            self._answer(h, 400, [("Content-Type", "text/plain")], b"MOVE is not supported")
            return
        if meddle and self.mode in FINAL:
            self._answer(h, 500, [("Content-Type", "text/plain")], FINAL[self.mode])
            return
        if meddle and self.mode == "swallow":
            self._answer(h, 204, [], b"")
            return
        status, headers, payload = self._forward(h.command, h.path, h.headers.items(), body)
        if not meddle:
            self._answer(h, status, headers, payload)
            return
        with self.lock:
            self.forwarded += 1
        if self.mode == "504 after":
            self._answer(h, 504, [("Content-Type", "text/plain")], b"Gateway Time-out")
        else:  # "drop after": no status line, nothing; the server closes the socket
            h.close_connection = True

    def _forward(
        self, method: str, path: str, headers: Iterable[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self.upstream, timeout=10)
        try:
            sent = {k: v for k, v in headers if k.lower() not in _HOP_HEADERS}
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            payload = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_HEADERS]
            return response.status, kept, payload
        finally:
            conn.close()

    @staticmethod
    def _answer(
        h: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]], payload: bytes
    ) -> None:
        h.send_response(status)
        for name, value in headers:
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(payload)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)

    def __enter__(self) -> MeddlingProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def is_swap(method: str, path: str, body: bytes) -> bool:
    """Whether a request is push's swap: an update that MOVEs, or DROPs and INSERTs."""
    update = body.upper()
    return (
        method == "POST"
        and path.startswith("/update")
        and (b"MOVE" in update or (b"DROP" in update and b"INSERT" in update))
    )


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def server(tmp_path: Path) -> Iterator[OxigraphServer]:
    srv = OxigraphServer(tmp_path / "oxigraph")
    yield srv
    srv.stop()


@pytest.fixture
def bigger(catalog_copy: Path) -> Path:
    (catalog_copy / "records" / "extra-report-2011.yaml").write_text(EXTRA)
    return catalog_copy


def _post(url: str, **kwargs: object) -> httpx.Response:
    answer = httpx.post(url, timeout=10, **kwargs)  # type: ignore[arg-type]
    answer.raise_for_status()
    return answer


def _triples(server: OxigraphServer, graph: str | None = GRAPH) -> set[Triple]:
    """What *graph* of the store holds (None: the default graph), read back whole."""
    where = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
    answer = _post(
        server.query_url,
        data={"query": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}"},
        headers={"Accept": "application/n-triples"},
    )
    return {q.triple for q in pyoxigraph.parse(answer.content, format=RdfFormat.N_TRIPLES)}


def _graphs(server: OxigraphServer) -> set[str]:
    answer = _post(
        server.query_url,
        data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    return {b["g"]["value"] for b in answer.json()["results"]["bindings"]}


def _catalogue(sources: list[Path]) -> set[Triple]:
    """The triples a push of *sources* must leave, computed without push."""
    return set(catalogue_triples(sources))


def _graph_args(graph: str | None) -> list[str]:
    return ["--graph", graph] if graph else []


def _push(*args: str) -> Result:
    return CliRunner().invoke(main, ["push", *args, "--timeout", "10", "-q"])


def _one_line_error(result: Result) -> str:
    """The error a failed command printed: exactly one line, no traceback."""
    assert result.exit_code not in (0, None), result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture
def published(server: OxigraphServer, bigger: Path) -> set[Triple]:
    """The 11-record catalogue, pushed straight to the store: the graph as published."""
    result = _push(str(bigger), "--graph-store", server.store_url, "--graph", GRAPH)
    assert result.exit_code == 0, result.output
    old = _triples(server)
    assert old == _catalogue([bigger])
    return old


# --------------------------------------------------------------------------- the swap


@pytest.mark.parametrize(
    ("mode", "swap", "graph"),
    [
        ("504 after", "move", GRAPH),
        ("drop after", "move", GRAPH),
        ("504 after", "insert", GRAPH),
        ("drop after", "insert", GRAPH),
        ("504 after", "move", None),
        ("drop after", "insert", None),
    ],
)
def test_a_lost_answer_to_an_applied_swap_is_proven_not_resent(
    server: OxigraphServer, bigger: Path, mode: str, swap: str, graph: str | None
) -> None:
    """The store applied the swap, the client never heard: push asks, and succeeds."""
    first = _push(str(bigger), "--graph-store", server.store_url, *_graph_args(graph))
    assert first.exit_code == 0, first.output
    with MeddlingProxy(server.base, mode, is_swap) as proxy:
        result = _push(
            str(DATA),
            "--graph-store",
            proxy.base + "/store",
            *_graph_args(graph),
            "--swap",
            swap,
            "--retries",
            "2",
        )
    assert _triples(server, graph) == _catalogue([DATA])  # exactly the new catalogue
    assert result.exit_code == 0, result.output
    assert "applied" in result.stderr and "warning:" in result.stderr
    assert proxy.forwarded == 1 and len(proxy.swaps()) == 1  # the swap was sent once
    assert not {g for g in _graphs(server) if g.startswith(PREFIX)}


def test_a_swap_that_never_reached_the_store_is_sent_again_once_proven_undone(
    server: OxigraphServer, published: set[Triple]
) -> None:
    with MeddlingProxy(server.base, "504", is_swap, times=1) as proxy:
        result = _push(str(DATA), "--graph-store", proxy.base + "/store", "--graph", GRAPH)
    assert result.exit_code == 0, result.output
    assert _triples(server) == _catalogue([DATA])
    assert "sent again" in result.stderr
    # Between the lost swap and the second one, push asked the store what it held.
    swaps = proxy.swaps()
    assert len(swaps) == 2 and proxy.log[swaps[0]].meddled, proxy.log
    between = proxy.log[swaps[0] + 1 : swaps[1]]
    assert any(seen.path.startswith("/query") for seen in between), proxy.log


@pytest.mark.parametrize(("swap", "sent"), [("move", 2), ("insert", 1)])
def test_a_swap_that_never_reaches_the_store_fails_and_says_so(
    server: OxigraphServer, published: set[Triple], swap: str, sent: int
) -> None:
    with MeddlingProxy(server.base, "504", is_swap, times=None) as proxy:
        result = _push(
            str(DATA),
            "--graph-store",
            proxy.base + "/store",
            "--graph",
            GRAPH,
            "--swap",
            swap,
            "--retries",
            "1",
        )
    error = _one_line_error(result)
    assert result.exit_code == 1
    assert _triples(server) == published  # untouched
    assert "had not applied it" in error and "push again" in error
    assert len(proxy.swaps()) == sent  # a MOVE once more (--retries 1); DROP/INSERT never
    # The staging graph is named, and left for a swap that might still be on its way.
    staging = {g for g in _graphs(server) if g.startswith(PREFIX)}
    assert len(staging) == 1 and f"<{staging.pop()}>" in error


def test_a_store_that_refuses_the_swap_leaves_no_staging_graph(
    server: OxigraphServer, published: set[Triple]
) -> None:
    with MeddlingProxy(server.base, "400", is_swap, times=None) as proxy:
        result = _push(str(DATA), "--graph-store", proxy.base + "/store", "--graph", GRAPH)
    error = _one_line_error(result)
    assert "HTTP 400" in error
    assert _triples(server) == published
    assert not {g for g in _graphs(server) if g.startswith(PREFIX)}
    assert len(proxy.swaps()) == 1  # a refusal is an answer: not sent again


@pytest.mark.parametrize(
    ("mode", "setting"),
    [("sr325", "TransactionAfterImageLimit"), ("sr171", "MaxQueryExecutionTime")],
)
def test_a_swap_too_large_for_virtuoso_is_not_resent_and_says_what_to_raise(
    server: OxigraphServer, published: set[Triple], mode: str, setting: str
) -> None:
    """A store that aborted the swap for its size or its time answers 500: sending it
    again would fail again (and cost the store as much), so push stops, says which
    setting, and drops its staging graph."""
    with MeddlingProxy(server.base, mode, is_swap, times=None) as proxy:
        result = _push(str(DATA), "--graph-store", proxy.base + "/store", "--graph", GRAPH)
    error = _one_line_error(result)
    assert result.exit_code == 1
    assert mode.upper() in error and setting in error, error
    assert len(proxy.swaps()) == 1
    assert _triples(server) == published
    assert not {g for g in _graphs(server) if g.startswith(PREFIX)}


def test_a_lost_chunk_is_caught_before_the_swap(
    server: OxigraphServer, published: set[Triple]
) -> None:
    def upload(method: str, path: str, body: bytes) -> bool:
        return method == "POST" and path.startswith("/store")

    # The first chunk is "accepted" by the proxy but never reaches the store.
    with MeddlingProxy(server.base, "swallow", upload, times=1) as proxy:
        result = _push(
            str(DATA),
            "--graph-store",
            proxy.base + "/store",
            "--graph",
            GRAPH,
            "--chunk-lines",
            "100",
        )
    error = _one_line_error(result)
    assert re.search(r"holds \d+ triples, not the \d+ sent", error), error
    assert _triples(server) == published
    assert not {g for g in _graphs(server) if g.startswith(PREFIX)}  # dropped
    assert not proxy.swaps()


# --------------------------------------------------------------------------- counting, naming


def test_the_triples_pushed_are_the_distinct_triples_the_store_holds(
    server: OxigraphServer,
) -> None:
    with MeddlingProxy(server.base) as proxy:
        result = _push(str(DATA), "--graph-store", proxy.base + "/store", "--graph", GRAPH)
    assert result.exit_code == 0, result.output
    expected = _catalogue([DATA])
    assert _triples(server) == expected
    # The catalogue describes the concepts it uses, as the ontology does: sent once.
    assert f"{len(expected)} triples" in result.stdout
    uploads = [s.path for s in proxy.log if s.method == "POST" and s.path.startswith("/store")]
    names = {urllib.parse.parse_qs(urllib.parse.urlsplit(p).query)["graph"][0] for p in uploads}
    assert len(names) == 1
    match = re.fullmatch(
        re.escape(PREFIX) + r"(\d{8}T\d{6}Z):([0-9a-f-]{36})", staging := names.pop()
    )
    assert match, staging
    made = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - made).total_seconds()) < 600


def test_staging_graphs_of_interrupted_pushes_are_removed(
    server: OxigraphServer, runner: CliRunner
) -> None:
    now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    stale = f"{PREFIX}20200101T000000Z:{uuid.uuid4()}"
    young = f"{PREFIX}{now}:{uuid.uuid4()}"  # perhaps a push running right now
    undated = f"{PREFIX}{uuid.uuid4()}"  # an older csec-ld's: its age is unknown
    for name in (stale, young, undated):
        _post(
            server.store_url,
            params={"graph": name},
            content=b"<urn:x:s> <urn:x:p> <urn:x:o> .\n",
            headers={"Content-Type": "application/n-triples"},
        )
    result = runner.invoke(
        main, ["push", str(DATA), "--graph-store", server.store_url, "--graph", GRAPH, "-q"]
    )
    assert result.exit_code == 0, result.output
    assert f"removed 1 staging graph left by an interrupted push: {stale}" in result.stdout
    assert result.stderr.startswith("warning: left 2 staging graphs")
    assert young in result.stderr and undated in result.stderr
    assert _graphs(server) == {GRAPH, young, undated}


# --------------------------------------------------------------------------- passwords


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _with_password(base: str, password: str) -> str:
    return base.replace("http://", f"http://alice:{password}@") + "/store"


def _no_password_anywhere(text: str, exc: BaseException | None) -> None:
    seen = [text]
    while exc is not None:
        seen.append(f"{type(exc).__name__}: {exc}")
        exc = exc.__cause__ or exc.__context__
    assert not [t for t in seen if "s3cret" in t], seen


def test_a_password_in_the_url_is_sent_but_never_shown(
    server: OxigraphServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CSEC_LD_ENDPOINT_TOKEN", raising=False)
    monkeypatch.delenv("CSEC_LD_ENDPOINT_USER", raising=False)
    with MeddlingProxy(server.base, auth="alice:s3cret-pw") as proxy:
        result = _push(str(DATA), "--graph-store", _with_password(proxy.base, "s3cret-pw"))
    assert result.exit_code == 0, result.output  # httpx sent them as basic auth
    assert "alice:***@127.0.0.1" in result.stdout
    _no_password_anywhere(result.output, result.exception)
    assert len(_triples(server, None)) == len(_catalogue([DATA]))


@pytest.mark.parametrize("where", ["refused", "unreachable"])
def test_a_password_in_the_url_is_never_in_an_error(
    server: OxigraphServer, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.delenv("CSEC_LD_ENDPOINT_TOKEN", raising=False)
    monkeypatch.delenv("CSEC_LD_ENDPOINT_USER", raising=False)
    with MeddlingProxy(server.base, auth="alice:right") as proxy:
        base = proxy.base if where == "refused" else f"http://127.0.0.1:{_free_port()}"
        result = _push(
            str(DATA), "--graph-store", _with_password(base, "s3cret-pw"), "--retries", "0"
        )
    error = _one_line_error(result)
    assert ("refused the credentials" if where == "refused" else "cannot reach") in error
    assert "alice:***@127.0.0.1" in error
    _no_password_anywhere(result.output, result.exception)
    # The library's exception, and every exception it is chained to.
    with pytest.raises(Exception) as info:
        push([DATA], _with_password(base, "s3cret-pw"), retries=0, timeout=10)
    _no_password_anywhere(str(info.value), info.value)


# --------------------------------------------------------------------------- one-line errors


@pytest.mark.parametrize(
    "args",
    [
        ["--graph-store", "ftp://127.0.0.1/store"],
        ["--graph-store", "http://[::1/store"],
        ["--graph-store", "http://127.0.0.1:1/sparql-graph-crud"],  # no update URL to derive
        ["--graph-store", "STORE", "--endpoint", "ROOT"],  # not a SPARQL query service
        ["--graph-store", "STORE", "--endpoint", "http://127.0.0.1:1/query"],
    ],
    ids=["ftp", "bad-url", "underivable", "not-a-query-endpoint", "no-query-endpoint"],
)
def test_every_failure_is_one_line(server: OxigraphServer, args: list[str]) -> None:
    args = [{"STORE": server.store_url, "ROOT": server.base + "/"}.get(a, a) for a in args]
    result = _push(str(DATA), *args, "--retries", "0")
    _one_line_error(result)
    assert not _graphs(server)  # nothing was sent


# --------------------------------------------------------------------------- pure parts


def test_the_query_endpoint_is_derived_or_asked_for() -> None:
    from csec_ld.errors import UsageError
    from csec_ld.push import query_endpoint_for

    assert query_endpoint_for("http://h:7878/store") == "http://h:7878/query"
    assert query_endpoint_for("http://h:3030/ds/data") == "http://h:3030/ds/sparql"
    with pytest.raises(UsageError, match="--endpoint") as info:
        query_endpoint_for("http://alice:s3cret@h/repositories/R/rdf-graphs/service")
    assert "alice:***@h" in str(info.value) and "s3cret" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "stale"),
    [
        (f"{PREFIX}20200101T000000Z:{uuid.UUID(int=1)}", True),
        (f"{PREFIX}20240131T105959Z:{uuid.UUID(int=1)}", True),  # an hour and a second
        (f"{PREFIX}20240131T110001Z:{uuid.UUID(int=1)}", False),
        (f"{PREFIX}20240131T130000Z:{uuid.UUID(int=1)}", False),  # a clock ahead of ours
        (f"{PREFIX}{uuid.UUID(int=1)}", False),  # no time: its age is unknown
        (f"{PREFIX}20241399T000000Z:{uuid.UUID(int=1)}", False),  # not a time
    ],
)
def test_which_staging_graphs_are_stale(name: str, stale: bool) -> None:
    from csec_ld.push import _is_stale, staging_graph_name

    now = datetime(2024, 1, 31, 12, 0, 0, tzinfo=UTC)
    assert _is_stale(name, now) is stale
    assert not _is_stale(staging_graph_name(now), now)
    assert staging_graph_name(now).startswith(f"{PREFIX}20240131T120000Z:")
