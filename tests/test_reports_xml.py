"""Every report format stays well-formed whatever an id, a file name or a message holds:
characters XML 1.0 cannot carry, lone surrogates, ``]]>``, quotes, ``<&>``, very long text.

Each output is encoded as UTF-8 (as it is written) and parsed back by an independent
parser; the text comes back as it was, but for what the format cannot carry at all
(U+FFFD in its place).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

import pyoxigraph
import pytest
import rdflib
from rdflib.namespace import RDF, RDFS, SH

from csec_ld.reports import FORMATS, format_report
from csec_ld.validation import Severity, ValidationReport, ValidationResult

CONTROLS = "".join(map(chr, range(0x20))) + "\x7f"
HOSTILE = (
    f"a{CONTROLS}b\ud800c\udfffd\ufffe\uffff e]]>f\"g'h<i&j>k\\l%zz#m#n[o]p{{q}}|^`"
    " \"\"\" ''' > . ; , @en ^^ \u00e9\U0001f600\u200b"
)
LONG = "x" * 100_000 + HOSTILE
BASE = "https://w3id.org/csec-ld/resource/"


def _xml_kept(text: str) -> str:
    """*text* as XML can carry it: U+FFFD for what XML 1.0 cannot."""
    return re.sub(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "\ufffd", text)


def _unicode_kept(text: str) -> str:
    """*text* as any Unicode encoding can carry it: U+FFFD for lone surrogates."""
    return re.sub(r"[\ud800-\udfff]", "\ufffd", text)


@pytest.fixture
def report() -> ValidationReport:
    results = [
        ValidationResult(
            Severity.VIOLATION,
            HOSTILE,
            file=f"data/{HOSTILE}.yaml",
            line=3,
            record=HOSTILE,
            field=HOSTILE,
            value=HOSTILE,
            shape="csh:" + HOSTILE,
            component="sh:" + HOSTILE,
            focus=BASE + HOSTILE,
            path="dcterms:" + HOSTILE,
            term=HOSTILE,  # not an RDF term at all
        ),
        ValidationResult(
            Severity.WARNING,
            LONG,
            file=f"data/{HOSTILE}.yaml",
            line=4,
            record=HOSTILE,
            field="title",
            value=LONG,
            shape="csh:TitleRequired",
            focus=BASE + HOSTILE,
            term='"""a"\n"""',  # rdflib's form of a literal with a newline
        ),
        ValidationResult(Severity.INFO, HOSTILE, file=HOSTILE, source="load", term="<http://x/ y>"),
    ]
    return ValidationReport(
        results=results,
        records=2,
        checked=[(f"data/{HOSTILE}.yaml", HOSTILE), ("data/ok.yaml", f"ok{CONTROLS}")],
        files=[f"data/{HOSTILE}.yaml"],
        shapes_source=HOSTILE,
    )


def _utf8(out: str) -> bytes:
    return out.encode("utf-8")  # what writing it to a file or stdout does


def test_junit_is_well_formed_and_keeps_the_text(report: ValidationReport) -> None:
    # --fail-on info: every result is a failure, each in a testcase of its own
    root = ElementTree.fromstring(_utf8(format_report(report, "junit", fail_on="info")))
    suite = root.find("testsuite")
    assert suite is not None
    shapes = suite.find("properties/property[@name='shapes']")
    assert shapes is not None and shapes.get("value") == _xml_kept(HOSTILE)
    cases = suite.findall("testcase")
    names = {(c.get("classname"), c.get("name")) for c in cases}
    assert names == {
        (_xml_kept(f"data/{HOSTILE}.yaml"), _xml_kept(f"{HOSTILE}: {HOSTILE}: csh:{HOSTILE}")),
        (_xml_kept(f"data/{HOSTILE}.yaml"), _xml_kept(f"{HOSTILE}: title: csh:TitleRequired")),
        ("data/ok.yaml", _xml_kept(f"ok{CONTROLS}")),
        (_xml_kept(HOSTILE), _xml_kept(f"{HOSTILE}: -: csec-ld:record/invalid")),
    }
    failures = suite.findall("testcase/failure")
    assert len(failures) == 3 == int(suite.get("failures", ""))
    first = failures[0]
    assert first.get("message") == _xml_kept(f"violation: {HOSTILE}: {HOSTILE}")
    assert first.text is not None
    assert f"{_xml_kept(HOSTILE)}.yaml:3: violation: " in first.text
    assert f"focus: {_xml_kept(BASE + HOSTILE)}" in first.text
    assert "\r" in first.text  # a carriage return, not turned into a newline
    assert any(f.get("message", "").endswith(_xml_kept(LONG)) for f in failures)


def test_junit_with_hostile_text_still_meets_the_schema(
    report: ValidationReport, vendor_dir: Path
) -> None:
    import xmlschema

    for xsd in ("junit-10.xsd", "JUnit.xsd"):
        schema = xmlschema.XMLSchema(str(vendor_dir / "junit" / xsd))
        for fail_on in ("violation", "info"):
            schema.validate(format_report(report, "junit", fail_on=fail_on))


def _graph(out: bytes) -> rdflib.Graph:
    return rdflib.Graph().parse(data=out, format="turtle")


def test_turtle_is_well_formed_and_keeps_the_text(report: ValidationReport) -> None:
    out = _utf8(format_report(report, "turtle"))
    list(pyoxigraph.parse(out, format=pyoxigraph.RdfFormat.TURTLE))  # the strict parser
    g = _graph(out)
    (node,) = g.subjects(RDF.type, SH.ValidationReport)
    results = list(g.objects(node, SH.result))
    assert len(results) == 3
    messages = {str(g.value(r, SH.resultMessage)) for r in results}
    assert messages == {_unicode_kept(HOSTILE), _unicode_kept(LONG)}
    comments = [str(c) for r in results for c in g.objects(r, RDFS.comment)]
    assert any(_unicode_kept(HOSTILE) in c for c in comments)
    focus = {unquote(str(g.value(r, SH.focusNode))) for r in results}
    assert _unicode_kept(BASE + HOSTILE) in focus
    values = {g.value(r, SH.value) for r in results}
    # not a term: the value as text; rdflib's long string: the literal it stands for
    assert rdflib.Literal(_unicode_kept(HOSTILE)) in values
    assert rdflib.Literal('a"\n') in values
    assert format_report(report, "turtle") == out.decode("utf-8")  # deterministic


@pytest.mark.parametrize(
    "iri",
    ["http://[::1/a", "http://x:port/", "1http://x/", "", "#", "%", "a b", "\ud800", "\ufffe"],
)
def test_turtle_keeps_what_is_not_an_iri_as_a_valid_one(iri: str) -> None:
    r = ValidationResult(Severity.VIOLATION, "m", focus=iri, path="<" + iri)
    out = _utf8(format_report(ValidationReport(results=[r]), "turtle"))
    list(pyoxigraph.parse(out, format=pyoxigraph.RdfFormat.TURTLE, base_iri="http://b/"))
    _graph(out)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_formats_are_valid_json_and_keep_the_text(report: ValidationReport, fmt: str) -> None:
    doc = json.loads(_utf8(format_report(report, fmt)))
    kept = _unicode_kept(HOSTILE)  # JSON carries controls and U+FFFE, not lone surrogates
    if fmt == "json":
        first = doc["results"][0]
        assert first["record"] == first["message"] == first["value"] == kept
        assert first["focus"] == _unicode_kept(BASE + HOSTILE)
        assert doc["results"][1]["message"] == _unicode_kept(LONG)
    else:
        (run,) = doc["runs"]
        first = run["results"][0]
        assert first["properties"]["record"] == kept
        assert first["message"]["text"].startswith(f"{kept}: {kept}")
        assert first["locations"][0]["logicalLocations"][0]["name"] == kept


def test_github_and_text_can_be_written(report: ValidationReport) -> None:
    commands = _utf8(format_report(report, "github")).decode("utf-8").split("\n")
    assert commands[-1] == ""  # one annotation per line, then the summary
    assert len(commands) == len(report.results) + 2
    assert all(c.startswith("::") for c in commands[:3])
    text = _utf8(format_report(report, "text")).decode("utf-8")
    assert _unicode_kept(HOSTILE) in text


def test_every_format_can_be_written(report: ValidationReport) -> None:
    for fmt in FORMATS:
        _utf8(format_report(report, fmt))
