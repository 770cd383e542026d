"""benchmarks/load.py, the load generator whose table the README carries, on the bundled
catalogue with tiny numbers: it serves, loads, prints its table and stops the server
(speed is never asserted). The quiet window after each scenario is cut from 5 s to
:data:`WINDOW`, and the server's query time limit from 10 s to :data:`QUERY_TIMEOUT`
(the heavy queries that outlast it answer 503): seconds of waiting, not of testing."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "load.py"
#: ``--cpu-window``: seconds after each scenario whose server CPU time is read (5 by default)
WINDOW = 1
#: ``csec-ld serve --timeout`` (10 by default): when the heavy queries still running stop
QUERY_TIMEOUT = 1
COLUMNS = [
    "records",
    "scenario",
    "requests",
    "p50 ms",
    "p99 ms",
    "max ms",
    "errors",
    "heavy answers (200/503/other)",
    "p99 with heavy / alone",
    "CPU seconds burned in the 5 s after the last answer",
    "server peak RSS MB",
]


def _table(out: str) -> list[dict[str, str]]:
    """The rows of the last markdown table in *out*, by column."""
    blocks = re.findall(r"(?:^\|.*\|\n?)+", out, re.MULTILINE)
    assert blocks, out
    header, rule, *lines = blocks[-1].strip().splitlines()
    cells = lambda line: [c.strip() for c in line.strip().strip("|").split("|")]  # noqa: E731
    # the column of the CPU time names the window it was read in
    window = [c.replace("the 5 s", f"the {WINDOW} s") for c in COLUMNS]
    assert window != COLUMNS
    assert cells(header) == window, header
    assert set(rule) <= set("|-: "), rule
    return [dict(zip(window, cells(line), strict=True)) for line in lines]


@pytest.mark.slow
def test_the_load_benchmark_serves_every_record_page() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--records",
            "10",
            "--clients",
            "5",
            "--requests",
            "5",
            "--heavy",
            "2",
            "--time-limit",
            "60",
            "--cpu-window",
            str(WINDOW),
            "--serve-args",
            f"--timeout {QUERY_TIMEOUT}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = _table(proc.stdout)
    assert [r["scenario"] for r in rows] == ["pages alone", "pages + 2 heavy SPARQL"], rows
    for row in rows:
        assert row["records"] == "10"
        assert row["requests"] == "25" and row["errors"] == "0", row  # every page: 200
        for column in ("p50 ms", "p99 ms", "max ms", "server peak RSS MB"):
            assert float(row[column].replace(",", "")) > 0, row
        assert float(row[f"CPU seconds burned in the {WINDOW} s after the last answer"]) >= 0
    alone, loaded = rows
    assert alone["heavy answers (200/503/other)"] == "\u2013"  # an en dash: none sent
    heavy = loaded["heavy answers (200/503/other)"]
    answers = re.fullmatch(r"(\d+)/(\d+)/(\d+)(?: \(.*\))?", heavy)
    assert answers and sum(int(n) for n in answers.groups()) == 2, loaded
    assert re.fullmatch(r"\d+\.\d\u00d7", loaded["p99 with heavy / alone"]), loaded
    assert "heavy answers by query" in proc.stdout
    # the server is gone: its process group was stopped, its port is closed
    serving = re.search(r"serving .* \(pid (\d+), http://127\.0\.0\.1:(\d+)\)", proc.stderr)
    assert serving, proc.stderr
    assert f"server stopped (pid {serving.group(1)})" in proc.stderr
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", int(serving.group(2))), timeout=2),
    ):
        pass
