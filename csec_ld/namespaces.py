"""IRI constants: the vocabularies we write and our own namespaces.

``CSEC_NS`` is *our* ontology namespace (``csec:``): terms such as
``csec:schemaOrgClass``. Our concepts live beside it, under ``VOCAB_BASE``:
resource types at ``{VOCAB_BASE}type/{id}``, topics at ``{VOCAB_BASE}topic/{id}``,
agents at ``{VOCAB_BASE}agent/{id}``, projects at ``{VOCAB_BASE}project/{id}``.
Countries and languages use the EU Publications Office authority tables, keyed
by ISO 3166-1 alpha-3 and ISO 639-3 codes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Final

__all__ = [
    "CONTEXT_IRI",
    "COUNTRY_BASE",
    "CSEC_NS",
    "DCAT",
    "DCMITYPE",
    "DCTERMS",
    "FOAF",
    "LANGUAGE_BASE",
    "OWL",
    "PREFIXES",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SKOS",
    "VOCAB_BASE",
    "XSD",
    "compactor",
]

VOCAB_BASE: Final = "https://w3id.org/csec-ld/"
CSEC_NS: Final = VOCAB_BASE + "ontology#"
ONTOLOGY_IRI: Final = VOCAB_BASE + "ontology"
TYPE_SCHEME: Final = VOCAB_BASE + "type"
TOPIC_SCHEME: Final = VOCAB_BASE + "topic"
AGENT_BASE: Final = VOCAB_BASE + "agent/"
PROJECT_BASE: Final = VOCAB_BASE + "project/"
#: Our JSON-LD context, versioned; the build ships a copy as ``context.jsonld``.
CONTEXT_IRI: Final = VOCAB_BASE + "context/1.0.jsonld"

COUNTRY_BASE: Final = "http://publications.europa.eu/resource/authority/country/"
LANGUAGE_BASE: Final = "http://publications.europa.eu/resource/authority/language/"

DCTERMS: Final = "http://purl.org/dc/terms/"
DCMITYPE: Final = "http://purl.org/dc/dcmitype/"
SCHEMA: Final = "http://schema.org/"
SKOS: Final = "http://www.w3.org/2004/02/skos/core#"
RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS: Final = "http://www.w3.org/2000/01/rdf-schema#"
OWL: Final = "http://www.w3.org/2002/07/owl#"
XSD: Final = "http://www.w3.org/2001/XMLSchema#"
FOAF: Final = "http://xmlns.com/foaf/0.1/"
DCAT: Final = "http://www.w3.org/ns/dcat#"

#: Prefixes used by every writer, in a fixed order.
PREFIXES: Final[dict[str, str]] = {
    "agent": VOCAB_BASE + "agent/",
    "country": COUNTRY_BASE,
    "csec": CSEC_NS,
    "dcmitype": DCMITYPE,
    "dcterms": DCTERMS,
    "foaf": FOAF,
    "lang": LANGUAGE_BASE,
    "project": VOCAB_BASE + "project/",
    "rdf": RDF,
    "rdfs": RDFS,
    "schema": SCHEMA,
    "skos": SKOS,
    "topic": VOCAB_BASE + "topic/",
    "type": VOCAB_BASE + "type/",
    "xsd": XSD,
}

#: What may follow ``prefix:`` when an IRI is written compact: an ASCII subset of
#: Turtle's PN_LOCAL (no escapes, no ``%``), never ending with a dot, so that the same
#: text is valid Turtle and SPARQL and reads the same in reports and on pages.
_LOCAL_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def compactor(prefixes: Mapping[str, str]) -> Callable[[str], str]:
    """The function that writes an IRI as ``prefix:local`` with *prefixes* (prefix →
    namespace, each ending with ``/`` or ``#``), else as the IRI itself: one rule for
    the writers, the query results and the validation reports, each with its table.

    >>> compact = compactor(PREFIXES)
    >>> compact("http://schema.org/Report"), compact("http://example.org/x")
    ('schema:Report', 'http://example.org/x')
    >>> compact("http://schema.org/a/b"), compact("http://schema.org/Report.")
    ('http://schema.org/a/b', 'http://schema.org/Report.')
    """
    by_namespace = {}
    for prefix, namespace in prefixes.items():
        if not namespace.endswith(("/", "#")):
            raise ValueError(f"the namespace of {prefix!r} must end with / or #: {namespace}")
        by_namespace[namespace] = prefix

    @functools.lru_cache(maxsize=1 << 16)  # the same terms come again and again
    def compact(iri: str) -> str:
        cut = max(iri.rfind("/"), iri.rfind("#")) + 1
        prefix = by_namespace.get(iri[:cut])
        local = iri[cut:]
        if prefix is None or not _LOCAL_RE.fullmatch(local) or local.endswith("."):
            return iri
        return f"{prefix}:{local}"

    return compact
