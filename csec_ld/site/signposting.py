"""FAIR Signposting, level 1: the typed links of a record's landing page and IRI.

`FAIR Signposting <https://signposting.org/FAIR/>`_ asks a landing page to say, in
``Link`` headers and/or HTML ``<link>`` elements:

``cite-as``
    the persistent identifier to cite: the record's DOI (``https://doi.org/...``) when
    it has one, else its handle, else its own IRI (a ``w3id.org`` IRI, persistent too);
``describedby``
    each metadata document, with its media type: the record's Turtle, JSON-LD and
    N-Triples (``{iri}.ttl``, ...);
``type``
    the schema.org class of the record (``https://schema.org/Report``) and, for the
    landing page itself, ``https://schema.org/AboutPage``;
``license``
    the record's licence, only when it has one (never the catalogue's);
``item``
    the record's PDFs (``url`` identifiers ending in ``.pdf``), typed ``application/pdf``.

:func:`record_signposts` builds them from the record's schema.org triples, the same
triples its data files hold: ``publish`` writes them into the page's head, ``serve``
reads them from the record's N-Triples file and sends them as ``Link`` headers.

>>> from pyoxigraph import NamedNode, Triple
>>> rec = NamedNode("https://w3id.org/csec-ld/resource/x")
>>> rdf_type = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
>>> report = NamedNode("http://schema.org/Report")
>>> links = record_signposts(rec.value, [Triple(rec, rdf_type, report)], {"ttl": "text/turtle"})
>>> for link in links: print(link.header())
<https://w3id.org/csec-ld/resource/x>; rel="cite-as"
<https://w3id.org/csec-ld/resource/x.ttl>; rel="describedby"; type="text/turtle"
<https://schema.org/Report>; rel="type"
<https://schema.org/AboutPage>; rel="type"
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pyoxigraph import NamedNode

from ..namespaces import RDF, SCHEMA

__all__ = ["LANDING_PAGE_TYPE", "Signpost", "link_header", "record_signposts"]

#: The ``type`` of a landing page, as the FAIR Signposting profile recommends.
LANDING_PAGE_TYPE = "https://schema.org/AboutPage"
#: schema.org classes are linked in the ``https`` form the profile's examples use.
_SCHEMA_HTTPS = "https://schema.org/"
_RDF_TYPE = RDF + "type"
_SAME_AS = SCHEMA + "sameAs"
_LICENSE = SCHEMA + "license"
_URL = SCHEMA + "url"
#: Persistent identifiers, the most preferred first.
_PID_PREFIXES = ("https://doi.org/", "https://hdl.handle.net/")
#: What may stand between ``<`` and ``>`` of a Link header (an IRI has no space, quote,
#: angle bracket or control character; anything else is left out, not escaped).
_SAFE_TARGET = re.compile(r"[^\s<>\"\\\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class Signpost:
    """One typed link: its relation, its target (an absolute IRI) and a media type."""

    rel: str
    href: str
    type: str | None = None

    def header(self) -> str:
        """The link as a member of a ``Link`` header (RFC 8288)."""
        out = f'<{self.href}>; rel="{self.rel}"'
        return out + (f'; type="{self.type}"' if self.type else "")


def link_header(links: Iterable[Signpost]) -> str:
    """A ``Link`` header value with *links* (comma-separated, in their order)."""
    return ", ".join(link.header() for link in links)


def record_signposts(
    record_iri: str,
    triples: Iterable[Any],
    formats: Mapping[str, str],
    *,
    landing_page: bool = True,
) -> list[Signpost]:
    """The signposting links of the record *record_iri*, from its triples.

    *triples* are the record's (or quads; others' are ignored: a data file also holds the nodes
    the record names); *formats* maps each data file's extension to its media type.
    With *landing_page*, the links are those of its HTML page (``type`` AboutPage too).
    """
    types: list[str] = []
    same_as: list[str] = []
    licenses: list[str] = []
    pdfs: list[str] = []
    wanted = {_RDF_TYPE, _SAME_AS, _LICENSE, _URL}
    for t in triples:
        s, p, o = t[0], t[1], t[2]  # a Triple, a tuple of terms, or a Quad
        predicate = p.value
        if predicate not in wanted or not isinstance(o, NamedNode) or s.value != record_iri:
            continue  # only the record's IRIs are links
        value = o.value
        if predicate == _RDF_TYPE and value.startswith(SCHEMA):
            types.append(_SCHEMA_HTTPS + value[len(SCHEMA) :])
        elif predicate == _SAME_AS:
            same_as.append(value)
        elif predicate == _LICENSE:
            licenses.append(value)
        elif predicate == _URL and value.lower().split("?")[0].endswith(".pdf"):
            pdfs.append(value)
    cite_as = next(
        (v for prefix in _PID_PREFIXES for v in sorted(same_as) if v.startswith(prefix)), record_iri
    )
    links = [Signpost("cite-as", cite_as)]
    links += [
        Signpost("describedby", f"{record_iri}.{ext}", media) for ext, media in formats.items()
    ]
    links += [Signpost("type", t) for t in sorted(set(types))]
    if landing_page:
        links.append(Signpost("type", LANDING_PAGE_TYPE))
    links += [Signpost("license", v) for v in sorted(set(licenses))[:1]]
    links += [Signpost("item", v, "application/pdf") for v in sorted(set(pdfs))]
    return [link for link in links if _SAFE_TARGET.fullmatch(link.href)]
