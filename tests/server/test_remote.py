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
            "sorted_data": sorted_data,
            "site": publish([sorted_data], tmp / "site", validate=False).out_dir,
            "paged_site": publish(
                [sorted_data], tmp / "paged-site", validate=False, listing_size=3
            ).out_dir,
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
    app = create_app(endpoint=world["server"].query_url)
    app.state.remote.engine = recording  # what the views and the query pool ask
    client = TestClient(app)
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


def _listing_urls(site: Path) -> dict[str, Path]:
    """Every listing page of a published site (all but the records'), by its URL."""
    urls = {}
    for page in sorted(site.rglob("index.html")):
        rel = page.relative_to(site).parent
        if rel.parts[:1] in (("resource",), ("queries",)):
            continue
        urls["/" + "".join(f"{p}/" for p in rel.parts)] = page
    return urls


def _without_agent_descriptions(text: str, data: Path) -> str:
    """The page less its agent's description: the registry's descriptions are not
    mapped to RDF, so a store does not hold them (the README says so)."""
    registry = yaml.safe_load((data / "agents.yaml").read_text())
    for kind in ("organizations", "people", "projects"):
        for agent in registry.get(kind) or []:
            if agent.get("description"):
                text = text.replace(f'<p dir="auto">{agent["description"]}</p>', "")
    return text


def test_listing_pages_are_the_static_sites(world: dict[str, Any]) -> None:
    """Home, types, topics, countries, agents, projects and their indexes, every page of
    each (three records a page, so they page), from the store: the static site's bytes."""
    site = world["paged_site"]
    client = http_client(world, listing_size=3)
    urls = _listing_urls(site)
    assert "/page/2/" in urls and "/type/" in urls and "/project/ipec/" in urls
    assert any(u.startswith("/topic/") and "/page/" in u for u in urls)
    assert any(u.startswith("/agent/") and "/page/" in u for u in urls)
    described = 0
    for url, page in urls.items():
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.text)
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        want = page.read_text(encoding="utf-8")
        got = answer.text
        if got != want:
            described += 1
            assert got == _without_agent_descriptions(want, world["sorted_data"]), url
        etag = answer.headers["etag"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert described == 1  # csec-ld's own entry in agents.yaml is the one with a description


def test_listing_urls_outside_the_site_are_404(world: dict[str, Any]) -> None:
    client = http_client(world, listing_size=3)
    for path in (
        "/page/1/",  # page 1 is the folder itself
        "/page/99/",
        "/page/0/",
        "/page/x/",
        "/type/no-such-type/",
        "/topic/" + "a" * 5000 + "/",
        "/country/ZZZ/",  # not a country
        "/country/FRA/",  # a country no record names
        "/country/phl/",
        "/agent/no-such-agent/",
        "/agent/ipec/",  # a project, at project/
        "/catalog",
        "/type/survey-report/extra/",
        "/type/survey-report/page/2/index.html/x",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "Traceback" not in answer.text
    moved = client.get("/type", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"].endswith("/type/")
    assert client.get("/type/survey-report/index.html").status_code == 200
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
        "DROP ALL": 403,  # an update, as on a site folder's endpoint
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


# --------------------------------------------------------------------------- queries

API_PATHS = [
    "/api/queries",
    "/api/openapi.json",
    "/api/queries/count-by-country?min=2",
    "/api/queries/by-type?type=survey-report",
    "/api/queries/by-type?type=survey",  # 400 problem: not a type
    "/api/queries/by-type?type=survey&format=csv",
    "/api/queries/by-country?country=PHL&country=PRY",
    "/api/queries/count-by-subject",
    "/api/queries/resource?resource=https://w3id.org/csec-ld/resource/tracer-study-paraguay-2012",
    "/api/queries/by-country?country=XX",  # 400 problem: not a country
    "/api/queries/by-type?colour=red",  # 400 problem: no such parameter
    "/api/queries/no-such-query",  # 404 problem
]
PAGE_PATHS = [
    "/sparql",
    "/sparql?query=SELECT+%3Fs+%3Fo+WHERE+%7B+%3Fs+a+%3Fo+%7D+ORDER+BY+%3Fs+%3Fo+LIMIT+7",
    "/sparql?query=SELECT+%3Fs+WHERE+%7B+%3Fs",  # a syntax error, shown at its place
    "/queries/",
    "/queries/count-by-country?min=2",
    "/queries/by-type?type=survey-report",
    "/queries/by-country",
    "/api/openapi.html",
]


@pytest.fixture(scope="module")
def both(world: dict[str, Any]) -> Iterator[tuple[TestClient, TestClient]]:
    """The static site's server and the store's, on the same catalogue (data/)."""
    static = create_app(world["data_site"], timeout=10)
    try:
        yield TestClient(static), http_client(world, graph=GRAPH)
    finally:
        static.state.pool.close()


def _same_page(text: str) -> str:
    """A workbench page without what differs from one run to the next (the time taken)
    and the wording of a syntax error (the store's engine checks queries with
    ``check_query``, whose message is clipped; where it is shown is compared)."""
    import re

    text = re.sub(r'<span class="elapsed">[^<]*</span>', "", text)
    return re.sub(r'<p class="message">SPARQL syntax error.*?</p>', "", text, flags=re.S)


def test_the_query_api_answers_as_the_static_sites(both: tuple[TestClient, TestClient]) -> None:
    """The named queries run at the store, with the same typed binding and problems."""
    static, store = both
    for path in API_PATHS:
        want, got = static.get(path), store.get(path)
        assert got.status_code == want.status_code, (path, got.text)
        assert got.headers["content-type"] == want.headers["content-type"], path
        assert got.content == want.content, path
    assert store.get("/api/queries/count-by-country?min=2").json()["results"]["bindings"]


def test_the_workbench_pages_are_the_static_sites(both: tuple[TestClient, TestClient]) -> None:
    """Every workbench page the same, links to the pages the server has included."""
    static, store = both
    for path in PAGE_PATHS:
        want = static.get(path, headers={"Accept": "text/html"})
        got = store.get(path, headers={"Accept": "text/html"})
        assert got.status_code == want.status_code, path
        assert _same_page(got.text) == _same_page(want.text), path
    page = store.get(PAGE_PATHS[1], headers={"Accept": "text/html"}).text
    assert '<a href="/type/' in page  # a concept IRI links to its page on this server
    error = store.get(PAGE_PATHS[2], headers={"Accept": "text/html"}).text
    assert "SPARQL syntax error at line 1, column 21" in error


def test_store_down_the_api_and_workbench_say_so() -> None:
    client = TestClient(create_app(endpoint=f"http://127.0.0.1:{free_port()}/query", timeout=2))
    problem = client.get("/api/queries/count-by-country?min=2")
    assert problem.status_code == 502
    assert problem.headers["content-type"] == "application/problem+json"
    assert "the store did not answer" in problem.json()["detail"]
    assert client.get("/api/queries").status_code == 200  # the list needs no store
    assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 502
    page = client.get("/queries/count-by-country?min=2")
    assert page.status_code == 502 and "the store did not answer" in page.text
    assert "Traceback" not in page.text


def test_the_store_pool_is_bounded_and_checks_before_asking() -> None:
    """At most *workers* queries at the store and *queue* waiting; the next is Busy.
    What the store must not see (SERVICE, updates, bad syntax) is refused unsent."""
    import threading

    import anyio

    from csec_ld.errors import Busy, Refused
    from csec_ld.server.remote import StorePool

    release = threading.Event()
    asked: list[str] = []

    class Slow:
        def query(self, sparql: str) -> Result:
            asked.append(sparql)
            release.wait(10)
            return Result("ask", boolean=True)

    pool = StorePool(Slow(), workers=1, queue=1, timeout=10)
    job = ("sparql", "ASK {}", [], 10)

    async def three() -> list[Any]:
        outcomes: list[Any] = []

        async def one() -> None:
            try:
                outcomes.append((await pool.run(job)).boolean)
            except Busy as exc:
                outcomes.append(exc)
                release.set()

        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(one)
                await anyio.sleep(0.05)
        return outcomes

    outcomes = anyio.run(three)
    assert sum(isinstance(o, Busy) for o in outcomes) == 1 and outcomes.count(True) == 2
    asked.clear()
    for sparql, status in {
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }": 403,
        "LOAD <http://127.0.0.1:9/x>": 403,
        "PREFIX a: <urn:a:> INSERT DATA { a:s a:p a:o }": 403,
        "SELECT * WHERE { ?s ?p": 400,
        "SELECT * WHERE " + "{ " * 500 + "}" * 500: 400,
    }.items():
        with pytest.raises(Refused) as refused:
            anyio.run(pool.run, ("sparql", sparql, [], 10))
        assert refused.value.status == status, sparql
    assert asked == []


# --------------------------------------------------------------------------- the feed


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """130 synthetic records, some issued on a year or a month only, some modified
    (on a later day, or the day of issue: no Update then), pushed and published."""
    import json
    import sys

    from tests.conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synth

    tmp = tmp_path_factory.mktemp("dated")
    folder = tmp / "data"
    records_file = synth.generate(130, folder, seed=5)
    records = [json.loads(line) for line in records_file.read_text().splitlines()]
    for n, record in enumerate(records):
        # in the store's order: by the IRI as N-Triples writes it, "<...>" included
        record["countries"] = sorted(record.get("countries") or [])
        record["subjects"] = sorted(record.get("subjects") or [], key=lambda s: s + ">")
        if n % 7 == 0:
            record["issued"] = record["issued"][:4]
        elif n % 7 == 1:
            record["issued"] = record["issued"][:7]
        if n % 3 == 0:
            record["modified"] = "2024-0" + str(1 + n % 9) + "-15"
        elif n % 5 == 0:
            record["modified"] = record["issued"]  # not after: no Update
    records_file.write_text("".join(json.dumps(r) + "\n" for r in records))
    server = OxigraphServer(tmp / "oxigraph")
    try:
        push([folder], server.store_url, validate=False)
        site = publish([folder], tmp / "site", validate=False).out_dir
        yield {"server": server, "site": site}
    finally:
        server.stop()


def test_the_change_feed_is_the_static_sites(dated: dict[str, Any]) -> None:
    """``changes/`` from the store: the same activities, ids, order and pages."""
    site = dated["site"]
    client = TestClient(create_app(endpoint=dated["server"].query_url))
    files = sorted((site / "changes").glob("*.json"))
    assert len(files) >= 3  # index.json and two pages or more: the paging is exercised
    updates = 0
    for path in files:
        answer = client.get(f"/changes/{path.name}")
        assert answer.status_code == 200, path.name
        assert answer.headers["access-control-allow-origin"] == "*"
        assert answer.content == path.read_bytes(), path.name
        updates += answer.text.count('"type": "Update"')
    assert updates > 0
    for name in ("page-0.json", f"page-{len(files)}.json", "page-1.jsonx", "../index.json"):
        assert client.get(f"/changes/{name}").status_code in (400, 404), name


def test_home_pages_of_a_larger_catalogue(dated: dict[str, Any]) -> None:
    """Over 100 records: the home page pages at the default size, dates to the year or
    month sort as the static site sorts them."""
    site = dated["site"]
    client = TestClient(create_app(endpoint=dated["server"].query_url))
    for url in ("/", "/page/2/"):
        page = site / url.strip("/") / "index.html" if url != "/" else site / "index.html"
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.text == page.read_text(encoding="utf-8"), url
    assert client.get("/page/3/").status_code == 404


def test_oai_is_on_the_route_table_with_an_admin_email(world: dict[str, Any]) -> None:
    """``/oai`` of ``serve --endpoint``: Identify names the given address and the public
    URL; without an address (a store holds none) it is 404, saying which option to give."""
    url = world["server"].query_url
    client = TestClient(
        create_app(endpoint=url, public_url="https://csec.example.org/", admin_email="a@b.org")
    )
    identify = client.get("/oai", params={"verb": "Identify"})
    assert identify.status_code == 200, identify.text
    assert "adminEmail>a@b.org</" in identify.text
    assert "baseURL>https://csec.example.org/oai</" in identify.text
    records = client.get("/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    assert records.text.count("identifier>oai:") == len(_ids(world["site"]))
    missing = TestClient(create_app(endpoint=url)).get("/oai", params={"verb": "Identify"})
    assert missing.status_code == 404 and "--admin-email" in missing.text


def test_cli_serve_takes_an_admin_email(runner: Any) -> None:
    assert "--admin-email" in runner.invoke(main, ["serve", "--help"]).output


def test_stale_concepts_are_answered_while_one_thread_asks_the_store_again() -> None:
    """Only the first call waits for the store; after the TTL the kept concepts come
    back at once and one background query refreshes them (a store that is away keeps
    the old ones)."""
    import threading
    import time

    from csec_ld.errors import StoreError
    from csec_ld.server import remote

    asked: list[float] = []
    release = threading.Event()
    state = {"fail": False}

    class Slow:
        def query(self, sparql: str) -> Result:
            asked.append(time.monotonic())
            if len(asked) > 1:
                release.wait(10)
            if state["fail"]:
                raise StoreError("the store did not answer")
            return Result("graph")

    site = remote.RemoteSite("http://127.0.0.1:9/query", engine=Slow())
    first = site.vocabulary
    assert len(asked) == 1 and site.vocabulary is first  # kept within the TTL
    site.kept.ttl = 0.0  # a minute later
    started = time.monotonic()
    assert site.vocabulary is first and site.vocabulary is first  # stale, not waited for
    assert time.monotonic() - started < 1.0
    for _ in range(100):
        if len(asked) == 2:
            break
        time.sleep(0.01)
    assert len(asked) == 2  # one refresh for both calls
    release.set()
    for _ in range(200):
        if ("vocabulary",) not in site.kept._running:
            break
        time.sleep(0.01)
    assert site.vocabulary is first  # the same concepts: the same object
    state["fail"] = True
    for _ in range(200):
        if len(asked) >= 3 and ("vocabulary",) not in site.kept._running:
            break
        time.sleep(0.01)
    assert site.vocabulary is first  # the store is away: the kept concepts stay


def test_kept_answers_are_computed_once_at_a_time_and_expire() -> None:
    """Kept: a second caller waits for the first's answer instead of computing it too;
    an answer expires after the TTL; a failure is not kept; the oldest entry goes first."""
    import threading
    import time

    from csec_ld.server.remote import Kept

    kept = Kept(ttl=60, size=2)
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow() -> str:
        calls.append("slow")
        started.set()
        release.wait(10)
        return "page"

    answers: list[str] = []
    threads = [threading.Thread(target=lambda: answers.append(kept.get("k", slow))) for _ in "ab"]
    threads[0].start()
    started.wait(10)
    threads[1].start()
    time.sleep(0.1)
    release.set()
    for t in threads:
        t.join(10)
    assert answers == ["page", "page"] and calls == ["slow"]  # one computation for both

    def failing() -> str:
        raise RuntimeError("the store is away")

    with pytest.raises(RuntimeError):
        kept.get("f", failing)
    assert kept.get("f", lambda: "back") == "back"  # a failure was not kept
    assert kept.get("n", lambda: None, keep=lambda v: v is not None) is None
    assert kept.get("n", lambda: "made") == "made"  # what keep refused was not kept
    kept.get("x", lambda: "x")  # two entries at most: "k" (the oldest) is gone
    assert kept.get("k", lambda: "again") == "again"
    kept.ttl = 0
    assert kept.get("x", lambda: "fresh") == "fresh"  # expired


def test_listing_pages_and_their_counts_are_kept_for_a_minute(world: dict[str, Any]) -> None:
    """A listing page asked twice costs the store one set of queries; the counts pages
    share (records per type, topic, country) are asked once for every page that shows them."""
    from csec_ld.server.remote import RemoteSite
    from csec_ld.server.store_pages import StorePages

    remote = RemoteSite(world["server"].query_url)
    asked: list[str] = []
    engine = remote.engine
    remote.engine = type(  # type: ignore[assignment]
        "Counting", (), {"query": lambda self, q: asked.append(q) or engine.query(q)}
    )()
    pages = StorePages(remote, listing_size=3)
    home = pages.page([""])
    assert home is not None and asked
    first = len(asked)
    assert pages.page([""]) == home and len(asked) == first  # kept: nothing asked
    pages.page(["type", ""])  # the types' counts: kept from the home page
    assert not any("GROUP BY ?c" in q and "/type>" in q for q in asked[first:])
    assert pages.page(["type", "no-such-type", ""]) is None
    pages.kept.ttl = 0  # a minute later: asked again
    assert pages.page([""]) == home and len(asked) > first


def test_a_record_pushed_after_the_order_was_kept_is_listed_where_the_static_site_lists_it(
    world: dict[str, Any], tmp_path: Path
) -> None:
    """The listings' order is computed once a minute; a record the kept order does not
    know (pushed since) sends a listing back to the store's ORDER BY, so its pages are
    still the static site's."""
    from csec_ld.server.remote import RemoteSite
    from csec_ld.server.store_pages import StorePages

    graph = "https://example.org/graph/later"
    data = shutil.copytree(world["sorted_data"], tmp_path / "data")
    push([data], world["server"].store_url, graph=graph, validate=False)
    pages = StorePages(RemoteSite(world["server"].query_url, graph=graph), listing_size=3)
    for url in ("", "type/report/", "country/PHL/"):
        assert pages.page(url.split("/")) is not None
    ranked, _ = pages._order()
    # one more record, the newest: first on the home page and on its type's page
    newest = yaml.safe_load((data / "records" / "tracer-study-paraguay-2012.yaml").read_text())
    newest.update(id="a-later-report-2030", issued="2030-01-01")
    (data / "records" / "a-later-report-2030.yaml").write_text(
        yaml.safe_dump(newest, allow_unicode=True, sort_keys=False)
    )
    push([data], world["server"].store_url, graph=graph, validate=False)
    site = publish([data], tmp_path / "site", validate=False, listing_size=3).out_dir
    kept_order = pages.kept._values[("order",)]
    pages.kept._values.clear()  # the pages and counts have expired, the order not yet
    pages.kept._values[("order",)] = kept_order
    for url in ("", "page/2/", f"type/{newest['type']}/", "country/PRY/"):
        page = pages.page(url.split("/"))
        want = (site / url / "index.html").read_text(encoding="utf-8")
        assert page is not None and page.decode() == _without_agent_descriptions(want, data), url
    assert pages._order()[0] == ranked  # the kept order was used, not replaced
    assert "a-later-report-2030" in pages.page([""]).decode()  # type: ignore[union-attr]
