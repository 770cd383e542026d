"""The named-query HTTP API of `csec-ld serve` (/api/queries, /api/openapi.json) over HTTP."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph
import pytest

from csec_ld.query import format_result, named_queries, parse_query_text, run_query
from csec_ld.server import create_app, openapi_document, query_examples
from csec_ld.site.publish import publish
from csec_ld.store import MemoryEngine
from tests.conftest import DATA
from tests.servers import Server

QUERIES = named_queries()
EXAMPLES = [
    (name, ex["url"], ex["params"])
    for name, q in QUERIES.items()
    for ex in query_examples(q)
    if "url" in ex
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish([DATA], tmp_path_factory.mktemp("api") / "site", validate=False).out_dir


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[Server]:
    with Server(create_app(site, timeout=10.0, row_limit=1000, max_query_length=4096)) as s:
        yield s


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
def data_engine() -> Iterator[MemoryEngine]:
    """The CLI's engine on data/: what `csec-ld query NAME` runs on."""
    with MemoryEngine.from_sources([DATA]) as engine:
        yield engine  # type: ignore[misc]


def _values(pairs: list[list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        if k != "format":
            out.setdefault(k, []).append(v)
    return out


def _bindings(result: Any) -> list[dict[str, Any]]:
    return json.loads(format_result(result, "json"))["results"]["bindings"]


# --------------------------------------------------------------------------- the list


def test_every_query_has_an_example() -> None:
    assert {name for name, _, _ in EXAMPLES} == set(QUERIES)


def test_list_queries(client: httpx.Client) -> None:
    r = client.get("/api/queries")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["access-control-allow-origin"] == "*"
    doc = r.json()
    assert [q["name"] for q in doc["queries"]] == list(QUERIES)
    assert doc["links"]["openapi"] == "/api/openapi.json"  # root-relative: no Host header in it
    by_name = {q["name"]: q for q in doc["queries"]}
    by_country = by_name["by-country"]
    assert by_country["summary"] == QUERIES["by-country"].summary
    assert by_country["description"].startswith("Every resource whose coverage")
    assert by_country["kind"] == "select"
    assert by_country["parameters"][0] == {
        "name": "country",
        "type": "country",
        "required": True,
        "multi": True,
        "default": [],
        "help": "ISO 3166-1 code (PH or PHL), English name or IRI",
        "schema": by_country["parameters"][0]["schema"],
    }
    assert by_name["count-by-year"]["parameters"][0]["default"] == ["1"]
    assert by_name["by-type"]["parameters"][0]["type"] == "concept:type"
    assert by_name["resource"]["kind"] == "graph"
    assert set(by_name["resource"]["formats"]) == {"ttl", "jsonld", "nt"}
    assert by_country["examples"][0] == {
        "cli": "csec-ld query by-country -p country=PHL",
        "url": "/api/queries/by-country?country=PHL",
        "params": [["country", "PHL"]],
    }
    assert by_country["links"]["self"] == "/api/queries/by-country"
    for q in doc["queries"]:  # every example URL the list gives answers
        for ex in q["examples"]:
            assert client.get(ex["url"]).status_code == 200, ex["url"]


# --------------------------------------------------------------------------- same rows as the CLI


@pytest.mark.parametrize(("name", "url", "params"), EXAMPLES, ids=[u for _, u, _ in EXAMPLES])
def test_every_query_gives_the_rows_of_run_query(
    client: httpx.Client, data_engine: MemoryEngine, name: str, url: str, params: list[list[str]]
) -> None:
    """Each example of each named query, over HTTP, against `run_query` on data/."""
    expected = run_query(name, _values(params), source=data_engine)
    fmt = dict((k, v) for k, v in params).get("format")
    if expected.kind == "graph":
        pairs = [(k, v) for k, v in params if k != "format"] + [("format", "nt")]
        r = client.get(url.split("?")[0], params=pairs)
        assert r.status_code == 200, r.text
        got = {
            pyoxigraph.Triple(q.subject, q.predicate, q.object)
            for q in pyoxigraph.parse(r.content, format=pyoxigraph.RdfFormat.N_TRIPLES)
        }
        assert got == set(expected.triples)
        assert got
        return
    r = client.get(url, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    # the same bytes as the CLI's `-f json` (or the example's own format)
    assert r.text == format_result(expected, fmt or "json")
    if fmt is None:
        assert r.headers["content-type"].startswith("application/sparql-results+json")
        doc = r.json()
        assert doc["head"]["vars"] == expected.variables
        assert doc["results"]["bindings"] == _bindings(expected)  # same rows, same order


def test_multi_valued_parameters_are_repeated(client: httpx.Client) -> None:
    one = client.get("/api/queries/by-country", params={"country": "PHL"}).json()
    two = client.get("/api/queries/by-country", params=[("country", "PHL"), ("country", "PRY")])
    rows = two.json()["results"]["bindings"]
    assert len(rows) > len(one["results"]["bindings"])
    assert any(row["resource"]["value"].endswith("tracer-study-paraguay-2012") for row in rows)
    # labels and IRIs work as in the CLI; an empty optional value counts as not given
    by_label = client.get("/api/queries/by-type", params={"type": "survey report", "since": ""})
    by_iri = client.get(
        "/api/queries/by-type", params={"type": "https://w3id.org/csec-ld/type/survey-report"}
    )
    assert by_label.status_code == by_iri.status_code == 200
    assert by_label.json() == by_iri.json()


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("how", "value", "media"),
    [
        ("accept", "text/csv", "text/csv"),
        ("accept", "text/tab-separated-values", "text/tab-separated-values"),
        ("accept", "application/json", "application/json"),
        ("accept", "text/html,application/xhtml+xml,*/*;q=0.8", "application/sparql-results+json"),
        ("format", "csv", "text/csv"),
        ("format", "tsv", "text/tab-separated-values"),
        ("format", "json", "application/sparql-results+json"),
        ("format", "text/csv", "text/csv"),
    ],
)
def test_table_formats(
    client: httpx.Client, data_engine: MemoryEngine, how: str, value: str, media: str
) -> None:
    params = {"country": "PHL"}
    headers = {}
    if how == "accept":
        headers["Accept"] = value
    else:
        params["format"] = value
        headers["Accept"] = "application/sparql-results+json"  # ?format= wins
    r = client.get("/api/queries/by-country", params=params, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    assert "Accept" in r.headers["vary"]
    expected = run_query("by-country", params={"country": "PHL"}, source=data_engine)
    if media == "text/csv":
        assert r.text == format_result(expected, "csv")
        rows = list(csv.reader(io.StringIO(r.text)))
        assert rows[0] == expected.variables
        assert len(rows) == len(expected.rows) + 1
    elif media == "text/tab-separated-values":
        assert r.text == format_result(expected, "tsv")
        assert r.text.startswith("?resource\t")
    else:
        assert r.json()["results"]["bindings"] == _bindings(expected)


@pytest.mark.parametrize(
    ("fmt", "accept", "media", "rdf_format"),
    [
        ("ttl", None, "text/turtle", pyoxigraph.RdfFormat.TURTLE),
        ("nt", None, "application/n-triples", pyoxigraph.RdfFormat.N_TRIPLES),
        (None, "text/turtle", "text/turtle", pyoxigraph.RdfFormat.TURTLE),
        (None, "application/n-triples", "application/n-triples", pyoxigraph.RdfFormat.N_TRIPLES),
        (None, None, "text/turtle", pyoxigraph.RdfFormat.TURTLE),
    ],
)
def test_construct_formats(
    client: httpx.Client, fmt: str | None, accept: str | None, media: str, rdf_format: Any
) -> None:
    params = {"resource": "resource:tracer-study-paraguay-2012"}
    if fmt:
        params["format"] = fmt
    r = client.get(
        "/api/queries/resource", params=params, headers={"Accept": accept} if accept else {}
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    triples = list(pyoxigraph.parse(r.content, format=rdf_format))
    assert any(t.subject.value.endswith("/resource/tracer-study-paraguay-2012") for t in triples)


def test_construct_as_jsonld(client: httpx.Client, site: Path) -> None:
    r = client.get(
        "/api/queries/resource",
        params={"resource": "resource:tracer-study-paraguay-2012"},
        headers={"Accept": "application/ld+json"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/ld+json")
    doc = r.json()
    # our context is served by the site, so the document expands offline
    doc["@context"] = json.loads((site / "context.jsonld").read_text())["@context"]
    triples = list(pyoxigraph.parse(json.dumps(doc).encode(), format=pyoxigraph.RdfFormat.JSON_LD))
    nt = client.get(
        "/api/queries/resource",
        params={"resource": "resource:tracer-study-paraguay-2012", "format": "nt"},
    )
    assert set(triples) == set(pyoxigraph.parse(nt.content, format=pyoxigraph.RdfFormat.N_TRIPLES))


def test_format_errors(client: httpx.Client) -> None:
    r = client.get("/api/queries/by-country", params={"country": "PHL", "format": "ttl"})
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["formats"] == ["json", "csv", "tsv"]
    r = client.get("/api/queries/resource", params={"resource": "resource:x", "format": "csv"})
    assert r.status_code == 400
    r = client.get(
        "/api/queries/by-country", params={"country": "PHL"}, headers={"Accept": "image/png"}
    )
    assert r.status_code == 406
    assert "text/csv" in r.json()["formats"]
    r = client.get(
        "/api/queries/by-country", params={"country": "PHL"}, headers={"Accept": "text/csv;q=9"}
    )
    assert r.status_code == 200  # a malformed Accept is read leniently: as */*
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    r = client.get(
        "/api/queries/by-country", params=[("country", "PHL"), ("format", "csv"), ("format", "tsv")]
    )
    assert r.status_code == 400


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "param", "value", "expected"),
    [
        ("by-country", "country", "Atlantis", "country"),
        ("by-country", "since", "20x0", "year"),
        ("by-year", "since", "99", "year"),
        ("count-by-year", "min", "many", "integer"),
        ("modified-since", "since", "2020-02-30", "date"),
        ("modified-since", "since", "yesterday", "date"),
        ("by-type", "type", "no-such-type", "concept:type"),
        ("by-subject", "subject", "report", "concept:topic"),  # a type, not a topic
        ("by-language", "language", "klingon-ish", "language"),
        ("resource", "resource", "not an iri", "iri"),
        ("search", "text", "bad\x01control", "string"),
    ],
)
def test_bad_values_name_the_parameter_and_its_type(
    client: httpx.Client, name: str, param: str, value: str, expected: str
) -> None:
    required = {p.name: "x" for p in QUERIES[name].parameters if p.required and p.name != param}
    fill = {
        "country": "PHL",
        "type": "report",
        "subject": "child-labour",
        "language": "en",
        "resource": "resource:x",
        "text": "x",
        "since": "2010-01-01",
    }
    params = {k: fill.get(k, v) for k, v in required.items()}
    params[param] = value
    r = client.get(f"/api/queries/{name}", params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 400
    assert problem["parameter"] == param
    assert problem["expected"] == expected
    assert repr(param) in problem["detail"]
    assert [p["name"] for p in problem["allowed"]] == [p.name for p in QUERIES[name].parameters]


def test_unknown_query_lists_the_names(client: httpx.Client) -> None:
    r = client.get("/api/queries/no-such-query")
    assert r.status_code == 404
    problem = r.json()
    assert problem["queries"] == list(QUERIES)
    assert "by-country" in problem["detail"]


def test_unknown_missing_and_repeated_parameters(client: httpx.Client) -> None:
    r = client.get("/api/queries/by-country", params={"country": "PHL", "contry": "PRY"})
    assert r.status_code == 400
    problem = r.json()
    assert problem["parameter"] == "contry"
    assert "country (country, required, multi-valued)" in problem["detail"]
    assert [p["name"] for p in problem["allowed"]] == ["country", "since"]
    r = client.get("/api/queries/by-country", params={"since": "2010"})
    assert r.status_code == 400
    assert r.json()["parameter"] == "country"
    assert "missing required parameter 'country'" in r.json()["detail"]
    r = client.get("/api/queries/by-country", params={"country": ""})
    assert r.status_code == 400 and r.json()["parameter"] == "country"
    r = client.get("/api/queries/by-year", params=[("since", "2010"), ("since", "2011")])
    assert r.status_code == 400
    assert "takes one value" in r.json()["detail"]
    r = client.get("/api/queries/count-by-year", params={"nope": "1"})
    assert r.status_code == 400
    assert "allowed: min (integer, optional, default 1)" in r.json()["detail"]


INJECTIONS = [
    ("search", "text", 'tourism" ) } UNION { ?resource ?p ?o } #'),
    ("search", "text", "') || true || ('"),
    ("search", "text", '"""} ; DROP ALL ; #'),
    ("search", "text", '\\" } UNION { ?s ?p ?o } \\"'),
    ("search", "text", "}} SELECT * WHERE { ?s ?p ?o }"),
    ("by-country", "country", "PHL> } UNION { ?resource ?p ?o } #"),
    ("by-country", "country", "<http://x> } UNION { ?s ?p ?o }"),
    ("by-type", "type", "report } UNION { ?resource ?p ?o"),
    ("resource", "resource", "<http://x> } UNION { ?s ?p ?o } #"),
    ("resource", "resource", "resource:x>\n<http://y"),
    ("by-country", "since", "2010 || true"),
    ("count-by-year", "min", "0) || (1"),
]


@pytest.mark.parametrize(("name", "param", "value"), INJECTIONS)
def test_injection_values_return_no_extra_rows(
    client: httpx.Client, data_engine: MemoryEngine, name: str, param: str, value: str
) -> None:
    params = {"country": "PHL"} if name == "by-country" else {}
    params[param] = value
    fmt = "nt" if name == "resource" else "json"
    r = client.get(f"/api/queries/{name}", params={**params, "format": fmt})
    if r.status_code == 400:  # a typed value that does not fit its type
        assert r.json()["parameter"] == param
        return
    assert r.status_code == 200, r.text
    if fmt == "nt":
        assert r.content.strip() == b""
        return
    rows = r.json()["results"]["bindings"]
    # what the CLI gives for the same value: a literal, matched as text, not a query
    assert rows == _bindings(run_query(name, params, source=data_engine))
    assert rows == []


def test_long_query_strings_are_refused(client: httpx.Client) -> None:
    r = client.get("/api/queries/search", params={"text": "x" * 5000})
    assert r.status_code == 414


# --------------------------------------------------------------------------- HTTP behaviour


def test_etag_cors_and_preflight(client: httpx.Client) -> None:
    r = client.get("/api/queries/count-by-type")
    assert r.status_code == 200
    etag = r.headers["etag"]
    assert r.headers["access-control-allow-origin"] == "*"
    assert 'rel="service-desc"' in r.headers["link"]
    again = client.get("/api/queries/count-by-type", headers={"If-None-Match": etag})
    assert again.status_code == 304
    csv_etag = client.get("/api/queries/count-by-type", params={"format": "csv"}).headers["etag"]
    assert csv_etag != etag
    r = client.options(
        "/api/queries/count-by-type",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert client.post("/api/queries/count-by-type").status_code == 405
    assert client.head("/api/queries").status_code == 200


def test_row_cap(site: Path) -> None:
    with Server(create_app(site, row_limit=3)) as s, httpx.Client(base_url=s.url) as c:
        r = c.get("/api/queries/by-type", params={"type": "report"})
        assert r.status_code == 200
        assert len(r.json()["results"]["bindings"]) == 3
        assert r.headers["x-results-truncated"] == "true"
        r = c.get("/api/queries/count-by-year", params={"min": "2"})
        assert "x-results-truncated" not in r.headers


def test_time_limit(site: Path) -> None:
    slow = parse_query_text(
        "# summary: a cross product\n"
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }\n",
        "slow",
    )
    app = create_app(site, timeout=0.5, queries={**named_queries(), "slow": slow})
    with Server(app) as s, httpx.Client(base_url=s.url, timeout=30) as c:
        start = time.monotonic()
        r = c.get("/api/queries/slow")
        assert r.status_code == 503
        assert "time limit" in r.json()["detail"]
        assert r.headers["retry-after"]
        assert time.monotonic() - start < 5
        assert c.get("/api/queries/count-by-type").status_code == 200  # a new worker


# --------------------------------------------------------------------------- OpenAPI


def test_openapi_document_validates(client: httpx.Client) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"] == "3.1.0"
    validator.OpenAPIV31SpecValidator(doc).validate()  # offline: the package ships the schemas
    assert doc["servers"] == [{"url": "/"}]


def test_openapi_paths_and_parameters() -> None:
    doc = openapi_document()
    assert set(doc["paths"]) == {"/api/queries"} | {f"/api/queries/{n}" for n in QUERIES}
    op = doc["paths"]["/api/queries/by-country"]["get"]
    assert op["operationId"] == "by-country"
    assert op["summary"] == QUERIES["by-country"].summary
    params = {p["name"]: p for p in op["parameters"]}
    assert params["country"]["required"] is True
    assert params["country"]["schema"]["type"] == "array"
    assert params["country"]["schema"]["minItems"] == 1
    assert params["country"]["explode"] is True
    assert params["country"]["example"] == ["PHL"]
    assert params["since"]["required"] is False
    assert params["since"]["schema"] == {"type": "integer", "minimum": 1000, "maximum": 9999}
    assert params["format"]["schema"]["enum"] == ["json", "csv", "tsv"]
    assert set(op["responses"]["200"]["content"]) == {
        "application/sparql-results+json",
        "text/csv",
        "text/tab-separated-values",
    }
    by_type = {p["name"]: p for p in doc["paths"]["/api/queries/by-type"]["get"]["parameters"]}
    assert "report" in by_type["type"]["schema"]["items"]["enum"]
    assert "child-labour" not in by_type["type"]["schema"]["items"]["enum"]
    count = {p["name"]: p for p in doc["paths"]["/api/queries/count-by-year"]["get"]["parameters"]}
    assert count["min"]["schema"] == {"type": "integer", "default": 1}
    since = doc["paths"]["/api/queries/modified-since"]["get"]["parameters"][0]
    assert since["schema"] == {"type": "string", "format": "date"}
    resource = doc["paths"]["/api/queries/resource"]["get"]
    assert set(resource["responses"]["200"]["content"]) == {
        "text/turtle",
        "application/ld+json",
        "application/n-triples",
    }
    assert resource["parameters"][0]["schema"]["format"] == "iri"
