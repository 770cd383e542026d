"""Deterministic, streaming writers: Turtle, N-Triples and record-centred JSON-LD.

Writers take *blocks* (lists of triples about one subject, already sorted) and
write them as they come, so memory does not grow with the catalogue. Terms are
serialised by pyoxigraph (correct escaping, fast); we only fix the prefix
header and the order, which pyoxigraph leaves to a hash map.

The JSON-LD document references our versioned context by IRI
(:data:`~csec_ld.namespaces.CONTEXT_IRI`); :func:`jsonld_context` is that context,
shipped as ``context.jsonld`` so any processor can expand the document offline.
"""

from __future__ import annotations

import errno
import functools
import io
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson
import pyoxigraph
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple

from .namespaces import CONTEXT_IRI, DCTERMS, PREFIXES, RDF, SCHEMA, SKOS, XSD, compactor

__all__ = [
    "DUMP_FORMATS",
    "FORMATS",
    "RDF_FORMATS",
    "READ_FORMATS",
    "WRITTEN_FORMATS",
    "JsonLdWriter",
    "NTriplesWriter",
    "RdfFileFormat",
    "TurtleWriter",
    "Writer",
    "json_text",
    "jsonld_context",
    "writer_for",
]

_RDF_TYPE = RDF + "type"
_XSD_STRING = XSD + "string"

#: Predicates whose values are always IRIs: the context coerces them to ``@id``.
IRI_PROPERTIES: tuple[str, ...] = tuple(
    sorted(
        [
            DCTERMS + p
            for p in (
                "type",
                "subject",
                "spatial",
                "publisher",
                "creator",
                "contributor",
                "language",
                "isPartOf",
                "hasPart",
                "license",
            )
        ]
        + [
            SCHEMA + p
            for p in (
                "additionalType",
                "about",
                "spatialCoverage",
                "publisher",
                "author",
                "contributor",
                "isPartOf",
                "hasPart",
                "license",
                "url",
                "sameAs",
                "parentOrganization",
            )
        ]
        + [
            SKOS + p
            for p in ("inScheme", "broader", "narrower", "related", "hasTopConcept", "topConceptOf")
        ]
        + ["http://xmlns.com/foaf/0.1/homepage"]
    )
)
_IRI_PROPERTIES = frozenset(IRI_PROPERTIES)


#: ``prefix:local`` for an IRI in one of our prefixes, else the IRI itself
#: (:func:`~csec_ld.namespaces.compactor`).
compact = compactor(PREFIXES)


def jsonld_context() -> dict[str, Any]:
    """Our JSON-LD context: the prefixes, and ``@id`` coercion for IRI-valued properties."""
    ctx: dict[str, Any] = {"@version": 1.1}
    ctx.update(PREFIXES)
    for prop in IRI_PROPERTIES:
        ctx[compact(prop)] = {"@type": "@id"}
    return {"@context": ctx}


@dataclass(frozen=True)
class Parts:
    """A block of statements with one subject, each predicate with every object IRI,
    in that order: the catalogue's ``hasPart`` statements for a run of records.

    It iterates as that block's triples, but the writers render it from the IRI
    strings (:meth:`Writer.render_parts`): as ``Triple`` objects, the parts of a
    million records took 22 s of the main process after the workers were done.
    """

    subject: NamedNode
    predicates: tuple[NamedNode, ...]
    iris: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.predicates) * len(self.iris)

    def __iter__(self) -> Iterator[Triple]:
        for p in self.predicates:
            for value in self.iris:
                yield Triple(self.subject, p, NamedNode(value))

    def head(self) -> list[Triple]:
        """The first statement of each predicate."""
        return [Triple(self.subject, p, NamedNode(self.iris[0])) for p in self.predicates]


class Writer:
    """Base of the streaming writers: ``begin``, ``block`` per subject, ``end``."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out

    def begin(self) -> None:
        pass

    def block(self, triples: list[Triple] | Parts) -> None:
        if triples:
            if isinstance(triples, Parts):
                self.write_piece(self.render_parts(triples))
            else:
                self.write_piece(self.render(triples))

    @classmethod
    def render(cls, triples: list[Triple]) -> bytes:
        """The bytes of one non-empty block, on its own (no separators)."""
        raise NotImplementedError

    @classmethod
    def render_parts(cls, parts: Parts) -> bytes:
        """``render`` of the block *parts* iterates as (the writers below take the IRIs'
        text as it is, which is the same bytes)."""
        return cls.render(list(parts))

    @classmethod
    def join(cls, pieces: list[bytes]) -> bytes:
        """Rendered blocks as one piece (so worker processes can render chunks)."""
        return b"".join(pieces)

    @classmethod
    def render_blocks(cls, blocks: list[list[Triple]]) -> bytes:
        """Non-empty blocks as one piece: the bytes of ``join`` over each ``render``."""
        return cls.join([cls.render(b) for b in blocks])

    def write_piece(self, piece: bytes) -> None:
        """Write rendered (and joined) blocks."""
        if piece:
            self.out.write(self._lead() + piece)

    def copy_piece(self, src: IO[bytes], offset: int, length: int) -> None:
        """:meth:`write_piece` of the *length* bytes at *offset* in the file *src*."""
        if length:
            self.out.write(self._lead())
            copy_range(src, offset, length, self.out)

    def _lead(self) -> bytes:
        """What goes before the piece being written (JSON-LD: a comma after the first)."""
        return b""

    def end(self) -> None:
        pass

    def write_all(self, blocks: Iterable[list[Triple]]) -> None:
        self.begin()
        for b in blocks:
            self.block(b)
        self.end()


def copy_range(src: IO[bytes], offset: int, length: int, out: IO[bytes]) -> None:
    """Copy *length* bytes at *offset* of the file *src* to the end of *out*: by the
    kernel where it can (``os.copy_file_range``, no trip through Python's buffers),
    else read and written a megabyte at a time."""
    try:
        dst = out.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        dst = -1
    if dst >= 0 and hasattr(os, "copy_file_range"):
        out.flush()
        copied = False
        try:
            while length:
                done = os.copy_file_range(src.fileno(), dst, length, offset)
                if not done:
                    break
                copied = True
                offset += done
                length -= done
        except OSError:
            pass  # not between these two files (a pipe, say): the copy goes on below
        if copied:
            out.seek(0, os.SEEK_END)  # the buffered writer learns where the file ends
    src.seek(offset)
    while length:
        block = src.read(min(length, 1 << 20))
        if not block:
            raise OSError(errno.EIO, f"{getattr(src, 'name', 'a file')} ends too soon")
        out.write(block)
        length -= len(block)


# --------------------------------------------------------------------------- term text
#
# The writers take tuples of terms, as the mapping gives them, and write each term's
# text themselves. Handing pyoxigraph's writers ``Triple`` objects costs more than the
# writing: building a ``Triple`` around a literal takes several microseconds, and
# ``str()`` of a literal escapes it one character at a time (5 µs for a 400-character
# description). A million records make tens of millions of triples. The text is
# still pyoxigraph's: the escapes below are read off pyoxigraph, and
# tests/test_serialize.py holds both writers to pyoxigraph's output byte for byte.

_NAMESPACES = tuple(PREFIXES.values())
#: Datatypes pyoxigraph may write in Turtle's short form (``42``, ``true``, ``1.5``).
_SHORT_FORMS = frozenset(XSD + t for t in ("integer", "decimal", "double", "boolean"))
_PROBE_S, _PROBE_P = NamedNode("urn:csec-ld:s"), NamedNode("urn:csec-ld:p")
#: The characters pyoxigraph escapes in a literal's text (the controls, ``"``, ``\``,
#: U+007F, U+FFFE and U+FFFF; the test checks every code point).
_ESCAPES = {
    c: text
    for c in [*range(0x80), 0xFFFE, 0xFFFF]
    if (text := str(Literal(chr(c)))[1:-1]) != chr(c)
}


def _pyoxigraph_turtle(term: Any) -> str:
    """A term's Turtle text as pyoxigraph writes it (with our prefixes)."""
    data = (
        pyoxigraph.serialize(
            [Triple(_PROBE_S, _PROBE_P, term)], format=RdfFormat.TURTLE, prefixes=PREFIXES
        )
        or b""
    ).decode()
    line = data.rstrip("\n").rsplit("\n", 1)[-1]
    return line[len(f"{_PROBE_S} {_PROBE_P} ") : -2]


@functools.lru_cache(maxsize=1 << 16)
def _turtle_prefixed(value: str) -> str:
    """The Turtle text of an IRI in one of our namespaces (see :func:`_turtle_iri`)."""
    short = compact(value)
    if short != value:
        return short
    return _pyoxigraph_turtle(NamedNode(value))  # a local name Turtle must escape


#: id(literal) -> (literal, N-Triples text, Turtle text): each profile writes the
#: record's title and description, the same objects, and their escaping is the
#: costly part. An entry holds its literal, so the id is not reused while it is there.
#: It holds a whole chunk's literals (2,000 records, ~18,000 literals): a worker renders
#: the chunk in N-Triples, then in Turtle, which finds them all here (with room for 4,096,
#: it found almost none). :func:`render_chunk` empties it before each chunk;
#: a test holds it to a chunk of ``pipeline.CHUNK_SIZE`` records.
_LITERAL_TEXT: dict[int, tuple[Any, str, str]] = {}


def render_chunk(formats: Iterable[str], blocks: list[list[Any]]) -> dict[str, bytes]:
    """A chunk's blocks rendered in each format (``render_blocks``), by format.

    The literal text cache is emptied first: the chunk's literals are new objects, so
    nothing is lost, and the cache never fills up (and empties itself) half-way through
    the chunk, between the N-Triples and Turtle passes that share it."""
    _LITERAL_TEXT.clear()
    return {fmt: FORMATS[fmt].render_blocks(blocks) for fmt in formats}


def _literal_texts(term: Any) -> tuple[Any, str, str]:
    """(literal, N-Triples text, Turtle text); TypeError for a blank node or a triple."""
    if type(term) is not Literal:
        raise TypeError(type(term))  # the caller falls back to pyoxigraph's writers
    if len(_LITERAL_TEXT) >= 1 << 16:
        _LITERAL_TEXT.clear()
    value = term.value
    # str.translate looks every character up: first ask, in C, whether there may be
    # one to escape (the escaped controls and non-characters are not printable).
    if value.isprintable() and '"' not in value and "\\" not in value:
        quoted = f'"{value}"'
    else:
        quoted = '"' + value.translate(_ESCAPES) + '"'
    language = term.language
    if language:
        nt = ttl = f"{quoted}@{language}"
    else:
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            nt = ttl = quoted
        else:
            nt = f"{quoted}^^<{datatype}>"
            ttl = (
                _pyoxigraph_turtle(term)
                if datatype in _SHORT_FORMS
                else f"{quoted}^^{_turtle_iri(datatype)}"
            )
    entry = _LITERAL_TEXT[id(term)] = (term, nt, ttl)
    return entry


def _compact_node(value: str) -> str:
    """:func:`compact`, without filling its cache with IRIs no prefix can shorten (a
    million records' IRIs)."""
    return compact(value) if value.startswith(_NAMESPACES) else value


def _turtle_iri(value: str) -> str:
    """An IRI's Turtle text: prefixed where pyoxigraph would prefix it. Only IRIs in our
    namespaces go through the cache (not a million records' IRIs)."""
    return _turtle_prefixed(value) if value.startswith(_NAMESPACES) else f"<{value}>"


class NTriplesWriter(Writer):
    @classmethod
    def render(cls, triples: list[Any]) -> bytes:
        try:
            return cls._render(triples)
        except TypeError:  # a blank node or a quoted triple: pyoxigraph writes them
            triples = [Triple(*t) for t in triples]
            return pyoxigraph.serialize(triples, format=RdfFormat.N_TRIPLES) or b""

    @staticmethod
    def _render(triples: list[Any]) -> bytes:
        lines = []
        literal = _LITERAL_TEXT.get
        last = subject = None
        for s, p, o in triples:
            if s is not last:
                if type(s) is not NamedNode:
                    raise TypeError(type(s))
                last, subject = s, f"<{s.value}> "
            if type(o) is NamedNode:
                lines.append(f"{subject}<{p.value}> <{o.value}> .\n")
                continue
            f = literal(id(o))
            if f is None or f[0] is not o:
                f = _literal_texts(o)
            lines.append(f"{subject}<{p.value}> {f[1]} .\n")
        return "".join(lines).encode()

    @classmethod
    def render_parts(cls, parts: Parts) -> bytes:
        lines: list[str] = []
        for p in parts.predicates:
            head = f"<{parts.subject.value}> <{p.value}> <"
            lines.extend([f"{head}{value}> .\n" for value in parts.iris])
        return "".join(lines).encode()


class TurtleWriter(Writer):
    def begin(self) -> None:
        header = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items())
        self.out.write(header.encode())

    @classmethod
    def render(cls, triples: list[Any]) -> bytes:
        """A blank line, then the block as pyoxigraph's Turtle writer lays it out: one
        statement per subject, ``;`` between predicates, ``,`` between objects."""
        try:
            return cls._render(triples)
        except TypeError:  # a blank node or a quoted triple: pyoxigraph writes them
            return cls._pyoxigraph([Triple(*t) for t in triples])

    @staticmethod
    def _render(triples: list[Any]) -> bytes:
        out = ["\n"]
        literal = _LITERAL_TEXT.get
        last_s = last_p = None
        for s, p, o in triples:
            if type(o) is NamedNode:
                obj = _turtle_iri(o.value)
            else:
                f = literal(id(o))
                if f is None or f[0] is not o:
                    f = _literal_texts(o)
                obj = f[2]
            if s is not last_s and (last_s is None or s != last_s):
                if type(s) is not NamedNode:
                    raise TypeError(type(s))
                if last_s is not None:
                    out.append(" .\n")
                out.append(f"{_turtle_iri(s.value)} {_predicate(p)} {obj}")
                last_s, last_p = s, p
            elif p is last_p or p == last_p:
                out.append(f" , {obj}")
            else:
                out.append(f" ;\n\t{_predicate(p)} {obj}")
                last_p = p
        out.append(" .\n")
        return "".join(out).encode()

    @classmethod
    def render_parts(cls, parts: Parts) -> bytes:
        if len(set(parts.predicates)) < len(parts.predicates):
            return cls.render(list(parts))
        objects = " , ".join([_turtle_iri(v) for v in parts.iris])  # once for every predicate
        body = " ;\n\t".join(f"{_predicate(p)} {objects}" for p in parts.predicates)
        return f"\n{_turtle_iri(parts.subject.value)} {body} .\n".encode()

    @staticmethod
    def _pyoxigraph(triples: list[Triple]) -> bytes:
        text = pyoxigraph.serialize(triples, format=RdfFormat.TURTLE, prefixes=PREFIXES) or b""
        # pyoxigraph repeats the prefixes (in hash order); ours are written once, in begin().
        lines = text.split(b"\n")
        start = 0
        while start < len(lines) and lines[start].startswith(b"@prefix "):
            start += 1
        body = b"\n".join(lines[start:]).strip(b"\n")
        return b"\n" + body + b"\n"


_PREDICATE_TEXT: dict[int, tuple[Any, str]] = {}


def _predicate(p: NamedNode) -> str:
    """A predicate's Turtle text (``a`` for rdf:type)."""
    entry = _PREDICATE_TEXT.get(id(p))
    if entry is None or entry[0] is not p:
        if len(_PREDICATE_TEXT) >= 1 << 12:
            _PREDICATE_TEXT.clear()
        value = p.value
        text = "a" if value == _RDF_TYPE else _turtle_iri(value)
        entry = _PREDICATE_TEXT[id(p)] = (p, text)
    return entry[1]


#: id(literal) -> (literal, value where the context coerces to @id, value elsewhere),
#: as _LITERAL_TEXT; the values are shared between node objects (nothing changes them).
_LITERAL_JSON: dict[int, tuple[Any, Any, Any]] = {}


def _json_literal(term: Any) -> tuple[Any, Any, Any]:
    """A literal's value in a node object: where the context coerces the property to
    ``@id`` (a plain string would read as an IRI there), and elsewhere."""
    if len(_LITERAL_JSON) >= 1 << 12:
        _LITERAL_JSON.clear()
    value = term.value
    language = term.language
    if language:
        coerced = plain = {"@language": language, "@value": value}
    else:
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            coerced, plain = {"@value": value}, value
        else:
            coerced = plain = {"@type": compact(datatype), "@value": value}
    entry = _LITERAL_JSON[id(term)] = (term, coerced, plain)
    return entry


#: id(predicate) -> (predicate, key in a node object (None: ``@type``), coerced to @id).
_KEYS: dict[int, tuple[Any, str | None, bool]] = {}


def _key(predicate: Any) -> tuple[Any, str | None, bool]:
    if len(_KEYS) >= 1 << 12:
        _KEYS.clear()
    value = predicate.value
    entry = _KEYS[id(predicate)] = (
        predicate,
        None if value == _RDF_TYPE else compact(value),
        value in _IRI_PROPERTIES,
    )
    return entry


def node_object(triples: list[Any]) -> dict[str, Any]:
    """One JSON-LD node object for a block of triples about one subject (``Triple``
    objects or tuples of terms)."""
    subject = triples[0][0]
    assert isinstance(subject, NamedNode), "our mapping writes no blank nodes"
    node: dict[str, Any] = {"@id": _compact_node(subject.value)}
    keys, literal = _KEYS.get, _LITERAL_JSON.get
    for _, predicate, obj in triples:
        k = keys(id(predicate))
        if k is None or k[0] is not predicate:
            k = _key(predicate)
        key = k[1]
        if type(obj) is NamedNode:
            iri = _compact_node(obj.value)
            if key is None:
                node.setdefault("@type", []).append(iri)
                continue
            value: Any = iri if k[2] else {"@id": iri}
        else:
            v = literal(id(obj))
            if v is None or v[0] is not obj:
                v = _json_literal(obj)
            value = v[1] if k[2] else v[2]
            if key is None:
                key = compact(_RDF_TYPE)
        values = node.get(key)
        if values is None:
            node[key] = [value]
        else:
            values.append(value)
    return node


class JsonLdWriter(Writer):
    """Record-centred JSON-LD: each subject one node object in ``@graph``."""

    def __init__(self, out: IO[bytes], context: str | dict[str, Any] = CONTEXT_IRI) -> None:
        super().__init__(out)
        self.context = context
        self.first = True

    def begin(self) -> None:
        ctx = json.dumps(self.context, ensure_ascii=False, sort_keys=True)
        self.out.write(b'{\n  "@context": ' + ctx.encode() + b',\n  "@graph": [')

    @classmethod
    def render(cls, triples: list[Any]) -> bytes:
        # One node object per line: readable, greppable, and encoded by orjson (three
        # times json's C encoder; an indented dump would be far slower still).
        return orjson.dumps(node_object(triples), option=orjson.OPT_SORT_KEYS)

    @classmethod
    def render_parts(cls, parts: Parts) -> bytes:
        node: dict[str, Any] = {"@id": _compact_node(parts.subject.value)}
        iris = [_compact_node(v) for v in parts.iris]
        for p in parts.predicates:
            _, key, coerced = _key(p)
            if key is None or key in node:  # rdf:type, or a predicate twice: as node_object
                return cls.render(list(parts))
            node[key] = iris if coerced else [{"@id": v} for v in iris]
        return orjson.dumps(node, option=orjson.OPT_SORT_KEYS)

    @classmethod
    def join(cls, pieces: list[bytes]) -> bytes:
        return b",\n    ".join(pieces)

    def _lead(self) -> bytes:
        lead = b"\n    " if self.first else b",\n    "
        self.first = False
        return lead

    def end(self) -> None:
        self.out.write(b"\n  ]\n}\n")


@dataclass(frozen=True)
class RdfFileFormat:
    """One RDF format the catalogue reads, and for three of them writes: a row of
    :data:`RDF_FORMATS`, the one table that file suffixes, media types, names,
    pyoxigraph's formats and the writers are taken from everywhere else."""

    suffix: str  # the file suffix without its dot; also the ``--format`` and ``?format=`` name
    media_type: str
    label: str
    rdf_format: RdfFormat
    writer: type[Writer] | None = None  # None: read only
    aliases: tuple[str, ...] = ()  # other media types clients send for it
    charset: bool = False  # a text format whose Content-Type names UTF-8

    @property
    def content_type(self) -> str:
        """The Content-Type header files of the format are sent with."""
        return self.media_type + ("; charset=utf-8" if self.charset else "")


#: The RDF formats: first the three the catalogue is published in, in the order of
#: preference of content negotiation (and of the pages' alternate links), then those
#: only read (record sources, ``validate``, ``load``).
RDF_FORMATS: tuple[RdfFileFormat, ...] = (
    RdfFileFormat(
        "ttl",
        "text/turtle",
        "Turtle",
        RdfFormat.TURTLE,
        TurtleWriter,
        ("application/x-turtle",),
        charset=True,
    ),
    RdfFileFormat(
        "jsonld",
        "application/ld+json",
        "JSON-LD",
        RdfFormat.JSON_LD,
        JsonLdWriter,
        ("application/json",),
    ),
    RdfFileFormat("nt", "application/n-triples", "N-Triples", RdfFormat.N_TRIPLES, NTriplesWriter),
    RdfFileFormat("nq", "application/n-quads", "N-Quads", RdfFormat.N_QUADS),
    RdfFileFormat("trig", "application/trig", "TriG", RdfFormat.TRIG),
    RdfFileFormat("rdf", "application/rdf+xml", "RDF/XML", RdfFormat.RDF_XML),
)
#: The formats the catalogue is written in, by suffix (in negotiation order).
WRITTEN_FORMATS: dict[str, RdfFileFormat] = {f.suffix: f for f in RDF_FORMATS if f.writer}
#: Every format read, by file suffix with its dot (``.ttl``).
READ_FORMATS: dict[str, RdfFileFormat] = {f".{f.suffix}": f for f in RDF_FORMATS}
#: The order the dumps (``catalog.ttl``...) are written, listed and configured in.
DUMP_FORMATS: tuple[str, ...] = ("ttl", "nt", "jsonld")
if set(DUMP_FORMATS) != set(WRITTEN_FORMATS):  # pragma: no cover
    raise AssertionError("DUMP_FORMATS must order the written formats")
#: The writer of each written format, by suffix.
FORMATS: dict[str, type[Writer]] = {
    f.suffix: f.writer for f in WRITTEN_FORMATS.values() if f.writer is not None
}


def writer_for(fmt: str) -> type[Writer]:
    return FORMATS[fmt]


# --------------------------------------------------------------------------- JSON text

_NOT_ASCII = re.compile("[^\x00-\x7e]")


def _ascii_escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    if c < 0x10000:
        return f"\\u{c:04x}"
    c -= 0x10000  # outside the BMP: a surrogate pair, as json writes it
    return f"\\u{0xD800 | (c >> 10):04x}\\u{0xDC00 | (c & 0x3FF):04x}"


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_float(v) for v in value)
    return False


def json_text(
    value: Any, *, sort_keys: bool = False, indent: int | None = None, **options: Any
) -> str:
    """``json.dumps(value, sort_keys=..., indent=..., **options)``, the same text.

    Indented output is json's pure-Python encoder, and a page's JSON-LD is the largest
    part of rendering it: with ``sort_keys=True, indent=2`` (what the pages' ``tojson``
    asks for) orjson writes it, and what json escapes (every character past ``~``,
    as ``\\uXXXX``) is escaped after. Whatever orjson writes otherwise (floats) or
    refuses (lone surrogates, integers past 64 bits, keys that are not strings, other
    types) goes to json.dumps; ``tests/test_serialize.py`` holds the two to the same text.
    """
    if options or indent != 2 or not sort_keys or _has_float(value):
        return json.dumps(value, sort_keys=sort_keys, indent=indent, **options)
    try:
        raw = orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value, sort_keys=sort_keys, indent=indent)
    return _NOT_ASCII.sub(_ascii_escape, raw.decode("utf-8"))
