"""Content negotiation: which variant of a resource, or of a SPARQL answer, a client gets.

The variants of an IRI (the page, the data formats, the citation formats), the names
clients use for them, the Content-Type each file is sent with, and the reading of an
``Accept`` header (RFC 9110 §12.5.1). ``serve`` (static site or remote store) and the
SPARQL endpoint share them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph
from pyoxigraph import QueryResultsFormat, RdfFormat

from ..query import json_term
from ..serialize import RDF_FORMATS, WRITTEN_FORMATS
from ..site.citations import CITATION_FORMATS
from .sandbox import Answer

__all__ = [
    "ALIASES",
    "CONTENT_TYPES",
    "DATA_SUFFIXES",
    "GRAPH_FORMATS",
    "RESULT_FORMATS",
    "VARIANTS",
    "MediaRange",
    "answer_body",
    "negotiate",
    "parse_accept",
    "results_body",
]

#: The page and data variants of an IRI, in the server's order of preference.
VARIANTS: tuple[tuple[str, str], ...] = (
    ("html", "text/html"),
    *((f.suffix, f.media_type) for f in WRITTEN_FORMATS.values()),
    # a record's citation (BibTeX, RIS, CSL-JSON): only records have these files
    *((f.suffix, f.media) for f in CITATION_FORMATS),
)
#: Other names clients use for the same formats.
ALIASES = {
    "application/xhtml+xml": "text/html",
    **{alias: f.media_type for f in WRITTEN_FORMATS.values() for alias in f.aliases},
}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    **{f".{f.suffix}": f.content_type for f in WRITTEN_FORMATS.values()},
    ".json": "application/json",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".gz": "application/gzip",
    ".js": "text/javascript; charset=utf-8",  # the search page's Pagefind modules
    ".css": "text/css; charset=utf-8",
    ".wasm": "application/wasm",
    **{f".{f.suffix}": f.content_type for f in CITATION_FORMATS},
}
DATA_SUFFIXES = frozenset(
    {
        *(f".{s}" for s in WRITTEN_FORMATS),
        ".json",
        ".gz",
        *(f".{f.suffix}" for f in CITATION_FORMATS),
    }
)

RESULT_FORMATS: tuple[tuple[str, QueryResultsFormat | None], ...] = (
    ("application/sparql-results+json", QueryResultsFormat.JSON),
    ("application/sparql-results+xml", QueryResultsFormat.XML),
    ("text/csv", QueryResultsFormat.CSV),
    ("text/tab-separated-values", QueryResultsFormat.TSV),
    ("application/json", None),  # the JSON results format, under its generic name
)
#: What a CONSTRUCT or DESCRIBE answer can be sent as: the written formats, and RDF/XML.
GRAPH_FORMATS: tuple[tuple[str, RdfFormat], ...] = tuple(
    (f.media_type, f.rdf_format) for f in RDF_FORMATS if f.writer or f.suffix == "rdf"
)
# --------------------------------------------------------------------------- negotiation


_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_RANGE_RE = re.compile(rf"({_TOKEN})/({_TOKEN})")
_QVALUE_RE = re.compile(r"0(?:\.\d{0,3})?|1(?:\.0{0,3})?")


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    def matches(self, media_type: str) -> int:
        """How specifically this range matches *media_type*: 2 exact, 1 ``type/*``, 0 ``*/*``,
        -1 no match."""
        t, _, s = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type == t and self.subtype == "*":
            return 1
        if self.type == t and self.subtype == s:
            return 2
        return -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header, read leniently.

    A member that is not a media range, or whose q-value is malformed, is ignored
    (a recipient may ignore what it cannot parse, RFC 9110 §5.6.1 and §12.5.1);
    if nothing is left, every type is acceptable.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept("text/turtle;q=0.9, */*;q=0.1")]
    [('text', 'turtle', 0.9), ('*', '*', 0.1)]
    >>> [(r.type, r.subtype) for r in parse_accept("garbage, text/html;q=7, text/turtle")]
    [('text', 'turtle')]
    """
    if header is None or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges = []
    for part in header[:4096].split(",")[:64]:
        if not part.strip():
            continue  # RFC 9110 allows empty list elements
        head, *params = part.split(";")
        m = _RANGE_RE.fullmatch(head.strip())
        if not m or (m.group(1) == "*" and m.group(2) != "*"):
            continue
        q: float | None = 1.0
        for param in params:
            name, eq, value = param.strip().partition("=")
            if eq and name.strip().lower() == "q":
                q = float(value) if _QVALUE_RE.fullmatch(value.strip()) else None
        if q is not None:
            ranges.append(MediaRange(m.group(1).lower(), m.group(2).lower(), q))
    if not ranges:
        return [MediaRange("*", "*", 1.0)]
    return ranges


def negotiate(header: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client prefers (ties go to the server's order), or None.

    >>> negotiate("text/html;q=0.5, text/turtle", ["text/html", "text/turtle"])
    'text/turtle'
    >>> negotiate("image/png", ["text/html"]) is None
    True
    """
    ranges = parse_accept(header)
    best: tuple[float, int] = (0.0, 0)
    choice = None
    for index, media in enumerate(offered):
        names = [media, *[alias for alias, target in ALIASES.items() if target == media]]
        specificity, q = -1, 0.0
        for r in ranges:
            for name in names:
                s = r.matches(name)
                if s > specificity:
                    specificity, q = s, r.q
                elif s == specificity and s >= 0:
                    q = max(q, r.q)
        if specificity >= 0 and q > best[0]:
            best, choice = (q, -index), media
    return choice


def results_body(result: Answer, fmt: QueryResultsFormat | None) -> bytes:
    if result.kind == "ask":
        doc: dict[str, Any] = {"head": {}, "boolean": result.boolean}
    else:
        bindings = [
            {
                var: json_term(term)
                for var, term in zip(result.variables, row, strict=True)
                if term is not None
            }
            for row in result.rows
        ]
        doc = {"head": {"vars": result.variables}, "results": {"bindings": bindings}}
    body = json.dumps(doc, ensure_ascii=False).encode()
    if fmt is None or fmt == QueryResultsFormat.JSON:
        return body
    if result.kind == "ask" and fmt in (QueryResultsFormat.CSV, QueryResultsFormat.TSV):
        return b"true\n" if result.boolean else b"false\n"
    parsed = pyoxigraph.parse_query_results(body, QueryResultsFormat.JSON)
    return parsed.serialize(format=fmt) or b""


def answer_body(result: Answer, fmt: RdfFormat | QueryResultsFormat | None) -> bytes:
    if result.kind == "graph":
        assert isinstance(fmt, RdfFormat)
        return pyoxigraph.serialize(result.triples, format=fmt) or b""
    assert fmt is None or isinstance(fmt, QueryResultsFormat)
    return results_body(result, fmt)
