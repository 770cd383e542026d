"""`--queries DIR`: a folder of the user's own documented .rq files, checked on load, in
`csec-ld query`, in `csec-ld serve`'s API, OpenAPI document and pages."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph
import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from csec_ld.cli import main
from csec_ld.errors import UsageError
from csec_ld.query import load_queries_dir, named_queries, queries_with
from csec_ld.server import create_app
from csec_ld.site.publish import publish
from csec_ld.sources import open_catalog
from tests.conftest import DATA
from tests.servers import Server

BROWSER = {"Accept": "text/html,*/*;q=0.8"}

ISSUED_SINCE = """\
# summary: Records issued in or after a year, newest first
# description:
#   A user's own query: every record of the catalogue whose issue date is in or
#   after the given year.
# param since: year, required — the first year
# example: csec-ld query issued-since -p since=2011
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX dcmitype: <http://purl.org/dc/dcmitype/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?resource ?issued WHERE {
  ?catalog a dcmitype:Collection ; dcterms:hasPart ?resource .
  ?resource dcterms:issued ?issued .
  FILTER(xsd:integer(SUBSTR(STR(?issued), 1, 4)) >= ?since)
}
ORDER BY DESC(STR(?issued)) STR(?resource)
"""


HOSTILE_SUMMARY = "<script>alert(1)</script> & <b>bold</b>"
HOSTILE_DOC = f"""\
# summary: {HOSTILE_SUMMARY}
# description:
#   <img src=x onerror=alert(2)> "quotes" </dd></dl><script>alert(3)</script>
#   in backquotes: `<script>alert(5)</script>` and `</code><img src=y onerror=alert(6)>`
# param text: string, optional — <script>alert(4)</script>
ASK WHERE {{ ?s ?p ?text }}
"""


def expected_since(year: int) -> list[str]:
    """The ids of data/'s records issued in or after *year*, from the records themselves."""
    return sorted(r.id for r in open_catalog([DATA]).records() if int(r.issued.text[:4]) >= year)


@pytest.fixture(scope="module")
def queries_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("q") / "my-queries"
    folder.mkdir()
    (folder / "issued-since.rq").write_text(ISSUED_SINCE, encoding="utf-8")
    (folder / "hostile-doc.rq").write_text(HOSTILE_DOC, encoding="utf-8")
    return folder


def test_load_queries_dir(queries_dir: Path) -> None:
    loaded = load_queries_dir(queries_dir)
    assert list(loaded) == ["hostile-doc", "issued-since"]
    q = loaded["issued-since"]
    assert q.summary.startswith("Records issued") and [p.name for p in q.parameters] == ["since"]
    both = queries_with(queries_dir)
    assert set(both) == set(named_queries()) | {"hostile-doc", "issued-since"}
    assert queries_with(None) == named_queries()


def test_cli_lists_and_runs_a_users_query(runner: CliRunner, queries_dir: Path) -> None:
    listed = runner.invoke(main, ["query", "--list", "--queries", str(queries_dir)])
    assert listed.exit_code == 0, listed.output
    assert "issued-since\n  Records issued in or after a year" in listed.stdout
    assert "by-country" in listed.stdout
    assert "issued-since" not in runner.invoke(main, ["query", "--list"]).stdout
    result = runner.invoke(
        main,
        [
            "query",
            "issued-since",
            "--queries",
            str(queries_dir),
            "-p",
            "since=2011",
            "--data",
            str(DATA),
            "-f",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted(r["resource"].rsplit("/", 1)[1] for r in rows) == expected_since(2011)
    assert expected_since(2011) and len(rows) < 10
    missing = runner.invoke(
        main, ["query", "issued-since", "--queries", str(queries_dir), "--data", str(DATA)]
    )
    assert missing.exit_code != 0 and "missing required parameter 'since'" in missing.stderr


SYNTAX_ERROR = "# summary: x\nSELECT ?s\nWHERE {\n  ?s ?p\n}\n"


def _engine_line(text: str) -> int:
    """The line the engine itself reports for a syntax error in *text*."""
    try:
        pyoxigraph.Store().query(text)
    except SyntaxError as exc:
        found = re.search(r"at (\d+):\d+", str(exc))
        assert found, exc
        return int(found.group(1))
    raise AssertionError("no syntax error")


SYNTAX_LINE = _engine_line(SYNTAX_ERROR)

BAD: dict[str, tuple[str, str, str]] = {
    # case: (file name, text, what the one-line error says after "file:")
    "unknown type": (
        "a.rq",
        "# summary: x\n# description: y\n# param n: number, required\nSELECT ?n WHERE { }\n",
        "3: parameter 'n': unknown type 'number'",
    ),
    "declared twice": (
        "a.rq",
        "# summary: x\n# param n: year\n# param n: year\nSELECT ?n WHERE { }\n",
        "3: parameter 'n' is declared twice",
    ),
    "syntax error": (
        "a.rq",
        SYNTAX_ERROR,
        f"{SYNTAX_LINE}: SPARQL syntax error at line {SYNTAX_LINE}",
    ),
    "an update": (
        "a.rq",
        "# summary: x\nINSERT DATA { <http://a.example/> <http://b.example/> 1 }\n",
        "2: csec-ld runs queries",
    ),
    "no summary": ("a.rq", "# description: no summary\nASK {}\n", "1: no '# summary: ...' line"),
    "unused parameter": (
        "a.rq",
        "# summary: x\n# param year: year\nASK { ?s ?p ?o }\n",
        "2: parameter 'year' is not used in the query",
    ),
    "no WHERE to bind in": (
        "a.rq",
        "# summary: x\n# param o: iri\nASK { ?s ?p ?o }\n",
        "3: a query with parameters needs a WHERE",
    ),
    "shipped name": (
        "by-country.rq",
        "# summary: mine\nASK {}\n",
        "1: 'by-country' is the name of a shipped query",
    ),
    "bad name": ("my query.rq", "# summary: x\nASK {}\n", "1: 'my query' cannot be a query name"),
    "not UTF-8": ("a.rq", "# summary: caf\xe9\nASK {}\n", "1: cannot read the query"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_query_files_are_refused(runner: CliRunner, tmp_path: Path, case: str) -> None:
    name, text, message = BAD[case]
    folder = tmp_path / "queries"
    folder.mkdir()
    path = folder / name
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(UsageError) as info:
        load_queries_dir(folder)
    assert str(info.value).startswith(f"{path}:{message}"), str(info.value)
    for args in (
        ["query", "--list", "--queries", str(folder)],
        ["serve", str(DATA), "--queries", str(folder), "--port", "0"],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith(f"error: {path}:{message}")
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_a_missing_or_empty_folder_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    for folder, words in ((tmp_path / "nope", "no such folder"), (tmp_path, "no .rq files")):
        result = runner.invoke(main, ["query", "--list", "--queries", str(folder)])
        assert result.exit_code == 2 and words in result.stderr


def test_cli_serve_passes_the_users_queries(
    runner: CliRunner, queries_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("csec_ld.server.serve", lambda *a, **kw: seen.update(kw))
    result = runner.invoke(main, ["serve", str(DATA), "--queries", str(queries_dir)])
    assert result.exit_code == 0, result.output
    assert "issued-since" in seen["queries"] and "by-country" in seen["queries"]


# --------------------------------------------------------------------------- served


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, queries_dir: Path) -> Iterator[Server]:
    site = publish([DATA], tmp_path_factory.mktemp("qsite") / "site", validate=False).out_dir
    app = create_app(site, timeout=10.0, row_limit=1000, queries=queries_with(queries_dir))
    try:
        with Server(app) as s:
            yield s
    finally:
        app.state.pool.close()


def test_served_in_the_api_openapi_and_pages(server: Server, queries_dir: Path) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        listing = c.get("/api/queries").json()
        names = [q["name"] for q in listing["queries"]]
        assert "issued-since" in names and "by-country" in names
        openapi = c.get("/api/openapi.json").json()
        op = openapi["paths"]["/api/queries/issued-since"]["get"]
        assert op["parameters"][0]["name"] == "since"
        r = c.get("/api/queries/issued-since", params={"since": "2011", "format": "csv"})
        assert r.status_code == 200
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert sorted(x["resource"].rsplit("/", 1)[1] for x in rows) == expected_since(2011)
        assert c.get("/api/queries/issued-since", params={"since": "later"}).status_code == 400

        doc = lxml_html.fromstring(c.get("/queries/", headers=BROWSER).text)
        entry = doc.xpath("//dt[a[@href='/queries/issued-since']]")[0]
        assert "(your query)" in entry.text_content()
        form = lxml_html.fromstring(c.get("/queries/issued-since", headers=BROWSER).text)
        year = form.xpath("//input[@name='since']")[0]
        assert year.get("type") == "number" and year.get("value") == "2011"  # the example's
        r = c.get("/queries/issued-since", params={"since": "2011"}, headers=BROWSER)
        assert r.status_code == 200
        done = lxml_html.fromstring(r.text)
        links = done.xpath("//table[@class='results']/tbody/tr/td[1]/a/@href")
        assert sorted(h.rsplit("/", 1)[1] for h in links) == expected_since(2011)
        command = done.xpath("//code[@class='command']")[0].text
        assert command == f"csec-ld query issued-since --queries {queries_dir.name} -p since=2011"
        html_api = lxml_html.fromstring(c.get("/api/openapi.html", headers=BROWSER).text)
        assert html_api.xpath("//section[h2/code = 'GET /api/queries/issued-since']")


def test_a_users_documentation_stays_text(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30, headers=BROWSER) as c:
        for url in (
            "/queries/",
            "/queries/hostile-doc",
            "/queries/hostile-doc?text=x",
            "/api/openapi.html",
            "/sparql",
        ):
            r = c.get(url)
            assert r.status_code == 200, url
            doc = lxml_html.fromstring(r.text)
            assert doc.xpath("//script | //img | //main//b | //*[@onerror]") == [], url
            assert HOSTILE_SUMMARY in doc.text_content(), url
            if url.startswith("/queries/hostile-doc"):  # backquotes are code, still text
                codes = [c.text_content() for c in doc.xpath("//main//p/code")]
                assert "<script>alert(5)</script>" in codes, codes


def test_the_command_a_page_shows_runs(
    runner: CliRunner, queries_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page names the folder, as a user runs it from the folder's parent."""
    monkeypatch.chdir(queries_dir.parent)
    result = runner.invoke(
        main,
        [
            "query",
            "issued-since",
            "--queries",
            queries_dir.name,
            "-p",
            "since=2011",
            "--data",
            str(DATA),
            "-f",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(list(csv.DictReader(io.StringIO(result.stdout)))) == len(expected_since(2011))
