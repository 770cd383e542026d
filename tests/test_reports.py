"""Report formats: text, json, turtle, junit (against the JUnit schema), sarif (against the
SARIF 2.1.0 schema) and GitHub workflow commands."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, SH

from csec_ld.reports import FORMATS, format_report, github, junit, sarif, summary, text, turtle
from csec_ld.validation import Severity, ValidationReport, validate
from tests.conftest import DATA, ROOT, VENDOR

INVALID = Path(__file__).resolve().parent / "fixtures" / "invalid"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ValidationReport:
    """Violations, warnings, infos, a loading error and an RDF syntax error in one run."""
    folder = tmp_path_factory.mktemp("reports") / "data"
    shutil.copytree(DATA, folder)
    for name in ("issued-future.yaml", "identifier-reused.yaml", "issued-not-a-date.yaml"):
        shutil.copy(INVALID / name, folder / "records" / name)
    shutil.copy(INVALID / "broken-syntax.ttl", folder / "broken-syntax.ttl")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder.parent)
        return validate(["data"])


def test_report_covers_every_kind(report: ValidationReport) -> None:
    assert {r.source for r in report.results} == {"shacl", "load", "syntax"}
    assert {r.severity for r in report.results} == set(Severity)


def test_text(report: ValidationReport) -> None:
    out = text(report)
    assert "\x1b[" not in out
    lines = out.splitlines()
    assert lines[-1] == summary(report)
    assert re.fullmatch(r"\d+ violations, \d+ warnings, \d+ infos in 14 records", lines[-1])
    assert "issued-future (data/records/issued-future.yaml)" in lines
    assert (
        "  data/records/issued-future.yaml:3: violation: issued: The date of issue is in the "
        "future: check the year (a planned publication is catalogued once it is out). "
        "(value: '2999-01-01')"
    ) in lines
    assert (
        "  data/records/issued-not-a-date.yaml:3: violation: issued: '2010-13-01' is not a "
        "date (month must be in 1..12; use YYYY, YYYY-MM or YYYY-MM-DD)" in lines
    )
    assert "data/broken-syntax.ttl" in lines  # a group for a file without records
    for line in lines:
        if line.startswith("  "):
            assert re.match(r"  \S+?(:\d+)?: (violation|warning|info): ", line), line


def test_text_colour(report: ValidationReport) -> None:
    coloured = text(report, color=True)
    assert "\x1b[31m" in coloured  # violations in red
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == text(report)


def test_summary_counts_singular() -> None:
    assert summary(ValidationReport(records=1)) == "0 violations, 0 warnings, 0 infos in 1 record"


def test_json(report: ValidationReport) -> None:
    doc = json.loads(format_report(report, "json"))
    assert doc["version"] == 2
    assert doc["conforms"] is False
    assert doc["passed"] is False and doc["fail_on"] == "violation" and doc["show"] == "info"
    counts = report.counts()
    assert doc["summary"] == {
        "violations": counts["violation"],
        "warnings": counts["warning"],
        "infos": counts["info"],
        "records": 14,
        "files": 14,
        "hidden": 0,
        "omitted": {},
    }
    assert len(doc["results"]) == len(report.results)
    keys = {
        "severity",
        "file",
        "line",
        "record",
        "field",
        "value",
        "message",
        "shape",
        "component",
        "focus",
        "path",
        "source",
    }
    assert all(set(r) == keys for r in doc["results"])
    future = next(r for r in doc["results"] if r["shape"] == "csh:IssuedNotInFuture")
    assert future == {
        "severity": "violation",
        "file": "data/records/issued-future.yaml",
        "line": 3,
        "record": "issued-future",
        "field": "issued",
        "value": "2999-01-01",
        "message": future["message"],
        "shape": "csh:IssuedNotInFuture",
        "component": "sh:SPARQLConstraintComponent",
        "focus": "https://w3id.org/csec-ld/resource/issued-future",
        "path": "dcterms:issued",
        "source": "shacl",
    }


def test_turtle_is_a_shacl_report(report: ValidationReport) -> None:
    out = turtle(report)
    g = rdflib.Graph().parse(data=out, format="turtle")
    (node,) = g.subjects(RDF.type, SH.ValidationReport)
    assert g.value(node, SH.conforms).toPython() is False
    results = list(g.objects(node, SH.result))
    assert len(results) == len(report.results)
    for r in results:
        assert (r, RDF.type, SH.ValidationResult) in g
        for p in (SH.focusNode, SH.resultSeverity, SH.sourceConstraintComponent, SH.resultMessage):
            assert g.value(r, p) is not None, p
    shapes = {str(o) for o in g.objects(None, SH.sourceShape)}
    assert "https://w3id.org/csec-ld/shapes#IssuedNotInFuture" in shapes
    assert turtle(report) == out  # deterministic


def test_turtle_conforms_when_clean() -> None:
    g = rdflib.Graph().parse(data=turtle(ValidationReport()), format="turtle")
    (node,) = g.subjects(RDF.type, SH.ValidationReport)
    assert g.value(node, SH.conforms).toPython() is True


def test_junit_against_schema(report: ValidationReport, vendor_dir: Path) -> None:
    import xmlschema

    out = junit(report)
    schema = xmlschema.XMLSchema(str(vendor_dir / "junit" / "junit-10.xsd"))
    schema.validate(out)
    from xml.etree import ElementTree

    root = ElementTree.fromstring(out)
    cases = root.findall("./testsuite/testcase")
    names = [c.get("name") for c in cases]
    assert len(names) == len(set(zip([c.get("classname") for c in cases], names, strict=True)))
    assert "issued-future: issued: csh:IssuedNotInFuture" in names
    records = {(c.get("classname"), c.get("name").split(": ", 1)[0]) for c in cases}
    assert records >= set(report.checked)  # every record, passing or not
    assert len(report.checked) == report.records == 14
    assert root.find("testsuite").get("tests") == str(len(cases))
    failures = root.findall("./testsuite/testcase/failure")
    violations = report.counts()["violation"]
    assert len(failures) == violations  # --fail-on violation: warnings and infos pass
    assert root.find("testsuite").get("failures") == str(violations)
    future = next(c for c in cases if c.get("name").startswith("issued-future: issued: "))
    (failure,) = [f for f in future.findall("failure") if "future" in f.get("message")]
    assert failure.get("type") == "violation"
    assert "data/records/issued-future.yaml:3" in failure.text


def test_junit_clean_report_against_strict_schema(vendor_dir: Path) -> None:
    """A clean report is valid Ant JUnit too, the whole document as written."""
    import xmlschema

    schema = xmlschema.XMLSchema(str(vendor_dir / "junit" / "JUnit.xsd"))
    schema.validate(junit(ValidationReport(records=3)))


def test_sarif_against_schema(report: ValidationReport, vendor_dir: Path) -> None:
    import jsonschema

    doc = json.loads(sarif(report))
    schema = json.loads((vendor_dir / "sarif" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    assert "csh:IssuedNotInFuture" in ids and "csec-ld:record/issued/not-a-date" in ids
    assert len(run["results"]) == len(report.results)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
    future = next(r for r in run["results"] if r["ruleId"] == "csh:IssuedNotInFuture")
    assert future["level"] == "error"
    assert future["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "data/records/issued-future.yaml"},
        "region": {"startLine": 3},
    }
    levels = {r["level"] for r in run["results"]}
    assert levels == {"error", "warning", "note"}


def test_sarif_clean_against_schema(vendor_dir: Path) -> None:
    import jsonschema

    schema = json.loads((vendor_dir / "sarif" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(
        json.loads(sarif(validate([DATA])))
    )


def test_github(report: ValidationReport) -> None:
    lines = github(report).splitlines()
    assert lines[-1] == summary(report)
    commands = lines[:-1]
    assert len(commands) == len(report.results)
    assert all(re.match(r"::(error|warning|notice) ", c) for c in commands)
    assert (
        "::error file=data/records/issued-future.yaml,line=3,title=issued-future issued::"
        "The date of issue is in the future"
    ) in "\n".join(commands)


def test_github_escapes() -> None:
    from csec_ld.validation import ValidationResult

    r = ValidationResult(
        Severity.WARNING,
        "50% done\nnext line",
        file="a,b:c.yaml",
        line=2,
        record="x",
        field="title",
    )
    (line, _) = github(ValidationReport(results=[r], records=1)).splitlines()
    assert line == "::warning file=a%2Cb%3Ac.yaml,line=2,title=x title::50%25 done%0Anext line"


def test_every_format_is_deterministic(report: ValidationReport) -> None:
    for fmt in FORMATS:
        if fmt == "junit":
            continue  # carries a timestamp
        assert format_report(report, fmt) == format_report(report, fmt), fmt


def test_vendor_dir_is_the_shared_one() -> None:
    assert ROOT.parent / "shared" / "vendor" == VENDOR
