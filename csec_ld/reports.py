"""Format a :class:`~csec_ld.validation.ValidationReport` for people and for CI.

=========  ==================================================================
``text``   grouped by record: ``file:line: severity: field: message``, then
           ``N violations, M warnings, K infos in R records``; colour only when
           asked (the CLI asks on a terminal, unless ``NO_COLOR`` is set)
``json``   the schema below
``turtle`` a standard SHACL ``sh:ValidationReport``
``junit``  one ``testsuite``; one passing ``testcase`` per record with nothing at or
           above *fail_on*, and one failing ``testcase`` per result at or above it
           (``record: field: rule``); the results below *fail_on* go in the suite's
           ``system-out``. Valid against both the strict Ant ``JUnit.xsd`` and the
           Surefire / Jenkins xUnit ``junit-10.xsd``
``sarif``  SARIF 2.1.0: one run, one rule per shape and one per kind of loading
           error (``csec-ld:record/issued/not-a-date``), physical locations, and
           ``partialFingerprints`` that do not depend on the line
``github`` GitHub Actions workflow commands (``::error file=…,line=…::…``)
=========  ==================================================================

Every format takes *show* (``violation``, ``warning`` or ``info``, the default):
results below it are left out of the output, but still counted in the summary
(``… in 10 records (28 hidden by --show violation)``), in ``sh:conforms`` and in the
JSON ``summary``. *fail_on* is the severity gate (the CLI's ``--fail-on``).

``sh:conforms`` and the JSON ``conforms`` follow SHACL 1.0, 3.6.1: true only when there
is no result at all, warnings and infos included (as pySHACL says). Whether the run
passes the gate is ``passed`` (false when a result is at or above ``fail_on``).

JSON schema (version 2; keys are only ever added, never renamed)::

    {
      "version": 2,
      "conforms": false,                 # SHACL: no result at all (hidden ones count)
      "passed": true,                    # nothing at or above fail_on (the exit code)
      "fail_on": "violation",            # violation | warning | info
      "show": "info",                    # results below this severity are left out
      "summary": {"violations": 0, "warnings": 2, "infos": 1,   # every result, shown or not
                  "records": 10,         # records (and RDF resources) checked
                  "files": 11,
                  "hidden": 0,           # left out by show
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

Version 1 (csec-ld 0.1.0) had ``conforms`` true when there was no violation, and no
``passed``, ``fail_on``, ``show`` or ``summary.hidden``: read ``passed`` where a
version-1 reader read ``conforms``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
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
    LOAD_SHAPE,
    REPORT_PREFIXES,
    Severity,
    ValidationReport,
    ValidationResult,
    compact,
)

__all__ = [
    "FORMATS",
    "conforms",
    "format_report",
    "github",
    "json_report",
    "junit",
    "passed",
    "sarif",
    "shown",
    "summary",
    "text",
    "turtle",
]

JSON_VERSION = 2
_COLOURS = {Severity.VIOLATION: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def conforms(report: ValidationReport) -> bool:
    """SHACL's ``sh:conforms`` (SHACL 1.0, 3.6.1): true only when there is no result at all.

    Warnings and infos count, and so do results left out by ``max_per_shape``.

    >>> conforms(ValidationReport(records=3))
    True
    """
    return not any(report.counts().values())


def passed(report: ValidationReport, fail_on: Severity | str = Severity.VIOLATION) -> bool:
    """Whether no result is at or above *fail_on*: the severity gate (the exit code)."""
    return not report.failed(fail_on)


def _omitted_severity(report: ValidationReport, shape: str) -> Severity:
    info = report.shapes.get(shape)
    return info.severity if info else Severity.VIOLATION


def shown(report: ValidationReport, show: Severity | str = Severity.INFO) -> list[ValidationResult]:
    """The results at or above *show*, in report order (what every format writes)."""
    level = Severity(show).rank
    return [r for r in report.results if r.severity.rank >= level]


def hidden(report: ValidationReport, show: Severity | str = Severity.INFO) -> int:
    """How many results *show* leaves out (counting those ``max_per_shape`` left out)."""
    level = Severity(show).rank
    c = report.counts()
    return sum(c[s.value] for s in Severity if s.rank < level)


def summary(report: ValidationReport, *, show: Severity | str = Severity.INFO) -> str:
    """``N violations, M warnings, K infos in R records``, every result counted, then
    ``(H hidden by --show S)`` when *show* left some out."""
    c = report.counts()
    line = (
        f"{_plural(c['violation'], 'violation')}, {_plural(c['warning'], 'warning')}, "
        f"{_plural(c['info'], 'info')} in {_plural(report.records, 'record')}"
    )
    n = hidden(report, show)
    return line + (f" ({n} hidden by --show {Severity(show).value})" if n else "")


def _with_value(r: ValidationResult) -> str:
    if r.value is None or r.value in r.message:
        return r.message
    value = r.value if len(r.value) <= 80 else r.value[:77] + "..."
    return f"{r.message} (value: {value!r})"


def _by_record(
    results: list[ValidationResult],
) -> list[tuple[tuple[str | None, str | None], list[ValidationResult]]]:
    groups: dict[tuple[str | None, str | None], list[ValidationResult]] = {}
    for r in results:
        groups.setdefault((r.file, r.record), []).append(r)
    return list(groups.items())


def text(
    report: ValidationReport,
    *,
    color: bool = False,
    show: Severity | str = Severity.INFO,
    fail_on: Severity | str = Severity.VIOLATION,
) -> str:
    """Results grouped by record, then the summary line."""
    import click

    def style(s: str, **kw: Any) -> str:
        return click.style(s, **kw) if color else s

    level = Severity(show).rank
    lines: list[str] = []
    for (file, record), results in _by_record(shown(report, show)):
        if record:
            lines.append(style(record, bold=True) + (f" ({file})" if file else ""))
        else:
            lines.append(style(file or "<input>", bold=True))
        for r in results:
            sev = style(r.severity.value, fg=_COLOURS[r.severity], bold=True)
            fld = f"{r.field}: " if r.field else ""
            lines.append(f"  {r.location}: {sev}: {fld}{_with_value(r)}")
        lines.append("")
    omitted = {
        shape: n
        for shape, n in report.omitted.items()
        if _omitted_severity(report, shape).rank >= level
    }
    for shape, n in sorted(omitted.items()):
        lines.append(f"... {_plural(n, 'more result')} of {shape} left out (--max-per-shape)")
    if omitted:
        lines.append("")
    lines.append(style(summary(report, show=show), bold=True))
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


def json_report(
    report: ValidationReport,
    *,
    show: Severity | str = Severity.INFO,
    fail_on: Severity | str = Severity.VIOLATION,
) -> str:
    """The JSON document described in this module's docstring."""
    c = report.counts()
    doc = {
        "version": JSON_VERSION,
        "conforms": conforms(report),
        "passed": passed(report, fail_on),
        "fail_on": Severity(fail_on).value,
        "show": Severity(show).value,
        "summary": {
            "violations": c["violation"],
            "warnings": c["warning"],
            "infos": c["info"],
            "records": report.records,
            "files": len(report.files),
            "hidden": hidden(report, show),
            "omitted": dict(sorted(report.omitted.items())),
        },
        "results": [_result_dict(r) for r in shown(report, show)],
    }
    return _unicode(json.dumps(doc, ensure_ascii=False, indent=2)) + "\n"


# --------------------------------------------------------------------------- turtle


def _literal(text: str) -> str:
    # A valid Turtle string (JSON escapes ⊂ Turtle), once lone surrogates are replaced.
    return json.dumps(_unicode(text), ensure_ascii=False)


def _iri(value: str) -> str:
    """*value* as a Turtle IRI: a prefixed name if it can be, else ``<...>`` with what an IRI
    cannot hold percent-encoded, so that any text gives a valid IRI (RFC 3987)."""
    short = compact(value)  # the one rule for prefixed names (namespaces.compactor)
    if short != value:
        return short
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


def turtle(
    report: ValidationReport,
    *,
    show: Severity | str = Severity.INFO,
    fail_on: Severity | str = Severity.VIOLATION,
) -> str:
    """A standard SHACL validation report, in Turtle (deterministic).

    Problems found before SHACL ran (a record that does not load, RDF that does
    not parse) are results too, with the file as focus node and
    ``csh:RecordLoading`` / ``csh:RdfSyntax`` as constraint component.
    ``sh:conforms`` is false whenever there is a result, hidden by *show* or not.
    """
    results = shown(report, show)
    out = [f"@prefix {p}: <{ns}> ." for p, ns in REPORT_PREFIXES.items()]
    out.append("")
    n = hidden(report, show)
    if n:
        out.append(f"# {_plural(n, 'result')} below {Severity(show).value} left out (--show)")
    out.append("[] a sh:ValidationReport ;")
    out.append(
        f"    sh:conforms {'true' if conforms(report) else 'false'}" + (" ;" if results else " .")
    )
    for i, r in enumerate(results):
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
        end = " ." if i == len(results) - 1 else " ,"
        lead = "    sh:result [\n        " if i == 0 else "    [\n        "
        out.append(f"{lead}{body}\n    ]{end}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- junit


def junit(
    report: ValidationReport,
    *,
    show: Severity | str = Severity.INFO,
    fail_on: Severity | str = Severity.VIOLATION,
) -> str:
    """JUnit XML: a failing testcase per result at or above *fail_on*, a passing one per
    record without such a result; what is below *fail_on* goes in ``system-out``.

    A JUnit failure fails the CI test view, so only what fails the run may be one. Each
    failure has a testcase of its own (``record: field: rule``), as the strict Ant
    ``JUnit.xsd`` allows one failure per testcase; the file is valid against it and
    against the Surefire / Jenkins ``junit-10.xsd``.

    Written by :class:`xml.sax.saxutils.XMLGenerator`, so that any id or message gives
    well-formed XML; characters XML 1.0 cannot carry at all (controls other than tab
    and newlines, lone surrogates, U+FFFE, U+FFFF) become U+FFFD.
    """
    gate = Severity(fail_on).rank
    cases: list[tuple[str, str, ValidationResult | None]] = []
    names: set[tuple[str, str]] = set()
    below: list[ValidationResult] = []

    def add(classname: str, name: str, result: ValidationResult | None) -> None:
        unique, n = name, 1
        while (classname, unique) in names:
            n += 1
            unique = f"{name} ({n})"
        names.add((classname, unique))
        cases.append((classname, unique, result))

    seen: set[tuple[str, str]] = set()
    for (file, record), results in _by_record(shown(report, show)):
        classname = file or "<input>"
        name = record or classname
        seen.add((classname, name))
        failing = [r for r in results if r.severity.rank >= gate]
        below.extend(r for r in results if r.severity.rank < gate)
        for r in failing:
            add(classname, f"{name}: {r.field or '-'}: {rule_id(r)}", r)
        if not failing:
            add(classname, name, None)
    for key in sorted(report.checked):  # records without (shown) results pass
        if key not in seen:
            seen.add(key)
            add(key[0], key[1], None)
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
        failures=str(sum(1 for *_, r in cases if r is not None)),
        errors="0",
        skipped="0",
        time="0",
        timestamp=stamp,
        hostname=socket.gethostname() or "localhost",
        package="csec-ld",  # the strict schema's aggregated form needs package and id
        id="0",
    )
    start(2, "properties")
    element(3, "property", name="csec-ld.version", value=__version__)
    element(3, "property", name="shapes", value=report.shapes_source)
    element(3, "property", name="fail-on", value=Severity(fail_on).value)
    element(3, "property", name="show", value=Severity(show).value)
    end(2, "properties")
    for file, name, case in cases:
        if case is None:
            element(2, "testcase", classname=file, name=name, time="0")
            continue
        start(2, "testcase", classname=file, name=name, time="0")
        title = f"{case.severity.value}: {case.field or '-'}: {case.message}"
        body = "\n".join(
            x
            for x in (
                _line(case),
                f"shape: {case.shape}" if case.shape else "",
                f"component: {case.component}" if case.component else "",
                f"focus: {case.focus}" if case.focus else "",
            )
            if x
        )
        element(3, "failure", body, type=case.severity.value, message=title)
        end(2, "testcase")
    out = [_line(r) for r in below]
    n = hidden(report, show)
    if n:
        out.append(f"{_plural(n, 'result')} below {Severity(show).value} hidden (--show)")
    element(2, "system-out", "\n".join(out) + "\n" if out else None)
    element(2, "system-err")
    end(1, "testsuite")
    end(0, "testsuites")
    xml.endDocument()
    # A carriage return in text would come back as a newline (XML normalises line ends);
    # attributes have it as a reference already, so every one left is in text.
    return buffer.getvalue().replace("\r", "&#13;") + "\n"


def _line(r: ValidationResult) -> str:
    return f"{r.location}: {r.severity.value}: {r.field or '-'}: {_with_value(r)}"


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


#: The kinds of loading error, from the start of the message (RecordError carries no kind):
#: (pattern, kind, whether the field belongs in the rule id). First match wins.
_LOAD_KINDS: tuple[tuple[re.Pattern[str], str, bool], ...] = tuple(
    (re.compile(pattern), kind, with_field)
    for pattern, kind, with_field in (
        (r"^unknown field\b", "unknown-field", False),  # the field is the user's word
        (r"is given twice", "duplicate-field", False),
        (r"^unknown (resource type|country|language|subject|agent|project)\b", "unknown", True),
        (r"is not a status\b", "unknown", True),
        (r"is not (a|an ISO) date\b", "not-a-date", True),
        (r"is before ", "date-order", True),
        (r"^is required\b", "required", True),
        (r"^is empty\b", "empty", True),
        (r"is not a language tag", "bad-language-tag", True),
        (r"^malformed YAML\b", "malformed-yaml", False),
        (r"^malformed CSV\b", "malformed-csv", False),
        (r"^malformed JSON\b", "malformed-json", False),
        (r"^row has \d+ cells", "malformed-csv", False),
        (r"is not UTF-8\b", "not-utf-8", False),
        (r"^cannot read the file\b", "unreadable", False),
        (r"\blarger than [\d,]+ bytes|\blonger than [\d,]+ bytes", "too-large", False),
        (r"characters long\b", "too-long", True),
        (r"^the file is empty$|holds no record", "no-record", False),
        (r"nested more than", "too-deep", True),
        (r"\bcharacter\b", "forbidden-character", True),
        (r"^YAML tag\b", "yaml-tag", False),
        (r"^expected ", "wrong-kind", True),
    )
)


def _load_kind(r: ValidationResult) -> tuple[str, str | None]:
    """The kind of a loading error, and the field its rule is about (or None)."""
    field = (r.field or "").partition("@")[0]  # title@fr: a CSV column of title
    known = field in _record_fields()
    for pattern, kind, with_field in _LOAD_KINDS:
        if pattern.search(r.message):
            return kind, field if with_field and known else None
    return "invalid", field if known else None


@functools.cache
def _record_fields() -> frozenset[str]:
    from .records import FIELDS

    return frozenset(FIELDS)


def rule_id(r: ValidationResult) -> str:
    """The rule *r* breaks: its shape, or for a record that does not load, one rule per
    field and kind of error (``csec-ld:record/issued/not-a-date``,
    ``csec-ld:record/unknown-field``): a SARIF hierarchical id under ``csec-ld:record``.
    """
    shape = r.shape or LOAD_SHAPE
    if shape != LOAD_SHAPE:
        return shape
    kind, field = _load_kind(r)
    return "/".join(x for x in (LOAD_SHAPE, field, kind) if x)


_KIND_TEXT = {
    "unknown-field": "A field that is not a record field",
    "duplicate-field": "A field given twice",
    "unknown": "A value that is not in the controlled list",
    "not-a-date": "A value that is not a date (YYYY, YYYY-MM or YYYY-MM-DD)",
    "date-order": "Dates in the wrong order",
    "required": "A required field that is missing",
    "empty": "A field that is empty",
    "bad-language-tag": "A language tag that is not one",
    "malformed-yaml": "YAML that does not parse",
    "malformed-csv": "CSV that does not parse",
    "malformed-json": "JSON that does not parse",
    "not-utf-8": "A file that is not UTF-8 text",
    "unreadable": "A file that cannot be read",
    "too-large": "A file or line larger than csec-ld reads",
    "too-long": "A value longer than csec-ld publishes",
    "no-record": "A file that holds no record",
    "too-deep": "Lists and mappings nested too deep",
    "forbidden-character": "A character XML 1.0 cannot carry",
    "yaml-tag": "A YAML tag (records hold plain text, lists and mappings)",
    "wrong-kind": "A value of the wrong kind (a text, a list, a mapping)",
    "invalid": "A value that cannot be read",
}


def fingerprint(r: ValidationResult) -> str:
    """A stable hash of the rule, the record (or the file, for a problem outside any
    record), the field and the value: not the line, so that an edit above a problem
    leaves its fingerprint, and code-scanning UIs track it from run to run."""
    where = r.record if r.record is not None else (r.file or "")
    key = json.dumps([rule_id(r), where, r.field, r.value], ensure_ascii=False)
    return hashlib.sha256(_unicode(key).encode("utf-8")).hexdigest()[:32]


def sarif(
    report: ValidationReport,
    *,
    show: Severity | str = Severity.INFO,
    fail_on: Severity | str = Severity.VIOLATION,
) -> str:
    """SARIF 2.1.0: one rule per shape and per kind of loading error, one result per
    problem, with file, line and ``partialFingerprints``."""
    results_shown = shown(report, show)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    used = {rule_id(r) for r in results_shown}
    for sid, info in report.shapes.items():
        if sid == LOAD_SHAPE:
            continue  # a rule per kind of loading error instead, below
        if not (info.message or info.description) and sid not in used:
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
    for r in results_shown:
        rid = rule_id(r)
        if rid not in index:
            index[rid] = len(rules)
            rules.append(_extra_rule(rid, r))
        res: dict[str, Any] = {
            "ruleId": rid,
            "ruleIndex": index[rid],
            "level": _SARIF_LEVEL[r.severity],
            "message": {"text": (f"{r.field}: " if r.field else "") + _with_value(r)},
            "partialFingerprints": {"csecLdResult/v1": fingerprint(r)},
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
    run: dict[str, Any] = {
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
    n = hidden(report, show)
    if n:
        run["properties"] = {"hidden": n, "show": Severity(show).value}
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return _unicode(json.dumps(doc, ensure_ascii=False, indent=2)) + "\n"


def _extra_rule(rid: str, r: ValidationResult) -> dict[str, Any]:
    """A rule the shapes do not describe: a kind of loading error, or a pseudo-shape."""
    rule: dict[str, Any] = {"id": rid}
    if rid.startswith(LOAD_SHAPE + "/"):
        kind, field = _load_kind(r)
        described = _KIND_TEXT.get(kind, kind)
        rule["name"] = "".join(w.title() for w in re.split(r"[^A-Za-z0-9]+", rid) if w)
        rule["shortDescription"] = {"text": f"{field}: {described}" if field else described}
        if field:
            rule["properties"] = {"field": field}
    else:
        rule["shortDescription"] = {"text": rid}
    rule["defaultConfiguration"] = {"level": _SARIF_LEVEL[r.severity]}
    return rule


# --------------------------------------------------------------------------- github

_GH_COMMAND = {Severity.VIOLATION: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(s: str) -> str:
    return _gh_data(s).replace(":", "%3A").replace(",", "%2C")


def github(
    report: ValidationReport,
    *,
    show: Severity | str = Severity.INFO,
    fail_on: Severity | str = Severity.VIOLATION,
) -> str:
    """GitHub Actions workflow commands: one annotation per result, then the summary."""
    lines = []
    for r in shown(report, show):
        props = []
        if r.file:
            props.append(f"file={_gh_prop(r.file)}")
            if r.line:
                props.append(f"line={r.line}")
        title = " ".join(x for x in (r.record, r.field) if x) or (r.shape or "csec-ld")
        props.append(f"title={_gh_prop(title)}")
        lines.append(f"::{_GH_COMMAND[r.severity]} {','.join(props)}::{_gh_data(_with_value(r))}")
    lines.append(summary(report, show=show))
    return _unicode("\n".join(lines)) + "\n"


FORMATS: dict[str, Callable[..., str]] = {
    "text": text,
    "json": json_report,
    "turtle": turtle,
    "junit": junit,
    "sarif": sarif,
    "github": github,
}


def format_report(
    report: ValidationReport,
    fmt: str = "text",
    *,
    color: bool = False,
    show: Severity | str = Severity.INFO,
    fail_on: Severity | str = Severity.VIOLATION,
) -> str:
    """*report* in one of :data:`FORMATS`, without the results below *show*; *fail_on*
    is the gate (JSON ``passed``, JUnit failures).

    >>> print(format_report(ValidationReport(records=1), "text"), end="")
    0 violations, 0 warnings, 0 infos in 1 record
    """
    if fmt == "text":
        return text(report, color=color, show=show, fail_on=fail_on)
    return FORMATS[fmt](report, show=show, fail_on=fail_on)
