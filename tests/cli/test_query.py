"""``csec-ld query`` and ``csec-ld load``."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from csec_ld.cli import main
from csec_ld.query import named_queries
from tests.conftest import DATA

COUNTRY = "http://publications.europa.eu/resource/authority/country/"


def _run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list(runner: CliRunner) -> None:
    code, out, _ = _run(runner, "query", "--list")
    assert code == 0, out
    for name, q in named_queries().items():
        assert f"{name}\n  {q.summary}" in out
    assert "-p country (country, required, multi-valued)" in out
    assert "e.g. csec-ld query by-country -p country=PHL" in out


def test_by_country_table(runner: CliRunner) -> None:
    code, out, err = _run(runner, "query", "by-country", "-p", "country=PHL", "--data", str(DATA))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split(" │ ")[:2] == [
        "resource".ljust(len(lines[0].split(" │ ")[0])),
        "issued    ",
    ]
    assert "survey report" in out  # labels, not type IRIs
    assert lines[-1] == "(2 rows)"


def test_formats(runner: CliRunner) -> None:
    base = ["query", "count-by-country", "--data", str(DATA)]
    code, out, _ = _run(runner, *base, "-f", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    # a label column beside each IRI column, as the table shows them
    assert rows[0] == ["country", "countryLabel", "resources"]
    assert rows[1] == [COUNTRY + "PHL", "Philippines", "2"]
    code, out, _ = _run(runner, *base, "-f", "json")
    doc = json.loads(out)
    assert doc["head"]["vars"] == ["country", "countryLabel", "resources"]
    assert doc["results"]["bindings"][0]["countryLabel"] == {
        "type": "literal",
        "value": "Philippines",
    }
    code, out, _ = _run(runner, *base, "-f", "tsv")
    assert out.splitlines()[0] == "?country\t?countryLabel\t?resources"
    assert out.splitlines()[1].startswith(f'<{COUNTRY}PHL>\t"Philippines"\t"2"^^')
    code, out, _ = _run(runner, *base, "-f", "md")
    assert out.splitlines()[2] == "| Philippines | 2 |"


def test_construct(runner: CliRunner) -> None:
    args = [
        "query",
        "resource",
        "-p",
        "resource=resource:tracer-study-paraguay-2012",
        "--data",
        str(DATA),
    ]
    code, out, _ = _run(runner, *args)
    assert code == 0 and out.startswith("@prefix") and "Tracer Study - PARAGUAY" in out
    code, out, _ = _run(runner, *args, "-f", "nt")
    assert code == 0 and "@prefix" not in out
    code, _, err = _run(runner, *args, "-f", "csv")
    assert code == 2 and "does not fit a CONSTRUCT/DESCRIBE query" in err


def test_sparql_text_and_file(runner: CliRunner, tmp_path: Path) -> None:
    code, out, _ = _run(runner, "query", "-e", "ASK { ?s ?p ?o }", "--data", str(DATA))
    assert (code, out) == (0, "yes\n")
    rq = tmp_path / "years.rq"
    rq.write_text(
        "# summary: Titles of a year\n# param y: year, required\n"
        "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
        "SELECT ?t WHERE { ?r dcterms:issued ?d ; dcterms:title ?t "
        "FILTER(STRSTARTS(STR(?d), STR(?y))) } ORDER BY ?t\n",
        encoding="utf-8",
    )
    code, out, err = _run(
        runner, "query", str(rq), "-p", "y=2016", "--data", str(DATA), "-f", "csv"
    )
    assert code == 0, err
    assert out.splitlines()[1].startswith("Terminology Guidelines")


def test_show_prints_the_bound_query(runner: CliRunner) -> None:
    code, out, _ = _run(runner, "query", "by-country", "-p", "country=PH", "--show")
    assert code == 0
    assert f"VALUES ?country {{ <{COUNTRY}PHL> }} VALUES ?since {{ UNDEF }}" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["query", "by-planet"], 1, "unknown query 'by-planet' (known: by-country, "),
        (["query", "by-country"], 2, "missing required parameter 'country'"),
        (
            ["query", "by-country", "-p", "nation=PH"],
            2,
            "unknown parameter 'nation' (allowed: country (country, required, multi-valued), since",
        ),
        (
            ["query", "by-country", "-p", "country=Atlantis"],
            2,
            "parameter 'country': 'Atlantis' is not an ISO 3166-1 country code",
        ),
        (
            ["query", "by-year", "-p", "since=20x0"],
            2,
            "parameter 'since': '20x0' is not a year (YYYY)",
        ),
        (["query", "by-country", "-p", "PHL"], 2, "write -p NAME=VALUE"),
        (["query"], 2, "give a query name"),
        (["query", "by-country", "-e", "ASK {}"], 2, "give a query name"),
        (["query", "-e", "SELECT * WHERE {\n ?s ?p"], 1, "SPARQL syntax error at line 2, column"),
        (["query", "-e", "DROP ALL"], 1, "not SPARQL updates"),
        (["query", "missing.rq"], 2, "missing.rq: cannot read the query"),
        (["query", "count-by-type", "--store", "/nonexistent/store"], 1, "no store here"),
        (
            ["query", "count-by-type", "--data", "data", "--endpoint", "http://127.0.0.1:9/"],
            2,
            "choose one of --data, --store and --endpoint",
        ),
        (["query", "count-by-type", "--data", "/nonexistent"], 2, "no such file or folder"),
    ],
)
def test_errors(runner: CliRunner, args: list[str], code: int, message: str) -> None:
    got, out, err = _run(runner, *args)
    assert got == code, (out, err)
    assert message in err
    assert "Traceback" not in err and out == ""


def test_unreachable_endpoint_exits_1(runner: CliRunner) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _, err = _run(
        runner,
        "query",
        "count-by-type",
        "--endpoint",
        f"http://127.0.0.1:{port}/query",
        "--timeout",
        "2",
    )
    assert code == 1
    assert f"http://127.0.0.1:{port}/query: cannot reach the endpoint" in err


def test_load_then_query_the_store(runner: CliRunner, tmp_path: Path) -> None:
    store = tmp_path / "store"
    code, out, err = _run(runner, "load", "--store", str(store), str(DATA))
    assert code == 0, err
    assert re.fullmatch(rf"\d+ triples in {re.escape(str(store))}\n", out)
    code, out, err = _run(runner, "query", "count-by-year", "--store", str(store), "-f", "csv")
    assert code == 0, err
    assert out.splitlines()[1] == "2010,6"


def test_load_needs_one_target(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = _run(runner, "load", str(DATA))
    assert code == 2 and "--store DIR and --graph-store URL" in err
    code, _, err = _run(
        runner,
        "load",
        "--store",
        str(tmp_path / "s"),
        "--graph-store",
        "http://127.0.0.1:9/store",
        str(DATA),
    )
    assert code == 2


def test_load_reports_bad_records(runner: CliRunner, catalog_copy: Path, tmp_path: Path) -> None:
    (catalog_copy / "records" / "bad.yaml").write_text(
        "id: bad\ntitle: Bad\nissued: '2010'\ntype: cookbook\n", encoding="utf-8"
    )
    code, _, err = _run(runner, "load", "--store", str(tmp_path / "s"), str(catalog_copy))
    assert code == 1
    assert "bad.yaml:4: bad: type:" in err
    assert not (tmp_path / "s").exists()


def test_deeply_nested_queries_are_refused_not_a_crash(tmp_path: Path) -> None:
    """The engine's parser overflows its stack on thousands of brackets: a process test."""
    import subprocess
    import sys

    for query in (
        "SELECT * " + "{" * 8000 + "}" * 8000,
        "ASK { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "csec_ld", "query", query, "--data", str(DATA)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert proc.returncode == 1, (proc.returncode, proc.stderr[-500:])
        assert "nests brackets" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_an_update_behind_a_comment_is_named_an_update(runner: CliRunner) -> None:
    for update in ("# first a comment\nINSERT DATA { <http://e/a> <http://e/b> 1 }", "#\rDROP ALL"):
        result = runner.invoke(main, ["query", update, "--data", str(DATA)])
        assert result.exit_code == 1, result.output
        assert "not SPARQL updates" in result.stderr


def test_by_queries_share_their_columns(runner: CliRunner) -> None:
    """Every by-* query names its columns alike, so one script reads them all."""
    cases = {
        "by-country": "country=PHL",
        "by-language": "language=en",
        "by-subject": "subject=child-labour",
        "by-type": "type=report",
        "by-year": "since=2010",
    }
    for name, param in cases.items():
        code, out, err = _run(runner, "query", name, "-p", param, "-f", "csv", "--data", str(DATA))
        assert code == 0, err
        header = next(csv.reader(io.StringIO(out)))
        assert header == ["resource", "issued", "title", "resourceType", "resourceTypeLabel"], name


def test_table_cut_only_to_a_width(runner: CliRunner) -> None:
    """Piped (as CliRunner's output is), the table keeps every cell whole; --width
    cuts it to fit, and --no-truncate wins over --width."""
    base = ["query", "by-type", "-p", "type=report", "--data", str(DATA)]
    code, out, _ = _run(runner, *base)
    assert code == 0 and "…" not in out
    longest = max(len(line) for line in out.splitlines())
    assert longest > 120
    code, out, _ = _run(runner, *base, "--width", "80")
    assert code == 0 and "…" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    code, out, _ = _run(runner, *base, "--width", "80", "--no-truncate")
    assert code == 0 and "…" not in out and max(len(x) for x in out.splitlines()) == longest


def test_short_options() -> None:
    """-q is --quiet wherever it exists; the inline SPARQL of query is -e/--sparql."""
    from csec_ld.cli import main as cli_main

    for name, command in cli_main.commands.items():  # type: ignore[attr-defined]
        for param in command.params:
            if "-q" in getattr(param, "opts", []):
                assert "--quiet" in param.opts, name
    sparql = next(
        p
        for p in cli_main.commands["query"].params  # type: ignore[attr-defined]
        if p.name == "sparql"
    )
    assert sparql.opts == ["-e", "--sparql"]


def test_year_parameters_name_their_datatype(runner: CliRunner) -> None:
    code, out, _ = _run(runner, "query", "--list")
    assert code == 0
    assert "-p since (year as xsd:integer, optional)" in out


def test_undeclared_parameter_of_a_file_shows_the_syntax(runner: CliRunner, tmp_path: Path) -> None:
    rq = tmp_path / "mine.rq"
    rq.write_text("SELECT ?r WHERE { ?r a ?type }\n", encoding="utf-8")
    code, _, err = _run(runner, "query", str(rq), "-p", "type=report", "--data", str(DATA))
    assert code != 0
    assert "declares no parameters" in err and "# param NAME: TYPE" in err
    assert "Traceback" not in err
