"""The writers: Turtle, N-Triples and record-centred JSON-LD, each read back as the same graph."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld
from pyoxigraph import Literal, NamedNode, Triple
from rdflib.compare import isomorphic

from csec_ld.namespaces import CONTEXT_IRI, DCTERMS, PREFIXES, RDF, RDFS, SCHEMA, XSD
from csec_ld.serialize import (
    FORMATS,
    IRI_PROPERTIES,
    JsonLdWriter,
    NTriplesWriter,
    Parts,
    TurtleWriter,
    Writer,
    compact,
    copy_range,
    json_text,
    jsonld_context,
    node_object,
)
from tests.conftest import ROOT

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
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": jsonld_context(),
    }


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
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": offline_loader})
    graph = rdflib.Graph().parse(data=nquads, format="nt")
    assert isomorphic(graph, rdflib_graph(ALL))


def test_jsonld_with_inline_context_reads_the_same_with_pyoxigraph() -> None:
    data = write(lambda out: JsonLdWriter(out, context=jsonld_context()["@context"]))
    quads = pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.JSON_LD)
    assert isomorphic(rdflib_graph([q.triple for q in quads]), rdflib_graph(ALL))


def test_node_object_is_one_subject() -> None:
    node = node_object(BLOCKS[1])
    assert node == {
        "@id": B.value,
        "@type": ["schema:Report"],
        "schema:name": [{"@language": "en", "@value": "B"}],
    }


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_writers_are_deterministic_and_accept_empty_blocks(fmt: str) -> None:
    writer = FORMATS[fmt]
    assert write(writer) == write(writer)
    assert write(writer, [BLOCKS[0], [], BLOCKS[1]]) == write(writer)


# A literal that looks like the end of a statement, and a subject given in two blocks
# one after the other (Turtle would join them): render_blocks must still give the
# bytes of the blocks rendered one by one.
TRICKY: list[list[Triple]] = [
    *BLOCKS,
    [t(A, DCTERMS + "description", Literal("ends a statement .\n<x> ."))],
    [t(B, DCTERMS + "description", Literal("first", language="en"))],
    [t(B, DCTERMS + "description", Literal("second .", language="en"))],
]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("blocks", [BLOCKS, TRICKY, BLOCKS[:1]], ids=["plain", "tricky", "one"])
def test_a_chunk_rendered_at_once_is_its_blocks_one_by_one(
    fmt: str, blocks: list[list[Triple]]
) -> None:
    writer = FORMATS[fmt]
    assert writer.render_blocks(blocks) == writer.join([writer.render(b) for b in blocks])


PART_CASES = [
    # the catalogue's hasPart statements, in both vocabularies
    (
        NamedNode("https://w3id.org/csec-ld/catalog"),
        (NamedNode(DCTERMS + "hasPart"), NamedNode(SCHEMA + "hasPart")),
        ("https://w3id.org/csec-ld/resource/a", "https://w3id.org/csec-ld/resource/b-2"),
    ),
    # one record; IRIs a prefix shortens, and one it must not (Turtle escapes the local name)
    (NamedNode("https://example.org/cat"), (NamedNode(DCTERMS + "hasPart"),), (DCTERMS + "x",)),
    (
        NamedNode("https://example.org/cat"),
        (NamedNode(SCHEMA + "hasPart"),),
        (SCHEMA + "Book", DCTERMS + "a~b", "https://example.org/r/1", RDFS + "label."),
    ),
    # what the fast renderings leave to render(): rdf:type, a predicate twice, a literal key
    (NamedNode("https://example.org/cat"), (NamedNode(RDF + "type"),), (SCHEMA + "Book",)),
    (
        NamedNode("https://example.org/cat"),
        (NamedNode(DCTERMS + "hasPart"), NamedNode(DCTERMS + "hasPart")),
        ("https://e.org/1",),
    ),
    (NamedNode("https://example.org/cat"), (NamedNode(DCTERMS + "title"),), ("https://e.org/1",)),
]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("case", range(len(PART_CASES)))
def test_parts_render_as_their_triples(fmt: str, case: int) -> None:
    """A Parts block is rendered from its IRIs' text: the bytes of its triples' block."""
    subject, predicates, iris = PART_CASES[case]
    parts = Parts(subject, predicates, iris)
    triples = list(parts)
    assert len(triples) == len(parts) == len(predicates) * len(iris)
    assert triples == [Triple(subject, p, NamedNode(v)) for p in predicates for v in iris]
    writer = FORMATS[fmt]
    assert writer.render_parts(parts) == writer.render(triples)
    assert parts.head() == [Triple(subject, p, NamedNode(iris[0])) for p in predicates]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("target", ["file", "memory"])
def test_pieces_copied_from_a_file_are_the_pieces_written(
    fmt: str, target: str, tmp_path: Path
) -> None:
    """What a worker leaves in a spool file (two chunks, an empty one between them)
    ends in the output as if written: copied by the kernel into a file, read and written
    into anything else."""
    writer = FORMATS[fmt]
    pieces = [writer.render_blocks(BLOCKS), b"", writer.render_blocks(TRICKY)]
    spool = tmp_path / "spool.chunk"
    spool.write_bytes(b"ahead" + b"".join(pieces) + b"behind")

    def written(copy: bool) -> bytes:
        path = tmp_path / f"out-{copy}.{fmt}"
        with path.open("wb") if target == "file" else io.BytesIO() as out:
            w = writer(out)
            w.begin()
            with spool.open("rb") as src:
                offset = len(b"ahead")
                for piece in pieces:
                    if copy:
                        w.copy_piece(src, offset, len(piece))
                    else:
                        w.write_piece(piece)
                    offset += len(piece)
            w.end()
            if isinstance(out, io.BytesIO):
                return out.getvalue()
        return path.read_bytes()

    assert written(copy=True) == written(copy=False)


def test_copy_range_from_a_file_that_ends_too_soon(tmp_path: Path) -> None:
    src = tmp_path / "short"
    src.write_bytes(b"0123456789")
    with src.open("rb") as fh, (tmp_path / "out").open("wb") as out:
        copy_range(fh, 2, 5, out)  # the kernel's copy, then Python's
        with pytest.raises(OSError, match="ends too soon"):
            copy_range(fh, 8, 5, io.BytesIO())
    assert (tmp_path / "out").read_bytes() == b"23456"


# --------------------------------------------------------------------------- term text
# The writers write terms' text themselves (from tuples of terms); it must be the
# text pyoxigraph's own writers give, term for term, byte for byte.

ODD = [
    *BLOCKS,
    [
        t(B, RDF + "type", NamedNode(RDF + "Property")),  # rdf:type as an object
        t(B, DCTERMS + "subject", NamedNode(DCTERMS + "a/b")),  # local names Turtle escapes
        t(B, DCTERMS + "subject", NamedNode(DCTERMS + "-a")),
        t(B, DCTERMS + "subject", NamedNode(DCTERMS + "a.")),
        t(B, DCTERMS + "subject", NamedNode(DCTERMS + "a%20b")),
        t(B, DCTERMS + "subject", NamedNode(DCTERMS)),
        t(B, DCTERMS + "subject", NamedNode("http://example.org/é?x=1&y=%3C")),
        t(B, SCHEMA + "position", Literal("42", datatype=NamedNode(XSD + "integer"))),
        t(B, SCHEMA + "position", Literal("0042", datatype=NamedNode(XSD + "integer"))),
        t(B, SCHEMA + "isAccessibleForFree", Literal("true", datatype=NamedNode(XSD + "boolean"))),
        t(B, SCHEMA + "ratio", Literal("1.50", datatype=NamedNode(XSD + "decimal"))),
        t(B, SCHEMA + "ratio", Literal("1e5", datatype=NamedNode(XSD + "double"))),
        t(B, SCHEMA + "name", Literal("x", datatype=NamedNode("http://example.org/dt"))),
        t(B, SCHEMA + "name", Literal("".join(chr(i) for i in range(1, 128)) + "é😀\u2028")),
        t(B, SCHEMA + "name", Literal("tab\there", language="en-GB")),
    ],
    [t(NamedNode(DCTERMS + "a/b"), RDF + "type", NamedNode(RDFS + "Class"))],
    [t(AGENT, SCHEMA + "name", Literal("ILO"))],
    # blank nodes: left to pyoxigraph's writers
    [Triple(pyoxigraph.BlankNode("b1"), NamedNode(SCHEMA + "name"), Literal("x"))],
    [t(A, SCHEMA + "author", pyoxigraph.BlankNode("b2")), t(A, SCHEMA + "name", Literal("y"))],
]


def _pyoxigraph_text(writer: type[Writer], block: list[Triple]) -> bytes:
    if writer is TurtleWriter:
        return TurtleWriter._pyoxigraph(block)
    return pyoxigraph.serialize(block, format=pyoxigraph.RdfFormat.N_TRIPLES)


@pytest.mark.parametrize("writer", [TurtleWriter, NTriplesWriter])
def test_the_writers_write_what_pyoxigraph_writes(writer: type[Writer]) -> None:
    for block in ODD:
        tuples = [(x.subject, x.predicate, x.object) for x in block]
        assert writer.render(tuples) == _pyoxigraph_text(writer, block), block[0].subject
        assert writer.render(block) == _pyoxigraph_text(writer, block)  # Triples too


@pytest.mark.parametrize("writer", [TurtleWriter, NTriplesWriter])
def test_the_writers_write_the_bundled_catalogue_as_pyoxigraph_does(writer: type[Writer]) -> None:
    from csec_ld.mapping import Mapper
    from csec_ld.sources import open_catalog

    catalogue = open_catalog([ROOT / "data"])
    mapper = Mapper(catalogue)
    blocks = [mapper.record(r) for r in catalogue.records()] + list(mapper.support())
    assert len(blocks) > 20
    for block in blocks:
        assert writer.render(block) == _pyoxigraph_text(writer, list(block))


def test_literals_escape_every_code_point_as_pyoxigraph_does() -> None:
    from csec_ld.serialize import _literal_texts

    # Surrogates cannot be in a literal; everything else is checked, in slices, and
    # one by one (a text with nothing to escape takes a shortcut).
    points = [*range(0xD800), *range(0xE000, 0x110000)]
    for start in range(0, len(points), 4096):
        lit = Literal("".join(chr(c) for c in points[start : start + 4096]))
        assert _literal_texts(lit)[1] == str(lit)
    for c in [*range(0x100), 0x2028, *range(0xFFF0, 0x10000)]:
        lit = Literal(chr(c), language="en")
        assert _literal_texts(lit)[1] == str(lit)


# --------------------------------------------------------------------------- json_text

#: any code point, lone surrogates and controls included
_ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=12)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True)
    | _ANY_TEXT,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(_ANY_TEXT, inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=600, deadline=None)
@given(_JSON)
def test_json_text_is_json_dumps(value: Any) -> None:
    """The pages' JSON text is json.dumps's, character for character, whatever the value."""
    assert json_text(value, sort_keys=True, indent=2) == json.dumps(value, sort_keys=True, indent=2)


@pytest.mark.parametrize(
    "value",
    [
        {"b": [1, {}, []], "a": "é\x7f\x00\x1f\u2028\U0001f600<&'\"\\/"},
        {"lone": "\ud800x"},  # orjson refuses a lone surrogate: json.dumps writes it
        {"big": 2**65},
        {1: "a key that is not a string"},
        [1.5, 1e16, float("inf")],
    ],
)
def test_json_text_on_what_orjson_writes_otherwise(value: Any) -> None:
    for kwargs in ({"sort_keys": True, "indent": 2}, {"indent": 2}, {}, {"sort_keys": True}):
        assert json_text(value, **kwargs) == json.dumps(value, **kwargs)


def test_pages_use_json_text_for_tojson(tmp_path: Path) -> None:
    """The templates' tojson goes through json_text (the record pages' JSON-LD)."""
    from csec_ld.site.publish import Site
    from csec_ld.sources import open_catalog

    site = Site(open_catalog([ROOT / "data"]), tmp_path, None, 10)
    assert site.env.policies["json.dumps_function"] is json_text
