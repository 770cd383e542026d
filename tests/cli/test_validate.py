"""``csec-ld validate``: exit codes, formats, options, bad input (through click's CliRunner)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from csec_ld.cli import main
from tests.conftest import DATA, ROOT

INVALID = Path(__file__).resolve().parents[1] / "fixtures" / "invalid"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_bundled_data(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("0 violations, ")
    assert result.stdout.splitlines()[-1].endswith(" in 10 records")
    assert "\x1b[" not in result.stdout  # not a terminal: no colour


def test_broken_record(runner: CliRunner, catalog_copy: Path) -> None:
    record = catalog_copy / "records" / "tracer-study-paraguay-2012.yaml"
    record.write_text(record.read_text().replace("issued: '2012-07-16'", "issued: '2999-07-16'"))
    result = runner.invoke(main, ["validate", str(catalog_copy)])
    assert result.exit_code == 1, result.output
    assert f"{record}:3: violation: issued: The date of issue is in the future" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("1 violation, ")


@pytest.mark.parametrize(("fail_on", "code"), [("violation", 0), ("warning", 1), ("info", 1)])
def test_fail_on(runner: CliRunner, fail_on: str, code: int) -> None:
    result = runner.invoke(main, ["validate", "data", "--fail-on", fail_on])
    assert result.exit_code == code, result.output


def test_fail_on_warning_only(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["validate", str(INVALID / "description-missing.yaml"), "--fail-on", "warning"]
    )
    assert result.exit_code == 1
    result = runner.invoke(main, ["validate", str(INVALID / "description-missing.yaml")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("fmt", ["text", "json", "turtle", "junit", "sarif", "github"])
def test_formats(runner: CliRunner, fmt: str, tmp_path: Path) -> None:
    source = str(INVALID / "issued-future.yaml")
    result = runner.invoke(main, ["validate", source, "-f", fmt])
    assert result.exit_code == 1, result.output
    assert "issued" in result.stdout
    out = tmp_path / f"report.{fmt}"
    result = runner.invoke(main, ["validate", source, "--format", fmt, "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == "1 violation, 0 warnings, 2 infos in 1 record"
    assert "issued" in out.read_text(encoding="utf-8")
    if fmt in ("json", "sarif"):
        json.loads(out.read_text(encoding="utf-8"))


def test_json_to_stdout_is_clean(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", "-f", "json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["summary"]["violations"] == 0 and doc["summary"]["records"] == 10
    assert "in 10 records" in result.stderr


def test_max_per_shape(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", "--max-per-shape", "1"])
    assert result.exit_code == 0, result.output
    assert "more results of csh:IdentifierRecommended left out (--max-per-shape)" in result.stdout
    assert result.stdout.count("csh:") == result.stdout.count("left out")


def test_rdf_that_does_not_parse(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", str(INVALID / "broken-syntax.ttl")])
    assert result.exit_code == 1, result.output
    assert "broken-syntax.ttl:5: violation: malformed Turtle:" in result.stdout
    assert "(line 5, column 45)" in result.stdout


def test_harvested_rdf(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", str(INVALID / "country-unknown.ttl"), "-f", "github"])
    assert result.exit_code == 1
    assert (
        "::error file=tests/fixtures/invalid/country-unknown.ttl,line=24,"
        "title=harvested-report countries::"
    ) in result.stdout


def test_shapes_that_do_not_parse(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "shapes.ttl"
    bad.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\nsh:x sh:y sh:z\n")
    result = runner.invoke(main, ["validate", "--shapes", str(bad)])
    assert result.exit_code == 2, result.output
    assert f"error: {bad}:3:1: cannot read the shapes" in result.stderr


def test_shapes_that_cannot_be_used(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "shapes.ttl"
    bad.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix ex: <http://ex/> .\n"
        "ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ;\n"
        '  sh:property [ sh:path ex:p ; sh:minCount "x" ] .\n'
    )
    data = tmp_path / "data.ttl"
    data.write_text("<http://ex/a> <http://ex/p> 1 .\n")
    result = runner.invoke(main, ["validate", str(data), "--shapes", str(bad)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: the shapes cannot be used: ")
    assert "sh:minCount must be a literal" in result.stderr
    assert result.stdout == ""


def test_shapes_folder_option(runner: CliRunner, tmp_path: Path) -> None:
    shapes = tmp_path / "shapes"
    shutil.copytree(ROOT / "shapes", shapes)
    result = runner.invoke(main, ["validate", "--shapes", str(shapes)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "no/such/folder"],
        ["validate", "-f", "xml"],
        ["validate", "--fail-on", "everything"],
        ["validate", "--show", "everything"],
        ["validate", "--max-per-shape", "0"],
        ["validate", "--shapes", "no/such/shapes.ttl"],
    ],
)
def test_usage_errors(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output


def test_empty_source(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "warning: no record or RDF files in the sources" in result.stdout
    assert runner.invoke(main, ["validate", str(tmp_path), "--fail-on", "warning"]).exit_code == 1


def test_empty_file(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", str(INVALID / "empty.yaml")])
    assert result.exit_code == 1
    assert "empty.yaml: violation: the file is empty" in result.stdout


def test_title_only_markup(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", str(INVALID / "title-only-markup.yaml")])
    assert result.exit_code == 1
    assert (
        "title-only-markup.yaml:2: violation: title: The title is only HTML markup" in result.stdout
    )


def test_build_refuses_invalid_records(
    runner: CliRunner, catalog_copy: Path, tmp_path: Path
) -> None:
    """Once `build` validates first (issue 3, item 3): a violation means nothing is written."""
    if "--no-validate" not in runner.invoke(main, ["build", "--help"]).stdout:
        pytest.skip("build does not validate yet")
    shutil.copy(INVALID / "issued-future.yaml", catalog_copy / "records")
    out = tmp_path / "dist"
    result = runner.invoke(main, ["build", str(catalog_copy), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "issued-future.yaml:3" in result.output
    assert not out.exists()
    result = runner.invoke(main, ["build", str(catalog_copy), "-o", str(out), "--no-validate"])
    assert result.exit_code == 0, result.output


def test_both_engines_from_the_command_line(runner: CliRunner) -> None:
    """--engine pyshacl (the reference) prints the same report as the default fast engine."""
    fast = runner.invoke(main, ["validate", str(DATA), "-f", "json"])
    reference = runner.invoke(main, ["validate", str(DATA), "-f", "json", "--engine", "pyshacl"])
    assert fast.exit_code == reference.exit_code == 0, reference.output
    assert fast.stdout == reference.stdout


# --------------------------------------------------------------------------- pre-commit hook


def _hook_files() -> str:
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == "csec-ld-validate"]
    return str(hook["files"])


def test_hook_runs_for_every_file_validate_reads(tmp_path: Path) -> None:
    """Every file validate's discovery takes (any suffix it knows, in any case) is one
    the hook's `files` pattern matches, as pre-commit matches it (re.search on the path)."""
    import re

    from csec_ld.sources import RDF_SUFFIXES, RECORD_SUFFIXES, discover

    names = []
    for suffix in sorted(RECORD_SUFFIXES | RDF_SUFFIXES):
        names += [f"x{suffix}", f"Y{suffix.upper()}", f"z{suffix.title()}"]
    for name in names:
        (tmp_path / name).write_text("", encoding="utf-8")
    read = discover([tmp_path], rdf=True)
    assert len(read) == len(names)  # validate reads them all, whatever the case
    pattern = _hook_files()
    for path in read:
        assert re.search(pattern, f"catalogue/{path.name}"), path.name


@pytest.mark.parametrize(
    "path",
    ["my-shapes/extra.n3", "vocab/extra.owl", "shapes/Records.TTL", "catalogue/CATALOG.YAML"],
)
def test_hook_runs_for_shapes_and_ontologies(path: str) -> None:
    import re

    assert re.search(_hook_files(), path)
