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
The default engine, ``"fast"``, runs them compiled by :mod:`csec_ld.shacl`
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

RDF files (with the records of the sources, if any, mapped to a temporary N-Triples
file) are one graph, streamed through the compiled shapes in chunks of whole subjects
(:class:`_RdfStream`): N-Triples as its lines, other formats through pyoxigraph's
parser, never one rdflib graph. A dump our build wrote groups each subject's triples;
one that does not (a subject found again after its chunk was sent) is detected as it
streams, and the run starts over with every triple first written to one of a few
temporary files by a hash of its subject (each small enough to group in memory).
What crosses subjects is tracked here, small: the nodes a ``sh:targetObjectsOf`` target
points at in other chunks, ``rdfs:subClassOf`` edges, cross-record keys. Results point
at the file and line that describe their node (one pass per file at the end).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import os
import re
import tempfile
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

from .errors import CsecLdError, DataError, RecordError, ShapesError, UsageError
from .namespaces import CONTEXT_IRI, DCTERMS, PREFIXES, RDF, SCHEMA, XSD, compactor
from .records import FieldLines, Record, Salvage
from .resources import shapes_dir
from .serialize import READ_FORMATS, Parts
from .shacl.results import RawResult, nt_text, rdflib_term
from .sources import RDF_SUFFIXES, Catalogue, discover, open_catalog
from .tempfiles import deferred_signals

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


#: ``prefix:local`` for IRIs in :data:`REPORT_PREFIXES`, else the IRI
#: (:func:`~csec_ld.namespaces.compactor`: the writers' rule).
compact = compactor(REPORT_PREFIXES)


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


def _add(graph: rdflib.Graph, triples: Iterable[Any]) -> None:
    for t in triples:
        graph.add((rdflib_term(t.subject), rdflib_term(t.predicate), rdflib_term(t.object)))


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


_RDF_FORMATS = {suffix: f.rdf_format for suffix, f in READ_FORMATS.items()}
_FORMAT_NAMES = {suffix: f.label for suffix, f in READ_FORMATS.items()}
#: About how many bytes of N-Triples a byte of each format makes (to size partitions).
_NT_RATIO = {".nt": 1.0, ".nq": 1.0, ".ttl": 2.5, ".jsonld": 2.5}
_NT = pyoxigraph.RdfFormat.N_TRIPLES


class _ContextInliner:
    """A JSON-LD document read with our versioned context IRI replaced by the context.

    No network, and no whole document in memory: ``"@context": "<our IRI>"`` (or a
    list that starts with it) becomes the context itself, on the same line, as the
    bytes stream through, so parser errors keep pointing at the file's own lines.
    """

    _SPAN = 512  # longer than any match: a match cut by a read is found in the next one

    def __init__(self, raw: Any) -> None:
        from .serialize import jsonld_context

        context = jsonld_context()
        inline = json.dumps(context.get("@context", context), ensure_ascii=False)
        self._pattern = re.compile(
            rb'("@context"\s{0,64}:\s{0,64}(?:\[\s{0,64})?)"'
            + re.escape(CONTEXT_IRI.encode())
            + rb'"'
        )
        self._inline = inline.encode()
        self._raw = raw
        self._buffer = b""
        self._out = b""
        self._eof = False

    def read(self, size: int = -1) -> bytes:
        while not self._eof and (size < 0 or len(self._out) < size):
            block = self._raw.read(1 << 20)
            self._eof = not block
            self._buffer += block
            limit = len(self._buffer) if self._eof else len(self._buffer) - self._SPAN
            pieces, pos = [], 0
            for m in self._pattern.finditer(self._buffer):
                if m.start() >= limit:
                    break
                pieces += [self._buffer[pos : m.start()], m.group(1), self._inline]
                pos = m.end()
            cut = max(pos, limit, 0)
            pieces.append(self._buffer[pos:cut])
            self._out += b"".join(pieces)
            self._buffer = self._buffer[cut:]
        if size < 0:
            out, self._out = self._out, b""
        else:
            out, self._out = self._out[:size], self._out[size:]
        return out


class _RdfFile:
    """An RDF source file: its triples (whole, or streamed as N-Triples lines), the
    result for a file that does not parse, and the lines that results point at."""

    def __init__(self, path: Path, *, records: bool = False) -> None:
        self.path = path
        self.suffix = path.suffix.lower()
        self.format = _RDF_FORMATS.get(self.suffix, pyoxigraph.RdfFormat.TURTLE)
        self.name = _FORMAT_NAMES.get(self.suffix, "RDF")
        #: A temporary file of mapped records (their results are located by the records).
        self.records = records
        #: Read through the parser (else N-Triples: its lines as they are).
        self.parsed = self.format != _NT

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    @contextlib.contextmanager
    def _open(self) -> Iterator[Any]:
        with self.path.open("rb") as fh:
            yield _ContextInliner(fh) if self.format == pyoxigraph.RdfFormat.JSON_LD else fh

    def _parse(self, fh: Any) -> Iterator[Any]:
        base = self.path.resolve().as_uri()
        return (q.triple for q in pyoxigraph.parse(fh, format=self.format, base_iri=base))

    def triples(self) -> list[Any]:
        """Every triple (raises what :meth:`problem` turns into a result)."""
        with self._open() as fh:
            return list(self._parse(fh))

    def nt_lines(self) -> Iterator[bytes]:
        """The triples as N-Triples lines: an N-Triples file's own lines (checked by
        whoever parses them), or the parser's triples written as N-Triples."""
        with self._open() as fh:
            if not self.parsed:
                yield from fh
                return
            batch: list[Any] = []
            for t in self._parse(fh):
                batch.append(t)
                if len(batch) == 4096:
                    yield from _to_ntriples(batch).splitlines(keepends=True)
                    batch = []
            if batch:
                yield from _to_ntriples(batch).splitlines(keepends=True)

    def syntax_error(self) -> ValidationResult | None:
        """The result for this file if it does not parse (the whole file is read)."""
        try:
            with self._open() as fh:
                for _ in self._parse(fh):
                    pass
        except (OSError, SyntaxError, ValueError) as exc:
            return self.problem(exc)
        return None

    def problem(self, exc: BaseException) -> ValidationResult:
        """The result for an error reading or parsing this file."""
        if isinstance(exc, OSError) and not isinstance(exc, SyntaxError):
            return ValidationResult(
                Severity.VIOLATION,
                f"cannot read the file ({exc.strerror or exc})",
                file=str(self.path),
                source="syntax",
                shape=SYNTAX_SHAPE,
            )
        line = column = None
        if isinstance(exc, SyntaxError):
            if "LoadDocumentCallback" in (exc.msg or ""):
                exc.msg = (
                    "it uses a remote @context, which csec-ld does not fetch: "
                    "inline the context, or give the file as Turtle or N-Triples"
                )
            message = re.sub(
                r"^Parser error (at|between) line \d+ column \d+( and line \d+ column \d+)?: ",
                "",
                exc.msg or str(exc),
            )
            line, column = exc.lineno, exc.offset
        else:
            message = str(exc)
        where = f" (line {line}, column {column})" if line and column else ""
        return ValidationResult(
            Severity.VIOLATION,
            f"malformed {self.name}: {message}{where}",
            file=str(self.path),
            line=line,
            column=column,
            source="syntax",
            shape=SYNTAX_SHAPE,
        )

    # ----------------------------------------------------------------- lines

    def find_lines(self, wanted: dict[str, set[str | None]]) -> dict[tuple[str, str | None], int]:
        """The line of each (subject, predicate) of *wanted*: where the subject is
        described with that predicate, else where it is first described (best effort,
        one pass over the file, whatever its size)."""
        try:
            if self.suffix in (".nt", ".nq"):
                return self._nt_lines(wanted)
            if self.suffix == ".jsonld":
                return self._jsonld_lines(wanted)
            return self._turtle_lines(wanted)
        except OSError:
            return {}

    def _text(self) -> Any:
        return self.path.open(encoding="utf-8", errors="replace", newline=None)

    def _nt_lines(self, wanted: dict[str, set[str | None]]) -> dict[tuple[str, str | None], int]:
        tokens = {
            _subject_token(s): (s, {b"<" + p.encode() + b">": p for p in preds if p})
            for s, preds in wanted.items()
        }
        first: dict[str, int] = {}
        pairs: dict[tuple[str, str | None], int] = {}
        with self.path.open("rb") as fh:
            for n, line in enumerate(fh, start=1):
                parts = line.split(None, 2)
                if len(parts) < 2:
                    continue
                found = tokens.get(parts[0])
                if found is None:
                    continue
                subject, preds = found
                first.setdefault(subject, n)
                p = preds.get(parts[1])
                if p is not None:
                    pairs.setdefault((subject, p), n)
        return _pick_lines(wanted, first, pairs)

    def _jsonld_lines(
        self, wanted: dict[str, set[str | None]]
    ) -> dict[tuple[str, str | None], int]:
        """JSON-LD: the line of the node object's ``"@id"`` (compact IRIs expanded with
        our context, when the document uses it, and the prefixes it defines itself)."""
        ids = re.compile(r'"@id"\s*:\s*"([^"]*)"')
        defines = re.compile(r'"([A-Za-z][\w.-]*)"\s*:\s*"([^"]+[/#])"')
        prefixes: dict[str, str] = {}
        first: dict[str, int] = {}
        with self._text() as fh:
            for n, text in enumerate(fh, start=1):
                if CONTEXT_IRI in text and not prefixes:
                    prefixes.update(_context_prefixes())
                if '"@id"' not in text:
                    prefixes.update(defines.findall(text))
                    continue
                for m in ids.finditer(text):
                    node = m.group(1)
                    prefix, colon, local = node.partition(":")
                    if node not in wanted and colon and prefix in prefixes:
                        node = prefixes[prefix] + local
                    if node in wanted:
                        first.setdefault(node, n)
        return _pick_lines(wanted, first, {})

    def _turtle_lines(
        self, wanted: dict[str, set[str | None]]
    ) -> dict[tuple[str, str | None], int]:
        """Turtle (and TriG): the subject's first description starts on a line whose
        first term is the subject (``<iri>`` or a prefixed name); it goes on until a
        line at the left margin starts with another term; the predicate is a term of
        one of its lines, followed by a space (``a`` for rdf:type)."""
        prefix_line = re.compile(r"(?i)^\s*@?prefix\s+([A-Za-z][\w.-]*|):\s*<([^>]*)>")
        first_term = re.compile(r"\s*(<[^>\s]*>|[^\s;,]+)")
        prefixes: dict[str, str] = {}

        def expand(term: str) -> str | None:
            if term.startswith("<") and term.endswith(">"):
                return term[1:-1]
            if term == "a":
                return RDF + "type"
            prefix, colon, local = term.partition(":")
            if colon and local and prefix in prefixes:
                return prefixes[prefix] + local
            return None

        def subject_of(text: str) -> tuple[str | None, int]:
            m = first_term.match(text)
            if m is None:
                return None, 0
            term = m.group(1)
            for candidate in (term, term[:-1] if term.endswith(".") else None):
                if candidate and candidate != "a":
                    iri = expand(candidate)
                    if iri in wanted:
                        return iri, m.start(1) + len(candidate)
            return None, 0

        first: dict[str, int] = {}
        pairs: dict[tuple[str, str | None], int] = {}
        open_blocks: dict[str, set[str]] = {}  # subject -> predicates still looked for
        with self._text() as fh:
            for n, raw in enumerate(fh, start=1):
                text = raw.rstrip("\r\n")
                if text[:1] in "@pP":
                    m = prefix_line.match(text)
                    if m:
                        prefixes[m.group(1)] = m.group(2)
                        continue
                subject, end = subject_of(text)
                if open_blocks and text[:1] not in ("", " ", "\t", "#"):
                    for s in [s for s in open_blocks if s != subject]:
                        del open_blocks[s]  # the next subject's description
                body = text
                if subject is not None and subject not in first:
                    first[subject] = n
                    preds = {p for p in wanted[subject] if p is not None}
                    if preds:
                        open_blocks[subject] = preds
                    body = text[end:]
                if not open_blocks:
                    continue
                terms = body.split()
                if terms and not body[-1:].isspace():
                    terms.pop()  # a predicate is followed by its object
                found = {expand(t) for t in terms}
                for s, preds in list(open_blocks.items()):
                    for p in preds & found:
                        pairs[(s, p)] = n
                    preds -= found
                    if not preds:
                        del open_blocks[s]
        return _pick_lines(wanted, first, pairs)


@functools.lru_cache(maxsize=1)
def _context_prefixes() -> dict[str, str]:
    """The prefixes our JSON-LD context defines."""
    from .serialize import jsonld_context

    context = jsonld_context()
    terms = context.get("@context", context)
    return {k: v for k, v in terms.items() if isinstance(v, str) and v.endswith(("/", "#"))}


def _pick_lines(
    wanted: dict[str, set[str | None]],
    first: dict[str, int],
    pairs: dict[tuple[str, str | None], int],
) -> dict[tuple[str, str | None], int]:
    out: dict[tuple[str, str | None], int] = {}
    for subject, preds in wanted.items():
        start = first.get(subject)
        if start is None:
            continue
        for p in preds:
            out[(subject, p)] = pairs.get((subject, p), start)
    return out


def _subject_token(key: str) -> bytes:
    """A subject as N-Triples writes it: ``<iri>``, or ``_:label`` for a blank node."""
    return key.encode() if key.startswith("_:") else b"<" + key.encode() + b">"


# --------------------------------------------------------------------------- locating


@dataclass
class _Locator:
    """Where the nodes of the data graph came from."""

    records: dict[str, Record] = dataclasses.field(default_factory=dict)
    rdf: list[_RdfFile] = dataclasses.field(default_factory=list)
    #: The number in :attr:`rdf` of the file a node is first described in (None: none).
    owner: Callable[[str], int | None] = lambda focus: None
    extra: dict[str, tuple[str, int | None]] = dataclasses.field(
        default_factory=dict
    )  # node -> (file, line)
    lines: dict[tuple[str, str | None], int] = dataclasses.field(default_factory=dict)

    def prepare(self, raws: Iterable[RawResult]) -> None:
        """Find the lines of these results' nodes in the RDF files, one pass per file."""
        wanted: dict[int, dict[str, set[str | None]]] = {}
        for raw in raws:
            if raw.focus in self.records:
                continue
            number = self.owner(raw.focus)
            if number is not None:
                wanted.setdefault(number, {}).setdefault(raw.focus, set()).add(raw.path)
        for number, nodes in sorted(wanted.items()):
            for (focus, path), line in self.rdf[number].find_lines(nodes).items():
                self.lines[(focus, path)] = line

    def locate(
        self, focus: str, path: str | None, field_name: str | None
    ) -> tuple[str | None, int | None]:
        record = self.records.get(focus)
        if record is not None:
            line = record.line_of(field_name) if field_name else record.location.line
            return record.location.path, line
        number = self.owner(focus)
        if number is not None:
            return str(self.rdf[number].path), self.lines.get((focus, path))
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
    own = [Path(p) for p in getattr(cat, "vocabularies", ())]
    for concept in (*catalogue.vocab.types, *catalogue.vocab.topics):
        local = concept.iri.rsplit("/", 1)[-1]
        for ttl in [*own, *sorted(ontology_dir().glob("*.ttl"))]:
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


def _broken_triples(
    catalog: Any, parts: Iterable[Salvage], locator: _Locator | None = None
) -> list[Any]:
    """The identifiers of records that failed to load (``Catalogue.broken``), on their
    record's node: the cross-record rules see them as they see a loaded record's.
    """
    predicate = pyoxigraph.NamedNode(DCTERMS + "identifier")
    out: list[Any] = []
    for part in parts:
        if part.id is None or not part.identifiers:
            continue
        iri = catalog.record_iri(part.id)
        node = pyoxigraph.NamedNode(iri)
        out.extend(
            pyoxigraph.Triple(node, predicate, pyoxigraph.Literal(i.literal))
            for i in part.identifiers
        )
        if locator is not None:
            locator.records[iri] = part  # type: ignore[assignment]
    return out


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
    catalog: str | Path | None = None,
) -> ValidationReport:
    """Validate the records and RDF files of *sources* against the SHACL shapes.

    *sources* are record files (YAML, CSV, JSON, JSON Lines), RDF files (Turtle,
    N-Triples, JSON-LD) or folders of them. *shapes* is a shapes file or folder
    (default: the shipped ``shapes/``). *max_per_shape* keeps at most that many
    results per shape; the report counts what it left out.

    Catalogues of more than *chunk_size* records are validated a chunk at a time
    (memory stays flat), in *workers* processes (default: one per core, up to the
    number of chunks); the cross-record rules then run once more over the records
    that collide across chunks. The results are the same as in one run. RDF files
    are streamed the same way, a chunk of whole subjects at a time (see the module's
    docstring), with the fast engine.

    *engine* ``"fast"`` (default) runs the shapes compiled by :mod:`csec_ld.shacl`
    (pySHACL for what it cannot compile); ``"pyshacl"`` runs pySHACL on everything,
    the reference. Both give the same results. *on_progress* is called with the
    number of records read, as they are. *catalog* is the records' ``catalog.yaml``
    (default: found next to them; RDF files alone need none).

    Raises :class:`~csec_ld.errors.SourceNotFoundError` for a missing source and
    :class:`~csec_ld.errors.ShapesError` for shapes that cannot be read; every
    problem in the sources is a result in the returned report.

    >>> validate(["data"]).conforms
    True
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown validation engine {engine!r} (known: {', '.join(ENGINES)})")
    if isinstance(sources, (str, Path)):
        sources = [sources]  # one path, not a sequence of characters
    sources = list(sources) or ["data"]
    with contextlib.ExitStack() as stack:
        own = shapes_for_catalogue(sources, catalog, stack) if shapes is None else None
        report = _validate(
            sources,
            shapes=own[0] if own else shapes,
            base=base,
            max_per_shape=max_per_shape,
            chunk_size=chunk_size,
            workers=workers,
            engine=engine,
            on_progress=on_progress,
            catalog=catalog,
        )
        if own is not None:
            report.shapes_source = f"{shapes_dir()} (with the concepts of {', '.join(own[1])})"
        return report


def shapes_for_catalogue(
    sources: Sequence[str | Path], catalog: str | Path | None, stack: contextlib.ExitStack
) -> tuple[Path, tuple[str, ...]] | None:
    """A folder of the shipped shapes with the controlled lists of the catalogue's own
    vocabularies (catalog.yaml's ``vocabularies:``), for as long as *stack* lasts; None
    when the catalogue has none (the shipped shapes as they are) or does not load (the
    run reports why). With the folder: the catalogue's SKOS files.
    """
    from .shapes_gen import catalogue_shapes
    from .sources import find_catalog_file, read_catalog
    from .vocab import load_vocabulary

    try:
        record_sources = [
            s for s in sources if not (Path(s).is_file() and Path(s).suffix.lower() in RDF_SUFFIXES)
        ]
        config = find_catalog_file(record_sources, [], catalog) if record_sources else None
        if config is None:
            return None
        description, _ = read_catalog(config)
        if not description.vocabularies:
            return None
        vocab = load_vocabulary(
            extra=description.vocabularies, replace=description.replace_vocabularies
        )
    except (CsecLdError, OSError):
        return None
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="csec-ld-shapes-")))
    (folder / "shapes").mkdir()
    return catalogue_shapes(vocab, folder / "shapes"), description.vocabularies


def _validate(
    sources: list[str | Path],
    *,
    shapes: str | Path | None,
    base: str | None,
    max_per_shape: int | None,
    chunk_size: int,
    workers: int | None,
    engine: str,
    on_progress: Callable[[int], None] | None,
    catalog: str | Path | None,
) -> ValidationReport:
    loaded_shapes = _load_shapes(shapes)
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
        with_records = bool(record_sources and record_files)
        if with_records and engine == "fast" and not rdf_files:
            _stream_records(
                record_sources,
                base,
                shapes,
                results,
                report,
                workers,
                chunk_size,
                on_progress,
                catalog=catalog,
            )
        elif rdf_files and engine == "fast" and _streams(loaded_shapes):
            _validate_rdf(
                rdf_files,
                record_sources if with_records else None,
                base,
                shapes,
                loaded_shapes,
                workers,
                results,
                report,
                locator,
                on_progress,
                catalog=catalog,
            )
        else:
            if with_records:
                _map_records(
                    record_sources,
                    base,
                    data,
                    locator,
                    results,
                    report,
                    runner,
                    max(1, chunk_size),
                    workers,
                    on_progress,
                    catalog=catalog,
                )
            data.extend(_read_rdf(rdf_files, results, report, locator))
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
        raws = runner.results()
        locator.prepare(raws)
        results.extend(_result(raw, loaded_shapes, locator) for raw in raws)

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


def _streams(shapes: _Shapes) -> bool:
    """Whether RDF input can stream through the compiled shapes (not when a shape the
    results could not be told apart by falls back)."""
    from .shacl import compile_shapes

    compiled = compile_shapes(shapes.graph)
    return not compiled.everything_falls_back and not compiled.stream_plan().anonymous_nonlocal


def _read_rdf(
    rdf_files: Sequence[Path],
    results: list[ValidationResult],
    report: ValidationReport,
    locator: _Locator,
) -> list[Any]:
    """Every triple of the RDF files, for an engine that wants the whole graph."""
    data: list[Any] = []
    subjects: list[set[str]] = []
    for path in rdf_files:
        source = _RdfFile(path)
        try:
            triples = source.triples()
        except (OSError, SyntaxError, ValueError) as exc:
            results.append(source.problem(exc))
            continue
        targets = sorted(record_focus_nodes(triples))
        report.records += len(targets)
        report.checked.extend((_relative(str(path)), _record_id(t) or t) for t in targets)
        subjects.append({t.subject.value for t in triples})
        locator.rdf.append(source)
        data.extend(triples)

    def owner(focus: str) -> int | None:
        return next((n for n, nodes in enumerate(subjects) if focus in nodes), None)

    locator.owner = owner
    return data


def _validate_rdf(
    rdf_files: Sequence[Path],
    record_sources: Sequence[str | Path] | None,
    base: str | None,
    shapes: str | Path | None,
    loaded: _Shapes,
    workers: int | None,
    results: list[ValidationResult],
    report: ValidationReport,
    locator: _Locator,
    on_progress: Callable[[int], None] | None,
    chunk_lines: int | None = None,
    *,
    catalog: str | Path | None = None,
) -> None:
    """The RDF files (and the records of *record_sources*, mapped) as one graph, through
    the compiled shapes a chunk of whole subjects at a time (:class:`_RdfStream`).

    A stream starts over when what it assumed fails: with the input partitioned by
    subject when it is not grouped by subject (or an rdfs:subClassOf triple comes
    after the chunks it concerns), without a file that turns out not to parse (its
    syntax error is its result, as when the whole graph is read).
    """
    from .shacl import compile_shapes

    compiled = compile_shapes(loaded.graph)
    plan = compiled.stream_plan()
    fallback: frozenset[str] | bool | None = False
    if compiled.fallback or plan.nonlocal_shapes:
        fallback = _fallback_predicates(loaded.graph)
    shapes_arg = None if shapes is None else str(shapes)
    with contextlib.ExitStack() as stack:
        inputs = [_RdfFile(p) for p in rdf_files]
        if record_sources is not None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="csec-ld-")))
            mapped = folder / "records.nt"
            if _records_to_ntriples(
                record_sources,
                base,
                mapped,
                locator,
                results,
                report,
                workers,
                on_progress,
                catalog=catalog,
            ):
                inputs.append(_RdfFile(mapped, records=True))
        broken: dict[int, ValidationResult] = {}
        partitioned = False
        while True:
            live = [f for n, f in enumerate(inputs) if n not in broken]
            runner = _Runner(shapes, loaded, workers)
            stream = _RdfStream(
                live,
                shapes_arg,
                plan,
                runner,
                partitioned=partitioned,
                fallback=fallback,
                chunk_lines=chunk_lines or STREAM_CHUNK_LINES,
                on_progress=on_progress,
            )
            suspects: list[_RdfFile] = []
            try:
                with runner:
                    raws = stream.run()
                break
            except _Restart as exc:
                if exc.why != "syntax":
                    partitioned = True
                    continue
                if exc.source is not None and exc.error is not None:
                    broken[inputs.index(exc.source)] = exc.source.problem(exc.error)
                    continue
                suspects = [exc.source] if exc.source is not None else live
            except _ChunkSyntaxError:
                suspects = [f for f in live if not f.parsed]
            finally:
                stream.close()
            found = False
            for source in suspects:
                error = source.syntax_error()
                if error is not None:
                    broken[inputs.index(source)] = error
                    found = True
            if not found:  # it parses whole (the parser resolves what a line cannot say)
                unparsed = [f for f in suspects if not f.parsed]
                if not unparsed:
                    raise RuntimeError("an RDF stream failed on input that parses")
                for source in unparsed:
                    source.parsed = True
        results.extend(broken[n] for n in sorted(broken))
        for n, source in enumerate(live):
            targets = stream.records[n]
            if targets is None:
                continue
            report.records += len(targets)
            path = _relative(str(source.path))
            report.checked.extend((path, _record_id(t) or t) for t in sorted(targets))
        stream.done = []  # what locating needs stays: which input holds which subject
        locator.rdf = live
        locator.owner = _owner(stream, live)
        locator.prepare(raws)
        raws.reverse()
        while raws:  # one result for each raw result, freed as it goes
            results.append(_result(raws.pop(), loaded, locator))


def _owner(stream: _RdfStream, inputs: list[_RdfFile]) -> Callable[[str], int | None]:
    """Which input a node is first described in (None: none, or the mapped records)."""
    owners, closed = stream.owners, stream.closed

    def owner(focus: str) -> int | None:
        token = hash(_subject_token(focus))
        number = (0 if token in closed else None) if owners is None else owners.get(token)
        return None if number is None or inputs[number].records else number

    return owner


def _records_to_ntriples(
    sources: Sequence[str | Path],
    base: str | None,
    out: Path,
    locator: _Locator,
    results: list[ValidationResult],
    report: ValidationReport,
    workers: int | None,
    on_progress: Callable[[int], None] | None = None,
    *,
    catalog: str | Path | None = None,
) -> bool:
    """The records mapped to N-Triples in *out* (False: the catalogue does not load)."""
    mapped = _MappedRecords(sources, base, catalog, locator, results, report)
    if mapped.catalogue is None:
        return False
    with out.open("wb") as fh:
        for chunk in mapped.chunks(workers, CHUNK_SIZE, on_progress):
            for _iri, ntriples in chunk:
                fh.write(ntriples)
        fh.write(_to_ntriples(mapped.broken_triples()))
        for block in mapped.mapper.support():
            fh.write(_to_ntriples(list(block)))
    mapped.finish()
    return True


class _MappedRecords:
    """The records of the sources, mapped on the pipeline's workers a chunk at a time
    and sent back with their N-Triples (:attr:`PipelineSpec.keep_mapped`), for the
    engines that check the whole graph here: the one loader of every path of
    :func:`validate`. Unlike a build, it goes on past records that fail to load: the
    others are still checked, so one run reports every problem."""

    def __init__(
        self,
        sources: Sequence[str | Path],
        base: str | None,
        catalog: str | Path | None,
        locator: _Locator,
        results: list[ValidationResult],
        report: ValidationReport,
    ) -> None:
        from .mapping import Mapper

        self.sources = sources
        self.base = base
        self.catalog = catalog
        self.locator = locator
        self.results = results
        self.report = report
        self.catalogue: Catalogue | None = None
        try:
            self.catalogue = open_catalog(sources, base=base, catalog=catalog)
        except DataError as exc:
            results.extend(_load_result(e) for e in exc.errors)
            return
        self.mapper = Mapper(self.catalogue)
        self.records = 0

    def chunks(
        self,
        workers: int | None,
        chunk_size: int,
        on_progress: Callable[[int], None] | None = None,
    ) -> Iterator[list[tuple[str, bytes]]]:
        """(record IRI, its N-Triples) of each record kept (not reusing an id), a chunk
        at a time, in source order; each record goes to the locator and the report."""
        from .pipeline import PipelineSpec, run_chunks

        catalogue = self.catalogue
        assert catalogue is not None
        spec = PipelineSpec(
            tuple(str(s) for s in self.sources),
            self.base,
            None,
            (),
            catalog=None if self.catalog is None else str(self.catalog),
            keep_mapped=True,
        )
        base_iri = catalogue.catalog.base
        for chunk in run_chunks(catalogue, spec, workers=workers, chunk_size=chunk_size):
            chunk.merge_into(self.mapper)
            reused = set(chunk.duplicates)
            kept: list[tuple[str, bytes]] = []
            for number, (record, ntriples) in enumerate(chunk.mapped):
                if number in reused:
                    continue
                iri = base_iri + "resource/" + record.id
                self.locator.records[iri] = record
                self.report.checked.append((_relative(record.location.path), record.id))
                kept.append((iri, ntriples))
            self.records += len(kept)
            if on_progress and chunk.records:
                on_progress(chunk.records)
            yield kept

    def broken_triples(self) -> list[Any]:
        """The identifiers of the records that failed to load, for the cross-record rules."""
        assert self.catalogue is not None
        return _broken_triples(self.catalogue.catalog, self.catalogue.broken, self.locator)

    def finish(self) -> None:
        """The load errors, the records counted, where the catalogue's own nodes are."""
        catalogue = self.catalogue
        assert catalogue is not None
        _add_load_problems(catalogue, self.records, self.results, self.report)
        _support_locations(catalogue, self.locator)


def _add_load_problems(
    catalogue: Catalogue, records: int, results: list[ValidationResult], report: ValidationReport
) -> None:
    """The load errors of a pass over the records as results; the *records* checked and
    those that failed to load counted (each once, by file and id)."""
    results.extend(_load_result(e) for e in catalogue.errors)
    failed = sorted({(_relative(e.path or ""), e.record) for e in catalogue.errors if e.record})
    report.records += records + len(failed)
    report.checked.extend((path, rid) for path, rid in failed if rid)


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
    *,
    catalog: str | Path | None = None,
) -> None:
    """Validate records on the build's pipeline: read, mapped and checked a chunk at a
    time by one worker per core (memory holds a few chunks and the results), with
    the cross-record rules run over the records that collide across chunks, and the
    catalogue's own nodes checked last — the results of one run on the whole graph.
    """
    from .mapping import Mapper
    from .pipeline import PipelineSpec, run_chunks

    try:
        catalogue = open_catalog(sources, base=base, catalog=catalog)
    except DataError as exc:
        results.extend(_load_result(e) for e in exc.errors)
        return
    stream = StreamValidation(ChunkChecker(shapes, threshold="info"))
    spec = PipelineSpec(
        tuple(str(s) for s in sources),
        base,
        None,
        (),
        checker=ChunkChecker,
        shapes=None if shapes is None else str(shapes),
        threshold="info",
        catalog=None if catalog is None else str(catalog),
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
    stream.add_broken(catalogue)
    _add_load_problems(catalogue, records, results, report)
    results.extend(stream.finish(catalogue))


def _map_records(
    sources: Sequence[str | Path],
    base: str | None,
    data: list[Any],
    locator: _Locator,
    results: list[ValidationResult],
    report: ValidationReport,
    runner: _Runner,
    chunk_size: int,
    workers: int | None,
    on_progress: Callable[[int], None] | None = None,
    *,
    catalog: str | Path | None = None,
) -> None:
    """Map the records; small catalogues go into *data*, large ones to *runner* in chunks."""
    mapped = _MappedRecords(sources, base, catalog, locator, results, report)
    if mapped.catalogue is None:
        return
    rest: list[bytes] = []  # the last chunk, short of chunk_size
    chunked = False
    collisions = _Collisions() if runner.engine == "pyshacl" else None
    for chunk in mapped.chunks(workers, chunk_size, on_progress):
        if collisions is not None:
            for iri, ntriples in chunk:
                collisions.add(iri, _parsed(ntriples))
        if len(chunk) >= chunk_size:
            runner.submit(b"".join(nt for _, nt in chunk), keep=_CHUNK)
            chunked = True
        else:
            rest.extend(nt for _, nt in chunk)
    triples = _parsed(b"".join(rest))
    for part in mapped.catalogue.broken:
        broken = _broken_triples(mapped.catalogue.catalog, [part], locator)
        triples.extend(broken)
        if collisions is not None and broken:
            collisions.add(broken[0].subject.value, broken)
    support = [t for block in mapped.mapper.support() for t in block]
    if not chunked:
        data.extend(triples)
        data.extend(support)
    else:
        if triples:
            runner.submit(_to_ntriples(triples), keep=_CHUNK)
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
        if collisions is not None:  # the fast engine keys collisions in its chunks
            cross = collisions.triples()
            if cross:
                runner.submit(_to_ntriples(cross), keep=_CROSS)
    mapped.finish()


def _parsed(ntriples: bytes) -> list[Any]:
    """The triples of N-Triples that the pipeline wrote."""
    if not ntriples:
        return []
    return [q.triple for q in pyoxigraph.parse(ntriples, format=_NT)]


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


def _shacl_run(shapes_arg: str | None, ntriples: bytes, keep: str | None) -> list[RawResult]:
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


def _raw(graph: rdflib.Graph, node: Any) -> RawResult:
    def one(p: Any) -> Any:
        return graph.value(node, p)

    focus, path, value, shape = (
        one(p) for p in (_SH.focusNode, _SH.resultPath, _SH.value, _SH.sourceShape)
    )
    messages = [m for m in graph.objects(node, _SH.resultMessage) if isinstance(m, rdflib.Literal)]
    messages.sort(key=lambda m: (m.language not in (None, "en"), str(m)))
    severity, component = one(_SH.resultSeverity), one(_SH.sourceConstraintComponent)
    return RawResult(
        focus=str(focus) if focus is not None else "",
        path=str(path) if isinstance(path, rdflib.URIRef) else None,
        value=None if value is None else str(value),
        term=None if value is None else nt_text(value),
        severity=None if severity is None else str(severity),
        shape=str(shape) if isinstance(shape, rdflib.URIRef) else None,
        component=None if component is None else str(component),
        message=str(messages[0]) if messages else None,
    )


@dataclass
class _FastOut:
    """What the fast engine gives for one graph: results, and cross-record keys."""

    raws: list[RawResult]
    entries: list[Any]  # csec_ld.shacl.CrossEntry
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
    chunk too, and their keys come back for :class:`~csec_ld.shacl.CrossIndex`
    (with ``info(iri)`` for each record in them). *min_rank* 3 skips the shapes of
    warnings and infos.
    """
    from .shacl import compile_shapes

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
        self.size = 1  # worker processes
        self.pending: list[Any] = []
        self.done: list[RawResult] = []
        self.cross: Any = None  # csec_ld.shacl.CrossIndex, for chunked runs of the fast engine

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if self.pool is not None:  # after an error, not waiting for what may never end
            self.pool.shutdown(wait=kind is None, cancel_futures=True)
        if self.cross is not None:
            self.cross.close()

    def submit(self, ntriples: bytes, keep: str | None) -> None:
        run = _fast_run if self.engine == "fast" else _shacl_run
        self.call(run, self.shapes_arg, ntriples, keep, parallel=keep == _CHUNK)

    def call(self, fn: Callable[..., Any], *args: Any, parallel: bool = False) -> None:
        """``fn(*args)`` here, or in a worker when *parallel* (a few chunks in flight)."""
        pool = self._pool() if parallel else None
        if pool is None:
            self._gather(fn(*args))
            return
        # The first submit starts the workers and the pool's manager thread: a signal
        # in between would leave a pool that cannot be shut down. It waits a moment.
        with deferred_signals():
            self.pending.append(pool.submit(fn, *args))
        while len(self.pending) > 2 * self.size:  # the main process reads no further ahead
            self._gather(self.pending.pop(0).result())

    def _pool(self) -> Any:
        if self.workers == 1:
            return None
        if self.pool is None:
            from .pipeline import worker_pool

            self.size = self.workers or max(1, min(os.cpu_count() or 1, 8))
            if self.size > 1:
                self.pool = worker_pool(self.size)
            else:
                self.workers = 1
        return self.pool

    def _gather(self, out: list[RawResult] | _FastOut) -> None:
        if isinstance(out, _FastOut):
            self.done.extend(out.raws)
            if out.entries:
                if self.cross is None:
                    from .shacl import CrossIndex

                    self.cross = CrossIndex()
                self.cross.add(out.entries, out.keys, out.ntriples)
        else:
            self.done.extend(out)

    def results(self) -> list[RawResult]:
        for future in self.pending:
            self._gather(future.result())
        self.pending = []
        if self.cross is not None:
            from .shacl import compile_shapes

            raws, _entries = self.cross.check(compile_shapes(self.shapes.graph))
            self.done.extend(raws)
            self.cross.close()
            self.cross = None
        return self.done


# --------------------------------------------------------------------------- RDF streams

#: N-Triples lines per chunk of an RDF stream (about 2,000 of our records).
STREAM_CHUNK_LINES = 50_000
#: Bytes of N-Triples per partition when an input is not grouped by subject.
_PARTITION_BYTES = 32 << 20


class _Restart(Exception):
    """What a stream assumed does not hold: it starts over, as :func:`_validate_rdf` says."""

    def __init__(self, why: str, source: _RdfFile | None = None, error: Any = None) -> None:
        super().__init__(why)
        self.why = why  # "ungrouped", "subclass" or "syntax"
        self.source = source
        self.error = error


class _ChunkSyntaxError(Exception):
    """A chunk of N-Triples lines that does not parse (raised in the worker)."""


@dataclass(slots=True)
class _Role:
    """What the stream does with the triples of one predicate."""

    keep: int  # 0: drop, 1: one per subject, 2: all
    local: int = 0  # specs (bits) it makes its subject a focus node of (targetSubjectsOf)
    pointer: int = 0  # specs (bits) whose targetObjectsOf it is
    record_subject: bool = False  # its subjects are records (as record_focus_nodes says)
    record_object: bool = False  # its objects are records
    special: bool = False  # any of the above, or rdf:type / rdfs:subClassOf
    is_type: bool = False
    is_subclass: bool = False
    fallback: bool = False  # pySHACL reads it (for the shapes that fall back)


@dataclass(slots=True)
class _Group:
    """One subject's lines in the chunk being gathered."""

    lines: list[bytes] = dataclasses.field(default_factory=list)
    once: set[bytes] = dataclasses.field(default_factory=set)  # predicates kept once, seen
    local: int = 0
    types: list[str] = dataclasses.field(default_factory=list)


def _token_key(token: bytes) -> str:
    """The node key (:func:`csec_ld.shacl.terms.node_key`) of a subject or object token."""
    if token[:1] == b"<":
        return token[1:-1].decode("utf-8", "replace")
    return token.decode("utf-8", "replace")


def _nt_node(text: str) -> Any:
    """The pyoxigraph term of an N-Triples term."""
    if text.startswith("<"):
        return pyoxigraph.NamedNode(text[1:-1])
    if text.startswith("_:"):
        return pyoxigraph.BlankNode(text[2:])
    line = f"<urn:x-csec-ld:s> <urn:x-csec-ld:p> {text} .\n".encode()
    return next(iter(pyoxigraph.parse(line, format=_NT))).object


def _canonical(token: bytes) -> bytes:
    """A subject token with escapes written as N-Triples writes them (one spelling per IRI)."""
    try:
        (q,) = pyoxigraph.parse(token + b" <urn:x-csec-ld:p> <urn:x-csec-ld:o> .\n", format=_NT)
    except (SyntaxError, ValueError):
        return token  # the worker's parser reports it
    return str(q.subject).encode()


def _stream_run(
    shapes_arg: str | None,
    ntriples: bytes,
    extra: dict[int, list[str]],
    edges: list[tuple[str, str]],
) -> _FastOut:
    """The compiled shapes on one chunk of a stream (N-Triples lines, whole subjects)."""
    from .shacl import StreamContext, compile_shapes

    try:
        triples = [q.triple for q in pyoxigraph.parse(ntriples, format=_NT)] if ntriples else []
    except (SyntaxError, ValueError) as exc:
        raise _ChunkSyntaxError(str(exc)) from None
    compiled = compile_shapes(_load_shapes(shapes_arg).graph)
    context = StreamContext({n: [_nt_node(t) for t in terms] for n, terms in extra.items()}, edges)
    cross_focus: dict[str, set[int]] = {}
    with _quiet_rdflib():
        raws = compiled.check(triples, cross_focus=cross_focus, stream=context)
    out = _FastOut(raws, [], [])
    if cross_focus:
        out.entries, out.keys, out.ntriples = compiled.cross_entries(cross_focus, None)
    return out


class _RdfStream:
    """The compiled shapes over RDF files, one chunk of whole subjects at a time.

    The files are read as N-Triples lines (an N-Triples file as it is, other formats
    through the parser) and cut into chunks of about :data:`STREAM_CHUNK_LINES` lines
    at subject boundaries; workers parse and check them. What crosses subjects is kept
    here, small: the subjects seen (hashes), the nodes a sh:targetObjectsOf target
    points at whose triples were in another chunk (checked when their triples come, or
    at the end), the rdfs:subClassOf edges, the cross-record keys
    (:class:`~csec_ld.shacl.CrossIndex`). Triples no check reads are left out.

    An input that is not grouped by subject (a subject whose triples come in two
    chunks) is found out as it goes (:class:`_Restart`); with *partitioned*, every
    triple first goes to one of a few temporary files chosen by its subject's hash,
    each small enough to group in memory.
    """

    def __init__(
        self,
        inputs: list[_RdfFile],
        shapes_arg: str | None,
        plan: Any,  # csec_ld.shacl.StreamPlan
        runner: _Runner,
        *,
        partitioned: bool = False,
        fallback: frozenset[str] | bool | None = False,
        chunk_lines: int = STREAM_CHUNK_LINES,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self.inputs = inputs
        self.shapes_arg = shapes_arg
        self.plan = plan
        self.runner = runner
        self.partitioned = partitioned
        self.chunk_lines = max(1, chunk_lines)
        self.on_progress = on_progress
        self.roles: dict[bytes, _Role] = {}
        #: Predicates pySHACL reads for the shapes that fall back (None: all; False: none).
        self.fallback_predicates = fallback
        self.fallback_file: Any = tempfile.TemporaryFile() if fallback is not False else None  # noqa: SIM115
        self.groups: dict[bytes, _Group] = {}
        self.size = 0  # lines in the chunk being gathered
        self.closed: set[int] = set()  # hashes of the subjects of the chunks sent
        self.pointers: list[tuple[int, str, str]] = []  # (specs, node key, N-Triples term)
        specs = len(plan.specs)
        self.done: list[set[str]] = [set() for _ in range(specs)]  # focus nodes checked
        self.pending: list[dict[str, str]] = [{} for _ in range(specs)]  # key -> term
        self.edges: list[tuple[str, str]] = []
        self.closure = set(plan.classes)
        self.spec_closures: dict[int, set[str]] = {}
        self.sent = 0  # chunks sent
        self.parallel = False  # in worker processes (from the second chunk on)
        self.reading = True  # the first pass (then the pending nodes)
        self.found: set[bytes] = set()  # the subjects found again
        self.held: tuple[bytes, dict[int, list[str]], list[tuple[str, str]]] | None = None
        #: Per input: the records it describes (record_focus_nodes), None for mapped records.
        self.records: list[set[str] | None] = [None if f.records else set() for f in inputs]
        self.counted = 0
        #: Subject hash -> the input it is first described in (with more than one input).
        self.owners: dict[int, int] | None = {} if len(inputs) > 1 else None
        self.wanted: dict[bytes, list[tuple[int, str]]] | None = None  # re-reading these
        self.parts: list[Path] = []
        self._tmp: Any = None

    def close(self) -> None:
        if self.fallback_file is not None:
            self.fallback_file.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    # ----------------------------------------------------------------- roles

    def _role(self, token: bytes) -> _Role:
        plan = self.plan
        p = token[1:-1].decode("utf-8", "replace") if token[:1] == b"<" else ""
        read = plan.read
        keep = 2 if read is None or p in read else (1 if p in plan.existence else 0)
        role = _Role(keep)
        for n, (subjects_of, objects_of, _classes) in enumerate(plan.specs):
            if p in subjects_of:
                role.local |= 1 << n
            if p in objects_of:
                role.pointer |= 1 << n
        role.record_subject = p in _RECORD_SUBJECT_PREDICATES
        role.record_object = p in _HAS_PART
        role.is_type = p == RDF + "type" and any(c for _, _, c in plan.specs)
        role.is_subclass = p == _RDFS_SUBCLASS and bool(plan.classes)
        fallback = self.fallback_predicates
        role.fallback = fallback is None or (bool(fallback) and p in fallback)  # type: ignore[operator]
        role.special = bool(
            role.local
            or role.pointer
            or role.record_subject
            or role.record_object
            or role.is_type
            or role.is_subclass
        )
        self.roles[token] = role
        return role

    # ----------------------------------------------------------------- reading

    def run(self) -> list[RawResult]:
        """Every result of the compiled shapes (and of pySHACL for what falls back)."""
        if self.partitioned:
            self._partition()
            for part in self.parts:
                self._feed_partition(part)
        else:
            for number, source in enumerate(self.inputs):
                self._read(number, source, count=True)
        self._send()
        self._flush(self.parallel)
        self.reading = False
        self._finish_pending()
        raws = self.runner.results()
        if self.fallback_file is not None:
            raws += self._fallback()
        return raws

    def _lines(self, source: _RdfFile) -> Iterator[bytes]:
        try:
            yield from source.nt_lines()
        except (OSError, SyntaxError, ValueError) as exc:
            raise _Restart("syntax", source, exc) from None

    def _split(self, line: bytes, source: _RdfFile | None) -> list[bytes] | None:
        parts = line.split(None, 2)
        if len(parts) < 3:
            if not parts or parts[0][:1] == b"#":
                return None
            raise _Restart("syntax", source)  # not a triple: its parser says why
        if parts[0][:1] == b"#":
            return None
        if b"\\" in parts[0]:
            parts[0] = _canonical(parts[0])
        return parts

    def _read(self, number: int, source: _RdfFile, *, count: bool) -> None:
        """One input's lines into chunks (*count*: and what the report says of it)."""
        roles = self.roles
        records = self.records[number] if count else None
        owners = self.owners if count else None
        previous = b""
        wanted = self.wanted
        for line in self._lines(source):
            parts = self._split(line, source)
            if parts is None:
                continue
            s, p, rest = parts
            if wanted is not None and s not in wanted:
                continue
            if line[-1:] != b"\n":
                line += b"\n"
            role = roles.get(p) or self._role(p)
            if s != previous:
                previous = s
                if owners is not None:
                    owners.setdefault(hash(s), number)
            if records is not None and (role.record_subject or role.record_object):
                self._count(records, role, s, rest, line)
            self._add(s, p, rest, line, role)

    def _count(self, records: set[str], role: _Role, s: bytes, rest: bytes, line: bytes) -> None:
        if role.record_subject:
            records.add(_token_key(s))
            return
        key, term = self._object(rest, line)
        if term[:1] == "<":
            records.add(key)
        else:  # as record_focus_nodes counts them: a blank node's label, a literal's text
            records.add(_nt_node(term).value)

    def _object(self, rest: bytes, line: bytes) -> tuple[str, str]:
        """The (node key, N-Triples term) of a line's object."""
        if rest[:1] == b"<":
            token = rest[: rest.find(b">") + 1]
            if b"\\" in token:
                token = _canonical(token)
            key = _token_key(token)
            return key, f"<{key}>"
        if rest[:2] == b"_:":
            key = rest.split(None, 1)[0].decode("utf-8", "replace")
            return key, key
        try:
            (q,) = pyoxigraph.parse(line, format=_NT)
        except (SyntaxError, ValueError):
            raise _Restart("syntax") from None
        term = str(q.object)
        return term, term  # a literal's key is its N-Triples form

    def _add(self, s: bytes, p: bytes, rest: bytes, line: bytes, role: _Role) -> None:
        group = self.groups.get(s)
        if group is None:
            if self.size >= self.chunk_lines:
                self._send()  # the chunk is full: cut it here, between two subjects
            if self.wanted is None and not self.partitioned and hash(s) in self.closed:
                raise _Restart("ungrouped")  # (in a partition, only a hash collision)
            group = self.groups[s] = _Group()
        keep = role.keep
        if keep == 2:
            group.lines.append(line)
            self.size += 1
        elif keep == 1 and p not in group.once:
            group.once.add(p)
            group.lines.append(line)
            self.size += 1
        if role.fallback and self.wanted is None:
            self.fallback_file.write(line)
        if role.special and self.wanted is None:
            group.local |= role.local
            if role.pointer:
                key, term = self._object(rest, line)
                self.pointers.append((role.pointer, key, term))
            if role.is_type and rest[:1] == b"<":
                group.types.append(_token_key(rest[: rest.find(b">") + 1]))
            if role.is_subclass and not self.partitioned:
                self._edge(_token_key(s), self._object(rest, line))

    def _edge(self, sub: str, obj: tuple[str, str]) -> None:
        key, term = obj
        sup = key if term[:1] in ("<", "_") else _nt_node(term).value
        self.edges.append((sub, sup))
        before = len(self.closure)
        self.closure = _closure(self.plan.classes, self.edges)
        self.spec_closures.clear()
        if self.sent and len(self.closure) != before:
            raise _Restart("subclass")  # the chunks sent were checked without it

    # ----------------------------------------------------------------- chunks

    def _send(self) -> None:
        """The gathered chunk to a worker, with the focus nodes the stream found for it."""
        groups, self.groups, self.size = self.groups, {}, 0
        pointers, self.pointers = self.pointers, []
        if not groups and not pointers:
            return
        extra: dict[int, dict[str, str]] = {}
        if self.wanted is not None:  # re-reading the subjects that a pointer found late
            self.found.update(groups)
            for token in groups:
                for n, term in self.wanted[token]:
                    extra.setdefault(n, {})[_token_key(token)] = term
        else:
            keys = {_token_key(t): g for t, g in groups.items()}
            for bits, key, term in pointers:
                for n in _bits(bits):
                    if key in keys:
                        extra.setdefault(n, {})[key] = term
                        self.done[n].add(key)
                    elif key not in self.done[n]:
                        self.pending[n][key] = term
            for n in range(len(self.plan.specs)):
                done, pending = self.done[n], self.pending[n]
                classes = self._spec_closure(n)
                for key, group in keys.items():
                    if group.local >> n & 1 or (classes and classes.intersection(group.types)):
                        done.add(key)
                        pending.pop(key, None)
                    elif key in pending:
                        extra.setdefault(n, {})[key] = pending.pop(key)
                        done.add(key)
            self.closed.update(hash(t) for t in groups)
        data = b"".join(line for g in groups.values() for line in g.lines)
        self._submit(data, {n: list(terms.values()) for n, terms in extra.items()})
        if self.on_progress is not None:
            counted = sum(len(r) for r in self.records if r is not None)
            if counted > self.counted:
                self.on_progress(counted - self.counted)
                self.counted = counted

    def _spec_closure(self, n: int) -> set[str]:
        classes = self.plan.specs[n][2]
        if not classes:
            return set()
        if n not in self.spec_closures:
            self.spec_closures[n] = _closure(classes, self.edges)
        return self.spec_closures[n]

    def _submit(self, data: bytes, extra: dict[int, list[str]]) -> None:
        """Check a chunk: the first one waits, so that one chunk runs here, not in a pool."""
        work = (data, extra, list(self.edges))
        self.sent += 1
        if self.reading:
            if self.sent == 1:
                self.held = work
                return
            self.parallel = True
        self._flush(self.parallel)
        self.runner.call(_stream_run, self.shapes_arg, *work, parallel=self.parallel)

    def _flush(self, parallel: bool = False) -> None:
        if self.held is not None:
            held, self.held = self.held, None
            self.runner.call(_stream_run, self.shapes_arg, *held, parallel=parallel)

    def _finish_pending(self) -> None:
        """The nodes a sh:targetObjectsOf target found whose triples came before the
        triple that points at them (read again), or never came (no triples)."""
        again: dict[bytes, list[tuple[int, str]]] = {}
        empty: dict[int, list[str]] = {}
        for n, pending in enumerate(self.pending):
            for key, term in pending.items():
                token = _subject_token(key) if term[:1] in ("<", "_") else b""
                if token and hash(token) in self.closed:
                    again.setdefault(token, []).append((n, term))
                else:
                    empty.setdefault(n, []).append(term)
            pending.clear()
        if again:
            if (
                not self.partitioned
                and any(t[:2] == b"_:" for t in again)
                and any(f.parsed for f in self.inputs)
            ):
                raise _Restart("ungrouped")  # the parser names anonymous nodes anew each time
            self.wanted = again
            if self.partitioned:
                for part in self.parts:
                    self._feed_partition(part)
            else:
                for number, source in enumerate(self.inputs):
                    self._read(number, source, count=False)
            self._send()
            for token, specs in again.items():
                if token not in self.found:  # a hash matched another subject
                    for n, term in specs:
                        empty.setdefault(n, []).append(term)
            self.wanted = None
        for n, terms in empty.items():
            for at in range(0, len(terms), CHUNK_SIZE):
                self.runner.call(
                    _stream_run,
                    self.shapes_arg,
                    b"",
                    {n: terms[at : at + CHUNK_SIZE]},
                    list(self.edges),
                    parallel=self.parallel,
                )

    # ----------------------------------------------------------------- partitions

    def _partition(self) -> None:
        """Every line into one of a few temporary files, by its subject's hash."""
        import math

        estimate = sum(f.size() * _NT_RATIO.get(f.suffix, 3.0) for f in self.inputs)
        count = max(1, math.ceil(estimate / _PARTITION_BYTES))
        self._tmp = tempfile.TemporaryDirectory(prefix="csec-ld-validate-")
        self.parts = [Path(self._tmp.name) / f"{n}.nt" for n in range(count)]
        outs = [p.open("wb") for p in self.parts]
        try:
            roles = self.roles
            for number, source in enumerate(self.inputs):
                records, owners = self.records[number], self.owners
                previous = b""
                for line in self._lines(source):
                    parts = self._split(line, source)
                    if parts is None:
                        continue
                    s, p, rest = parts
                    if line[-1:] != b"\n":
                        line += b"\n"
                    role = roles.get(p) or self._role(p)
                    if s != previous:
                        previous = s
                        if owners is not None:
                            owners.setdefault(hash(s), number)
                    if records is not None and (role.record_subject or role.record_object):
                        self._count(records, role, s, rest, line)
                    if role.is_subclass:
                        key, term = self._object(rest, line)
                        sup = key if term[:1] in ("<", "_") else _nt_node(term).value
                        self.edges.append((_token_key(s), sup))
                    if not line.startswith(s):
                        line = b" ".join((s, p, rest))  # its subject spelled one way
                    outs[hash(s) % count].write(line)
        finally:
            for out in outs:
                out.close()
        self.closure = _closure(self.plan.classes, self.edges)

    def _feed_partition(self, part: Path) -> None:
        """A partition's subjects, each with all its lines, into chunks."""
        groups: dict[bytes, list[bytes]] = {}
        with part.open("rb") as fh:
            for line in fh:
                s = line.split(None, 1)[0]
                if self.wanted is None or s in self.wanted:
                    groups.setdefault(s, []).append(line)
        roles = self.roles
        for lines in groups.values():
            for line in lines:
                s, p, rest = line.split(None, 2)
                self._add(s, p, rest, line, roles.get(p) or self._role(p))

    # ----------------------------------------------------------------- pySHACL

    def _fallback(self) -> list[RawResult]:
        """pySHACL's results for the shapes the compiled checks leave to it."""
        from .shacl import compile_shapes

        self.fallback_file.seek(0)
        data = self.fallback_file.read()
        compiled = compile_shapes(_load_shapes(self.shapes_arg).graph)
        slow = set(compiled.fallback) | set(self.plan.nonlocal_shapes)
        return [r for r in _shacl_run(self.shapes_arg, data, None) if r.shape in slow]


def _bits(mask: int) -> Iterator[int]:
    n = 0
    while mask:
        if mask & 1:
            yield n
        mask >>= 1
        n += 1


def _closure(classes: Iterable[str], edges: Sequence[tuple[str, str]]) -> set[str]:
    """The classes and their subclasses by the rdfs:subClassOf *edges* (subclass, class)."""
    out = set(classes)
    changed = bool(out and edges)
    while changed:
        changed = False
        for sub, sup in edges:
            if sup in out and sub not in out:
                out.add(sub)
                changed = True
    return out


_RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
_RECORD_SUBJECT_PREDICATES = frozenset(
    {DCTERMS + "issued", SCHEMA + "datePublished", DCTERMS + "type", SCHEMA + "additionalType"}
)


def _fallback_predicates(graph: rdflib.Graph) -> frozenset[str] | None:
    """The predicates pySHACL may read for shapes of *graph* (None: any): every IRI
    the shapes name, unless a SPARQL query or a closed shape may read any other."""
    if (
        any(True for _ in graph.triples((None, _SH.select, None)))
        or any(True for _ in graph.triples((None, _SH.ask, None)))
        or any(True for _ in graph.triples((None, _SH.closed, None)))
    ):
        return None
    named = {str(t) for triple in graph for t in triple if isinstance(t, rdflib.URIRef)}
    return frozenset(named | {RDF + "type", _RDFS_SUBCLASS})


def _result(raw: RawResult, shapes: _Shapes, locator: _Locator) -> ValidationResult:
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
class _RecordRef(FieldLines):
    """What results need of a record checked in another process: id, place, field lines."""

    id: str
    location: Any  # records.Location
    field_lines: tuple[tuple[str, int], ...] = ()


@dataclass
class ChunkValidation:
    """One chunk's validation, done where it was mapped: results, cross-record keys."""

    results: list[ValidationResult]
    #: The cross-record entries (csec_ld.shacl.CrossEntry) and the triples of theirs that the
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
        from .shacl import compile_shapes

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
        from .shacl import CrossIndex

        entry_owners = [numbers[e.iri] for e in out.entries]
        packed = CrossIndex.pack(out.entries, out.ntriples)
        return ChunkValidation(results, packed, out.keys, owners, entry_owners)


class StreamValidation:
    """Gathers :class:`ChunkValidation` values in the main process; :meth:`finish` ends it."""

    def __init__(self, checker: ChunkChecker) -> None:
        from .shacl import CrossIndex

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
        from .shacl import CrossIndex

        kept = [i for i, n in enumerate(chunk.entry_owners) if n not in skip]
        entries, ntriples = CrossIndex.unpack(chunk.packed)
        self.cross.add([entries[i] for i in kept], [chunk.keys[i] for i in kept], ntriples)

    def add_broken(self, catalogue: Any) -> None:
        """The identifiers of the records that failed to load, for the cross-record rules."""
        mapped = []
        for number, part in enumerate(catalogue.broken):
            triples = _broken_triples(catalogue.catalog, [part])
            if triples:
                mapped.append((part, triples[0].subject.value, triples, number))
        if mapped:
            self.add(self.checker.check(mapped))

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
