"""Virtuoso, for real: ``push`` logs in with Digest, and every named query gives there
the rows it gives on Oxigraph.

One Virtuoso (tests/virtuoso.py) is started for the module on 127.0.0.1 and
stopped after it; CI installs Debian's ``virtuoso-opensource`` (.ci/run).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from csec_ld.cli import main
from csec_ld.query import named_queries
from tests.conftest import DATA
from tests.servers import OxigraphServer
from tests.virtuoso import PASSWORD, USER, VirtuosoServer

GRAPH = "https://w3id.org/csec-ld/catalog-graph"
RESOURCE = "https://w3id.org/csec-ld/resource/"
#: Examples with no rows on data/: no record has a ``modified`` date, every record
#: has a subject, and none mentions Côte d'Ivoire.
EMPTY_ON_DATA = {
    "csec-ld query modified-since -p since=2020-01-01",
    "csec-ld query missing-subject",
    'csec-ld query search -p "text=Côte d\'Ivoire"',
}
EXTRA = "id: extra-report-2011\ntitle: An extra report\nissued: '2011'\ntype: report\n"


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph") / "store")
    yield server
    server.stop()


def _push(virtuoso: VirtuosoServer, sources: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        [
            "push",
            str(sources),
            "--graph-store",
            virtuoso.store_url,
            "--update-endpoint",
            virtuoso.update_url,
            "--endpoint",
            virtuoso.query_url,
            "--graph",
            GRAPH,
            "--chunk-lines",
            "200",
            "-q",
            *extra,
        ],
    )
    return result.exit_code, result.output


def _select(url: str, sparql: str) -> list[dict[str, str]]:
    answer = httpx.post(
        url,
        data={"query": sparql},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    answer.raise_for_status()
    return [{k: v["value"] for k, v in row.items()} for row in answer.json()["results"]["bindings"]]


def _ids(virtuoso: VirtuosoServer) -> set[str]:
    has_part = "<http://purl.org/dc/terms/hasPart>"
    rows = _select(
        virtuoso.query_url, f"SELECT ?r WHERE {{ GRAPH <{GRAPH}> {{ ?c {has_part} ?r }} }}"
    )
    return {row["r"].removeprefix(RESOURCE) for row in rows}


@pytest.fixture(scope="module")
def pushed(virtuoso: VirtuosoServer, oxigraph: OxigraphServer) -> None:
    """The catalogue in Virtuoso's graph GRAPH and in Oxigraph's default graph."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("CSEC_LD_ENDPOINT_TOKEN", raising=False)
        mp.setenv("CSEC_LD_ENDPOINT_USER", USER)
        mp.setenv("CSEC_LD_ENDPOINT_PASSWORD", PASSWORD)
        code, output = _push(virtuoso, DATA)
        assert code == 0, output
    result = CliRunner().invoke(
        main, ["push", str(DATA), "--graph-store", oxigraph.store_url, "-q"]
    )
    assert result.exit_code == 0, result.output


def test_virtuoso_wants_digest(virtuoso: VirtuosoServer) -> None:
    """Basic credentials are refused: what push gets in with below is Digest."""
    put = {
        "params": {"graph": "urn:x"},
        "content": b"<urn:a> <urn:b> <urn:c> .\n",
        "headers": {"Content-Type": "application/n-triples"},
        "timeout": 10,
    }
    challenge = httpx.post(virtuoso.store_url, **put)
    assert challenge.status_code == 401
    assert challenge.headers["www-authenticate"].startswith("Digest ")
    basic = httpx.post(virtuoso.store_url, auth=httpx.BasicAuth(USER, PASSWORD), **put)
    assert basic.status_code == 401
    digest = httpx.post(virtuoso.store_url, auth=httpx.DigestAuth(USER, PASSWORD), **put)
    assert digest.status_code in (200, 201, 204)
    assert (
        httpx.post(
            virtuoso.update_url,
            content=b"DROP SILENT GRAPH <urn:x>",
            headers={"Content-Type": "application/sparql-update"},
            auth=httpx.DigestAuth(USER, PASSWORD),
            timeout=10,
        ).status_code
        < 300
    )


def test_push_logs_in_with_digest_and_replaces_the_graph(
    virtuoso: VirtuosoServer, catalog_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CSEC_LD_ENDPOINT_TOKEN", raising=False)
    monkeypatch.setenv("CSEC_LD_ENDPOINT_USER", USER)
    monkeypatch.setenv("CSEC_LD_ENDPOINT_PASSWORD", PASSWORD)
    (catalog_copy / "records" / "extra-report-2011.yaml").write_text(EXTRA)
    code, output = _push(virtuoso, catalog_copy)
    assert code == 0, output
    assert "11 records" in output and "extra-report-2011" in _ids(virtuoso)
    code, output = _push(virtuoso, DATA)  # a MOVE over a graph that holds the old catalogue
    assert code == 0, output
    triples = int(output.split(" triples")[0].rsplit(" ", 1)[1])
    count = _select(
        virtuoso.query_url, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
    )
    assert int(count[0]["n"]) == triples
    assert len(_ids(virtuoso)) == 10 and "extra-report-2011" not in _ids(virtuoso)
    staging = _select(
        virtuoso.query_url,
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        'FILTER(STRSTARTS(STR(?g), "urn:csec-ld:staging:")) }',
    )
    assert staging == []


def test_a_wrong_password_is_refused_and_never_shown(
    virtuoso: VirtuosoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CSEC_LD_ENDPOINT_TOKEN", raising=False)
    monkeypatch.delenv("CSEC_LD_ENDPOINT_USER", raising=False)
    monkeypatch.delenv("CSEC_LD_ENDPOINT_PASSWORD", raising=False)
    endpoint = virtuoso.store_url.replace("http://", "http://dba:s3cret-wrong@")
    update = virtuoso.update_url.replace("http://", "http://dba:s3cret-wrong@")
    result = CliRunner().invoke(
        main,
        [
            "push",
            str(DATA),
            "--graph-store",
            endpoint,
            "--update-endpoint",
            update,
            "--endpoint",
            virtuoso.query_url,
            "--graph",
            "urn:never",
            "--retries",
            "0",
            "-q",
        ],
    )
    assert result.exit_code == 1
    assert "refused the credentials" in result.stderr and "dba:***@" in result.stderr
    assert "s3cret-wrong" not in result.output
    assert _select(virtuoso.query_url, "SELECT * WHERE { GRAPH <urn:never> { ?s ?p ?o } }") == []


def _examples() -> list[tuple[str, list[str]]]:
    cases: list[tuple[str, list[str]]] = []
    for name, query in sorted(named_queries().items()):
        for example in query.examples or (f"csec-ld query {name}",):
            args = shlex.split(example)[2:]
            graph = "CONSTRUCT" in query.text.upper() or "DESCRIBE" in query.text.upper()
            cases.append((example, [*args, "-f", "nt" if graph else "csv"]))
    return cases


def _case_id(value: object) -> str:
    return value.removeprefix("csec-ld query ") if isinstance(value, str) else ""


@pytest.mark.parametrize(("example", "args"), _examples(), ids=_case_id)
@pytest.mark.usefixtures("pushed")
def test_named_queries_give_the_same_rows_as_on_oxigraph(
    virtuoso: VirtuosoServer, oxigraph: OxigraphServer, example: str, args: list[str]
) -> None:
    """Virtuoso's /sparql reads the union of its graphs, Oxigraph its default graph."""
    runner = CliRunner()
    answers = []
    for endpoint in (virtuoso.query_url, oxigraph.query_url):
        result = runner.invoke(main, ["query", *args, "--endpoint", endpoint])
        assert result.exit_code == 0, f"{endpoint}: {result.output}"
        answers.append(result.stdout)
    on_virtuoso, on_oxigraph = answers
    if args[-1] == "nt":  # a graph: the same triples, in any order
        assert sorted(on_virtuoso.splitlines()) == sorted(on_oxigraph.splitlines())
    else:  # a table: the same rows in the same order (every named query sorts its rows)
        assert on_virtuoso == on_oxigraph
    has_rows = on_oxigraph.count("\n") > 1  # rows, not only a header
    assert has_rows != (example in EMPTY_ON_DATA), on_oxigraph
