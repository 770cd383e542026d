"""benchmarks/run.py, the script whose tables the README carries, on a small catalogue: it
runs both sides and says whether they agree (speed is never asserted)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "run.py"


def _run(*args: str) -> tuple[str, str]:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def _row(table: str, stage: str, *, anywhere: bool = False) -> list[str]:
    """The cells of the first row whose stage starts with (or holds) *stage*."""
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 1 and (stage in cells[1] if anywhere else cells[1].startswith(stage)):
            return cells
    raise AssertionError(f"no row {stage!r} in:\n{table}")


@pytest.mark.slow
def test_the_pipeline_benchmark_compares_both_sides() -> None:
    out, err = _run("--records", "40", "--only", "pipeline")
    assert _row(out, "validation results identical")[4] == "yes"
    for stage in ("validate", "load+map+write", "full pipeline, one pass"):
        cells = _row(out, stage)
        assert float(cells[2]) > 0 and float(cells[3]) > 0
        assert re.fullmatch(r"\d+\.\d\u00d7", cells[4]), cells  # the ratio
    validate, total = _row(out, "naive CPU time")[3].split("; ")
    assert 0 < float(validate) <= float(total)
    # progress comes as it runs: each step, then each stage with its times
    assert "step ours" in err and "step naive" in err
    assert re.search(r"validate: \d+\.\d\d s wall, \d+\.\d\d s CPU", err)


@pytest.mark.slow
def test_the_query_benchmark_compares_row_counts() -> None:
    out, err = _run("--records", "40", "--only", "queries")
    assert _row(out, "query row counts identical")[4] == "yes"
    for store in ("embedded store, on disk", "in-memory store"):
        assert float(_row(out, f"load store ({store})")[2]) > 0
        # "15 named queries (in-memory store) (rdflib failed search)"
        queries = _row(out, f"named queries ({store})", anywhere=True)
        assert float(queries[2]) > 0 and float(queries[3]) > 0, queries
    assert re.search(r"in memory by-country: \d+\.\d\d s", err)
    assert re.search(r"ours by-country: \d+\.\d\d s", err)
    assert re.search(r"rdflib by-country: \d+\.\d\d s", err)


@pytest.mark.slow
def test_a_stopped_naive_validation_gives_lower_bounds() -> None:
    # pySHACL takes about 0.1 s a record on our shapes: 1 s stops it at 40 records
    out, _err = _run("--records", "40", "--only", "pipeline", "--naive-limit", "1")
    validate = _row(out, "validate")
    assert validate[3].startswith("> ") and validate[4].startswith("> "), validate
    assert 1 <= float(validate[3][2:]) < 5  # the time it ran before it was stopped
    assert _row(out, "load+map+write")[3][0].isdigit()  # the writes ran to their end
    assert _row(out, "full pipeline, one pass")[4].startswith("> ")
    assert _row(out, "validation results identical")[4] == "not compared"


def test_rdflib_gets_membership_as_a_plain_pattern() -> None:
    # rdflib compares every pair of solutions to join a sub-query: the benchmark gives it
    # the plain pattern (same results), for every query that has the sub-query
    import importlib.util

    from csec_ld.query import named_queries

    spec = importlib.util.spec_from_file_location("csec_ld_benchmark_run", SCRIPT)
    assert spec is not None and spec.loader is not None
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)

    rewritten = 0
    for name, query in named_queries().items():
        text = run.for_rdflib(query.text)
        assert "{ SELECT ?resource" not in text, name
        if text != query.text:
            rewritten += 1
            assert "?catalog a dcmitype:Collection ; dcterms:hasPart ?resource ." in text
    assert rewritten >= 9  # the by-* and count-* queries


@pytest.mark.slow
def test_the_push_benchmark_fills_both_stores_with_the_same_triples() -> None:
    """benchmarks/push.py on 30 records: Oxigraph (no login, the default graph) and Virtuoso
    (Digest, a named graph) end up holding the same number of triples, and each row has
    its time and memory."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "push.py"), "--records", "30"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {
        cells[0]: cells
        for line in proc.stdout.splitlines()
        if len(cells := [c.strip() for c in line.strip().strip("|").split("|")]) == 6
    }
    oxigraph, virtuoso = rows["push → oxigraph"], rows["push → virtuoso"]
    assert oxigraph[1] == virtuoso[1] and int(oxigraph[1].replace(",", "")) > 30 * 10, rows
    for cells in (oxigraph, virtuoso, rows["build --format nt alone"]):
        assert float(cells[3]) > 0, cells  # the peak RSS of push's process tree
    assert float(virtuoso[4]) > 0 and float(virtuoso[5]) > 0  # the store's RSS and size
