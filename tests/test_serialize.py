"""The writers: Turtle, N-Triples and record-centred JSON-LD, each read back as the same graph."""

from __future__ import annotations

import io
import json
from typing import Any

import pyoxigraph
import pytest
import rdflib
from pyld import jsonld
from pyoxigraph import Literal, NamedNode, Triple
from rdflib.compare import isomorphic

from csec_ld.namespaces import CONTEXT_IRI, DCTERMS, PREFIXES, RDF, SCHEMA, XSD
from csec_ld.serialize import (
    FORMATS,
    IRI_PROPERTIES,
    JsonLdWriter,
    NTriplesWriter,
    TurtleWriter,
    Writer,
    compact,
    jsonld_context,
    node_object,
)

A = NamedNode("https://w3id.org/csec-ld/resource/a")
B = NamedNode("https://w3id.org/csec-ld/resource/b")
AGENT = NamedNode("https://w3id.org/csec-ld/agent/ilo")


def t(s: NamedNode, p: str, o: Any) -> Triple:
    return Triple(s, NamedNode(p), o)


# Every kind of term the mapping writes, with awkward text.
BLOCKS: list[list[Triple]] = [
    [
        t(A, RDF + "type", NamedNode(SCHEMA + "Report")),
        t(A, RDF + "type", NamedNode("http://purl.org/dc/dcmitype/Text")),
        t(A, DCTERMS + "title", Literal('Quotes " and \\ and\nnew line', language="en")),
        t(A, DCTERMS + "title", Literal("Enquête", language="fr")),
        t(A, DCTERMS + "issued", Literal("2010-06", datatype=NamedNode(XSD + "gYearMonth"))),
        t(A, SCHEMA + "datePublished", Literal("2010-06", datatype=NamedNode(SCHEMA + "Date"))),
        t(A, DCTERMS + "publisher", AGENT),
        t(A, DCTERMS + "isPartOf", NamedNode("https://w3id.org/csec-ld/catalog")),
        t(A, DCTERMS + "identifier", Literal("urn:isbn:978-92-2-125081-4")),
        t(A, SCHEMA + "url", NamedNode("https://example.org/r.pdf?a=1&b=2")),
        t(A, SCHEMA + "inLanguage", Literal("en")),
        # an IRI whose local part cannot be a prefixed name
        t(A, DCTERMS + "subject", NamedNode("https://w3id.org/csec-ld/topic/a/b")),
        # an IRI value on a property the context does not coerce
        t(A, "http://www.w3.org/2004/02/skos/core#exactMatch", NamedNode("http://example.org/x")),
    ],
    [
        t(B, RDF + "type", NamedNode(SCHEMA + "Report")),
        t(B, SCHEMA + "name", Literal("B", language="en")),
    ],
]
ALL = [x for block in BLOCKS for x in block]


def write(writer: type[Writer], blocks: list[list[Triple]] = BLOCKS) -> bytes:
    out = io.BytesIO()
    writer(out).write_all(blocks)
    return out.getvalue()


def rdflib_graph(triples: list[Triple]) -> rdflib.Graph:
    data = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=data.decode(), format="nt")


def offline_loader(url: str, options: Any = None) -> dict[str, Any]:
    if url != CONTEXT_IRI:
        raise AssertionError(f"the test would fetch {url}")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": jsonld_context()}


def test_compact() -> None:
    assert compact(SCHEMA + "Report") == "schema:Report"
    assert compact("https://w3id.org/csec-ld/agent/ilo") == "agent:ilo"
    assert compact("https://w3id.org/csec-ld/ontology#Project") == "csec:Project"
    assert compact("https://w3id.org/csec-ld/topic/a/b") == "https://w3id.org/csec-ld/topic/a/b"
    assert compact("https://w3id.org/csec-ld/resource/a") == "https://w3id.org/csec-ld/resource/a"
    assert compact("http://example.org/x") == "http://example.org/x"
    assert compact(SCHEMA) == SCHEMA


def test_context_declares_prefixes_and_coerces_iri_properties() -> None:
    ctx = jsonld_context()["@context"]
    assert ctx["@version"] == 1.1
    for prefix, ns in PREFIXES.items():
        assert ctx[prefix] == ns
    for prop in IRI_PROPERTIES:
        assert ctx[compact(prop)] == {"@type": "@id"}
    assert "dcterms:title" not in ctx  # literals stay literals


def test_turtle_round_trip_and_prefixes_once() -> None:
    data = write(TurtleWriter)
    text = data.decode()
    assert text.count("@prefix schema:") == 1
    assert text.startswith("".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()))
    graph = rdflib.Graph().parse(data=text, format="turtle")
    assert isomorphic(graph, rdflib_graph(ALL))
    assert "agent:ilo" in text  # prefixed names are used


def test_ntriples_round_trip() -> None:
    data = write(NTriplesWriter)
    assert len(data.decode().strip().splitlines()) == len(ALL)
    assert isomorphic(rdflib.Graph().parse(data=data.decode(), format="nt"), rdflib_graph(ALL))


def test_jsonld_is_record_centred() -> None:
    doc = json.loads(write(JsonLdWriter))
    assert doc["@context"] == CONTEXT_IRI
    assert [n["@id"] for n in doc["@graph"]] == [A.value, B.value]
    a = doc["@graph"][0]
    assert sorted(a["@type"]) == ["dcmitype:Text", "schema:Report"]
    assert a["dcterms:publisher"] == ["agent:ilo"]  # coerced by the context
    assert a["skos:exactMatch"] == [{"@id": "http://example.org/x"}]  # not coerced
    assert a["schema:inLanguage"] == ["en"]
    assert {"@language": "fr", "@value": "Enquête"} in a["dcterms:title"]
    assert a["dcterms:issued"] == [{"@type": "xsd:gYearMonth", "@value": "2010-06"}]


def test_jsonld_expands_to_the_same_graph_with_pyld() -> None:
    doc = json.loads(write(JsonLdWriter))
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads",
                                 "documentLoader": offline_loader})
    graph = rdflib.Graph().parse(data=nquads, format="nt")
    assert isomorphic(graph, rdflib_graph(ALL))


def test_jsonld_with_inline_context_reads_the_same_with_pyoxigraph() -> None:
    data = write(lambda out: JsonLdWriter(out, context=jsonld_context()["@context"]))
    quads = pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.JSON_LD)
    assert isomorphic(rdflib_graph([q.triple for q in quads]), rdflib_graph(ALL))


def test_node_object_is_one_subject() -> None:
    node = node_object(BLOCKS[1])
    assert node == {"@id": B.value, "@type": ["schema:Report"],
                    "schema:name": [{"@language": "en", "@value": "B"}]}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_writers_are_deterministic_and_accept_empty_blocks(fmt: str) -> None:
    writer = FORMATS[fmt]
    assert write(writer) == write(writer)
    assert write(writer, [BLOCKS[0], [], BLOCKS[1]]) == write(writer)
