"""``query --graph IRI``: a catalogue pushed into a named graph, queried on a real Oxigraph
server and on an embedded store; and the hint when the default graph is empty."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner

from csec_ld.cli import main
from csec_ld.store import catalogue_triples
from tests.conftest import DATA
from tests.servers import OxigraphServer

GRAPH = "https://w3id.org/csec-ld/catalog-graph"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    srv = OxigraphServer(tmp_path_factory.mktemp("oxigraph") / "db")
    result = CliRunner().invoke(
        main, ["push", str(DATA), "--graph-store", srv.store_url, "--graph", GRAPH, "-q"]
    )
    assert result.exit_code == 0, result.output
    yield srv
    srv.stop()


def _csv(out: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(out)))


def _query(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["query", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_named_graph_of_an_endpoint(server: OxigraphServer) -> None:
    code, want, err = _query("count-by-type", "-f", "csv", "--data", str(DATA))
    assert code == 0, err
    code, out, err = _query(
        "count-by-type", "-f", "csv", "--endpoint", server.query_url, "--graph", GRAPH
    )
    assert code == 0, err
    assert _csv(out) == _csv(want) and len(_csv(out)) > 2


def test_an_empty_default_graph_gives_a_hint(server: OxigraphServer) -> None:
    code, out, err = _query("count-by-type", "--endpoint", server.query_url)
    assert code == 0
    assert "(0 rows)" in out
    assert (
        f"hint: the default graph holds no catalogue, but the named graph <{GRAPH}> does: "
        f"add --graph {GRAPH}" in err
    )


def test_no_hint_when_nothing_matches_in_the_right_graph(server: OxigraphServer) -> None:
    code, out, err = _query(
        "by-country", "-p", "country=FRA", "--endpoint", server.query_url, "--graph", GRAPH
    )
    assert code == 0 and "(0 rows)" in out and "hint" not in err


def test_a_named_graph_of_an_embedded_store(tmp_path: Path) -> None:
    store = pyoxigraph.Store(str(tmp_path / "store"))
    graph = pyoxigraph.NamedNode(GRAPH)
    store.extend(
        pyoxigraph.Quad(t.subject, t.predicate, t.object, graph) for t in catalogue_triples([DATA])
    )
    store.flush()
    del store
    code, out, err = _query(
        "by-country",
        "-p",
        "country=PHL",
        "-f",
        "csv",
        "--store",
        str(tmp_path / "store"),
        "--graph",
        GRAPH,
    )
    assert code == 0, err
    assert len(_csv(out)) == 3  # the header and two records
    code, out, err = _query("by-country", "-p", "country=PHL", "--store", str(tmp_path / "store"))
    assert "(0 rows)" in out and f"add --graph {GRAPH}" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", str(DATA), "--graph", GRAPH], "--graph names a graph of --store or --endpoint"),
        (
            ["--endpoint", "http://127.0.0.1:9/query", "--graph", "not an iri"],
            "is not an absolute IRI",
        ),
    ],
)
def test_bad_graph_options(args: list[str], message: str) -> None:
    code, _, err = _query("count-by-type", *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_a_graph_store_url_given_as_the_endpoint(server: OxigraphServer) -> None:
    code, _, err = _query("count-by-type", "--endpoint", server.store_url)
    assert code == 1
    assert "HTTP 415" in err and "is this the store's Graph Store or Update URL?" in err
    assert "SPARQL query URL" in err and err.count("\n") == 1  # one line
