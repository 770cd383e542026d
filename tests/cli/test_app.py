"""The command line on bad input: one clean line per problem, the exit code, nothing written.

Every case runs ``csec-ld build data -o dist`` in a scratch folder holding a copy
of the bundled catalogue plus one bad file, and checks the message names the
file, the line (where the format has lines), the record id and the field.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from csec_ld.cli import main
from tests.conftest import ROOT

GOOD = "id: bad-record\ntitle: A title\nissued: '2010'\ntype: report\n"
TRACER_ID = "tracer-study-paraguay-2012"


@dataclass(frozen=True)
class Bad:
    """A bad input: the file to add, and what the one-line message must say."""

    name: str  # file name under data/records/
    content: bytes
    where: str  # "file" or "file:line", relative to the scratch folder
    record: str | None
    field: str | None
    needle: str
    exit_code: int = 1


def bad_yaml(
    content: str,
    line: int | None,
    field: str | None,
    needle: str,
    record: str | None = "bad-record",
    name: str = "zz-bad.yaml",
) -> Bad:
    where = f"data/records/{name}" + (f":{line}" if line else "")
    return Bad(name, content.encode(), where, record, field, needle)


def replace(field: str, value: str) -> str:
    lines = [line for line in GOOD.splitlines() if not line.startswith(f"{field}:")]
    return "\n".join([*lines, f"{field}: {value}"]) + "\n"


def without(field: str) -> str:
    return "".join(line + "\n" for line in GOOD.splitlines() if not line.startswith(f"{field}:"))


BAD_INPUTS: dict[str, Bad] = {
    "missing title": bad_yaml(without("title"), 1, "title", "is required"),
    "title without a value": bad_yaml(
        GOOD.replace("title: A title", "title:"), 2, "title", "is required"
    ),
    "empty title": bad_yaml(
        GOOD.replace("A title", "''"), 2, "title", "is required and must not be empty"
    ),
    "whitespace title": bad_yaml(
        GOOD.replace("A title", "'   '"), 2, "title", "is required and must not be empty"
    ),
    "issued 2010-13-01": bad_yaml(
        GOOD.replace("'2010'", "2010-13-01"),
        3,
        "issued",
        "'2010-13-01' is not a date (month must be in 1..12",
    ),
    "issued 31 June 2010": bad_yaml(
        GOOD.replace("'2010'", "31 June 2010"),
        3,
        "issued",
        "'31 June 2010' is not a date (day is out of range",
    ),
    "unknown type": bad_yaml(
        GOOD.replace("type: report", "type: podcast"), 4, "type", "unknown resource type 'podcast'"
    ),
    "unknown country code": bad_yaml(
        GOOD + "countries: [PHL, XQ]\n", 5, "countries", "unknown country code 'XQ'"
    ),
    "unknown subject": bad_yaml(
        GOOD + "subjects:\n  - astrology\n", 5, "subjects", "unknown subject 'astrology'"
    ),
    "duplicate id": bad_yaml(
        GOOD.replace("bad-record", TRACER_ID),
        1,
        "id",
        f"duplicate id '{TRACER_ID}' (first used at data/records/{TRACER_ID}.yaml:1)",
        record=TRACER_ID,
    ),
    "id with a slash": bad_yaml(
        GOOD.replace("bad-record", "'bad/record'"),
        1,
        "id",
        "'bad/record' is not a valid id",
        record="bad/record",
    ),
    "id with ..": bad_yaml(
        GOOD.replace("bad-record", "'..'"), 1, "id", "'..' is not a valid id", record=".."
    ),
    "id with spaces": bad_yaml(
        GOOD.replace("bad-record", "bad record"),
        1,
        "id",
        "'bad record' is not a valid id",
        record="bad record",
    ),
    "id in upper case": bad_yaml(
        GOOD.replace("bad-record", "Bad-Record"),
        1,
        "id",
        "'Bad-Record' is not a valid id",
        record="Bad-Record",
    ),
    "malformed YAML": bad_yaml(
        "id: bad-record\ntitle: [unclosed\nissued: '2010'\n", 3, None, "malformed YAML", record=None
    ),
    "YAML python object tag": bad_yaml(
        GOOD.replace("A title", "!!python/object/apply:os.system ['touch pwned']"),
        2,
        "title",
        "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    ),
    # Nested aliases grow exponentially when read ("billion laughs"); a few levels
    # show the refusal without hanging the suite should it regress.
    "YAML aliases": bad_yaml(
        GOOD
        + "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abc", "bcd", strict=True)
        ),
        6,
        None,
        "malformed YAML: aliases (*name) are not allowed in records",
        record=None,
    ),
    "CSV missing a required column": Bad(
        "zz-bad.csv",
        b"id,issued,type\nbad-record,2010,report\n",
        "data/records/zz-bad.csv:1",
        None,
        "title",
        "missing required column 'title'",
    ),
    "empty file": bad_yaml("", None, None, "the file is empty", record=None),
    "empty file with blank lines": bad_yaml("\n  \n", None, None, "the file is empty", record=None),
    "bytes that are not UTF-8": Bad(
        "zz-bad.yaml",
        GOOD.replace("A title", "Caf\xe9").encode("latin-1"),
        "data/records/zz-bad.yaml:2",
        None,
        None,
        "is not UTF-8 text (byte 0xe9",
    ),
    # the same kind of problem in the other formats, with their lines
    "CSV bad date": Bad(
        "zz-bad.csv",
        b"id;title;issued;type\r\nok-record;T;2010;report\r\nbad-record;T;2010-13-01;report\r\n",
        "data/records/zz-bad.csv:3",
        "bad-record",
        "issued",
        "'2010-13-01' is not a date",
    ),
    "JSON bad date": Bad(
        "zz-bad.json",
        b'[\n  {"id": "ok-record", "title": "T", "issued": "2010",'
        b' "type": "report"},\n  {"id": "bad-record", "title": "T",'
        b' "issued": "2010-13-01", "type": "report"}\n]\n',
        "data/records/zz-bad.json:3",
        "bad-record",
        "issued",
        "'2010-13-01' is not a date",
    ),
    "JSON Lines unknown type": Bad(
        "zz-bad.jsonl",
        b'{"id": "ok-record", "title": "T", "issued": "2010", "type": "report"}\n'
        b'{"id": "bad-record", "title": "T", "issued": "2010", "type": "x"}\n',
        "data/records/zz-bad.jsonl:2",
        "bad-record",
        "type",
        "unknown resource type 'x'",
    ),
    "JSON Lines missing title": Bad(
        "zz-bad.jsonl",
        b'{"id": "bad-record", "issued": "2010", "type": "report"}\n',
        "data/records/zz-bad.jsonl:1",
        "bad-record",
        "title",
        "is required",
    ),
}


@pytest.fixture
def scratch(catalog_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding data/ (a copy of the bundled catalogue); the current directory."""
    monkeypatch.chdir(catalog_copy.parent)
    return catalog_copy.parent


def build(runner: CliRunner, *sources: str) -> Result:
    return runner.invoke(main, ["build", *(sources or ("data",)), "-o", "dist"])


def expected_prefix(bad: Bad) -> str:
    return ": ".join(p for p in ("error", bad.where, bad.record, bad.field) if p) + ": "


def assert_clean_failure(result: Result, scratch: Path, exit_code: int) -> list[str]:
    """Exit code, no traceback, nothing written; returns the stderr lines."""
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in scratch.iterdir()) == ["data"], "output written"
    return result.stderr.splitlines()


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input(case: str, runner: CliRunner, scratch: Path) -> None:
    bad = BAD_INPUTS[case]
    (scratch / "data" / "records" / bad.name).write_bytes(bad.content)
    lines = assert_clean_failure(build(runner), scratch, bad.exit_code)
    assert len(lines) == 2, lines  # the one-line message and the count
    message, summary = lines
    assert message.startswith(expected_prefix(bad)), (message, expected_prefix(bad))
    assert bad.needle in message
    assert summary == "1 problem found; nothing written."
    assert not (scratch / "pwned").exists()


def test_bad_input_cases_are_not_vacuous(runner: CliRunner, scratch: Path) -> None:
    """The same scratch catalogue, without a bad file, builds."""
    result = build(runner)
    assert result.exit_code == 0, result.output
    assert (scratch / "dist" / "catalog.ttl").is_file()


def test_source_path_that_does_not_exist(runner: CliRunner, scratch: Path) -> None:
    lines = assert_clean_failure(build(runner, "data/no-such-folder"), scratch, 2)
    assert lines == ["error: data/no-such-folder: no such file or folder"]


def test_source_that_is_not_a_record_file(runner: CliRunner, scratch: Path) -> None:
    (scratch / "data" / "notes.txt").write_text("x")
    lines = assert_clean_failure(build(runner, "data/notes.txt"), scratch, 2)
    assert len(lines) == 1 and lines[0].startswith("error: data/notes.txt: unsupported file type")


@pytest.mark.parametrize("case", ["unknown type", "empty file"])
def test_existing_output_is_left_unchanged(case: str, runner: CliRunner, scratch: Path) -> None:
    dist = scratch / "dist"
    dist.mkdir()
    (dist / "catalog.ttl").write_text("old\n")
    (dist / "keep.txt").write_text("mine\n")
    bad = BAD_INPUTS[case]
    (scratch / "data" / "records" / bad.name).write_bytes(bad.content)
    result = build(runner)
    assert result.exit_code == 1
    assert sorted(p.name for p in dist.iterdir()) == ["catalog.ttl", "keep.txt"]
    assert (dist / "catalog.ttl").read_text() == "old\n"
    assert sorted(p.name for p in scratch.iterdir()) == ["data", "dist"], "no temporary left"


def test_every_problem_in_the_run_is_reported(runner: CliRunner, scratch: Path) -> None:
    records = scratch / "data" / "records"
    (records / "zz-1.yaml").write_text(
        "id: Bad One\ntitle: '  '\nissued: 2010-13-01\ntype: podcast\ncountries: [XQ, PHL, ZZZ]\n"
    )
    (records / "zz-2.yaml").write_text(GOOD.replace("bad-record", TRACER_ID))
    (records / "zz-3.yaml").write_text("")
    (records / "zz-4.csv").write_text(
        "id,title,issued,type\nok-one,T,2010,report\nbad-csv,T,31 June 2010,report\n"
        "bad-csv-2,,2010,report\n"
    )
    (records / "zz-5.jsonl").write_text(
        '{"id": "bad-jsonl", "title": "T", "issued": "2010", "type": "report", "subjects": ["x"]}\n'
    )
    lines = assert_clean_failure(build(runner), scratch, 1)
    expected = [
        "error: data/records/zz-1.yaml:1: Bad One: id: ",
        "error: data/records/zz-1.yaml:2: Bad One: title: ",
        "error: data/records/zz-1.yaml:3: Bad One: issued: ",
        "error: data/records/zz-1.yaml:4: Bad One: type: ",
        "error: data/records/zz-1.yaml:5: Bad One: countries: unknown country code 'XQ'",
        "error: data/records/zz-1.yaml:5: Bad One: countries: unknown country code 'ZZZ'",
        f"error: data/records/zz-2.yaml:1: {TRACER_ID}: id: duplicate id",
        "error: data/records/zz-3.yaml: the file is empty",
        "error: data/records/zz-4.csv:3: bad-csv: issued: ",
        "error: data/records/zz-4.csv:4: bad-csv-2: title: is required",
        "error: data/records/zz-5.jsonl:1: bad-jsonl: subjects: unknown subject 'x'",
    ]
    assert len(lines) == len(expected) + 1, lines
    for prefix in expected:
        assert sum(line.startswith(prefix) for line in lines) == 1, (prefix, lines)
    assert lines[-1] == f"{len(expected)} problems found; nothing written."


def test_python_m_csec_ld_help() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "csec_ld", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Usage:" in proc.stdout
    assert "build" in proc.stdout and "import-listing" in proc.stdout


def test_missing_parents_of_the_output_are_not_created_on_error(
    runner: CliRunner, scratch: Path
) -> None:
    (scratch / "data" / "records" / "zz-bad.yaml").write_text("")
    result = runner.invoke(main, ["build", "data", "-o", "out/deep/dist"])
    assert_clean_failure(result, scratch, 1)
    (scratch / "data" / "records" / "zz-bad.yaml").unlink()
    result = runner.invoke(main, ["build", "data", "-o", "out/deep/dist"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (scratch / "out" / "deep").iterdir()) == ["dist"]
