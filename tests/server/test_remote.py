"""``serve --endpoint``: record IRIs and data files from an Oxigraph server filled by ``push``.

The store holds sets of triples, so the order of several values of one field is not in
it: the byte comparison runs on a copy of data/ whose multi-valued fields are in the
order the store-backed server writes them (sorted); on data/ as it is, the graphs match.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
import yaml
from pyoxigraph import RdfFormat
from starlette.testclient import TestClient

from csec_ld.cli import main
from csec_ld.push import push
from csec_ld.server import create_app
from csec_ld.server.negotiation import CONTENT_TYPES, VARIANTS
from csec_ld.server.remote import RemoteSite, create_remote_app
from csec_ld.site.publish import publish
from csec_ld.store import RemoteEngine, Result
from csec_ld.vocab import country, language
from tests.conftest import DATA
from tests.servers import OxigraphServer, free_port

GRAPH = "urn:csec-ld:test:served"
RDF_FORMATS = {"ttl": RdfFormat.TURTLE, "nt": RdfFormat.N_TRIPLES, "jsonld": RdfFormat.JSON_LD}


def _sorted_copy(target: Path) -> Path:
    """data/ with every multi-valued field of every record (and the registry's alternate
    names) in the store's order."""
    shutil.copytree(DATA, target)
    registry = yaml.safe_load((DATA / "agents.yaml").read_text())
    projects = {p["id"] for p in registry.get("projects") or []}
    for kind in ("organizations", "people", "projects"):  # the registry's lists too
        for agent in registry.get(kind) or []:
            if agent.get("alt_names"):
                agent["alt_names"] = sorted(agent["alt_names"])
    (target / "agents.yaml").write_text(
        yaml.safe_dump(registry, allow_unicode=True, sort_keys=False)
    )

    def agent_iri(a: str) -> str:
        return ("project/" if a in projects else "agent/") + a

    keys: dict[str, Any] = {
        "subjects": str,
        "countries": lambda c: country(c).iri,
        "languages": lambda x: language(x).iri,
        "publishers": agent_iri,
        "creators": agent_iri,
        "contributors": agent_iri,
        "is_part_of": agent_iri,
    }
    changed = 0
    for path in sorted((target / "records").glob("*.yaml")):
        record = yaml.safe_load(path.read_text())
        for name, key in keys.items():
            if isinstance(record.get(name), list) and len(record[name]) > 1:
                before = list(record[name])
                record[name] = sorted(record[name], key=key)
                changed += before != record[name]
        path.write_text(yaml.safe_dump(record, allow_unicode=True, sort_keys=False))
    assert changed > 0  # the copy does reorder something: the server's order is exercised
    return target


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("endpoint")
    sorted_data = _sorted_copy(tmp / "data")
    server = OxigraphServer(tmp / "oxigraph")
    try:
        push([sorted_data], server.store_url, validate=False)
        push([DATA], server.store_url, graph=GRAPH, validate=False)
        yield {
            "server": server,
            "site": publish([sorted_data], tmp / "site", validate=False).out_dir,
            "data_site": publish([DATA], tmp / "data-site", validate=False).out_dir,
        }
    finally:
        server.stop()


def _ids(site: Path) -> list[str]:
    ids = sorted(p.stem for p in (site / "resource").glob("*.nt"))
    assert len(ids) == len(list((DATA / "records").glob("*.yaml")))
    return ids


def http_client(world: dict[str, Any], **kwargs: Any) -> TestClient:
    return TestClient(create_app(endpoint=world["server"].query_url, **kwargs))


def _file(site: Path, record_id: str, suffix: str) -> bytes:
    if suffix == "html":
        return (site / "resource" / record_id / "index.html").read_bytes()
    return (site / "resource" / f"{record_id}.{suffix}").read_bytes()


def _url(record_id: str, suffix: str) -> str:
    return f"/resource/{record_id}/" if suffix == "html" else f"/resource/{record_id}.{suffix}"


def test_record_files_are_byte_identical_to_the_static_sites(world: dict[str, Any]) -> None:
    """Every file of every record, by its URL and through its IRI: page, data, citations."""
    site = world["site"]
    one, two = http_client(world), http_client(world)  # two instances, one store
    for record_id in _ids(site):
        for suffix, media in VARIANTS:
            want = _file(site, record_id, suffix)
            direct = one.get(_url(record_id, suffix))
            assert direct.status_code == 200, direct.text
            assert direct.content == want, (record_id, suffix)
            assert direct.headers["content-type"] == CONTENT_TYPES[f".{suffix}"]
            negotiated = two.get(f"/resource/{record_id}", headers={"Accept": media})
            assert negotiated.status_code == 200
            assert negotiated.content == want, (record_id, suffix)
            assert negotiated.headers["vary"] == "Accept"
            assert negotiated.headers["content-location"] == _url(record_id, suffix)
            # strong ETags from the body: the same on both instances, 304 when matched
            etag = direct.headers["etag"]
            assert not etag.startswith("W/") and etag == negotiated.headers["etag"]
            again = two.get(_url(record_id, suffix), headers={"If-None-Match": etag})
            assert again.status_code == 304 and again.content == b""
    assert one.get(f"/resource/{record_id}/index.html").content == _file(site, record_id, "html")


def test_records_in_any_order_give_the_static_sites_graph(world: dict[str, Any]) -> None:
    """On data/ as it is (lists in the records' order), the files hold the same graph."""
    site = world["data_site"]
    client = http_client(world, graph=GRAPH)
    reordered = 0
    for record_id in _ids(site):
        for fmt, rdf in RDF_FORMATS.items():
            want = (site / "resource" / f"{record_id}.{fmt}").read_bytes()
            got = client.get(f"/resource/{record_id}.{fmt}")
            assert got.status_code == 200, got.text
            assert set(pyoxigraph.parse(got.content, format=rdf)) == set(
                pyoxigraph.parse(want, format=rdf)
            ), (record_id, fmt)
            reordered += got.content != want
    assert reordered > 0  # data/ has lists out of the store's order: the reason for the copy


def test_negotiation_as_the_static_site(world: dict[str, Any]) -> None:
    client = http_client(world)
    record_id = _ids(world["site"])[0]
    iri = f"/resource/{record_id}"
    cases = {
        "application/n-triples;q=0.9, text/turtle;q=0.5": "nt",
        "application/ld+json, text/turtle;q=0.8": "jsonld",
        "application/json": "jsonld",  # the alias the static server takes too
        "*/*": "html",  # the server's preference among equals
        "text/html;q=0.1, text/turtle": "ttl",
        "text/*;q=0.3, application/*;q=0.2": "html",
    }
    for accept, fmt in cases.items():
        answer = client.get(iri, headers={"Accept": accept})
        assert answer.status_code == 200, accept
        assert answer.headers["content-location"] == _url(record_id, fmt), accept
        assert 'rel="alternate"' in answer.headers["link"]
    for accept in ("image/png", "application/pdf, text/plain;q=0.5"):
        refused = client.get(iri, headers={"Accept": accept})
        assert refused.status_code == 406, accept
        assert refused.headers["vary"] == "Accept"
        assert "text/turtle" in refused.text


class _Recording:
    """An engine that notes every query before the real one answers it."""

    def __init__(self, engine: RemoteEngine) -> None:
        self.engine = engine
        self.queries: list[str] = []

    def query(self, sparql: str) -> Result:
        self.queries.append(sparql)
        return self.engine.query(sparql)


HOSTILE = [
    "/resource/..%2F..%2Fetc%2Fpasswd",
    "/resource/%2e%2e",
    "/resource/a%3E%20%7D%20%3B%20DROP%20ALL",  # a> } ; DROP ALL
    "/resource/x%22%27",
    "/resource/x%3E.ttl",
    "/resource/" + "a" * 5000,
    "/resource/Tracer-Study",
    "/resource/a%00b",
    "/resource/a%5Cb",
    "/resource/tracer-study-paraguay-2012.exe",
    "/resource/tracer-study-paraguay-2012/extra",
    "/resource/x%0ASELECT",
]


def test_hostile_ids_never_reach_the_store(world: dict[str, Any]) -> None:
    recording = _Recording(RemoteEngine(world["server"].query_url))
    site = RemoteSite(world["server"].query_url, engine=recording)
    client = TestClient(create_remote_app(world["server"].query_url, site=site))
    for path in HOSTILE:
        answer = client.get(path)
        assert answer.status_code in (400, 404), path
        assert "Traceback" not in answer.text
    assert recording.queries == []  # refused before any query was made
    missing = client.get("/resource/no-such-record")
    assert missing.status_code == 404
    assert any("<https://w3id.org/csec-ld/resource/no-such-record>" in q for q in recording.queries)


def test_store_down_gives_502_in_one_line() -> None:
    client = TestClient(create_app(endpoint=f"http://127.0.0.1:{free_port()}/query", timeout=2))
    answer = client.get("/resource/tracer-study-paraguay-2012.ttl")
    assert answer.status_code == 502
    assert answer.text.count("\n") == 1 and "Traceback" not in answer.text
    assert "the store did not answer" in answer.text


def test_a_store_without_the_catalogue_in_that_graph(world: dict[str, Any]) -> None:
    """The default graph holds the sorted copy, GRAPH data/: an empty graph says so."""
    client = http_client(world, graph="urn:csec-ld:test:empty")
    answer = client.get("/resource/tracer-study-paraguay-2012.nt")
    assert answer.status_code == 502
    assert "holds no catalogue" in answer.text


def test_only_record_urls_are_served(world: dict[str, Any]) -> None:
    client = http_client(world)
    for path in ("/", "/catalog", "/type/report/", "/resource/", "/resource/x.html"):
        assert client.get(path).status_code == 404, path
    assert client.options("/resource/x").headers["access-control-allow-origin"] == "*"


def test_cli_serve_endpoint_takes_no_site(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(main, ["serve", "--endpoint", "http://127.0.0.1:9/query", str(tmp_path)])
    assert result.exit_code != 0
    assert "--endpoint" in result.output and "Traceback" not in result.output
    assert "--endpoint" in runner.invoke(main, ["serve", "--help"]).output
    for bad in (["--graph", "not an iri"], []):
        url = "http://127.0.0.1:9/query" if bad else "ftp://127.0.0.1/query"
        result = runner.invoke(main, ["serve", "--endpoint", url, *bad])
        assert result.exit_code != 0, result.output  # refused before the server starts
        assert ("--graph" if bad else "--endpoint") in result.output
        assert "Traceback" not in result.output


def test_sparql_is_forwarded_read_only(world: dict[str, Any]) -> None:
    client = http_client(world, graph=GRAPH, row_limit=3)
    count = "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a <http://schema.org/Report> }"
    answer = client.get(
        "/sparql", params={"query": count}, headers={"Accept": "application/sparql-results+json"}
    )
    assert answer.status_code == 200, answer.text
    reports = sum(
        "schema.org/Report" in (p.read_text())
        for p in (world["data_site"] / "resource").glob("*.nt")
    )
    assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) == reports > 0
    listed = client.post(
        "/sparql",
        content="SELECT ?s WHERE { ?s ?p ?o }",
        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"},
    )
    assert listed.status_code == 200 and listed.headers["x-results-truncated"] == "true"
    assert len(listed.text.strip().splitlines()) == 1 + 3
    graph = client.get(
        "/sparql",
        params={"query": "CONSTRUCT WHERE { ?s a ?o } LIMIT 2"},
        headers={"Accept": "application/n-triples"},
    )
    assert graph.status_code == 200 and len(graph.text.strip().splitlines()) == 2
    refused = {
        "DROP ALL": 400,  # not a query (check_query: updates are not run)
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }": 403,
        "SELECT * WHERE { service silent ?x { ?s ?p ?o } }": 403,
        "SELECT * WHERE { ?s ?p": 400,
    }
    for query, status in refused.items():
        assert client.get("/sparql", params={"query": query}).status_code == status, query
    assert (
        client.post(
            "/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-update"}
        ).status_code
        == 403
    )
    assert client.get("/sparql", params={"update": "DROP ALL"}).status_code == 403
    assert (
        client.get("/sparql", params={"query": count, "default-graph-uri": "urn:x"}).status_code
        == 400
    )
    # the store still holds the catalogue
    assert http_client(world).get("/resource/tracer-study-paraguay-2012.nt").status_code == 200
