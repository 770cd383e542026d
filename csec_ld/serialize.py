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

import functools
import json
import re
from collections.abc import Iterable
from typing import IO, Any, ClassVar

import pyoxigraph
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple

from .namespaces import CONTEXT_IRI, DCTERMS, PREFIXES, RDF, SCHEMA, SKOS, XSD

__all__ = [
    "FORMATS",
    "JsonLdWriter",
    "NTriplesWriter",
    "TurtleWriter",
    "Writer",
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


_NS_PREFIX = {ns: prefix for prefix, ns in PREFIXES.items()}
_LOCAL_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


@functools.lru_cache(maxsize=1 << 16)
def compact(value: str) -> str:
    """``prefix:local`` for an IRI in one of our prefixes, else the IRI itself.

    >>> compact("http://schema.org/Report"), compact("http://example.org/x")
    ('schema:Report', 'http://example.org/x')
    """
    cut = max(value.rfind("/"), value.rfind("#")) + 1
    prefix = _NS_PREFIX.get(value[:cut])
    if prefix is None:
        return value
    local = value[cut:]
    if not _LOCAL_RE.fullmatch(local) or local.endswith("."):
        return value
    return f"{prefix}:{local}"


def jsonld_context() -> dict[str, Any]:
    """Our JSON-LD context: the prefixes, and ``@id`` coercion for IRI-valued properties."""
    ctx: dict[str, Any] = {"@version": 1.1}
    ctx.update(PREFIXES)
    for prop in IRI_PROPERTIES:
        ctx[compact(prop)] = {"@type": "@id"}
    return {"@context": ctx}


class Writer:
    """Base of the streaming writers: ``begin``, ``block`` per subject, ``end``."""

    extension: ClassVar[str]
    media_type: ClassVar[str]

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out

    def begin(self) -> None:
        pass

    def block(self, triples: list[Triple]) -> None:
        if triples:
            self.write_piece(self.render(triples))

    @classmethod
    def render(cls, triples: list[Triple]) -> bytes:
        """The bytes of one non-empty block, on its own (no separators)."""
        raise NotImplementedError

    @classmethod
    def join(cls, pieces: list[bytes]) -> bytes:
        """Rendered blocks as one piece (so worker processes can render chunks)."""
        return b"".join(pieces)

    def write_piece(self, piece: bytes) -> None:
        """Write rendered (and joined) blocks."""
        if piece:
            self.out.write(piece)

    def end(self) -> None:
        pass

    def write_all(self, blocks: Iterable[list[Triple]]) -> None:
        self.begin()
        for b in blocks:
            self.block(b)
        self.end()


class NTriplesWriter(Writer):
    extension = "nt"
    media_type = "application/n-triples"

    @classmethod
    def render(cls, triples: list[Triple]) -> bytes:
        return pyoxigraph.serialize(triples, format=RdfFormat.N_TRIPLES) or b""


class TurtleWriter(Writer):
    extension = "ttl"
    media_type = "text/turtle"

    def begin(self) -> None:
        header = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items())
        self.out.write(header.encode())

    @classmethod
    def render(cls, triples: list[Triple]) -> bytes:
        text = pyoxigraph.serialize(triples, format=RdfFormat.TURTLE, prefixes=PREFIXES) or b""
        # pyoxigraph repeats the prefixes (in hash order); ours are written once, in begin().
        lines = text.split(b"\n")
        start = 0
        while start < len(lines) and lines[start].startswith(b"@prefix "):
            start += 1
        body = b"\n".join(lines[start:]).strip(b"\n")
        return b"\n" + body + b"\n"


def _term(obj: Any, coerced: bool) -> Any:
    if isinstance(obj, NamedNode):
        return compact(obj.value) if coerced else {"@id": compact(obj.value)}
    assert isinstance(obj, Literal)
    if obj.language:
        return {"@language": obj.language, "@value": obj.value}
    datatype = obj.datatype.value
    if datatype == _XSD_STRING:
        return {"@value": obj.value} if coerced else obj.value
    return {"@type": compact(datatype), "@value": obj.value}


@functools.lru_cache(maxsize=1 << 12)
def _key(predicate: str) -> tuple[str | None, bool]:
    """A predicate's key in a node object (None: ``@type``), and whether its values
    are coerced to ``@id`` by our context."""
    return None if predicate == _RDF_TYPE else compact(predicate), predicate in _IRI_PROPERTIES


def node_object(triples: list[Any]) -> dict[str, Any]:
    """One JSON-LD node object for a block of triples about one subject (``Triple``
    objects or tuples of terms)."""
    subject = triples[0][0]
    assert isinstance(subject, NamedNode), "our mapping writes no blank nodes"
    node: dict[str, Any] = {"@id": compact(subject.value)}
    for _, predicate, obj in triples:
        key, coerced = _key(predicate.value)
        if key is None and isinstance(obj, NamedNode):
            node.setdefault("@type", []).append(compact(obj.value))
            continue
        if key is None:
            key = compact(_RDF_TYPE)
        values = node.get(key)
        if values is None:
            node[key] = [_term(obj, coerced)]
        else:
            values.append(_term(obj, coerced))
    return node


class JsonLdWriter(Writer):
    """Record-centred JSON-LD: each subject one node object in ``@graph``."""

    extension = "jsonld"
    media_type = "application/ld+json"

    def __init__(self, out: IO[bytes], context: str | dict[str, Any] = CONTEXT_IRI) -> None:
        super().__init__(out)
        self.context = context
        self.first = True

    def begin(self) -> None:
        ctx = json.dumps(self.context, ensure_ascii=False, sort_keys=True)
        self.out.write(b'{\n  "@context": ' + ctx.encode() + b',\n  "@graph": [')

    @classmethod
    def render(cls, triples: list[Any]) -> bytes:
        # One node object per line: readable, greppable, and json's fast C encoder
        # (indent= would fall back to the pure-Python one, ten times slower).
        return json.dumps(node_object(triples), ensure_ascii=False, sort_keys=True).encode()

    @classmethod
    def join(cls, pieces: list[bytes]) -> bytes:
        return b",\n    ".join(pieces)

    def write_piece(self, piece: bytes) -> None:
        if piece:
            self.out.write((b"\n    " if self.first else b",\n    ") + piece)
            self.first = False

    def end(self) -> None:
        self.out.write(b"\n  ]\n}\n")


FORMATS: dict[str, type[Writer]] = {
    "ttl": TurtleWriter,
    "nt": NTriplesWriter,
    "jsonld": JsonLdWriter,
}


def writer_for(fmt: str) -> type[Writer]:
    return FORMATS[fmt]
