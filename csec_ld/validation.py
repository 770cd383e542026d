"""SHACL validation of a catalogue: records (or harvested RDF) against our shapes.

:func:`validate` loads the records of the sources (any record format) and any
RDF files among them (Turtle, N-Triples, JSON-LD), maps the records to RDF with
every profile, runs pySHACL with the shapes of ``shapes/`` and returns a
:class:`ValidationReport`. Non-conformance is data: the report holds every
problem of the run (record-loading errors, RDF syntax errors and SHACL results
alike), each pointing back to a file, a line, a record and a record field.
Only unusable shapes (:class:`~csec_ld.errors.ShapesError`) and unusable
arguments (:class:`~csec_ld.errors.UsageError`) raise.

>>> report = validate(["data"])
>>> report.failed("violation")
False
>>> report.counts()["violation"]
0

How it runs. The shapes are read once per process (per set of files and their
mtimes) with pyoxigraph, which reports syntax errors with a line and a column.
The default engine, ``"fast"``, runs them compiled by :mod:`csec_ld.fastshacl`
(Python checks per focus node, SHACL-SPARQL on a small pyoxigraph store per chunk;
pySHACL for any shape it cannot compile). ``engine="pyshacl"`` runs pySHACL on an
rdflib graph, which costs ~1 KB per triple and ~20-35 ms per record: the reference,
and a test holds both to the same results. Catalogues of more than ``chunk_size``
records are validated a chunk at a time, in worker processes; the cross-record
rules (shapes annotated ``csh:crossRecord true``) run once more over just the
records whose join values (identifiers; titles and dates) collide across chunks;
the catalogue, agents and concepts are checked in a run of their own. ``build``
validates in its own pipeline, in one pass (:class:`ChunkChecker`,
:class:`StreamValidation`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyoxigraph
import rdflib
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import RDFS as _RDFS
from rdflib.namespace import SH as _SH

from .errors import DataError, RecordError, ShapesError, UsageError
from .namespaces import CONTEXT_IRI, DCTERMS, PREFIXES, RDF, SCHEMA, XSD
from .records import Record
from .resources import shapes_dir
from .serialize import Parts
from .sources import RDF_SUFFIXES, discover, open_catalog

__all__ = [
    "CHUNK_SIZE",
    "ENGINES",
    "SHAPES_NS",
    "ChunkChecker",
    "ChunkValidation",
    "Severity",
    "ShapeInfo",
    "StreamValidation",
    "ValidationReport",
    "ValidationResult",
    "field_for_path",
    "load_results",
    "load_shapes",
    "validate",
]

SHAPES_NS = "https://w3id.org/csec-ld/shapes#"
SH = "http://www.w3.org/ns/shacl#"
_OWL_IMPORTS = "http://www.w3.org/2002/07/owl#imports"
_XSD_STRING = XSD + "string"

#: Prefixes used to shorten IRIs in reports (``csh:TitleRequired``, ``dcterms:title``).
REPORT_PREFIXES: dict[str, str] = {"csh": SHAPES_NS, "sh": SH, **PREFIXES}

#: Pseudo-shapes for problems found before SHACL runs (they are rules in SARIF, too).
LOAD_SHAPE = "csec-ld:record"
SYNTAX_SHAPE = "csec-ld:rdf-syntax"
EMPTY_SHAPE = "csec-ld:no-records"


class Severity(StrEnum):
    """How bad a result is, from the SHACL severities."""

    VIOLATION = "violation"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """3 for a violation, 2 for a warning, 1 for an info (sort and compare by it)."""
        return {"violation": 3, "warning": 2, "info": 1}[self.value]

    @classmethod
    def from_iri(cls, iri: str) -> Severity:
        local = iri.rsplit("#", 1)[-1].lower()
        return cls(local) if local in ("violation", "warning", "info") else cls.VIOLATION

    @property
    def iri(self) -> str:
        return SH + self.value.capitalize()

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ShapeInfo:
    """What the shapes graph says about one named shape (a rule)."""

    id: str  # compact IRI, e.g. "csh:TitleRequired"
    iri: str
    field: str | None = None  # sh:name
    label: str | None = None
    description: str | None = None
    message: str | None = None
    severity: Severity = Severity.VIOLATION
    cross_record: bool = False  # annotated csh:crossRecord true


@dataclass(frozen=True)
class ValidationResult:
    """One problem, located in the sources.

    ``source`` says where it was found: ``"shacl"`` (a shape), ``"load"`` (the
    record could not be read or checked) or ``"syntax"`` (an RDF file that does
    not parse). ``shape`` and ``component`` are compact IRIs for SHACL results.
    """

    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    record: str | None = None
    field: str | None = None
    value: str | None = None
    shape: str | None = None
    component: str | None = None
    focus: str | None = None
    path: str | None = None  # the SHACL result path, compact
    source: str = "shacl"
    term: str | None = None  # the value as an RDF term (N-Triples)
    column: int | None = dataclasses.field(default=None, compare=False)

    @property
    def location(self) -> str:
        """``file:line`` (or ``file``, or ``<input>``)."""
        where = self.file or "<input>"
        return f"{where}:{self.line}" if self.line is not None else where

    def sort_key(self) -> tuple[Any, ...]:
        return (
            self.file or "",
            self.line or 0,
            self.record or "",
            -self.severity.rank,
            self.field or "",
            self.shape or "",
            self.value or "",
            self.message,
            # Ties broken by every other compared field: two results of one shape on one
            # line (sh:nodeKind and sh:pattern on one value, say) keep one order.
            self.component or "",
            self.focus or "",
            self.path or "",
            self.term or "",
            self.source,
        )


@dataclass
class ValidationReport:
    """Every problem of one validation run, and what was validated."""

    results: list[ValidationResult] = dataclasses.field(default_factory=list)
    records: int = 0  # records (and RDF resources) checked
    checked: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (file, record id)
    files: list[str] = dataclasses.field(default_factory=list)
    shapes: dict[str, ShapeInfo] = dataclasses.field(default_factory=dict)
    omitted: dict[str, int] = dataclasses.field(default_factory=dict)  # shape -> results left out
    shapes_source: str = ""

    @property
    def conforms(self) -> bool:
        """True when there is no violation (warnings and infos allowed)."""
        return not self.failed(Severity.VIOLATION)

    def counts(self) -> dict[str, int]:
        """Results per severity (with what ``max_per_shape`` left out)."""
        counts = {s.value: 0 for s in Severity}
        for r in self.results:
            counts[r.severity.value] += 1
        for shape, n in self.omitted.items():
            info = self.shapes.get(shape)
            counts[(info.severity if info else Severity.VIOLATION).value] += n
        return counts

    def failed(self, threshold: Severity | str = Severity.VIOLATION) -> bool:
        """Whether any result is at or above *threshold* (``violation``, ``warning``, ``info``)."""
        level = Severity(threshold).rank
        counts = self.counts()
        return any(counts[s.value] for s in Severity if s.rank >= level)

    def by_record(self) -> list[tuple[tuple[str | None, str | None], list[ValidationResult]]]:
        """Results grouped by (file, record), in report order."""
        groups: dict[tuple[str | None, str | None], list[ValidationResult]] = {}
        for r in self.results:
            groups.setdefault((r.file, r.record), []).append(r)
        return list(groups.items())

    def errors(self, threshold: Severity | str = Severity.VIOLATION) -> list[RecordError]:
        """The results at or above *threshold* as :class:`RecordError` values.

        For callers that stop on problems, such as ``build``::

            report = validate(sources, base=base)
            if report.failed("violation"):
                raise DataError(report.errors("violation"))
        """
        level = Severity(threshold).rank
        out = []
        for r in self.results:
            if r.severity.rank < level:
                continue
            message = r.message
            if r.value is not None and r.value not in message:
                message += f" (value: {r.value[:80]!r})"
            out.append(
                RecordError(
                    message, path=r.file, line=r.line, record=r.record, field=r.field, value=r.value
                )
            )
        return out

    @property
    def records_with_results(self) -> int:
        return len({(r.file, r.record) for r in self.results if r.record})


# --------------------------------------------------------------------------- names


def compact(iri: str) -> str:
    """``prefix:local`` for IRIs in :data:`REPORT_PREFIXES`, else the IRI."""
    best = ""
    for prefix, ns in REPORT_PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(REPORT_PREFIXES.get(best, "")):
            local = iri[len(ns) :]
            if local and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", local):
                best = prefix
    return f"{best}:{iri[len(REPORT_PREFIXES[best]) :]}" if best else iri


def _path_fields() -> dict[str, str]:
    from .mapping import PROFILES

    fields = {RDF + "type": "type"}
    for profile in PROFILES.values():
        for row in profile.rows:
            fields.setdefault(row.predicate, row.field)
    return fields


_PATH_FIELDS: dict[str, str] | None = None


def field_for_path(path: str) -> str | None:
    """The record field a predicate is written from: ``schema:datePublished`` -> ``issued``.

    >>> field_for_path("http://schema.org/datePublished")
    'issued'
    """
    global _PATH_FIELDS
    if _PATH_FIELDS is None:
        _PATH_FIELDS = _path_fields()
    return _PATH_FIELDS.get(path)


# --------------------------------------------------------------------------- terms


@contextlib.contextmanager
def _quiet_rdflib() -> Iterator[None]:
    """Silence rdflib and pySHACL logging: what they log (a traceback per ill-typed
    literal, a shape that cannot load) becomes results or a ShapesError instead.

    A level for rdflib (its child loggers inherit it); a filter for pySHACL, which
    resets its logger's level on every call.
    """
    rdflib_logger = logging.getLogger("rdflib")
    level = rdflib_logger.level
    rdflib_logger.setLevel(logging.CRITICAL + 1)
    loggers = [logging.getLogger(name) for name in ("pyshacl", "pyshacl-validate")]
    drop = logging.Filter("\0")  # matches no logger name: drops every record
    for logger in loggers:
        logger.addFilter(drop)
    try:
        yield
    finally:
        rdflib_logger.setLevel(level)
        for logger in loggers:
            logger.removeFilter(drop)


def _rdflib_term(term: Any) -> Any:
    if isinstance(term, pyoxigraph.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return rdflib.Literal(term.value, datatype=None if datatype == _XSD_STRING else datatype)
    raise TypeError(f"unsupported RDF term {term!r}")


def _add(graph: rdflib.Graph, triples: Iterable[Any]) -> None:
    for t in triples:
        graph.add((_rdflib_term(t.subject), _rdflib_term(t.predicate), _rdflib_term(t.object)))


def _nt(term: Any) -> str:
    """An rdflib term in N-Triples form."""
    return str(term.n3())


_SAMPLE = 500
#: Records per pySHACL run in large catalogues (memory per run stays flat).
CHUNK_SIZE = 2000
#: Validation engines: the compiled shapes (pySHACL for the rest), or pySHACL alone.
ENGINES = ("fast", "pyshacl")


def _sample(text: str) -> str:
    """The value for a report: long texts (a 1 MB description) cut to a sample."""
    if len(text) <= _SAMPLE:
        return text
    return f"{text[:_SAMPLE]}... ({len(text)} characters)"


# --------------------------------------------------------------------------- shapes


@dataclass(frozen=True)
class _Shapes:
    graph: rdflib.Graph
    info: dict[str, ShapeInfo]
    files: tuple[str, ...]


_SHAPES_CACHE: dict[tuple[tuple[str, int, int], ...], _Shapes] = {}


def _shape_files(shapes: str | Path | None) -> list[Path]:
    root = Path(shapes) if shapes is not None else shapes_dir()
    if not root.exists():
        raise ShapesError(f"{root}: no such shapes file or folder")
    if root.is_dir():
        files = sorted(p for p in root.glob("*.ttl") if p.is_file())
        if not files:
            raise ShapesError(f"{root}: no shapes (*.ttl) in this folder")
        return files
    return [root]


def _parse_shapes_file(path: Path) -> list[Any]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ShapesError(f"{path}: cannot read the shapes ({exc.strerror})") from exc
    fmt = (
        pyoxigraph.RdfFormat.from_extension(path.suffix.lstrip(".")) or pyoxigraph.RdfFormat.TURTLE
    )
    try:
        return list(pyoxigraph.parse(data, format=fmt, base_iri=path.resolve().as_uri()))
    except SyntaxError as exc:
        where = f"{path}:{exc.lineno}:{exc.offset}" if exc.lineno else str(path)
        raise ShapesError(f"{where}: cannot read the shapes: {exc.msg}") from exc


def load_shapes(shapes: str | Path | None = None) -> rdflib.Graph:
    """The shapes graph: every ``*.ttl`` of a folder, or a file and what it ``owl:imports``.

    Imports are followed when they name local files (relative IRIs resolve against
    the importing file), so ``shapes/records.ttl`` alone brings its vocabulary lists.
    Raises :class:`~csec_ld.errors.ShapesError` with the file, line and column of a
    syntax error.
    """
    return _load_shapes(shapes).graph


def _load_shapes(shapes: str | Path | None) -> _Shapes:
    start = _shape_files(shapes)
    key = tuple((str(p.resolve()), p.stat().st_mtime_ns, p.stat().st_size) for p in start)
    cached = _SHAPES_CACHE.get(key)
    if cached is not None:
        return cached
    graph = rdflib.Graph()
    loaded: list[str] = []
    todo = [p.resolve() for p in start]
    seen: set[Path] = set()
    with _quiet_rdflib():
        while todo:
            path = todo.pop(0)
            if path in seen:
                continue
            seen.add(path)
            quads = _parse_shapes_file(path)
            _add(graph, quads)
            loaded.append(str(path))
            for q in quads:
                if q.predicate.value == _OWL_IMPORTS and q.object.value.startswith("file:"):
                    target = Path(_file_path(q.object.value))
                    if not target.is_file():
                        raise ShapesError(f"{path}: imports {target}, which does not exist")
                    todo.append(target)
    info = _shape_info(graph)
    if not info:
        raise ShapesError(f"{', '.join(map(str, start))}: no SHACL shapes found")
    result = _Shapes(graph, info, tuple(loaded))
    _SHAPES_CACHE.clear()  # keep one shapes graph: a long-lived process changes shapes rarely
    _SHAPES_CACHE[key] = result
    return result


def _file_path(uri: str) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(uri).path)


_CROSS_RECORD = rdflib.URIRef(SHAPES_NS + "crossRecord")


def _english(graph: rdflib.Graph, node: Any, predicate: Any) -> str | None:
    values = [o for o in graph.objects(node, predicate) if isinstance(o, rdflib.Literal)]
    if not values:
        return None
    values.sort(key=lambda o: (o.language not in (None, "en"), str(o)))
    return str(values[0])


def _shape_info(graph: rdflib.Graph) -> dict[str, ShapeInfo]:
    shapes: set[Any] = set(graph.subjects(_RDF.type, _SH.NodeShape))
    shapes |= set(graph.subjects(_RDF.type, _SH.PropertyShape))
    shapes |= set(graph.objects(None, _SH.property))
    shapes |= set(graph.subjects(_SH.path, None))
    out: dict[str, ShapeInfo] = {}
    for node in shapes:
        if not isinstance(node, rdflib.URIRef):
            continue
        severity = graph.value(node, _SH.severity)
        sid = compact(str(node))
        out[sid] = ShapeInfo(
            id=sid,
            iri=str(node),
            field=_english(graph, node, _SH.name),
            label=_english(graph, node, _RDFS.label),
            description=_english(graph, node, _SH.description)
            or _english(graph, node, _RDFS.comment),
            message=_english(graph, node, _SH.message),
            severity=Severity.from_iri(str(severity)) if severity else Severity.VIOLATION,
            cross_record=bool(graph.value(node, _CROSS_RECORD)),
        )
    return dict(sorted(out.items()))


_PSEUDO_SHAPES = {
    LOAD_SHAPE: ShapeInfo(
        LOAD_SHAPE,
        "",
        None,
        "Record file",
        "A record that cannot be read or checked (YAML/CSV/JSON syntax, "
        "unknown fields, values that do not parse).",
    ),
    SYNTAX_SHAPE: ShapeInfo(
        SYNTAX_SHAPE,
        "",
        None,
        "RDF syntax",
        "An RDF file (Turtle, N-Triples, JSON-LD) that does not parse.",
    ),
    EMPTY_SHAPE: ShapeInfo(
        EMPTY_SHAPE,
        "",
        None,
        "No records",
        "The sources hold no records.",
        severity=Severity.WARNING,
    ),
}


# --------------------------------------------------------------------------- SPARQL


_PREPARED: dict[tuple[str, str | None, tuple[tuple[str, str], ...]], Any] = {}


@contextlib.contextmanager
def _prepared_sparql() -> Iterator[None]:
    """Parse each SHACL-SPARQL query once per run, not once per focus node.

    pySHACL hands rdflib the same query text for every focus node (``$this`` goes
    in as an initial binding); parsing it is ~100 ms, evaluating it ~1 ms. The
    prepared queries are kept for the process (they depend on the text only).
    """
    from rdflib.plugins.sparql import processor as _processor

    original = _processor.SPARQLProcessor.query
    cache = _PREPARED

    def query(
        self: Any,
        strOrQuery: Any,
        initBindings: Any = None,
        initNs: Any = None,
        base: str | None = None,
        DEBUG: bool = False,
    ) -> Any:
        if isinstance(strOrQuery, str):
            key = (strOrQuery, base, tuple(sorted((k, str(v)) for k, v in (initNs or {}).items())))
            prepared = cache.get(key)
            if prepared is None:
                prepared = cache[key] = _processor.translateQuery(
                    _processor.parseQuery(strOrQuery), base, initNs
                )
            strOrQuery = prepared
        return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

    _processor.SPARQLProcessor.query = query  # type: ignore[method-assign]
    try:
        yield
    finally:
        _processor.SPARQLProcessor.query = original  # type: ignore[method-assign]


# --------------------------------------------------------------------------- RDF sources


_RDF_FORMATS = {
    ".ttl": pyoxigraph.RdfFormat.TURTLE,
    ".nt": pyoxigraph.RdfFormat.N_TRIPLES,
    ".jsonld": pyoxigraph.RdfFormat.JSON_LD,
    ".nq": pyoxigraph.RdfFormat.N_QUADS,
    ".trig": pyoxigraph.RdfFormat.TRIG,
    ".rdf": pyoxigraph.RdfFormat.RDF_XML,
}
_FORMAT_NAMES = {
    ".ttl": "Turtle",
    ".nt": "N-Triples",
    ".jsonld": "JSON-LD",
    ".nq": "N-Quads",
    ".trig": "TriG",
    ".rdf": "RDF/XML",
}


def _inline_context(data: bytes) -> bytes:
    """Replace our versioned context IRI by the context itself (no network).

    Documents that do not reference it are left as they are, so that parser
    errors keep pointing at the file's own lines.
    """
    if CONTEXT_IRI.encode() not in data:
        return data
    from .serialize import jsonld_context

    context = jsonld_context()
    inline = context.get("@context", context)

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (ctx(v) if k == "@context" else fix(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    def ctx(value: Any) -> Any:
        if value == CONTEXT_IRI:
            return inline
        if isinstance(value, list):
            return [ctx(v) for v in value]
        return value

    return json.dumps(fix(json.loads(data))).encode()


class _RdfSource:
    """An RDF file: its triples, or the syntax error that stopped them; lines on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.triples: list[Any] = []
        self.subjects: set[str] = set()
        self.error: ValidationResult | None = None
        self._text: str | None = None
        self._prefixes: dict[str, str] | None = None
        name = _FORMAT_NAMES.get(path.suffix.lower(), "RDF")
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.error = ValidationResult(
                Severity.VIOLATION,
                f"cannot read the file ({exc.strerror})",
                file=str(path),
                source="syntax",
                shape=SYNTAX_SHAPE,
            )
            return
        fmt = _RDF_FORMATS.get(path.suffix.lower(), pyoxigraph.RdfFormat.TURTLE)
        try:
            if fmt == pyoxigraph.RdfFormat.JSON_LD:
                data = _inline_context(data)
            self.triples = [
                q.triple
                for q in pyoxigraph.parse(data, format=fmt, base_iri=path.resolve().as_uri())
            ]
        except json.JSONDecodeError as exc:
            self._fail(f"malformed JSON-LD: {exc.msg}", exc.lineno, exc.colno)
        except SyntaxError as exc:
            if "LoadDocumentCallback" in (exc.msg or ""):
                exc.msg = (
                    "it uses a remote @context, which csec-ld does not fetch: "
                    "inline the context, or give the file as Turtle or N-Triples"
                )
            msg = re.sub(
                r"^Parser error (at|between) line \d+ column \d+( and line \d+ column \d+)?: ",
                "",
                exc.msg or str(exc),
            )
            self._fail(f"malformed {name}: {msg}", exc.lineno, exc.offset)
        except (ValueError, UnicodeDecodeError) as exc:
            self._fail(f"malformed {name}: {exc}", None, None)

    def _fail(self, message: str, line: int | None, column: int | None) -> None:
        self.triples = []
        where = f" (line {line}, column {column})" if line and column else ""
        self.error = ValidationResult(
            Severity.VIOLATION,
            message + where,
            file=str(self.path),
            line=line,
            column=column,
            source="syntax",
            shape=SYNTAX_SHAPE,
        )

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.path.read_text(encoding="utf-8", errors="replace")
        return self._text

    def _spellings(self, iri: str) -> list[str]:
        if self._prefixes is None:
            self._prefixes = dict(
                re.findall(r"(?im)^\s*@?prefix\s+([A-Za-z][\w.-]*|):\s*<([^>]*)>", self.text)
            )
        out = [f"<{iri}>"]
        for prefix, ns in self._prefixes.items():
            if ns and iri.startswith(ns) and iri != ns:
                out.append(f"{prefix}:{iri[len(ns) :]}")
        return out

    def line_of(self, subject: str, predicate: str | None) -> int | None:
        """The line where *subject* is described (and *predicate* given), best effort."""
        lines = self.text.splitlines()
        if self.path.suffix.lower() == ".jsonld":
            for n, text in enumerate(lines, start=1):
                if re.search(r'"@id"\s*:\s*"' + re.escape(subject) + '"', text):
                    return n
            return None
        subj = [
            re.compile(r"^\s*" + re.escape(s) + r"(?=[\s;,.]|$)") for s in self._spellings(subject)
        ]
        start = next((n for n, text in enumerate(lines) if any(p.search(text) for p in subj)), None)
        if start is None:
            return None
        if predicate is None:
            return start + 1
        preds = [
            re.compile(r"(^|\s)" + re.escape(s) + r"(?=\s)") for s in self._spellings(predicate)
        ]
        if predicate == RDF + "type":
            preds.append(re.compile(r"(^|\s)a(?=\s)"))
        for n in range(start, len(lines)):
            text = lines[n]
            starts_subject = text[:1] not in ("", " ", "\t", "#")
            if n > start and starts_subject and not any(p.match(text) for p in subj):
                break  # the next subject's description
            body = text
            if n == start:
                for p in subj:
                    body = p.sub("", body, count=1)
            if any(p.search(body) for p in preds):
                return n + 1
        return start + 1


# --------------------------------------------------------------------------- locating


@dataclass
class _Locator:
    """Where the nodes of the data graph came from."""

    records: dict[str, Record] = dataclasses.field(default_factory=dict)
    rdf: list[_RdfSource] = dataclasses.field(default_factory=list)
    extra: dict[str, tuple[str, int | None]] = dataclasses.field(
        default_factory=dict
    )  # node -> (file, line)

    def locate(
        self, focus: str, path: str | None, field_name: str | None
    ) -> tuple[str | None, int | None]:
        record = self.records.get(focus)
        if record is not None:
            line = record.line_of(field_name) if field_name else record.location.line
            return record.location.path, line
        for source in self.rdf:
            if focus in source.subjects:
                return str(source.path), source.line_of(focus, path)
        return self.extra.get(focus, (None, None))


def _line_in(path: Path, pattern: str) -> int | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    m = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _support_locations(catalogue: Any, locator: _Locator) -> None:
    """Files (and lines) for the catalogue node, agents and concepts, for results on them."""
    from .resources import ontology_dir

    cat = catalogue.catalog
    if cat.location is not None:
        locator.extra[cat.iri] = (cat.location.path, cat.location.line)
    registry_path = Path(cat.location.path).parent / "agents.yaml" if cat.location else None
    if registry_path is not None and registry_path.is_file():
        for agent in catalogue.registry:
            line = _line_in(
                registry_path, r"^\s*-?\s*id:\s*['\"]?" + re.escape(agent.id) + r"['\"]?\s*$"
            )
            locator.extra[agent.iri] = (str(registry_path), line)
    for concept in (*catalogue.vocab.types, *catalogue.vocab.topics):
        local = concept.iri.rsplit("/", 1)[-1]
        for ttl in sorted(ontology_dir().glob("*.ttl")):
            line = _line_in(
                ttl, r"^(\S*:" + re.escape(local) + r"|<" + re.escape(concept.iri) + r">)\s*$"
            )
            if line:
                locator.extra[concept.iri] = (str(ttl), line)
                break


# --------------------------------------------------------------------------- validate


def _load_result(err: RecordError) -> ValidationResult:
    return ValidationResult(
        Severity.VIOLATION,
        err.message,
        file=err.path,
        line=err.line,
        record=err.record,
        field=err.field,
        value=None if err.value is None else str(err.value),
        shape=LOAD_SHAPE,
        source="load",
    )


def _record_targets(graph: rdflib.Graph) -> set[str]:
    """The nodes csh:RecordShape targets (counted as records for RDF sources)."""
    out: set[str] = set()
    for p in (DCTERMS + "hasPart", SCHEMA + "hasPart"):
        out.update(str(o) for o in graph.objects(None, rdflib.URIRef(p)))
    for p in (
        DCTERMS + "issued",
        SCHEMA + "datePublished",
        DCTERMS + "type",
        SCHEMA + "additionalType",
    ):
        out.update(str(s) for s in graph.subjects(rdflib.URIRef(p), None))
    return out


def _record_id(focus: str) -> str | None:
    if "/resource/" in focus:
        return focus.rsplit("/resource/", 1)[1] or None
    return None


def validate(
    sources: Sequence[str | Path] = ("data",),
    *,
    shapes: str | Path | None = None,
    base: str | None = None,
    max_per_shape: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    workers: int | None = None,
    engine: str = "fast",
    on_progress: Callable[[int], None] | None = None,
) -> ValidationReport:
    """Validate the records and RDF files of *sources* against the SHACL shapes.

    *sources* are record files (YAML, CSV, JSON, JSON Lines), RDF files (Turtle,
    N-Triples, JSON-LD) or folders of them. *shapes* is a shapes file or folder
    (default: the shipped ``shapes/``). *max_per_shape* keeps at most that many
    results per shape; the report counts what it left out.

    Catalogues of more than *chunk_size* records are validated a chunk at a time
    (memory stays flat), in *workers* processes (default: one per core, up to the
    number of chunks); the cross-record rules then run once more over the records
    that collide across chunks. The results are the same as in one run.

    *engine* ``"fast"`` (default) runs the shapes compiled by :mod:`csec_ld.fastshacl`
    (pySHACL for what it cannot compile); ``"pyshacl"`` runs pySHACL on everything,
    the reference. Both give the same results. *on_progress* is called with the
    number of records read, as they are.

    Raises :class:`~csec_ld.errors.SourceNotFoundError` for a missing source and
    :class:`~csec_ld.errors.ShapesError` for shapes that cannot be read; every
    problem in the sources is a result in the returned report.

    >>> validate(["data"]).conforms
    True
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown validation engine {engine!r} (known: {', '.join(ENGINES)})")
    loaded_shapes = _load_shapes(shapes)
    if isinstance(sources, (str, Path)):
        sources = [sources]  # one path, not a sequence of characters
    sources = list(sources) or ["data"]
    files = discover(sources, rdf=True)
    rdf_files = [p for p in files if p.suffix.lower() in RDF_SUFFIXES]
    record_sources = [
        s for s in sources if not (Path(s).is_file() and Path(s).suffix.lower() in RDF_SUFFIXES)
    ]
    report = ValidationReport(
        files=[str(p) for p in files], shapes_source=str(shapes or shapes_dir())
    )
    report.shapes = {**_PSEUDO_SHAPES, **loaded_shapes.info}
    results: list[ValidationResult] = []
    locator = _Locator()
    data: list[Any] = []  # pyoxigraph triples (an rdflib Graph costs ~1 KB per triple)
    runner = _Runner(shapes, loaded_shapes, workers, engine)

    with _quiet_rdflib(), runner:
        record_files = [p for p in files if p.suffix.lower() not in RDF_SUFFIXES]
        if record_sources and record_files and engine == "fast" and not rdf_files:
            _stream_records(
                record_sources, base, shapes, results, report, workers, chunk_size, on_progress
            )
        elif record_sources and record_files:
            _map_records(
                record_sources,
                base,
                data,
                locator,
                results,
                report,
                runner,
                max(1, chunk_size),
                on_progress,
            )
        for path in rdf_files:
            source = _RdfSource(path)
            if source.error is not None:
                results.append(source.error)
                continue
            source.subjects = {t.subject.value for t in source.triples}
            targets = sorted(record_focus_nodes(source.triples))
            report.records += len(targets)
            report.checked.extend((_relative(str(path)), _record_id(t) or t) for t in targets)
            data.extend(source.triples)
            locator.rdf.append(source)

        if not files:
            results.append(
                ValidationResult(
                    Severity.WARNING,
                    "no record or RDF files in the sources",
                    file=", ".join(str(s) for s in sources),
                    shape=EMPTY_SHAPE,
                    source="load",
                )
            )
        if data:
            runner.submit(_to_ntriples(data), keep=None)
        results.extend(_result(raw, loaded_shapes, locator) for raw in runner.results())

    results = sorted({_tidy(r, locator) for r in results}, key=ValidationResult.sort_key)
    if max_per_shape is not None:
        kept: list[ValidationResult] = []
        seen: Counter[str] = Counter()
        for r in results:
            key = r.shape or ""
            seen[key] += 1
            if seen[key] <= max_per_shape:
                kept.append(r)
            else:
                report.omitted[key] = report.omitted.get(key, 0) + 1
        results = kept
    report.results = results
    return report


_RECORD_IRI = re.compile(r"\S+/resource/[a-z0-9]+(?:-[a-z0-9]+)*")


def _relative(path: str) -> str:
    """*path* relative to the working folder when it is inside it (as given otherwise)."""
    return _relative_to(path, os.getcwd())


@functools.lru_cache(maxsize=1024)
def _relative_to(path: str, cwd: str) -> str:  # every record of a file asks for its path
    p = Path(path)
    if not p.is_absolute():
        return path
    try:
        return p.relative_to(cwd).as_posix()
    except ValueError:
        return path


def _tidy(result: ValidationResult, locator: _Locator) -> ValidationResult:
    """Paths relative to the working folder; other records named by id and place, not IRI."""
    changes: dict[str, Any] = {}
    if result.file and _relative(result.file) != result.file:
        changes["file"] = _relative(result.file)

    def name(m: re.Match[str]) -> str:
        record = locator.records.get(m.group(0))
        if record is None:
            return m.group(0)
        where = _relative(record.location.path)
        return (
            f"{record.id} ({where}:{record.location.line})"
            if record.location.line
            else f"{record.id} ({where})"
        )

    message = _RECORD_IRI.sub(name, result.message)
    if message != result.message:
        changes["message"] = message
    return dataclasses.replace(result, **changes) if changes else result


def _stream_records(
    sources: Sequence[str | Path],
    base: str | None,
    shapes: str | Path | None,
    results: list[ValidationResult],
    report: ValidationReport,
    workers: int | None,
    chunk_size: int,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Validate records on the build's pipeline: read, mapped and checked a chunk at a
    time by one worker per core (memory holds a few chunks and the results), with
    the cross-record rules run over the records that collide across chunks, and the
    catalogue's own nodes checked last — the results of one run on the whole graph.
    """
    from .mapping import Mapper
    from .pipeline import PipelineSpec, run_chunks

    try:
        catalogue = open_catalog(sources, base=base)
    except DataError as exc:
        results.extend(_load_result(e) for e in exc.errors)
        return
    stream = StreamValidation(ChunkChecker(shapes, threshold="info"))
    spec = PipelineSpec(
        tuple(str(s) for s in sources),
        base,
        None,
        (),
        validate=True,
        shapes=None if shapes is None else str(shapes),
        threshold="info",
    )
    mapper = Mapper(catalogue)
    records = 0
    for chunk in run_chunks(catalogue, spec, workers=workers, chunk_size=chunk_size):
        stream.add(chunk.validation, skip=chunk.duplicates)
        chunk.merge_into(mapper)
        for rid, path, _line, _active in chunk.kept():
            records += 1
            report.checked.append((_relative(path), rid))
        if on_progress:
            on_progress(chunk.records)
    for block in mapper.support(stream_parts=True):
        stream.add_support(block)
    results.extend(_load_result(e) for e in catalogue.errors)
    results.extend(stream.finish(catalogue))
    failed = sorted({(_relative(e.path or ""), e.record) for e in catalogue.errors if e.record})
    report.records += records + len(failed)
    report.checked.extend((path, rid) for path, rid in failed if rid)


def _map_records(
    sources: Sequence[str | Path],
    base: str | None,
    data: list[Any],
    locator: _Locator,
    results: list[ValidationResult],
    report: ValidationReport,
    runner: _Runner,
    chunk_size: int,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Map the records; small catalogues go into *data*, large ones to *runner* in chunks."""
    from .mapping import Mapper

    try:
        catalogue = open_catalog(sources, base=base)
    except DataError as exc:
        results.extend(_load_result(e) for e in exc.errors)
        return
    base_iri = catalogue.catalog.base
    mapper = Mapper(catalogue)
    chunk: list[Any] = []
    in_chunk = 0
    chunked = False
    collisions = _Collisions()
    # Unlike a build, keep going past records that fail to load: the others are
    # still checked, so one run reports every problem.
    for record in catalogue.records():
        iri = base_iri + "resource/" + record.id
        triples = mapper.record(record)
        chunk.extend(triples)
        if runner.engine == "pyshacl":
            collisions.add(iri, triples)
        in_chunk += 1
        locator.records[iri] = record
        report.checked.append((_relative(record.location.path), record.id))
        if in_chunk >= chunk_size:
            runner.submit(_to_ntriples(chunk), keep=_CHUNK)
            if on_progress:
                on_progress(in_chunk)
            chunk, in_chunk, chunked = [], 0, True
    if on_progress and in_chunk:
        on_progress(in_chunk)
    support = [t for block in mapper.support() for t in block]
    if not chunked:
        data.extend(chunk)
        data.extend(support)
    else:
        if chunk:
            runner.submit(_to_ntriples(chunk), keep=_CHUNK)
        # The catalogue and the nodes around the records, with one of its parts only:
        # a part is enough to find the catalogue, and the records were checked above.
        has_part = {DCTERMS + "hasPart", SCHEMA + "hasPart"}
        first: set[str] = set()
        trimmed = []
        for t in support:
            if t.predicate.value in has_part:
                if t.predicate.value in first:
                    continue
                first.add(t.predicate.value)
            trimmed.append(t)
        runner.submit(_to_ntriples(trimmed), keep=_NOT_RECORDS)
        if runner.engine == "pyshacl":  # the fast engine keys collisions in its chunks
            cross = collisions.triples()
            if cross:
                runner.submit(_to_ntriples(cross), keep=_CROSS)
    results.extend(_load_result(e) for e in catalogue.errors)
    failed = sorted({(_relative(e.path or ""), e.record) for e in catalogue.errors if e.record})
    report.records += catalogue.count + len(failed)
    report.checked.extend((path, rid) for path, rid in failed if rid)
    _support_locations(catalogue, locator)


class _Collisions:
    """Identifiers, and title + issued pairs, given by more than one record.

    Only these records need the cross-record rules run over the whole catalogue.
    """

    def __init__(self) -> None:
        self.identifiers: dict[Any, list[str]] = {}
        self.title_issued: dict[tuple[Any, Any], list[str]] = {}

    def add(self, iri: str, triples: Iterable[Any]) -> None:
        titles, issued = [], None
        for t in triples:
            p = t.predicate.value
            if p == _DCT_IDENTIFIER:
                self.identifiers.setdefault(t.object, []).append(iri)
            elif p == _DCT_TITLE:
                titles.append(t.object)
            elif p == _DCT_ISSUED:
                issued = t.object
        for title in titles:
            self.title_issued.setdefault((title, issued), []).append(iri)

    def triples(self) -> list[Any]:
        out = []
        for literal, iris in self.identifiers.items():
            if len(iris) > 1:
                out += [
                    pyoxigraph.Triple(pyoxigraph.NamedNode(i), _P_IDENTIFIER, literal) for i in iris
                ]
        for (title, issued), iris in self.title_issued.items():
            if len(iris) > 1 and issued is not None:
                for i in iris:
                    node = pyoxigraph.NamedNode(i)
                    out.append(pyoxigraph.Triple(node, _P_TITLE, title))
                    out.append(pyoxigraph.Triple(node, _P_ISSUED, issued))
        return out


_DCT_IDENTIFIER = DCTERMS + "identifier"
_DCT_TITLE = DCTERMS + "title"
_DCT_ISSUED = DCTERMS + "issued"
_P_IDENTIFIER = pyoxigraph.NamedNode(_DCT_IDENTIFIER)
_P_TITLE = pyoxigraph.NamedNode(_DCT_TITLE)
_P_ISSUED = pyoxigraph.NamedNode(_DCT_ISSUED)

# Which results of a run to keep: all, a chunk's (not the cross-record rules, which
# run again on the collisions), the catalogue's and its agents' and concepts', or
# only the cross-record rules.
_CHUNK, _NOT_RECORDS, _CROSS = "chunk", "not-records", "cross"


def _to_ntriples(triples: Iterable[Any] | rdflib.Graph) -> bytes:
    if isinstance(triples, rdflib.Graph):
        return triples.serialize(format="nt", encoding="utf-8")
    return pyoxigraph.serialize(list(triples), format=pyoxigraph.RdfFormat.N_TRIPLES) or b""


@dataclass(frozen=True)
class _Raw:
    """One SHACL result as plain strings (it crosses process boundaries)."""

    focus: str
    path: str | None
    value: str | None
    term: str | None
    severity: str | None
    shape: str | None  # IRI, or None for an anonymous shape
    component: str | None
    message: str | None


def _shacl_run(shapes_arg: str | None, ntriples: bytes, keep: str | None) -> list[_Raw]:
    """Run pySHACL on one graph (N-Triples) and return the results worth keeping."""
    import pyshacl

    shapes = _load_shapes(shapes_arg)
    data = rdflib.Graph()
    with _quiet_rdflib():
        _add(
            data,
            (q.triple for q in pyoxigraph.parse(ntriples, format=pyoxigraph.RdfFormat.N_TRIPLES)),
        )
        try:
            with _prepared_sparql():
                _conforms, graph, _text = pyshacl.validate(
                    data,
                    shacl_graph=shapes.graph,
                    advanced=True,
                    allow_warnings=True,
                    allow_infos=True,
                    inference="none",
                )
        except Exception as exc:  # pySHACL raises many kinds for shapes it cannot use
            raise ShapesError(f"the shapes cannot be used: {exc}") from exc
    records = _record_targets(data) if keep in (_CHUNK, _NOT_RECORDS) else set()
    out = []
    for node in graph.subjects(_RDF.type, _SH.ValidationResult):
        raw = _raw(graph, node)
        info = shapes.info.get(compact(raw.shape)) if raw.shape else None
        cross = bool(info and info.cross_record)
        if keep == _CHUNK and cross:
            continue
        if keep == _NOT_RECORDS and raw.focus in records:
            continue
        if keep == _CROSS and not cross:
            continue
        out.append(raw)
    return out


def _raw(graph: rdflib.Graph, node: Any) -> _Raw:
    def one(p: Any) -> Any:
        return graph.value(node, p)

    focus, path, value, shape = (
        one(p) for p in (_SH.focusNode, _SH.resultPath, _SH.value, _SH.sourceShape)
    )
    messages = [m for m in graph.objects(node, _SH.resultMessage) if isinstance(m, rdflib.Literal)]
    messages.sort(key=lambda m: (m.language not in (None, "en"), str(m)))
    severity, component = one(_SH.resultSeverity), one(_SH.sourceConstraintComponent)
    return _Raw(
        focus=str(focus) if focus is not None else "",
        path=str(path) if isinstance(path, rdflib.URIRef) else None,
        value=None if value is None else str(value),
        term=None if value is None else _nt(value),
        severity=None if severity is None else str(severity),
        shape=str(shape) if isinstance(shape, rdflib.URIRef) else None,
        component=None if component is None else str(component),
        message=str(messages[0]) if messages else None,
    )


@dataclass
class _FastOut:
    """What the fast engine gives for one graph: results, and cross-record keys."""

    raws: list[_Raw]
    entries: list[Any]  # fastshacl.CrossEntry
    keys: list[list[int]]
    ntriples: bytes = b""  # the entries' triples that the cross-record rules read


def _fast_run(shapes_arg: str | None, ntriples: bytes, keep: str | None) -> _FastOut:
    """The compiled shapes on one graph (N-Triples); pySHACL for the shapes not compiled."""
    triples = [q.triple for q in pyoxigraph.parse(ntriples, format=pyoxigraph.RdfFormat.N_TRIPLES)]
    return _fast_check(shapes_arg, triples, keep)


def _fast_check(
    shapes_arg: str | None,
    triples: list[Any],
    keep: str | None,
    info: Any = None,
    min_rank: int = 0,
) -> _FastOut:
    """The compiled shapes on *triples*; pySHACL for the shapes not compiled.

    For a chunk of records (``keep == "chunk"``), the cross-record rules run on the
    chunk too, and their keys come back for :class:`~csec_ld.fastshacl.CrossIndex`
    (with ``info(iri)`` for each record in them). *min_rank* 3 skips the shapes of
    warnings and infos.
    """
    from .fastshacl import compile_shapes

    shapes = _load_shapes(shapes_arg)
    compiled = compile_shapes(shapes.graph)
    if compiled.everything_falls_back:
        return _FastOut(_shacl_run(shapes_arg, _to_ntriples(triples), keep), [], [])
    skip = record_focus_nodes(triples) if keep == _NOT_RECORDS else None
    cross_focus: dict[str, set[int]] | None = {} if keep == _CHUNK else None
    raws = compiled.check(triples, skip_focus=skip, cross_focus=cross_focus, min_rank=min_rank)
    out = _FastOut(raws, [], [])
    if cross_focus:
        out.entries, out.keys, out.ntriples = compiled.cross_entries(cross_focus, info)
    if compiled.fallback:
        slow = set(compiled.fallback)
        raws += [
            r
            for r in _shacl_run(shapes_arg, _to_ntriples(triples), keep)
            if r.shape in slow and Severity.from_iri(r.severity or "").rank >= min_rank
        ]
    return out


def record_focus_nodes(triples: Iterable[Any]) -> set[str]:
    """The IRIs csh:RecordShape targets among *triples* (pyoxigraph), as ``_record_targets``."""
    objects_of = {DCTERMS + "hasPart", SCHEMA + "hasPart"}
    subjects_of = {
        DCTERMS + "issued",
        SCHEMA + "datePublished",
        DCTERMS + "type",
        SCHEMA + "additionalType",
    }
    out: set[str] = set()
    for t in triples:
        p = t.predicate.value
        if p in objects_of:
            out.add(t.object.value)
        elif p in subjects_of:
            out.add(t.subject.value)
    return out


class _Runner:
    """Runs an engine on graphs, here or in worker processes, and gathers the results."""

    def __init__(
        self,
        shapes_arg: str | Path | None,
        shapes: _Shapes,
        workers: int | None,
        engine: str = "fast",
    ):
        self.shapes_arg = None if shapes_arg is None else str(shapes_arg)
        self.shapes = shapes
        self.workers = workers
        self.engine = engine
        self.pool: Any = None
        self.pending: list[Any] = []
        self.done: list[_Raw] = []
        self.cross: Any = None  # fastshacl.CrossIndex, for chunked runs of the fast engine

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
        if self.cross is not None:
            self.cross.close()

    def submit(self, ntriples: bytes, keep: str | None) -> None:
        run = _fast_run if self.engine == "fast" else _shacl_run
        if keep == _CHUNK and self.workers != 1:
            if self.pool is None:
                import multiprocessing
                import os
                from concurrent.futures import ProcessPoolExecutor

                n = self.workers or max(1, min(os.cpu_count() or 1, 8))
                if n > 1:
                    self.pool = ProcessPoolExecutor(
                        n, mp_context=multiprocessing.get_context("fork")
                    )
            if self.pool is not None:
                self.pending.append(self.pool.submit(run, self.shapes_arg, ntriples, keep))
                return
        self._gather(run(self.shapes_arg, ntriples, keep))

    def _gather(self, out: list[_Raw] | _FastOut) -> None:
        if isinstance(out, _FastOut):
            self.done.extend(out.raws)
            if out.entries:
                if self.cross is None:
                    from .fastshacl import CrossIndex

                    self.cross = CrossIndex()
                self.cross.add(out.entries, out.keys, out.ntriples)
        else:
            self.done.extend(out)

    def results(self) -> list[_Raw]:
        for future in self.pending:
            self._gather(future.result())
        self.pending = []
        if self.cross is not None:
            from .fastshacl import compile_shapes

            raws, _entries = self.cross.check(compile_shapes(self.shapes.graph))
            self.done.extend(raws)
            self.cross.close()
            self.cross = None
        return self.done


def _result(raw: _Raw, shapes: _Shapes, locator: _Locator) -> ValidationResult:
    focus_s, path_s = raw.focus, raw.path
    if raw.shape is not None:
        shape_id = compact(raw.shape)
    else:  # an anonymous shape (user shapes): name it by its path and component
        shape_id = f"[{compact(path_s) if path_s else 'node'} {compact(str(raw.component))}]"
    info = shapes.info.get(shape_id)
    is_record = focus_s in locator.records or _record_id(focus_s) is not None
    field_name = field_for_path(path_s) if (is_record and path_s) else None
    if field_name is None:
        field_name = (info.field if info else None) or (compact(path_s) if path_s else None)
    if field_name is None and is_record:
        field_name = "id"
    file, line = locator.locate(focus_s, path_s, field_name)
    record = locator.records.get(focus_s)
    value = raw.value
    return ValidationResult(
        severity=Severity.from_iri(raw.severity) if raw.severity else Severity.VIOLATION,
        message=raw.message or "does not conform",
        file=file,
        line=line,
        record=record.id if record else _record_id(focus_s),
        field=field_name,
        value=_sample(value) if value is not None else None,
        shape=shape_id,
        component=compact(raw.component) if raw.component is not None else None,
        focus=focus_s or None,
        path=compact(path_s) if path_s else None,
        source="shacl",
        term=raw.term if value is not None and len(value) <= _SAMPLE else None,
    )


# --------------------------------------------------------------------------- in the build


@dataclass(frozen=True)
class _RecordRef:
    """What results need of a record checked in another process: id, place, field lines."""

    id: str
    location: Any  # records.Location
    field_lines: tuple[tuple[str, int], ...] = ()

    def line_of(self, field_name: str) -> int | None:
        for name, line in self.field_lines:
            if name == field_name:
                return line
        return self.location.line


@dataclass
class ChunkValidation:
    """One chunk's validation, done where it was mapped: results, cross-record keys."""

    results: list[ValidationResult]
    #: The cross-record entries (fastshacl.CrossEntry) and the triples of theirs that the
    #: rules read, pickled by the worker (:meth:`CrossIndex.pack`): the main process
    #: files them away as they are, without unpickling and pickling them again.
    packed: bytes
    keys: list[list[int]]  # per entry
    owners: list[int]  # per result: the number of its record in the chunk (-1: none)
    entry_owners: list[int]  # per entry: the number of its record in the chunk


class ChunkChecker:
    """Checks chunks of mapped records against the shapes (in the pipeline's workers).

    The fast engine's single pass for ``build``: each chunk is checked right after it
    is mapped; :class:`StreamValidation` then gathers the chunks' results, runs the
    cross-record rules over the records that collide, and checks the catalogue's own
    nodes — the results of :func:`validate` on the same sources.
    """

    def __init__(self, shapes: str | Path | None = None, threshold: str = "violation") -> None:
        from .fastshacl import compile_shapes

        self.shapes_arg = None if shapes is None else str(shapes)
        self.shapes = _load_shapes(shapes)
        self.compiled = compile_shapes(self.shapes.graph)
        self.level = Severity(threshold).rank
        self.cross_fields = {
            (field_for_path(s.path) if s.path else None)
            or (self.shapes.info[compact(s.iri)].field if s.iri else None)
            or "id"
            for s, _ in self.compiled.cross
        }

    def check(self, records: Sequence[tuple[Record, str, list[Any], int]]) -> ChunkValidation:
        """Results at or above the threshold for *records*: (record, IRI, triples, number)
        each, the number telling the caller which record a result is about."""
        locator = _Locator()
        triples: list[Any] = []
        numbers: dict[str, int] = {}
        for record, iri, record_triples, number in records:
            locator.records[iri] = record
            numbers[iri] = number
            triples.extend(record_triples)

        def info(iri: str) -> _RecordRef | None:
            record = locator.records.get(iri)
            if record is None:
                return None
            lines = tuple((f, ln) for f, ln in record.field_lines if f in self.cross_fields)
            return _RecordRef(record.id, record.location, lines)

        with _quiet_rdflib():
            out = _fast_check(self.shapes_arg, triples, _CHUNK, info, self.level)
        results, owners = [], []
        for raw in out.raws:
            r = _result(raw, self.shapes, locator)
            if r.severity.rank >= self.level:
                results.append(_tidy(r, locator))
                owners.append(numbers.get(raw.focus, -1))
        from .fastshacl import CrossIndex

        entry_owners = [numbers[e.iri] for e in out.entries]
        packed = CrossIndex.pack(out.entries, out.ntriples)
        return ChunkValidation(results, packed, out.keys, owners, entry_owners)


class StreamValidation:
    """Gathers :class:`ChunkValidation` values in the main process; :meth:`finish` ends it."""

    def __init__(self, checker: ChunkChecker) -> None:
        from .fastshacl import CrossIndex

        self.checker = checker
        self.results: list[ValidationResult] = []
        self.cross = CrossIndex()
        self.support: list[Any] = []
        self._parts: set[str] = set()

    def add(self, chunk: ChunkValidation | None, skip: Iterable[int] = ()) -> None:
        """A chunk's validation, without what concerns its records numbered in *skip*
        (those that reuse an id: :func:`validate` does not map them either)."""
        if chunk is None:
            return
        skip = set(skip)
        if not skip:
            self.results.extend(chunk.results)
            self.cross.add_packed(chunk.packed, chunk.keys)
            return
        self.results.extend(
            r for r, n in zip(chunk.results, chunk.owners, strict=True) if n not in skip
        )
        from .fastshacl import CrossIndex

        kept = [i for i, n in enumerate(chunk.entry_owners) if n not in skip]
        entries, ntriples = CrossIndex.unpack(chunk.packed)
        self.cross.add([entries[i] for i in kept], [chunk.keys[i] for i in kept], ntriples)

    def add_support(self, block: Iterable[Any]) -> None:
        """A support block (agents, concepts, the catalogue), with one of its parts only."""
        if isinstance(block, Parts):
            block = block.head()
        for t in block:
            p = t.predicate.value
            if p in _HAS_PART:
                if p in self._parts:
                    continue  # a part is enough to find the catalogue; records were checked
                self._parts.add(p)
            self.support.append(t)

    def finish(self, catalogue: Any) -> list[ValidationResult]:
        """Every result at or above the threshold, located and sorted."""
        checker = self.checker
        try:
            locator = _Locator()
            raws, entries = self.cross.check(checker.compiled, checker.level)
            for e in entries:
                if e.info is not None:
                    locator.records[e.iri] = e.info
            results = list(self.results)
            with _quiet_rdflib():
                results += [_result(r, checker.shapes, locator) for r in raws]
                if self.support:
                    support = _fast_check(
                        checker.shapes_arg, self.support, _NOT_RECORDS, min_rank=checker.level
                    )
                    _support_locations(catalogue, locator)
                    results += [_result(r, checker.shapes, locator) for r in support.raws]
        finally:
            self.cross.close()
        kept = {_tidy(r, locator) for r in results if r.severity.rank >= checker.level}
        return sorted(kept, key=ValidationResult.sort_key)


_HAS_PART = frozenset({DCTERMS + "hasPart", SCHEMA + "hasPart"})


def load_results(errors: Iterable[RecordError]) -> list[ValidationResult]:
    """Record-loading problems as results (``source == "load"``)."""
    return [_load_result(e) for e in errors]
