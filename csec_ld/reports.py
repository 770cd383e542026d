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
import io
import json
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

import pyoxigraph

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
    return _unicode("\n".join(lines)) + "\n"


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
    return _unicode(json.dumps(doc, ensure_ascii=False, indent=2)) + "\n"


# --------------------------------------------------------------------------- turtle


def _literal(text: str) -> str:
    # A valid Turtle string (JSON escapes ⊂ Turtle), once lone surrogates are replaced.
    return json.dumps(_unicode(text), ensure_ascii=False)


def _iri(value: str) -> str:
    """*value* as a Turtle IRI: a prefixed name if it can be, else ``<...>`` with what an IRI
    cannot hold percent-encoded, so that any text gives a valid IRI (RFC 3987)."""
    for prefix, ns in REPORT_PREFIXES.items():
        if value.startswith(ns):
            local = value[len(ns) :]
            if (
                local.isascii()
                and local[:1].isalpha()
                and all(ch.isalnum() or ch in "_-" for ch in local)
            ):
                return f"{prefix}:{local}"
    if _is_iri(value):
        return f"<{value}>"
    encoded = _percent_encoded(value)
    if _is_iri(encoded):
        return f"<{encoded}>"
    # Not an IRI, even encoded (a scheme or a port that is not one): named, not lost.
    return f"<urn:csec-ld:not-an-iri:{quote(_unicode(value), safe='')}>"


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
#: ASCII that an IRI holds as it is anywhere but in the host (RFC 3987, 2.2).
_IRI_ASCII = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?"
)
_HEX = frozenset("0123456789abcdefABCDEF")


def _is_iri(value: str) -> bool:
    """Whether *value* is an IRI, or a relative reference (a blank node's label, say:
    the report has always written those as relative IRIs)."""
    if not _SCHEME.match(value):
        if ":" in re.split(r"[/?#]", value, maxsplit=1)[0]:
            return False  # a relative path's first segment cannot hold a colon
        value = "relative:" + value
    try:
        pyoxigraph.NamedNode(value)
    except ValueError:
        return False
    return True


def _ucschar(ch: str) -> bool:
    """Whether *ch*, not ASCII, may stand in an IRI unencoded (RFC 3987's ucschar)."""
    cp = ord(ch)
    if cp < 0x10000:
        return 0xA0 <= cp <= 0xD7FF or 0xF900 <= cp <= 0xFDCF or 0xFDF0 <= cp <= 0xFFEF
    return cp < 0xF0000 and cp & 0xFFFE != 0xFFFE


def _percent_encoded(value: str) -> str:
    """*value* with each character an IRI cannot hold there percent-encoded."""
    out = []
    fragment = False
    for i, ch in enumerate(value):
        if ch == "#":  # the first one starts the fragment; another is a character
            keep = not fragment
            fragment = True
        elif ch == "%":
            keep = value[i + 1 : i + 2] in _HEX and value[i + 2 : i + 3] in _HEX
        else:
            keep = ch in _IRI_ASCII if ch.isascii() else _ucschar(ch)
        out.append(ch if keep else quote(_unicode(ch), safe=""))
    return "".join(out)


#: A string literal without escapes, maybe with a language: one term, as it is.
_PLAIN_LITERAL = re.compile(r'"[^"\\\n\r]*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*)?')


def _term(term: str) -> str | None:
    """*term* (a value as an RDF term) in N-Triples, or None if it is not one term."""
    if _PLAIN_LITERAL.fullmatch(term):
        return _unicode(term)
    try:
        quads = pyoxigraph.parse(
            f"<urn:s> <urn:p> {_unicode(term)} .", format=pyoxigraph.RdfFormat.TURTLE
        )
        (quad,) = list(quads)
    except (SyntaxError, ValueError):  # not a term, or more than one
        return None
    if isinstance(quad.object, pyoxigraph.BlankNode) and not term.startswith("_:"):
        return None  # [] and the like: a new label at every parse (not deterministic)
    return str(quad.object)


def _expand(compact: str) -> str:
    prefix, _, local = compact.partition(":")
    ns = REPORT_PREFIXES.get(prefix)
    return ns + local if ns is not None and not compact.startswith("<") else compact


def _resolved(path: str) -> Path | None:
    """*path* made absolute, or None for a name no file can have (a NUL in it, say)."""
    try:
        return Path(_unicode(path)).resolve()
    except (OSError, ValueError):
        return None


def _file_iri(path: str) -> str:
    p = _resolved(path)
    return p.as_uri() if p is not None else "urn:csec-ld:file:" + quote(_unicode(path), safe="")


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
        term = None if r.term is None else _term(r.term)
        if term is not None:
            props.append(("sh:value", term))
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
    """JUnit XML: one testcase per record (passing ones too), one failure per result.

    Written by :class:`xml.sax.saxutils.XMLGenerator`, so that any id or message gives
    well-formed XML; characters XML 1.0 cannot carry at all (controls other than tab
    and newlines, lone surrogates, U+FFFE, U+FFFF) become U+FFFD.
    """
    cases: dict[tuple[str, str], list[ValidationResult]] = {}
    for (file, record), results in report.by_record():
        cases[(file or "<input>", record or (file or "<input>"))] = results
    for key in sorted(report.checked):  # records without results pass
        cases.setdefault(key, [])
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    buffer = io.StringIO()
    xml = XMLGenerator(buffer, encoding="UTF-8", short_empty_elements=True)

    def element(depth: int, tag: str, text: str | None = None, /, **attrs: str) -> None:
        xml.ignorableWhitespace("\n" + "  " * depth)
        xml.startElement(tag, AttributesImpl({k: _xml(v) for k, v in attrs.items()}))
        if text is not None:
            xml.characters(_xml(text))
        xml.endElement(tag)

    def start(depth: int, tag: str, **attrs: str) -> None:
        xml.ignorableWhitespace("\n" + "  " * depth)
        xml.startElement(tag, AttributesImpl({k: _xml(v) for k, v in attrs.items()}))

    def end(depth: int, tag: str) -> None:
        xml.ignorableWhitespace("\n" + "  " * depth)
        xml.endElement(tag)

    xml.startDocument()
    xml.startElement("testsuites", AttributesImpl({}))
    start(
        1,
        "testsuite",
        name="csec-ld validate",
        tests=str(len(cases)),
        failures=str(len(report.results)),
        errors="0",
        skipped="0",
        time="0",
        timestamp=stamp,
        hostname=socket.gethostname() or "localhost",
    )
    start(2, "properties")
    element(3, "property", name="csec-ld.version", value=__version__)
    element(3, "property", name="shapes", value=report.shapes_source)
    end(2, "properties")
    for (file, name), results in cases.items():
        if not results:
            element(2, "testcase", classname=file, name=name, time="0")
            continue
        start(2, "testcase", classname=file, name=name, time="0")
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
            element(3, "failure", body, type=r.severity.value, message=title)
        end(2, "testcase")
    element(2, "system-out")
    element(2, "system-err")
    end(1, "testsuite")
    end(0, "testsuites")
    xml.endDocument()
    # A carriage return in text would come back as a newline (XML normalises line ends);
    # attributes have it as a reference already, so every one left is in text.
    return buffer.getvalue().replace("\r", "&#13;") + "\n"


#: What XML 1.0 cannot carry, even as a character reference.
_NOT_IN_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _unicode(text: str) -> str:
    """*text* with lone surrogates (which no encoding can write) replaced by U+FFFD;
    pairs of them (text decoded as UTF-16 by halves) joined first."""
    if _SURROGATE.search(text) is None:
        return text
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return _SURROGATE.sub("\ufffd", joined)


def _xml(text: str) -> str:
    """*text* with what XML 1.0 cannot carry replaced by U+FFFD."""
    return _NOT_IN_XML.sub("\ufffd", _unicode(text))


# --------------------------------------------------------------------------- sarif

_SARIF_LEVEL = {Severity.VIOLATION: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: str) -> str:
    p = _resolved(path)
    if p is None:
        return quote(_unicode(path), safe="/")
    try:
        return p.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.as_uri()


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
    return _unicode(json.dumps(doc, ensure_ascii=False, indent=2)) + "\n"


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
    return _unicode("\n".join(lines)) + "\n"


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
