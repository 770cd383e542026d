"""The SPARQL workbench and the named-query pages of `csec-ld serve`, as a browser without
JavaScript uses them: forms submitted by GET, pages parsed with lxml."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph
import pytest
import rdflib
from click.testing import CliRunner
from lxml import etree
from lxml import html as lxml_html

from csec_ld.cli import main
from csec_ld.query import named_queries
from csec_ld.server import create_app
from csec_ld.server.workbench import EXAMPLES
from csec_ld.site.publish import publish
from csec_ld.sources import open_catalog
from csec_ld.vocab import load_vocabulary
from tests.conftest import DATA
from tests.servers import Server
from tests.site.test_publish import NASTY_DESCRIPTION, NASTY_RECORD, NASTY_TITLE

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
NASTY_ID = "tricky-escaping-2015"
RECORD_BASE = "https://w3id.org/csec-ld/resource/"
HOSTILE = "</textarea><script>alert('q')</script><img src=x onerror=alert(1)>"


def record_ids() -> list[str]:
    return sorted(r.id for r in open_catalog([DATA]).records())


def _serve(site: Path, **kwargs: Any) -> Iterator[Server]:
    app = create_app(site, timeout=10.0, max_query_length=8192, **kwargs)
    try:
        with Server(app) as s:
            yield s
    finally:
        app.state.pool.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish([DATA], tmp_path_factory.mktemp("wb") / "site", validate=False).out_dir


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[Server]:
    yield from _serve(site, row_limit=1000)


@pytest.fixture(scope="module")
def nasty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """data/ plus a record whose title and description try to break out of the page,
    served with a row limit of 5."""
    data = tmp_path_factory.mktemp("wb-nasty") / "data"
    shutil.copytree(DATA, data)
    (data / "records" / f"{NASTY_ID}.yaml").write_text(NASTY_RECORD, encoding="utf-8")
    site = publish([data], data.parent / "site", validate=False).out_dir
    yield from _serve(site, row_limit=5)


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30, headers=BROWSER) as c:
        yield c


@pytest.fixture
def nasty(nasty_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=nasty_server.url, timeout=30, headers=BROWSER) as c:
        yield c


def page(r: httpx.Response) -> Any:
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    return lxml_html.fromstring(r.text)


def no_injection(doc: Any) -> None:
    """Nothing the request or the data carried became markup."""
    assert doc.xpath("//script") == []
    assert doc.xpath("//img") == []
    assert doc.xpath("//*[@onerror]") == []
    assert doc.xpath("//main//b") == []
    assert doc.xpath("//a[starts-with(normalize-space(@href), 'javascript:')]") == []


def run(c: httpx.Client, query: str) -> httpx.Response:
    return c.get("/sparql", params={"query": query})


def table(doc: Any) -> tuple[list[str], list[Any]]:
    heads = [th.text_content() for th in doc.xpath("//table[@class='results']/thead//th")]
    return heads, doc.xpath("//table[@class='results']/tbody/tr")


def submit(c: httpx.Client, doc: Any, form_xpath: str = "//main//form") -> httpx.Response:
    """Submit a GET form as a browser does, with the values it holds."""
    form = doc.xpath(form_xpath)[0]
    fields = list(form.form_values())
    return c.get(form.get("action"), params=fields)


# --------------------------------------------------------------------------- the workbench


def test_browsers_get_the_workbench_and_machines_get_results(client: httpx.Client) -> None:
    doc = page(client.get("/sparql"))
    assert (
        doc.xpath("//textarea[@name='query']")[0].text_content().strip() == EXAMPLES[0].text.strip()
    )
    assert doc.xpath("//link[@rel='stylesheet'] | //style"), "the site's style"
    assert doc.xpath("//nav//a[@href='/queries/']")
    r = httpx.get(
        client.base_url.join("/sparql"),
        params={"query": "ASK {}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    for accept in ("*/*", None):
        headers = {"Accept": accept} if accept else {}
        r = httpx.get(client.base_url.join("/sparql"), params={"query": "ASK {}"}, headers=headers)
        assert r.json()["boolean"] is True
    r = httpx.get(
        client.base_url.join("/sparql"),
        params={"query": "ASK {}"},
        headers={"Accept": "text/html;q=0.5, text/csv"},
    )
    assert r.headers["content-type"].startswith("text/csv")


def test_default_example_finds_every_record(client: httpx.Client) -> None:
    form = page(client.get("/sparql"))
    r = submit(client, form)
    assert r.status_code == 200
    doc = page(r)
    heads, rows = table(doc)
    assert heads == ["resource", "title", "issued", "type"]
    ids = [row.xpath("td[1]/a")[0].get("href").rsplit("/", 1)[1] for row in rows]
    assert sorted(ids) == record_ids() and len(ids) == 10
    assert doc.xpath("//span[@class='count']")[0].text_content() == "10 rows"
    assert re.fullmatch(r"\d+\.\d{3} s", doc.xpath("//span[@class='elapsed']")[0].text)
    assert doc.xpath("//*[contains(@class, 'truncated')]") == []
    # labels beside IRIs: each type cell shows the concept's label from the SKOS scheme
    types = load_vocabulary().types
    for row in rows:
        link = row.xpath("td[4]/a")[0]
        concept = types.concepts[link.get("href").rstrip("/").rsplit("/", 1)[1]]
        assert row.xpath("td[4]/span[@class='label']")[0].text == concept.label
    # record IRIs link to their pages on this server, which answer
    first = rows[0].xpath("td[1]/a")[0]
    assert first.get("class") == "record" and first.get("href").startswith("/resource/")
    assert client.get(first.get("href")).status_code == 200


def test_truncation_notice_at_the_row_limit(nasty: httpx.Client) -> None:
    doc = page(run(nasty, EXAMPLES[0].text))
    assert len(table(doc)[1]) == 5
    notice = doc.xpath("//p[contains(@class, 'truncated')]")
    assert notice and "row limit (5 rows)" in notice[0].text_content()


def test_downloads_parse_in_every_format(client: httpx.Client) -> None:
    doc = page(run(client, EXAMPLES[0].text))
    links = {a.text: a.get("href") for a in doc.xpath("//a[@class='download']")}
    assert set(links) == {"CSV", "TSV", "JSON", "XML"}
    got = {name: httpx.get(client.base_url.join(href)) for name, href in links.items()}
    rows = list(csv.DictReader(io.StringIO(got["CSV"].text)))
    assert got["CSV"].headers["content-type"].startswith("text/csv")
    assert sorted(r["resource"].rsplit("/", 1)[1] for r in rows) == record_ids()
    tsv = got["TSV"].text.strip("\n").split("\n")
    assert tsv[0].split("\t") == ["?resource", "?title", "?issued", "?type"] and len(tsv) == 11
    bindings = got["JSON"].json()["results"]["bindings"]
    assert sorted(b["resource"]["value"] for b in bindings) == [
        RECORD_BASE + i for i in record_ids()
    ]
    xml = etree.fromstring(got["XML"].content)
    assert len(xml.findall(".//{http://www.w3.org/2005/sparql-results#}result")) == 10
    # a CONSTRUCT: graph downloads, the Turtle one read by rdflib
    construct = next(
        e for e in EXAMPLES if e.text.lstrip().startswith("PREFIX") and "CONSTRUCT" in e.text
    )
    doc = page(run(client, construct.text))
    count = int(doc.xpath("//span[@class='count']")[0].text.split()[0])
    links = {a.text: a.get("href") for a in doc.xpath("//a[@class='download']")}
    assert {"Turtle", "N-Triples", "JSON-LD"} <= set(links)
    graph = rdflib.Graph().parse(
        data=httpx.get(client.base_url.join(links["Turtle"])).text, format="turtle"
    )
    assert len(graph) == count and count >= 20  # a title and a date per record
    nt = httpx.get(client.base_url.join(links["N-Triples"])).content
    assert len(list(pyoxigraph.parse(nt, format=pyoxigraph.RdfFormat.N_TRIPLES))) == count


def test_permalink_round_trip(client: httpx.Client) -> None:
    query = EXAMPLES[1].text
    doc = page(run(client, query))
    link = doc.xpath("//a[@class='permalink']")[0].get("href")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["query"] == [query]
    again = page(client.get(link))
    assert again.xpath("//textarea")[0].text_content().strip() == query.strip()
    assert [r.text_content() for r in table(again)[1]] == [r.text_content() for r in table(doc)[1]]


def test_syntax_error_shows_line_and_column(client: httpx.Client) -> None:
    query = "SELECT ?s\nWHERE {\n  ?s ?p\n}"
    try:
        pyoxigraph.Store().query(query)
    except SyntaxError as exc:
        line, column = map(int, re.search(r"at (\d+):(\d+)", str(exc)).groups())  # type: ignore[union-attr]
    r = run(client, query)
    assert r.status_code == 400
    doc = page(r)
    assert doc.xpath("//span[@class='line']")[0].text == str(line)
    assert doc.xpath("//span[@class='column']")[0].text == str(column)
    context = doc.xpath("//pre[@class='context']")[0].text_content()
    assert f"{line:4d}  }}" in context
    assert doc.xpath("//textarea")[0].text_content() == query  # kept, to be fixed


@pytest.mark.parametrize(
    "query",
    [
        f'SELECT * WHERE {{ ?s ?p "{HOSTILE}" }}',  # valid: no rows
        f'SELECT ("{HOSTILE}" AS ?x) WHERE {{}}',  # the literal comes back as a result
        f"SELECT * WHERE {{ {HOSTILE} }}",  # a syntax error that quotes it
        'SELECT (IRI("javascript:alert(1)") AS ?x) WHERE {}',
    ],
)
def test_hostile_query_text_stays_text(client: httpx.Client, query: str) -> None:
    r = run(client, query)
    assert r.status_code in (200, 400)
    doc = page(r)
    no_injection(doc)
    assert doc.xpath("//textarea")[0].text_content() == query
    if "AS ?x" in query and "IRI" not in query:
        assert table(doc)[1][0].xpath("td")[0].text_content() == HOSTILE


def test_hostile_record_literals_stay_text(nasty: httpx.Client) -> None:
    query = f"""PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?title ?description WHERE {{
  <{RECORD_BASE}{NASTY_ID}> dcterms:title ?title ; dcterms:description ?description }}"""
    doc = page(run(nasty, query))
    no_injection(doc)
    cells = [td.xpath("span[@class='literal']")[0].text for td in table(doc)[1][0].xpath("td")]
    assert cells == [NASTY_TITLE, NASTY_DESCRIPTION]
    # and through a named query's form
    doc = page(nasty.get("/queries/search", params={"text": "Tricky"}))
    no_injection(doc)
    assert NASTY_TITLE in doc.xpath("//table[@class='results']")[0].text_content()


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }", 403, "read-only"),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", 403, "SERVICE"),
        ("ASK { " + "{ " * 300 + "}" * 300 + " }", 400, "nests brackets"),
    ],
)
def test_the_endpoints_protections_apply(
    client: httpx.Client, query: str, status: int, words: str
) -> None:
    r = run(client, query)
    assert r.status_code == status
    assert words in page(r).xpath("//p[@class='message']")[0].text


def test_limits_and_bad_formats(client: httpx.Client) -> None:
    assert run(client, "ASK {} #" + "x" * 9000).status_code == 414
    r = client.get("/sparql", params={"query": "ASK {}", "format": "pdf"})
    assert r.status_code == 400
    r = client.get("/sparql", params={"query": "SELECT * WHERE {}", "format": "ttl"})
    assert r.status_code == 400 and "does not fit" in r.text
    # a media type as ?format=, as some clients send it; and it wins over a browser's Accept
    r = client.get(
        "/sparql", params={"query": "ASK {}", "format": "application/sparql-results+json"}
    )
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    assert r.json()["boolean"] is True


def test_ask_and_starting_points(client: httpx.Client) -> None:
    ask = next(e for e in EXAMPLES if "ASK" in e.text)
    doc = page(run(client, ask.text))
    assert doc.xpath("//strong[@class='boolean']")[0].text in ("yes", "no")
    start = page(client.get("/sparql"))
    for e in EXAMPLES:
        link = start.xpath(f"//a[@href='/sparql?example={e.id}']")
        assert link, e.id
        loaded = page(client.get(link[0].get("href")))
        assert loaded.xpath("//textarea")[0].text_content().strip() == e.text.strip()
    for name in named_queries():
        loaded = page(client.get("/sparql", params={"named": name}))
        r = submit(client, loaded)  # a named query, its example's values bound, runs as is
        assert r.status_code == 200, (name, r.text[:500])


# --------------------------------------------------------------------------- named queries


def test_query_list(client: httpx.Client) -> None:
    doc = page(client.get("/queries/"))
    for name, q in named_queries().items():
        link = doc.xpath(f"//dt/a[@href='/queries/{name}']")
        assert link, name
        assert q.summary in link[0].getparent().getnext().text_content()
    assert client.get("/queries", follow_redirects=True).url.path == "/queries/"
    # the descriptions' `backquoted` names are code, as in the CLI's --list and OpenAPI
    description = doc.xpath("//dt[@id='q-by-country']/following-sibling::dd[1]")[0]
    assert "since" in [c.text_content() for c in description.xpath(".//p/code")]
    assert "`" not in description.text_content()


def _fill(form: Any) -> list[tuple[str, str]]:
    """The form's values, with a valid value in each required field left empty."""
    values = list(form.form_values())
    given = {k for k, v in values if v}
    for el in form.xpath(".//*[@required]"):
        name = el.get("name")
        if name in given:
            continue
        if el.tag == "select":
            values.append(
                (name, next(o.get("value") for o in el.xpath(".//option") if o.get("value")))
            )
        else:
            sample = {"date": "2020-01-01", "number": "2010"}.get(el.get("type"), "tourism")
            values.append((name, sample))
    return values


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_every_named_query_form_renders_and_submits(client: httpx.Client, name: str) -> None:
    doc = page(client.get(f"/queries/{name}"))
    form = doc.xpath("//main//form")[0]
    query = named_queries()[name]
    controls = {el.get("name") for el in form.xpath(".//input | .//select")}
    assert controls == {p.name for p in query.parameters}
    for p in query.parameters:
        el = form.xpath(f".//*[@name='{p.name}']")[0]
        if p.type in ("country", "concept"):
            assert el.tag == "select" and (el.get("multiple") is not None) == p.multi
        if p.type == "country":
            assert len(el.xpath(".//option[@value='PHL']")) == 1
            assert len(el.xpath(".//option[@value]")) >= 249
        if p.type == "year":
            assert el.get("type") == "number"
        if p.type == "date":
            assert el.get("type") == "date"
    r = client.get(form.get("action"), params=_fill(form))
    assert r.status_code == 200, r.text
    done = page(r)
    assert done.xpath("//section[@id='results']"), name
    assert done.xpath("//pre[contains(@class, 'bound')]")
    assert done.xpath("//code[@class='command']")[0].text.startswith(f"csec-ld query {name}")


def test_concept_pickers_come_from_the_skos_schemes(client: httpx.Client) -> None:
    vocab = load_vocabulary()
    doc = page(client.get("/queries/by-subject"))
    options = {o.get("value") for o in doc.xpath("//select[@name='subject']//option")}
    assert options == {c.id for c in vocab.topics}
    doc = page(client.get("/queries/by-type"))
    options = {o.get("value") for o in doc.xpath("//select[@name='type']//option")}
    assert options == {c.id for c in vocab.types}


@pytest.mark.parametrize(
    ("name", "params", "words"),
    [
        ("by-country", {"country": "Narnia"}, "Narnia"),
        ("by-year", {"since": "20x"}, "a year"),
        ("modified-since", {"since": "2020-13-45"}, "a date"),
        ("by-country", {"country": "PHL", "bogus": "1"}, "unknown parameter 'bogus'"),
        ("by-country", {"since": "2010"}, "missing required parameter 'country'"),
        ("search", {"text": HOSTILE + "\x01"}, "control characters"),
        ("resource", {"resource": HOSTILE}, "not an absolute IRI"),
    ],
)
def test_invalid_values_give_a_400_page(
    client: httpx.Client, name: str, params: dict[str, str], words: str
) -> None:
    r = client.get(f"/queries/{name}", params=params)
    assert r.status_code == 400
    doc = page(r)
    no_injection(doc)
    message = doc.xpath("//div[@class='error']//p[@class='message']")[0].text
    assert words in message
    assert doc.xpath("//section[@id='results']") == []
    missing = client.get("/queries/" + urllib.parse.quote("<img src=x onerror=alert(1)>"))
    assert missing.status_code == 404
    no_injection(page(missing))


def test_the_equivalent_command_gives_the_same_rows(client: httpx.Client) -> None:
    doc = page(
        client.get(
            "/queries/by-country", params=[("country", "PHL"), ("country", "PRY"), ("since", "")]
        )
    )
    command = doc.xpath("//code[@class='command']")[0].text
    words = shlex.split(command)
    assert words[:3] == ["csec-ld", "query", "by-country"]
    result = CliRunner().invoke(main, [*words[1:], "--data", str(DATA), "-f", "csv"])
    assert result.exit_code == 0, result.output
    cli = sorted(r["resource"] for r in csv.DictReader(io.StringIO(result.stdout)))
    page_rows = sorted(
        RECORD_BASE + row.xpath("td[1]/a")[0].get("href").rsplit("/", 1)[1] for row in table(doc)[1]
    )
    assert cli == page_rows and len(cli) >= 2
    api = doc.xpath("//a[@class='api']")[0].get("href")
    r = httpx.get(client.base_url.join(api), headers={"Accept": "application/json"})
    assert sorted(b["resource"]["value"] for b in r.json()["results"]["bindings"]) == cli
    downloads = {a.text: a.get("href") for a in doc.xpath("//a[@class='download']")}
    assert set(downloads) == {"CSV", "TSV", "JSON"}
    csv_rows = csv.DictReader(io.StringIO(httpx.get(client.base_url.join(downloads["CSV"])).text))
    assert sorted(r["resource"] for r in csv_rows) == cli


def test_openapi_page(client: httpx.Client) -> None:
    doc = page(client.get("/api/openapi.html"))
    spec = httpx.get(client.base_url.join("/api/openapi.json")).json()
    assert doc.xpath("//h1")[0].text_content().startswith(spec["info"]["title"])
    for path, item in spec["paths"].items():
        section = doc.xpath(f"//section[h2/code = 'GET {path}']")
        assert section, path
        for p in item["get"].get("parameters", []):
            assert section[0].xpath(f".//table//code[text() = '{p['name']}']"), (path, p)
    assert doc.xpath("//a[@href='/queries/by-country']")
    # the document's CommonMark code spans are code on the page, as on the query pages
    assert "/sparql" in [c.text_content() for c in doc.xpath("//main/p/code")]
    assert "`" not in doc.xpath("//main/p")[0].text_content()
    assert json.loads(httpx.get(client.base_url.join("/api/openapi.json")).text) == spec
