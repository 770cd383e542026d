"""``csec-ld serve`` over real HTTP: negotiation, conditional GET, SPARQL, bad requests."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pyoxigraph
import pytest
from lxml import html as lxml_html

from csec_ld.errors import UsageError
from csec_ld.server import create_app
from csec_ld.server.negotiation import negotiate, parse_accept
from csec_ld.site.publish import publish
from tests.conftest import DATA
from tests.servers import Server, free_port

RECORD = "tracer-study-paraguay-2012"
SELECT_ALL = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish([DATA], tmp_path_factory.mktemp("srv") / "site", validate=False).out_dir


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[Server]:
    port = free_port()
    app = create_app(
        site,
        timeout=5.0,
        row_limit=100,
        max_query_length=4096,
        public_url=f"http://127.0.0.1:{port}/",
    )
    with Server(app, port=port) as s:
        yield s


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


def raw_request(server: Server, request: bytes) -> bytes:
    """Send bytes as they are (no client-side normalisation of the path)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


# --------------------------------------------------------------------------- negotiation


def test_parse_accept_and_negotiate() -> None:
    offered = ["text/html", "text/turtle", "application/ld+json", "application/n-triples"]
    assert negotiate(None, offered) == "text/html"
    assert negotiate("*/*", offered) == "text/html"
    assert negotiate("text/*;q=0.5, application/n-triples", offered) == "application/n-triples"
    assert negotiate("application/json", offered) == "application/ld+json"
    assert negotiate("text/turtle;q=0, */*;q=0.1", offered) == "text/html"
    assert negotiate("text/html;q=0, text/*", offered) == "text/turtle"
    assert negotiate("image/png, application/pdf;q=0.9", offered) is None
    assert [r.q for r in parse_accept("a/b;q=0.25;level=1, c/d")] == [0.25, 1.0]
    # Malformed members are ignored (RFC 9110: read leniently); nothing left means */*.
    assert [(r.type, r.subtype) for r in parse_accept("text/html;;q")] == [("text", "html")]
    for bad in ("garbage", "text/html;q=2", "text/html;q=abc", "*/html", ";;,"):
        assert [(r.type, r.subtype, r.q) for r in parse_accept(bad)] == [("*", "*", 1.0)], bad
    assert negotiate("garbage, text/turtle;q=0.5", offered) == "text/turtle"
    assert negotiate("text/html;q=7, application/ld+json", offered) == "application/ld+json"


MATRIX = [
    # accept, expected status, expected media type
    (None, 200, "text/html"),
    ("*/*", 200, "text/html"),
    ("text/html", 200, "text/html"),
    ("application/xhtml+xml,text/html;q=0.9,*/*;q=0.8", 200, "text/html"),
    ("text/turtle", 200, "text/turtle"),
    ("application/ld+json", 200, "application/ld+json"),
    ("application/n-triples", 200, "application/n-triples"),
    ("text/turtle;q=0.5, application/ld+json;q=0.9", 200, "application/ld+json"),
    ("text/html;q=0.1, application/n-triples;q=0.2", 200, "application/n-triples"),
    ("application/rdf+xml, text/turtle;q=0.8, */*;q=0.1", 200, "text/turtle"),
    ("image/png", 406, None),
    ("text/turtle;q=0", 406, None),
]
IRIS = [
    f"/resource/{RECORD}",
    "/type/report",
    "/topic/child-labour",
    "/country/PRY",
    "/catalog",
    "/agent/ilo",
    "/project/ipec",
]


@pytest.mark.parametrize("path", IRIS)
@pytest.mark.parametrize(("accept", "status", "media"), MATRIX)
def test_negotiation_matrix(
    client: httpx.Client, path: str, accept: str | None, status: int, media: str | None
) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    r = client.get(path, headers=headers)
    assert r.status_code == status, r.text
    assert "Accept" in r.headers["vary"]
    if media is None:
        return
    assert r.headers["content-type"].split(";")[0] == media
    location = r.headers["content-location"]
    again = client.get(location)
    assert again.status_code == 200
    assert again.content == r.content
    if media == "text/turtle":
        list(pyoxigraph.parse(r.content, format=pyoxigraph.RdfFormat.TURTLE))
    elif media == "application/n-triples":
        list(pyoxigraph.parse(r.content, format=pyoxigraph.RdfFormat.N_TRIPLES))
    elif media == "application/ld+json":
        json.loads(r.content)
    else:
        assert b"<!DOCTYPE html>" in r.content


def test_record_iri_variants(client: httpx.Client) -> None:
    html = client.get(f"/resource/{RECORD}", headers={"Accept": "text/html"})
    assert html.headers["content-location"] == f"/resource/{RECORD}/"
    assert "access-control-allow-origin" not in html.headers
    ttl = client.get(f"/resource/{RECORD}", headers={"Accept": "text/turtle"})
    assert ttl.headers["content-location"] == f"/resource/{RECORD}.ttl"
    assert ttl.headers["access-control-allow-origin"] == "*"
    assert f'</resource/{RECORD}.nt>; rel="alternate"' in ttl.headers["link"]
    triples = set(pyoxigraph.parse(ttl.content, format=pyoxigraph.RdfFormat.TURTLE))
    assert any(t.subject.value.endswith(f"/resource/{RECORD}") for t in triples)


@pytest.mark.parametrize(
    "path",
    [
        f"/resource/{RECORD}",
        f"/resource/{RECORD}/",
        "/type/report",
        "/country/PRY/",
        "/",
        "/agent/ilo",
        "/project/scream/",
    ],
)
def test_page_links_work_with_and_without_the_trailing_slash(
    client: httpx.Client, path: str
) -> None:
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200
    tree = lxml_html.fromstring(page.content)
    hrefs = {el.get("href") for el in tree.xpath("//a[@href] | //link[@href]")}
    local = sorted(h for h in hrefs if not h.startswith(("http:", "https:", "#")))
    assert local
    for href in local:
        target = urljoin(str(page.url), href)
        assert client.get(target).status_code == 200, f"{path}: {href} -> {target}"


@pytest.mark.parametrize(
    ("suffix", "media"),
    [("ttl", "text/turtle"), ("jsonld", "application/ld+json"), ("nt", "application/n-triples")],
)
def test_explicit_format_urls(client: httpx.Client, suffix: str, media: str) -> None:
    r = client.get(f"/resource/{RECORD}.{suffix}", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media
    assert r.headers["access-control-allow-origin"] == "*"


def test_agent_iris_dereference(client: httpx.Client) -> None:
    r = client.get("/project/scream", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.headers["content-location"] == "/project/scream.ttl"
    assert r.headers["access-control-allow-origin"] == "*"
    triples = {
        (t.subject.value, t.predicate.value, t.object.value)
        for t in pyoxigraph.parse(r.content, format=pyoxigraph.RdfFormat.TURTLE)
    }
    scream = "https://w3id.org/csec-ld/project/scream"
    assert (
        scream,
        "http://purl.org/dc/terms/isPartOf",
        "https://w3id.org/csec-ld/project/ipec",
    ) in triples
    page = client.get("/agent/ilo")
    assert page.headers["content-location"] == "/agent/ilo/"
    assert "International Labour Organization" in page.text
    assert client.get("/agent/no-such-agent").status_code == 404
    assert client.get("/agent/").status_code == 200
    # every agent a record names dereferences
    store = pyoxigraph.Store()
    store.load(client.get("/catalog.nt").content, format=pyoxigraph.RdfFormat.N_TRIPLES)
    agents = {
        row["a"].value
        for row in store.query(
            "SELECT DISTINCT ?a WHERE { ?r <http://purl.org/dc/terms/publisher>|"
            "<http://purl.org/dc/terms/isPartOf> ?a "
            "FILTER(CONTAINS(STR(?a), '/agent/') || CONTAINS(STR(?a), '/project/')) }"
        )
    }
    assert len(agents) >= 3
    for iri in agents:
        path = iri.removeprefix("https://w3id.org/csec-ld")
        assert client.get(path, headers={"Accept": "application/n-triples"}).status_code == 200


# --------------------------------------------------------------------------- withdrawn records


@pytest.fixture(scope="module")
def withdrawn_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    from tests.site.test_publish import withdrawn_catalogue

    data = withdrawn_catalogue(tmp_path_factory.mktemp("srv-withdrawn"))
    site = publish([data], data.parent / "site", validate=False).out_dir
    with Server(create_app(site)) as s:
        yield s, site


GONE = "/resource/withdrawn-report-2012"


@pytest.mark.parametrize(
    "path", [GONE, GONE + "/", GONE + "/index.html", GONE + ".ttl", GONE + ".jsonld", GONE + ".nt"]
)
@pytest.mark.parametrize(
    "accept",
    [
        None,
        "text/html",
        "text/turtle",
        "application/ld+json",
        "application/n-triples",
        "application/xhtml+xml,text/html;q=0.9,*/*;q=0.8",
        "image/png",
    ],
)
def test_withdrawn_record_is_gone_in_every_format(
    withdrawn_server: tuple[Server, Path], path: str, accept: str | None
) -> None:
    server, site = withdrawn_server
    headers = {"Accept": accept} if accept else {}
    r = httpx.get(server.url + path, headers=headers)
    assert r.status_code == 410
    assert "Accept" in r.headers["vary"]
    page = (site / "resource" / "withdrawn-report-2012" / "index.html").read_bytes()
    if accept is None or "html" in accept:
        assert r.headers["content-type"].startswith("text/html")
        assert r.content == page  # the tombstone page
        assert "15 January 2024" in r.text
    else:
        assert r.headers["content-type"].startswith("text/plain")
        assert "withdrawn" in r.text and "2024-01-15" in r.text


def test_withdrawn_record_is_not_served_as_data(withdrawn_server: tuple[Server, Path]) -> None:
    server, _ = withdrawn_server
    with httpx.Client(base_url=server.url) as c:
        assert c.head(GONE, headers={"Accept": "text/turtle"}).status_code == 410
        assert c.get(f"/resource/{RECORD}", headers={"Accept": "text/turtle"}).status_code == 200
        iri = "<https://w3id.org/csec-ld/resource/withdrawn-report-2012>"
        r = c.get(
            "/sparql", params={"query": f"ASK {{ {{ {iri} ?p ?o }} UNION {{ ?s ?p {iri} }} }}"}
        )
        assert r.json()["boolean"] is False
        r = c.get("/api/queries/search", params={"text": "withdrawn report"})
        assert r.status_code == 200 and r.json()["results"]["bindings"] == []
        assert "withdrawn-report" not in c.get("/").text
        assert c.get("/.csec-ld-withdrawn.json").status_code == 404


def test_static_files(client: httpx.Client, site: Path) -> None:
    for path, media in [
        ("/", "text/html"),
        (f"/resource/{RECORD}/", "text/html"),
        ("/catalog.ttl", "text/turtle"),
        ("/sitemap.xml", "application/xml"),
        ("/robots.txt", "text/plain"),
        ("/pages/1.jsonld", "application/ld+json"),
        ("/context/1.0.jsonld", "application/ld+json"),
        ("/catalog.nt.gz", "application/gzip"),
        ("/type/", "text/html"),
    ]:
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].split(";")[0] == media, path
    gz = client.get("/catalog.nt.gz")
    assert gzip.decompress(gz.content) == (site / "catalog.nt").read_bytes()


def test_void_names_the_endpoint(client: httpx.Client, server: Server) -> None:
    r = client.get("/void.ttl")
    store = pyoxigraph.Store()
    store.load(r.content, format=pyoxigraph.RdfFormat.TURTLE)
    assert bool(
        store.query(f"ASK {{ ?d <http://rdfs.org/ns/void#sparqlEndpoint> <{server.url}/sparql> }}")
    )


# --------------------------------------------------------------------------- caching, gzip


def test_conditional_get(client: httpx.Client) -> None:
    first = client.get(f"/resource/{RECORD}", headers={"Accept": "text/turtle"})
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('W/"')
    r = client.get(f"/resource/{RECORD}", headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["etag"] == etag
    r = client.get(
        f"/resource/{RECORD}", headers={"Accept": "text/turtle", "If-Modified-Since": modified}
    )
    assert r.status_code == 304
    r = client.get(
        f"/resource/{RECORD}", headers={"Accept": "text/turtle", "If-None-Match": 'W/"other"'}
    )
    assert r.status_code == 200
    # each representation has its own validator
    html = client.get(f"/resource/{RECORD}", headers={"Accept": "text/html", "If-None-Match": etag})
    assert html.status_code == 200
    assert html.headers["etag"] != etag
    r = client.get(
        f"/resource/{RECORD}", headers={"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}
    )
    assert r.status_code == 200
    r = client.get(f"/resource/{RECORD}", headers={"If-Modified-Since": "not a date"})
    assert r.status_code == 200


def test_gzip(client: httpx.Client) -> None:
    r = client.get("/catalog.ttl", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in r.headers["vary"]
    assert r.text.startswith("@prefix")
    plain = client.get("/catalog.ttl", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == r.content


def test_head_and_options(client: httpx.Client) -> None:
    r = client.head(f"/resource/{RECORD}", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.content == b""
    r = client.options(
        "/sparql",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]


# --------------------------------------------------------------------------- SPARQL


def test_sparql_select_get(client: httpx.Client) -> None:
    q = "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a <http://schema.org/Report> }"
    r = client.get("/sparql", params={"query": q})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    assert r.headers["access-control-allow-origin"] == "*"
    n = int(r.json()["results"]["bindings"][0]["n"]["value"])
    assert n >= 7


@pytest.mark.parametrize(
    ("accept", "media", "marker"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", b'"bindings"'),
        ("application/sparql-results+xml", "application/sparql-results+xml", b"<sparql"),
        ("text/csv", "text/csv", b"title\r\n"),
        ("text/tab-separated-values", "text/tab-separated-values", b"?title\n"),
        ("application/json", "application/json", b'"bindings"'),
    ],
)
def test_sparql_result_formats(
    client: httpx.Client, accept: str, media: str, marker: bytes
) -> None:
    q = (
        "SELECT ?title WHERE { <https://w3id.org/csec-ld/resource/"
        + RECORD
        + "> <http://purl.org/dc/terms/title> ?title }"
    )
    r = client.post("/sparql", data={"query": q}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    assert marker in r.content
    assert b"Tracer Study" in r.content


def test_sparql_post_query_body_ask_and_construct(client: httpx.Client) -> None:
    r = client.post(
        "/sparql",
        content="ASK { ?s a <http://schema.org/Report> }",
        headers={"Content-Type": "application/sparql-query"},
    )
    assert r.status_code == 200
    assert r.json()["boolean"] is True
    q = (
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o . "
        f"FILTER(?s = <https://w3id.org/csec-ld/resource/{RECORD}>) }}"
    )
    r = client.get("/sparql", params={"query": q}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/turtle")
    triples = list(pyoxigraph.parse(r.content, format=pyoxigraph.RdfFormat.TURTLE))
    assert len(triples) > 10
    r = client.get("/sparql", params={"query": q}, headers={"Accept": "application/n-triples"})
    assert r.headers["content-type"].startswith("application/n-triples")
    r = client.get(
        "/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"}
    )
    assert r.status_code == 406


def test_sparql_syntax_error(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p }"})
    assert r.status_code == 400
    assert "syntax error" in r.text
    assert "1:" in r.text  # the parser's position


def test_sparql_is_read_only(client: httpx.Client) -> None:
    insert = "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }"
    for r in (
        client.post("/sparql", data={"update": insert}),
        client.post(
            "/sparql", content=insert, headers={"Content-Type": "application/sparql-update"}
        ),
        client.post("/sparql", data={"query": insert}),
        client.get("/sparql", params={"query": "PREFIX ex: <http://example.org/> " + insert}),
    ):
        assert r.status_code == 403, r.text
        assert "read-only" in r.text
    r = client.get("/sparql", params={"query": "ASK { <http://example.org/a> ?p ?o }"})
    assert r.json()["boolean"] is False


def test_sparql_refuses_federation(client: httpx.Client) -> None:
    q = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    r = client.get("/sparql", params={"query": q})
    assert r.status_code == 403
    assert "SERVICE" in r.text
    r = client.get("/sparql", params={"query": 'ASK { ?s ?p "service" }'})
    assert r.status_code == 200


def test_sparql_row_cap(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": SELECT_ALL})
    assert r.status_code == 200
    assert len(r.json()["results"]["bindings"]) == 100
    assert r.headers["x-results-truncated"] == "true"
    r = client.get("/sparql", params={"query": SELECT_ALL + " LIMIT 5"})
    assert len(r.json()["results"]["bindings"]) == 5
    assert "x-results-truncated" not in r.headers


def test_sparql_bad_requests(client: httpx.Client) -> None:
    assert client.get("/sparql", headers={"Accept": "application/json"}).status_code == 400
    form = client.get("/sparql", headers={"Accept": "text/html"})
    assert form.status_code == 200 and "<form" in form.text
    r = client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D")
    assert r.status_code == 400
    assert (
        client.post("/sparql", content="ASK {}", headers={"Content-Type": "text/plain"}).status_code
        == 415
    )
    assert (
        client.post(
            "/sparql",
            content="ASK {} #" + "x" * 5000,
            headers={"Content-Type": "application/sparql-query"},
        ).status_code
        == 413
    )
    assert client.get("/sparql", params={"query": "ASK {} #" + "x" * 5000}).status_code == 414
    r = client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert client.delete("/sparql").status_code == 405


def test_sparql_time_limit(site: Path) -> None:
    app = create_app(site, timeout=0.5, row_limit=10**9)
    slow = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with Server(app) as s, httpx.Client(base_url=s.url, timeout=30) as c:
        start = time.monotonic()
        r = c.get("/sparql", params={"query": slow})
        assert r.status_code == 503
        assert "time limit" in r.text
        assert time.monotonic() - start < 10
        assert c.get("/sparql", params={"query": "ASK {}"}).status_code == 200


# --------------------------------------------------------------------------- malformed requests


def test_malformed_requests_and_the_server_keeps_serving(
    client: httpx.Client, server: Server
) -> None:
    for accept in ("garbage", "text/html;q=7", "text/html;;;", "/, ;q=", "\x7f/\x7f"):
        r = client.get(f"/resource/{RECORD}", headers={"Accept": accept})
        assert r.status_code == 200, accept  # read leniently: the page
        assert r.headers["content-type"].startswith("text/html")
    assert client.get("/resource/no-such-record").status_code == 404
    assert client.get("/no/such/path.ttl").status_code == 404
    assert client.get("/.csec-ld-site").status_code == 404
    assert client.get("/.htaccess").status_code == 404
    assert client.get("/csec-ld.nginx.conf").status_code == 404
    assert client.get("/resource/%2e%2e/%2e%2e/etc/passwd").status_code == 400
    assert client.get("/resource/..%2f..%2fetc%2fpasswd").status_code == 400
    assert client.get("/resource/x%00y").status_code == 400
    assert client.get("/?" + "x" * 10000).status_code == 414
    assert client.post(f"/resource/{RECORD}").status_code == 405
    for raw in (
        b"GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /resource/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ):
        head = raw_request(server, raw).split(b"\r\n", 1)[0]
        assert head.startswith(b"HTTP/1.1 4"), head
    garbage = raw_request(server, b"\x16\x03\x01 not http at all\r\n\r\n")
    assert garbage == b"" or garbage.startswith(b"HTTP/1.1 4")
    # ... and it still answers
    r = client.get(f"/resource/{RECORD}", headers={"Accept": "text/turtle"})
    assert r.status_code == 200


def test_cli_serve_publishes_sources_and_serves_them(tmp_path: Path) -> None:
    """The README's `csec-ld serve data/` as a process: it publishes, serves, and stops."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "csec_ld", "serve", str(DATA), "--port", str(port), "--no-validate"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(url + "/", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert r.status_code == 200
        assert f"{url}/sparql" in r.text  # the home page names the endpoint it is served with
        r = httpx.get(f"{url}/resource/{RECORD}", headers={"Accept": "text/turtle"})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/turtle")
        r = httpx.get(f"{url}/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert r.json()["boolean"] is True
        r = httpx.get(f"{url}/api/queries/by-country", params={"country": "PRY", "format": "csv"})
        assert r.status_code == 200
        assert "tracer-study-paraguay-2012" in r.text
    finally:
        proc.terminate()
        proc.wait(15)
    assert list(scratch.iterdir()) == []  # the temporary site is gone


def test_create_app_refuses_a_folder_that_is_not_a_site(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        create_app(tmp_path)
