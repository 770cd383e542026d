"""Format a :class:`~csec_ld.validation.ValidationReport` for people and for CI.

=========  ==================================================================
``text``   grouped by record: ``file:line: severity: field: message``, then
           ``N violations, M warnings, K infos in R records``; colour only when
           asked (the CLI asks on a terminal, unless ``NO_COLOR`` is set)
``json``   the schema below
``turtle`` a standard SHACL ``sh:ValidationReport``
``junit``  one ``testsuite``, one ``testcase`` per record, one ``failure`` per
           result (the Surefire / Jenkins xUnit schema that CI test views read)
``sarif``  SARIF 2.1.0: one run, one rule per shape, physical locations
``github`` GitHub Actions workflow commands (``::error file=…,line=…::…``)
=========  ==================================================================

JSON schema (version 1; keys are only ever added, never renamed)::

    {
      "version": 1,
      "conforms": false,                 # no violation
      "summary": {"violations": 1, "warnings": 2, "infos": 0,
                  "records": 10,         # records (and RDF resources) checked
                  "files": 11,
                  "omitted": {"csh:TitleRequired": 3}},   # left out by --max-per-shape
      "results": [
        {"severity": "violation",        # violation | warning | info
         "file": "data/records/x.yaml",  # or null
         "line": 3,                      # 1-based, or null
         "record": "x",                  # record id, or null
         "field": "issued",              # record field, or null
         "value": "2999",                # the offending value as text, or null
         "message": "The date of issue is in the future: ...",
         "shape": "csh:IssuedNotInFuture",   # or csec-ld:record / csec-ld:rdf-syntax
         "component": "sh:SPARQLConstraintComponent",   # or null
         "focus": "https://w3id.org/csec-ld/resource/x",  # or null
         "path": "dcterms:issued",       # SHACL result path, or null
         "source": "shacl"}              # shacl | load | syntax
      ]
    }
"""

from __future__ import annotations

import datetime as _dt
import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from .__about__ import __version__
from .validation import (
    REPORT_PREFIXES,
    Severity,
    ValidationReport,
    ValidationResult,
)

__all__ = ["FORMATS", "format_report", "github", "json_report", "junit", "sarif", "text", "turtle"]

JSON_VERSION = 1
_COLOURS = {Severity.VIOLATION: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(report: ValidationReport) -> str:
    """``N violations, M warnings, K infos in R records``."""
    c = report.counts()
    return (
        f"{_plural(c['violation'], 'violation')}, {_plural(c['warning'], 'warning')}, "
        f"{_plural(c['info'], 'info')} in {_plural(report.records, 'record')}"
    )


def _with_value(r: ValidationResult) -> str:
    if r.value is None or r.value in r.message:
        return r.message
    value = r.value if len(r.value) <= 80 else r.value[:77] + "..."
    return f"{r.message} (value: {value!r})"


def text(report: ValidationReport, *, color: bool = False) -> str:
    """Results grouped by record, then the summary line."""
    import click

    def style(s: str, **kw: Any) -> str:
        return click.style(s, **kw) if color else s

    lines: list[str] = []
    for (file, record), results in report.by_record():
        if record:
            lines.append(style(record, bold=True) + (f" ({file})" if file else ""))
        else:
            lines.append(style(file or "<input>", bold=True))
        for r in results:
            sev = style(r.severity.value, fg=_COLOURS[r.severity], bold=True)
            fld = f"{r.field}: " if r.field else ""
            lines.append(f"  {r.location}: {sev}: {fld}{_with_value(r)}")
        lines.append("")
    for shape, n in sorted(report.omitted.items()):
        lines.append(f"... {_plural(n, 'more result')} of {shape} left out (--max-per-shape)")
    if report.omitted:
        lines.append("")
    lines.append(style(summary(report), bold=True))
    return "\n".join(lines) + "\n"


def _result_dict(r: ValidationResult) -> dict[str, Any]:
    return {
        "severity": r.severity.value,
        "file": r.file,
        "line": r.line,
        "record": r.record,
        "field": r.field,
        "value": r.value,
        "message": r.message,
        "shape": r.shape,
        "component": r.component,
        "focus": r.focus,
        "path": r.path,
        "source": r.source,
    }


def json_report(report: ValidationReport) -> str:
    """The JSON document described in this module's docstring."""
    c = report.counts()
    doc = {
        "version": JSON_VERSION,
        "conforms": report.conforms,
        "summary": {
            "violations": c["violation"],
            "warnings": c["warning"],
            "infos": c["info"],
            "records": report.records,
            "files": len(report.files),
            "omitted": dict(sorted(report.omitted.items())),
        },
        "results": [_result_dict(r) for r in report.results],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- turtle


def _literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a valid Turtle string (JSON escapes ⊂ Turtle)


def _iri(value: str) -> str:
    for prefix, ns in REPORT_PREFIXES.items():
        if value.startswith(ns):
            local = value[len(ns) :]
            if local and all(ch.isalnum() or ch in "_-" for ch in local) and local[0].isalpha():
                return f"{prefix}:{local}"
    return f"<{value}>"


def _expand(compact: str) -> str:
    prefix, _, local = compact.partition(":")
    ns = REPORT_PREFIXES.get(prefix)
    return ns + local if ns is not None and not compact.startswith("<") else compact


def _file_iri(path: str) -> str:
    return Path(path).resolve().as_uri()


def turtle(report: ValidationReport) -> str:
    """A standard SHACL validation report, in Turtle (deterministic).

    Problems found before SHACL ran (a record that does not load, RDF that does
    not parse) are results too, with the file as focus node and
    ``csh:RecordLoading`` / ``csh:RdfSyntax`` as constraint component.
    """
    out = [f"@prefix {p}: <{ns}> ." for p, ns in REPORT_PREFIXES.items()]
    out.append("")
    out.append("[] a sh:ValidationReport ;")
    out.append(
        f"    sh:conforms {'true' if report.conforms else 'false'}"
        + (" ;" if report.results else " .")
    )
    for i, r in enumerate(report.results):
        focus = r.focus or (_file_iri(r.file) if r.file else "urn:csec-ld:input")
        props = [
            ("a", "sh:ValidationResult"),
            ("sh:focusNode", _iri(focus)),
            ("sh:resultSeverity", f"sh:{r.severity.value.capitalize()}"),
        ]
        if r.path:
            props.append(("sh:resultPath", _iri(_expand(r.path))))
        if r.term is not None:
            props.append(("sh:value", r.term))
        elif r.value is not None:
            props.append(("sh:value", _literal(r.value)))
        if r.source == "shacl" and r.shape and not r.shape.startswith("["):
            props.append(("sh:sourceShape", _iri(_expand(r.shape))))
        component = r.component or (
            "csh:RdfSyntax" if r.source == "syntax" else "csh:RecordLoading"
        )
        props.append(("sh:sourceConstraintComponent", _iri(_expand(component))))
        props.append(("sh:resultMessage", _literal(r.message) + "@en"))
        if r.file:
            where = r.location + (f" ({r.record}: {r.field})" if r.record and r.field else "")
            props.append(("rdfs:comment", _literal(where)))
        body = " ;\n        ".join(f"{p} {o}" for p, o in props)
        end = " ." if i == len(report.results) - 1 else " ,"
        lead = "    sh:result [\n        " if i == 0 else "    [\n        "
        out.append(f"{lead}{body}\n    ]{end}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- junit


def junit(report: ValidationReport) -> str:
    """JUnit XML: one testcase per record (passing ones too), one failure per result."""
    cases: dict[tuple[str, str], list[ValidationResult]] = {}
    for (file, record), results in report.by_record():
        cases[(file or "<input>", record or (file or "<input>"))] = results
    for key in sorted(report.checked):  # records without results pass
        cases.setdefault(key, [])
    failures = sum(1 for r in report.results)
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    lines.append(
        f'  <testsuite name="csec-ld validate" tests="{len(cases)}" '
        f'failures="{failures}" errors="0" skipped="0" time="0" '
        f'timestamp="{stamp}" hostname={quoteattr(socket.gethostname() or "localhost")}>'
    )
    lines.append("    <properties>")
    lines.append(f'      <property name="csec-ld.version" value="{__version__}"/>')
    lines.append(f'      <property name="shapes" value={quoteattr(report.shapes_source)}/>')
    lines.append("    </properties>")
    for (file, name), results in cases.items():
        lines.append(f'    <testcase classname={quoteattr(file)} name={quoteattr(name)} time="0">')
        for r in results:
            title = f"{r.severity.value}: {r.field or '-'}: {r.message}"
            body = "\n".join(
                x
                for x in (
                    f"{r.location}: {r.severity.value}: {r.field or '-'}: {_with_value(r)}",
                    f"shape: {r.shape}" if r.shape else "",
                    f"component: {r.component}" if r.component else "",
                    f"focus: {r.focus}" if r.focus else "",
                )
                if x
            )
            lines.append(
                f"      <failure type={quoteattr(r.severity.value)} message={quoteattr(title)}>"
                f"{_xml_text(body)}</failure>"
            )
        lines.append("    </testcase>")
    lines.append("    <system-out/>")
    lines.append("    <system-err/>")
    lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def _xml_text(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


# --------------------------------------------------------------------------- sarif

_SARIF_LEVEL = {Severity.VIOLATION: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: str) -> str:
    p = Path(path)
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.resolve().as_uri()


def sarif(report: ValidationReport) -> str:
    """SARIF 2.1.0: one rule per shape, one result per problem, with file and line."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for sid, info in report.shapes.items():
        if not (info.message or info.description) and not any(
            r.shape == sid for r in report.results
        ):
            continue  # node shapes that only group property shapes are not rules
        index[sid] = len(rules)
        rule: dict[str, Any] = {
            "id": sid,
            "name": sid.split(":", 1)[-1].replace("-", " ").title().replace(" ", ""),
            "shortDescription": {"text": info.description or info.label or sid},
            "defaultConfiguration": {"level": _SARIF_LEVEL[info.severity]},
            "properties": {"field": info.field} if info.field else {},
        }
        if info.message:
            rule["fullDescription"] = {"text": info.message}
            rule["help"] = {"text": info.message}
        if info.iri:
            rule["helpUri"] = info.iri
        rules.append(rule)
    results = []
    for r in report.results:
        shape = r.shape or "csec-ld:record"
        if shape not in index:
            index[shape] = len(rules)
            rules.append(
                {
                    "id": shape,
                    "shortDescription": {"text": shape},
                    "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
                }
            )
        res: dict[str, Any] = {
            "ruleId": shape,
            "ruleIndex": index[shape],
            "level": _SARIF_LEVEL[r.severity],
            "message": {"text": (f"{r.field}: " if r.field else "") + _with_value(r)},
        }
        if r.file:
            physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(r.file)}}
            if r.line:
                physical["region"] = {"startLine": r.line}
                if r.column:
                    physical["region"]["startColumn"] = r.column
            location: dict[str, Any] = {"physicalLocation": physical}
            if r.record:
                location["logicalLocations"] = [
                    {
                        "name": r.record,
                        "kind": "object",
                        **({"fullyQualifiedName": r.focus} if r.focus else {}),
                    }
                ]
            res["locations"] = [location]
        props = {
            k: v
            for k, v in (
                ("record", r.record),
                ("field", r.field),
                ("value", r.value),
                ("component", r.component),
                ("focus", r.focus),
            )
            if v is not None
        }
        if props:
            res["properties"] = props
        results.append(res)
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "csec-ld",
                        "version": __version__,
                        "informationUri": "https://w3id.org/csec-ld/",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- github

_GH_COMMAND = {Severity.VIOLATION: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(s: str) -> str:
    return _gh_data(s).replace(":", "%3A").replace(",", "%2C")


def github(report: ValidationReport) -> str:
    """GitHub Actions workflow commands: one annotation per result, then the summary."""
    lines = []
    for r in report.results:
        props = []
        if r.file:
            props.append(f"file={_gh_prop(r.file)}")
            if r.line:
                props.append(f"line={r.line}")
        title = " ".join(x for x in (r.record, r.field) if x) or (r.shape or "csec-ld")
        props.append(f"title={_gh_prop(title)}")
        lines.append(f"::{_GH_COMMAND[r.severity]} {','.join(props)}::{_gh_data(_with_value(r))}")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


FORMATS: dict[str, Callable[..., str]] = {
    "text": text,
    "json": json_report,
    "turtle": turtle,
    "junit": junit,
    "sarif": sarif,
    "github": github,
}


def format_report(report: ValidationReport, fmt: str = "text", *, color: bool = False) -> str:
    """*report* in one of :data:`FORMATS`."""
    if fmt == "text":
        return text(report, color=color)
    return FORMATS[fmt](report)
