"""``csec-ld query --endpoint`` against a hostile endpoint: every attack is one line and exit 1.

A raw-socket server on 127.0.0.1 (started and stopped by each test, every connection
bounded in time) answers each path with one attack: trickled headers or body, answers
over the size cap, gzip bombs, broken or deeply nested results, XML entities, RDF/XML,
redirects to another origin, huge error pages. Each test asserts the exit code, a
one-line message naming the problem, no traceback and, where it matters, the time
taken and the memory used.
"""

from __future__ import annotations

import functools
import json
import socket
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from click.testing import CliRunner, Result

from csec_ld.cli import main
from csec_ld.errors import StoreError
from csec_ld.http import parse_size
from csec_ld.store import MAX_NESTING, RemoteEngine, upload_graph

ASK = "ASK {}"
SELECT = "SELECT ?x WHERE { ?x ?p ?o }"
CONSTRUCT = "CONSTRUCT WHERE { ?s ?p ?o }"
JSON_TYPE = "application/sparql-results+json"
XML_TYPE = "application/sparql-results+xml"
#: How long the server keeps any one connection going: long enough for the old,
#: unbounded client to show its fault, short enough that no test hangs.
CONNECTION_LIMIT = 12.0

SELECT_JSON = json.dumps(
    {
        "head": {"vars": ["x"]},
        "results": {"bindings": [{"x": {"type": "uri", "value": "urn:a"}}]},
    }
).encode()


# --------------------------------------------------------------------------- bodies


@functools.cache
def gzip_zeros(size: int) -> bytes:
    """*size* zero bytes, gzipped (1 GiB is about 1 MB): the same block, flushed each time."""
    block = bytes(1 << 20)
    n, rest = divmod(size, len(block))
    assert rest == 0
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    first = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    segment = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)  # the dictionary was reset
    assert first[10:] == segment
    final = c.flush()[:-8]
    crc = 0
    for _ in range(n):
        crc = zlib.crc32(block, crc)
    return first[:10] + segment * n + final + struct.pack("<II", crc, size & 0xFFFFFFFF)


def _xml_results(doctype: str, value: str) -> bytes:
    return (
        f'<?xml version="1.0"?>{doctype}'
        '<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="x"/>'
        f'</head><results><result><binding name="x"><literal>{value}</literal></binding>'
        "</result></results></sparql>"
    ).encode()


def _laughs(root: str) -> str:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return f'<!DOCTYPE {root} [<!ENTITY l0 "lol">{entities}]>'


def _nested_json_triples(depth: int) -> bytes:
    iri = '{"type":"uri","value":"urn:a"}'
    head = f'{{"type":"triple","value":{{"subject":{iri},"predicate":{iri},"object":'
    term = head * depth + iri + "}}" * depth
    return ('{"head":{"vars":["x"]},"results":{"bindings":[{"x":' + term + "}]}}").encode()


def _nested_ntriples(depth: int) -> bytes:
    return (
        "<urn:a> <urn:b> " + "<<( <urn:a> <urn:b> " * depth + "<urn:c>" + " )>>" * depth + " .\n"
    ).encode()


# --------------------------------------------------------------------------- the server


@dataclass
class Hostile:
    """A raw-socket HTTP server on 127.0.0.1; the path of each request picks its attack."""

    sock: socket.socket = field(default_factory=lambda: socket.create_server(("127.0.0.1", 0)))
    stop: threading.Event = field(default_factory=threading.Event)
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def start(self) -> Hostile:
        self.sock.settimeout(0.05)
        self._spawn(self._accept)
        return self

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        for thread in self.threads:
            thread.join(timeout=CONNECTION_LIMIT + 5)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        deadline = time.monotonic() + CONNECTION_LIMIT
        with conn:
            try:
                method, path, headers = self._read_request(conn)
                self.seen.append((method, path, headers))
                _Attack(conn, self, deadline).run(path)
            except OSError:  # the client went away: that is what it should do
                pass

    @staticmethod
    def _read_request(conn: socket.socket) -> tuple[str, str, dict[str, str]]:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                raise ConnectionError("no request")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
        }
        length = int(headers.get("content-length", 0))
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return method, path, headers


class _Attack:
    def __init__(self, conn: socket.socket, server: Hostile, deadline: float) -> None:
        self.conn = conn
        self.server = server
        self.deadline = deadline

    def going(self) -> bool:
        return not self.server.stop.is_set() and time.monotonic() < self.deadline

    def head(self, status: str = "200 OK", ctype: str = JSON_TYPE, **extra: str) -> bytes:
        lines = [f"HTTP/1.1 {status}", f"Content-Type: {ctype}", "Connection: close"]
        lines += [f"{k.replace('_', '-')}: {v}" for k, v in extra.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def send(self, data: bytes) -> None:
        self.conn.sendall(data)

    def trickle(self, data: bytes) -> None:
        for i in range(len(data)):
            if not self.going():
                return
            self.send(data[i : i + 1])
            self.server.stop.wait(2)

    def endless(self, head: bytes, piece: bytes) -> None:
        self.send(head)
        while self.going():
            self.send(piece)

    def run(self, path: str) -> None:
        name, _, rest = path.partition("?")[0].lstrip("/").partition("/")
        getattr(self, name.replace("-", "_"))(rest)

    # ---- the attacks (one method per path)

    def ok(self, _: str) -> None:
        self.send(self.head(Content_Length=str(len(SELECT_JSON))) + SELECT_JSON)

    def ok_gzip(self, _: str) -> None:
        body = zlib.compress(SELECT_JSON, wbits=16 + zlib.MAX_WBITS)
        self.send(self.head(Content_Encoding="gzip") + body)

    def ok_deflate(self, raw: str) -> None:
        body = zlib.compress(SELECT_JSON, wbits=-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
        self.send(self.head(Content_Encoding="deflate") + body)

    def redirect_same(self, _: str) -> None:
        self.send(
            self.head("307 Temporary Redirect", "text/plain", Location="/ok", Content_Length="0")
        )

    def redirect_to(self, port: str) -> None:
        location = f"http://127.0.0.1:{port}/ok"
        self.send(
            self.head("307 Temporary Redirect", "text/plain", Location=location, Content_Length="0")
        )

    def redirect_loop(self, n: str) -> None:
        self.send(
            self.head(
                "302 Found",
                "text/plain",
                Location=f"/redirect-loop/{int(n) + 1}",
                Content_Length="0",
            )
        )

    def trickle_headers(self, _: str) -> None:
        self.trickle(self.head(Content_Length=str(len(SELECT_JSON))) + SELECT_JSON)

    def trickle_body(self, _: str) -> None:
        self.send(self.head())
        self.trickle(SELECT_JSON)

    def huge(self, _: str) -> None:
        self.endless(self.head(), b" " * 65536)

    def gzip_bomb(self, size: str) -> None:
        self.send(self.head(Content_Encoding="gzip") + gzip_zeros(parse_size(size)))

    def truncated_json(self, _: str) -> None:
        # Cut in the middle of the bindings: pyoxigraph reads those lazily.
        self.send(self.head() + SELECT_JSON[: SELECT_JSON.index(b"urn:a")])

    def malformed_json(self, _: str) -> None:
        self.send(
            self.head() + b'{"head":{"vars":["x"]},"results":{"bindings":['
            b'{"x":{"type":"uri","value":"urn:a"}}, oops]}}'
        )

    def nested_arrays(self, _: str) -> None:
        self.send(
            self.head()
            + b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":'
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}]}}"
        )

    def nested_triples(self, _: str) -> None:
        self.send(self.head() + _nested_json_triples(100_000))

    def unexpected_variable(self, _: str) -> None:
        self.send(
            self.head() + b'{"head":{"vars":["x"]},"results":{"bindings":'
            b'[{"y":{"type":"uri","value":"urn:a"}}]}}'
        )

    def xml_laughs(self, _: str) -> None:
        self.send(self.head(ctype=XML_TYPE) + _xml_results(_laughs("sparql"), "&l9;"))

    def xml_external(self, _: str) -> None:
        doctype = '<!DOCTYPE sparql [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        self.send(self.head(ctype=XML_TYPE) + _xml_results(doctype, "&e;"))

    def bad_ntriples(self, _: str) -> None:
        # pyoxigraph quotes the bad character (a terminal escape) in its message.
        self.send(
            self.head(ctype="application/n-triples")
            + b"<urn:a> <urn:b> <urn:c> .\n<urn:\x1b[2J> <urn:b> <urn:c> .\n"
        )

    def nested_ntriples(self, _: str) -> None:
        self.send(self.head(ctype="application/n-triples") + _nested_ntriples(100_000))

    def rdfxml_laughs(self, _: str) -> None:
        self.send(
            self.head(ctype="application/rdf+xml")
            + (
                f'<?xml version="1.0"?>{_laughs("rdf:RDF")}<rdf:RDF xmlns:rdf='
                '"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
                'rdf:about="urn:a"><rdf:value>&l9;</rdf:value></rdf:Description></rdf:RDF>'
            ).encode()
        )

    def html500(self, _: str) -> None:
        self.endless(
            self.head("500 Internal Server Error", "text/html")
            + b"<html><head><title>Internal Server Error</title></head><body>",
            b"<p>oops</p>" * 6000,
        )

    def text500(self, _: str) -> None:
        self.endless(
            self.head("500 Internal Server Error", "text/plain") + b"out of memory\n\x1b[2J",
            b"x" * 65536,
        )


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    server = Hostile().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def other() -> Iterator[Hostile]:
    """A second server: another origin (another port) for the redirect attacks."""
    server = Hostile().start()
    try:
        yield server
    finally:
        server.close()


def _query(url: str, sparql: str, *options: str) -> tuple[Result, float]:
    start = time.monotonic()
    result = CliRunner().invoke(main, ["query", "--endpoint", url, "-e", sparql, *options])
    return result, time.monotonic() - start


def _assert_one_line_error(result: Result, message: str) -> str:
    err = result.stderr
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert err[:-1].isprintable(), err  # no terminal escapes from the server
    assert message in err, err
    return err


# --------------------------------------------------------------------------- the attacks


@pytest.mark.parametrize(
    ("path", "sparql", "options", "message", "seconds"),
    [
        ("/trickle-headers", ASK, ["--timeout", "3"], "no answer within 3 s", 5),
        ("/trickle-body", ASK, ["--timeout", "3"], "no answer within 3 s", 5),
        ("/huge", ASK, ["--max-response-size", "1M"], "larger than 1 MiB; refused", 5),
        ("/gzip-bomb/10M", ASK, ["--max-response-size", "1M"], "larger than 1 MiB", 5),
        ("/truncated-json", SELECT, [], "cannot read the endpoint's answer", 5),
        ("/malformed-json", SELECT, [], "cannot read the endpoint's answer", 5),
        ("/nested-arrays", SELECT, [], "cannot read the endpoint's answer", 5),
        ("/nested-triples", SELECT, [], f"nests triple terms deeper than {MAX_NESTING}", 5),
        ("/unexpected-variable", SELECT, [], "variable y has not been defined", 5),
        ("/xml-laughs", SELECT, [], "XML answer declares a DOCTYPE; refused", 5),
        ("/xml-external", SELECT, [], "XML answer declares a DOCTYPE; refused", 5),
        (
            "/bad-ntriples",
            CONSTRUCT,
            [],
            "cannot read the endpoint's answer: Parser error at "
            "line 2 between columns 1 and 11: Invalid IRI code point '?'",
            5,
        ),
        ("/nested-ntriples", CONSTRUCT, [], f"nests triple terms deeper than {MAX_NESTING}", 5),
        ("/rdfxml-laughs", CONSTRUCT, [], "the endpoint answered RDF/XML", 5),
        ("/html500", ASK, [], "answered HTTP 500 with an HTML page (Internal Server Error)", 3),
        ("/text500", ASK, [], "answered HTTP 500: out of memory ?[2Jxxx", 3),
        ("/redirect-loop/0", ASK, [], "more than 5 redirects; refused", 5),
    ],
)
def test_attack_is_one_line_and_exit_1(
    hostile: Hostile, path: str, sparql: str, options: list[str], message: str, seconds: float
) -> None:
    result, elapsed = _query(hostile.base + path, sparql, *options)
    _assert_one_line_error(result, message)
    assert elapsed < seconds, f"{elapsed:.1f} s"


def test_gzip_bomb_stops_at_the_cap_without_growing_memory(hostile: Hostile) -> None:
    """1 GiB of zeros in 1 MB of gzip: decoding stops at the cap, memory stays near it."""
    body = gzip_zeros(1 << 30)
    assert len(body) < 2_000_000
    tracemalloc.start()
    try:
        result, elapsed = _query(hostile.base + "/gzip-bomb/1G", ASK, "--max-response-size", "16M")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    _assert_one_line_error(result, "larger than 16 MiB; refused")
    assert elapsed < 5, f"{elapsed:.1f} s"
    assert peak < 24 << 20, f"peak {peak >> 20} MiB"  # the cap and a few chunks


def test_redirect_to_another_origin_is_refused(
    hostile: Hostile, other: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSEC_LD_ENDPOINT_TOKEN", "tok")
    port = other.base.rsplit(":", 1)[1]
    result, _ = _query(f"{hostile.base}/redirect-to/{port}", ASK)
    _assert_one_line_error(result, f"redirected to {other.base}/ok, another origin; refused")
    assert other.seen == []  # neither the query nor the token went there
    assert hostile.seen[0][2]["authorization"] == "Bearer tok"


def test_password_in_the_url_is_never_shown(hostile: Hostile) -> None:
    url = hostile.base.replace("http://", "http://alice:s3cret@")
    result, _ = _query(url + "/text500", ASK)
    err = _assert_one_line_error(result, "http://alice:***@127.0.0.1:")
    assert "s3cret" not in err
    assert hostile.seen[0][2]["authorization"].startswith("Basic ")  # still sent, not shown
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result, _ = _query(f"http://alice:s3cret@127.0.0.1:{port}/sparql", ASK, "--timeout", "2")
    err = _assert_one_line_error(result, "cannot reach the endpoint")
    assert "s3cret" not in err and "alice:***@" in err
    with pytest.raises(StoreError) as exc:
        upload_graph(url + "/html500", b"")
    assert "s3cret" not in str(exc.value) and "graph store answered HTTP 500" in str(exc.value)
    assert "s3cret" not in RemoteEngine(url).describe()


# --------------------------------------------------------------------------- what still works


@pytest.mark.parametrize(
    "path", ["/ok", "/ok-gzip", "/ok-deflate", "/ok-deflate/raw", "/redirect-same"]
)
def test_honest_answers_still_read(hostile: Hostile, path: str) -> None:
    result, _ = _query(hostile.base + path, SELECT, "-f", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == "x\nurn:a\n"


def test_engine_limits_are_keywords(hostile: Hostile) -> None:
    with (
        RemoteEngine(hostile.base + "/huge", max_response_size=100_000) as engine,
        pytest.raises(StoreError, match=r"larger than 97\.7 KiB"),
    ):
        engine.query(ASK)
    with pytest.raises(Exception, match="--max-response-size"):
        RemoteEngine(hostile.base, max_response_size=0)
    result = CliRunner().invoke(
        main, ["query", "--endpoint", hostile.base, "-e", ASK, "--max-response-size", "lots"]
    )
    assert result.exit_code == 2 and "is not a size" in result.stderr


def test_unusable_url_is_one_line() -> None:
    result, _ = _query("http://alice:s3cret@[::1/sparql", ASK)
    err = _assert_one_line_error(result, "not a usable URL (Invalid port")
    assert "s3cret" not in err
