"""The mapping profiles: the triples each profile gives, exactly, for one record."""

from __future__ import annotations

from typing import Any

import pyoxigraph
import pytest
from pyoxigraph import NamedNode, Triple

from csec_ld.errors import UsageError
from csec_ld.mapping import PROFILES, Mapper, get_profiles, writes_every_profile
from csec_ld.namespaces import DCTERMS, PREFIXES, RDF, SCHEMA
from csec_ld.records import Location, RawRecord, Record, build_record
from csec_ld.sources import Catalogue, open_catalog
from tests.conftest import DATA

PREFIX_HEADER = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items())
R = "<https://w3id.org/csec-ld/resource/sample-2010>"
CATALOG = "<https://w3id.org/csec-ld/catalog>"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return open_catalog([DATA])


SAMPLE: dict[str, Any] = {
    "id": "sample-2010",
    "title": {"en": "Sample survey", "fr": "Enquête exemple"},
    "issued": "2010-06",
    "type": "survey-report",
    "description": "About it.",
    "countries": ["PH"],
    "subjects": ["child-trafficking"],
    "publishers": ["ilo"],
    "creators": ["ecpat-international"],
    "contributors": ["nso-philippines"],
    "languages": ["en"],
    "identifiers": [
        "isbn:978-92-2-125081-4",
        "https://example.org/r.pdf",
        "issn:0378-5955",
        "doi:10.1000/182",
        "hdl:20.500.12345/678",
    ],
    "is_part_of": ["ipec"],
    "license": "https://creativecommons.org/licenses/by/4.0/",
    "modified": "2011",
}

DCTERMS_TTL = f"""
{R} a dcmitype:Text ;
  dcterms:title "Sample survey"@en , "Enquête exemple"@fr ;
  dcterms:issued "2010-06"^^xsd:gYearMonth ;
  dcterms:type type:survey-report ;
  dcterms:description "About it."@en ;
  dcterms:spatial country:PHL ;
  dcterms:subject topic:child-trafficking ;
  dcterms:publisher agent:ilo ;
  dcterms:creator agent:ecpat-international ;
  dcterms:contributor agent:nso-philippines ;
  dcterms:language lang:ENG ;
  dcterms:identifier "urn:isbn:978-92-2-125081-4" , "https://example.org/r.pdf" ,
      "urn:issn:0378-5955" , "https://doi.org/10.1000/182" ,
      "https://hdl.handle.net/20.500.12345/678" ;
  dcterms:isPartOf {CATALOG} , project:ipec ;
  dcterms:license <https://creativecommons.org/licenses/by/4.0/> ;
  dcterms:modified "2011"^^xsd:gYear .
"""

SCHEMAORG_TTL = f"""
{R} a schema:Report ;
  schema:name "Sample survey"@en , "Enquête exemple"@fr ;
  schema:datePublished "2010-06"^^schema:Date ;
  schema:additionalType type:survey-report ;
  schema:description "About it."@en ;
  schema:spatialCoverage country:PHL ;
  schema:about topic:child-trafficking ;
  schema:publisher agent:ilo ;
  schema:author agent:ecpat-international ;
  schema:contributor agent:nso-philippines ;
  schema:inLanguage "en" ;
  schema:url <https://example.org/r.pdf> ;
  schema:isbn "978-92-2-125081-4" ;
  schema:issn "0378-5955" ;
  schema:sameAs <https://doi.org/10.1000/182> , <https://hdl.handle.net/20.500.12345/678> ;
  schema:isPartOf {CATALOG} , project:ipec ;
  schema:license <https://creativecommons.org/licenses/by/4.0/> ;
  schema:dateModified "2011"^^schema:Date .
"""


def triples(turtle: str) -> set[Triple]:
    parsed = pyoxigraph.parse(PREFIX_HEADER + turtle, format=pyoxigraph.RdfFormat.TURTLE)
    return {q.triple for q in parsed}


def sample(catalogue: Catalogue, data: dict[str, Any] | None = None) -> Record:
    record, errors = build_record(
        RawRecord(data or SAMPLE, Location("sample.yaml", 1)), catalogue.vocab, catalogue.registry
    )
    assert not errors, [str(e) for e in errors]
    assert record is not None
    return record


def test_expected_triples_parse() -> None:
    """Guard: the expected Turtle above is not silently empty."""
    assert len(triples(DCTERMS_TTL)) == 21
    assert len(triples(SCHEMAORG_TTL)) == 21


@pytest.mark.parametrize(
    ("profiles", "expected"),
    [
        (["dcterms"], DCTERMS_TTL),
        (["schemaorg"], SCHEMAORG_TTL),
        (["dcterms", "schemaorg"], DCTERMS_TTL + SCHEMAORG_TTL),
        (None, DCTERMS_TTL + SCHEMAORG_TTL),  # the default: both
    ],
)
def test_record_triples_exactly(
    profiles: list[str] | None, expected: str, catalogue: Catalogue
) -> None:
    got = Mapper(catalogue, profiles).record(sample(catalogue))
    assert len(got) == len(set(got))
    assert set(got) == triples(expected)


def test_record_triples_classes_first_and_deterministic(catalogue: Catalogue) -> None:
    got = Mapper(catalogue).record(sample(catalogue))
    assert [t.predicate.value for t in got[:2]] == [RDF + "type"] * 2
    assert RDF + "type" not in {t.predicate.value for t in got[2:]}
    assert Mapper(catalogue).record(sample(catalogue)) == got


def test_minimal_record_is_part_of_the_catalogue(catalogue: Catalogue) -> None:
    data = {"id": "sample-2010", "title": "T", "issued": "2010-06-14", "type": "guidelines"}
    got = set(Mapper(catalogue).record(sample(catalogue, data)))
    assert got == triples(f"""
        {R} a dcmitype:Text , schema:CreativeWork ;
          dcterms:title "T"@en ; schema:name "T"@en ;
          dcterms:issued "2010-06-14"^^xsd:date ;
          schema:datePublished "2010-06-14"^^schema:Date ;
          dcterms:type type:guidelines ; schema:additionalType type:guidelines ;
          dcterms:isPartOf {CATALOG} ; schema:isPartOf {CATALOG} .
    """)


@pytest.mark.parametrize("profile", ["dcterms", "schemaorg"])
def test_one_profile_writes_only_its_vocabulary(profile: str) -> None:
    catalogue = open_catalog([DATA])
    mapper = Mapper(catalogue, [profile])
    blocks = [mapper.record(r) for r in catalogue.records()]
    assert len(blocks) == 10
    record_predicates = {t.predicate.value for b in blocks for t in b}
    own, other = (DCTERMS, SCHEMA) if profile == "dcterms" else (SCHEMA, DCTERMS)
    assert {p for p in record_predicates if p != RDF + "type"} <= {
        p for p in record_predicates if p.startswith(own)
    }
    assert not any(p.startswith(other) for p in record_predicates)
    classes = {t.object.value for b in blocks for t in b if t.predicate.value == RDF + "type"}
    if profile == "dcterms":
        assert classes == {"http://purl.org/dc/dcmitype/Text"}
    else:
        assert classes and all(c.startswith(SCHEMA) for c in classes)
    support = list(mapper.support())
    assert not any(t.predicate.value.startswith(other) for b in support for t in b)


def test_support_blocks_label_what_records_use(catalogue: Catalogue) -> None:
    mapper = Mapper(catalogue)
    record = sample(catalogue, {**SAMPLE, "is_part_of": ["scream"]})
    mapper.record(record)
    blocks = list(mapper.support())
    subjects = [b[0].subject.value for b in blocks]
    assert len(subjects) == len(set(subjects)), "one block per subject"
    assert subjects[-1] == "https://w3id.org/csec-ld/catalog"
    graph = {t for b in blocks for t in b}
    # the part_of chain of the project is followed: scream -> ipec -> ilo
    expected = triples("""
        country:PHL a dcterms:Location , schema:Country ;
          skos:prefLabel "Philippines"@en ; schema:name "Philippines"@en ;
          skos:notation "PHL" .
        lang:ENG a dcterms:LinguisticSystem ; skos:prefLabel "English"@en ;
          skos:notation "eng" .
        project:scream schema:isPartOf project:ipec ; dcterms:isPartOf project:ipec .
        project:ipec schema:isPartOf agent:ilo ; dcterms:isPartOf agent:ilo .
        agent:ilo a foaf:Organization , schema:Organization ;
          foaf:name "International Labour Organization" ;
          schema:alternateName "ILO" .
        type:survey-report a skos:Concept ; skos:inScheme <https://w3id.org/csec-ld/type> ;
          skos:prefLabel "survey report"@en .
        topic:child-trafficking a skos:Concept .
        <https://w3id.org/csec-ld/catalog> a dcmitype:Collection , schema:Collection ;
          dcterms:hasPart <https://w3id.org/csec-ld/resource/sample-2010> ;
          schema:hasPart <https://w3id.org/csec-ld/resource/sample-2010> ;
          dcterms:title "Resources on commercial sexual exploitation of children"@en ;
          schema:name "Resources on commercial sexual exploitation of children"@en ;
          dcterms:publisher agent:csec-ld ;
          dcterms:license <https://creativecommons.org/licenses/by/4.0/> .
    """)
    assert expected <= graph, expected - graph
    # the catalogue's publisher is described too, and agents nobody used are not
    assert (
        triples(
            "agent:csec-ld a foaf:Organization , schema:Organization ; "
            'schema:name "csec-ld project" ; foaf:name "csec-ld project" .'
        )
        <= graph
    )
    described = {t.subject.value for t in graph}
    assert "https://w3id.org/csec-ld/agent/ecpat-luxembourg" not in described
    assert "https://w3id.org/csec-ld/project/tackle" not in described


def test_record_iri_follows_the_base() -> None:
    catalogue = open_catalog([DATA], base="https://example.org/cat/")
    record = next(catalogue.records())
    got = Mapper(catalogue).record(record)
    assert {t.subject for t in got} == {NamedNode(f"https://example.org/cat/resource/{record.id}")}
    assert NamedNode("https://example.org/cat/catalog") in {t.object for t in got}


def test_writes_every_profile() -> None:
    """Validation maps with every profile: a mapping that leaves one out needs another."""
    assert writes_every_profile(None) and writes_every_profile(())
    assert writes_every_profile(["schemaorg", "dcterms"])
    assert not writes_every_profile(["dcterms"])
    assert not writes_every_profile(["schemaorg"])


def test_profiles_registry() -> None:
    assert sorted(PROFILES) == ["dcterms", "schemaorg"]
    assert [p.name for p in get_profiles(["schemaorg", "dcterms"])] == ["dcterms", "schemaorg"]
    with pytest.raises(UsageError, match="unknown profile 'dcat'"):
        get_profiles(["dcterms", "dcat"])
