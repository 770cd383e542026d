"""OAI-PMH: every verb and every error code, each response checked against the official schemas.

The catalogue is a copy of ``data/`` plus a record that uses every field (and was
modified), a modified seed record, and a withdrawn record (a tombstone).
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph
import pytest
import xmlschema

from csec_ld.mapping import Mapper
from csec_ld.site.oai import DC_NS, OAI_DC_NS, OAI_NS, OaiRepository
from csec_ld.sources import open_catalog

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT.parent / "shared" / "vendor" / "oai-pmh"
BASE_URL = "http://127.0.0.1:8000/oai"
HOST = "w3id.org"
FIXED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)

FULL_RECORD = """\
id: full-record-2013
title:
  en: Child protection in tourism
  fr: La protection des enfants dans le tourisme
issued: '2013-03'
type: report
description: A record that uses every field.
countries: [PHL, THA]
subjects: [sexual-exploitation-of-children-in-travel-and-tourism, child-labour]
publishers: [ilo]
creators: [nso-philippines]
contributors: [ecpat-international]
languages: [en, fr]
identifiers: ['isbn:978-92-2-125081-4', 'https://example.org/report.pdf', 'doi:10.1234/abc']
is_part_of: [ipec]
license: https://creativecommons.org/licenses/by/4.0/
modified: '2024-03-05'
"""

WITHDRAWN_RECORD = """\
id: withdrawn-report-2011
title: A report that was withdrawn
issued: '2011-02-01'
type: report
countries: [PRY]
subjects: [child-labour]
publishers: [ilo]
status: withdrawn
withdrawn: '2025-01-10'
"""

ALL = 12  # the 10 seed records, the full one and the tombstone
FULL = f"oai:{HOST}:full-record-2013"
WITHDRAWN = f"oai:{HOST}:withdrawn-report-2011"
TRACER = f"oai:{HOST}:tracer-study-paraguay-2012"
CONTACT = "oai-contact@example.org"  # make_catalogue's catalog.yaml names it

RDF_STUB = """\
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
  targetNamespace="http://www.w3.org/1999/02/22-rdf-syntax-ns#" elementFormDefault="qualified">
  <xs:element name="RDF"><xs:complexType><xs:sequence>
    <xs:any namespace="##any" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
  </xs:sequence><xs:anyAttribute namespace="##any" processContents="lax"/></xs:complexType>
  </xs:element>
</xs:schema>
"""


def make_catalogue(target: Path) -> Path:
    """A copy of data/ with a full record, a modified seed record and a tombstone."""
    shutil.copytree(ROOT / "data", target)
    records = target / "records"
    (records / "full-record-2013.yaml").write_text(FULL_RECORD, encoding="utf-8")
    (records / "withdrawn-report-2011.yaml").write_text(WITHDRAWN_RECORD, encoding="utf-8")
    tracer = records / "tracer-study-paraguay-2012.yaml"
    tracer.write_text(
        tracer.read_text(encoding="utf-8") + "modified: '2023-09-30'\n", encoding="utf-8"
    )
    catalog = target / "catalog.yaml"
    catalog.write_text(
        catalog.read_text(encoding="utf-8") + f"contact_email: {CONTACT}\n", encoding="utf-8"
    )
    return target


@pytest.fixture(scope="module")
def catalogue_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_catalogue(tmp_path_factory.mktemp("oai") / "data")


@pytest.fixture(scope="module")
def repo(catalogue_dir: Path) -> OaiRepository:
    return OaiRepository(open_catalog([catalogue_dir]), BASE_URL, clock=lambda: FIXED)


def build_schema() -> xmlschema.XMLSchema:
    """OAI-PMH.xsd with oai_dc.xsd and the Dublin Core schema, all from the vendored files.

    W3C publishes no XML schema for RDF/XML and OAI's ``rdf.xsd`` is not vendored, so
    the ``rdf`` format is checked against a lax stand-in for ``rdf:RDF`` (and parsed as
    RDF in its own test). ``allow="local"``: nothing is fetched.
    """
    local = {
        "http://dublincore.org/schemas/xmls/simpledc20021212.xsd": str(
            VENDOR / "simpledc20021212.xsd"
        ),
    }
    s = xmlschema.XMLSchema(
        str(VENDOR / "OAI-PMH.xsd"),
        build=False,
        allow="local",
        uri_mapper=lambda url: local.get(url, url),
    )
    s.import_schema(OAI_DC_NS, str(VENDOR / "oai_dc.xsd"))
    s.add_schema(io.StringIO(RDF_STUB))
    s.build()
    return s


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    if not VENDOR.is_dir():
        pytest.skip("the vendored schemas (../shared/vendor) are not beside this checkout")
    return build_schema()


def q(name: str, ns: str = OAI_NS) -> str:
    return f"{{{ns}}}{name}"


def ask(repo: OaiRepository, schema: xmlschema.XMLSchema, **args: str | list[str]) -> ET.Element:
    """Send a request; check the answer against the schema; return its root."""
    body = repo.handle({k.rstrip("_"): [v] if isinstance(v, str) else v for k, v in args.items()})
    schema.validate(body.decode("utf-8"))
    return ET.fromstring(body)


def error_code(root: ET.Element) -> str | None:
    err = root.find(q("error"))
    return None if err is None else err.get("code")


def ids(root: ET.Element) -> list[str]:
    return [h.findtext(q("identifier")) or "" for h in root.iter(q("header"))]


def harvest(
    repo: OaiRepository, schema: xmlschema.XMLSchema, verb: str, **args: str
) -> tuple[list[ET.Element], list[ET.Element]]:
    """Follow resumption tokens to the end: every header, and every resumptionToken element."""
    headers: list[ET.Element] = []
    tokens: list[ET.Element] = []
    root = ask(repo, schema, verb=verb, **args)
    while True:
        assert error_code(root) is None, ET.tostring(root)
        headers.extend(root.iter(q("header")))
        token = root.find(f"{q(verb)}/{q('resumptionToken')}")
        if token is None or not token.text:
            if token is not None:
                tokens.append(token)
            return headers, tokens
        tokens.append(token)
        root = ask(repo, schema, verb=verb, resumptionToken=token.text)


# --------------------------------------------------------------------------- verbs


def test_identify(repo: OaiRepository, schema: xmlschema.XMLSchema) -> None:
    root = ask(repo, schema, verb="Identify")
    assert root.findtext(q("responseDate")) == "2026-01-02T03:04:05Z"
    request = root.find(q("request"))
    assert request is not None and request.text == BASE_URL
    assert request.attrib == {"verb": "Identify"}
    ident = root.find(q("Identify"))
    assert ident is not None
    assert ident.findtext(q("repositoryName")) == (
        "Resources on commercial sexual exploitation of children"
    )
    assert ident.findtext(q("baseURL")) == BASE_URL
    assert ident.findtext(q("protocolVersion")) == "2.0"
    assert ident.findtext(q("adminEmail")) == CONTACT  # catalog.yaml's contact_email
    assert ident.findtext(q("earliestDatestamp")) == "2010-05-01"
    assert ident.findtext(q("deletedRecord")) == "persistent"
    assert ident.findtext(q("granularity")) == "YYYY-MM-DD"
    dc = ident.find(f"{q('description')}/{q('dc', OAI_DC_NS)}")
    assert dc is not None
    assert dc.findtext(q("identifier", DC_NS)) == "https://w3id.org/csec-ld/catalog"


def test_list_metadata_formats(repo: OaiRepository, schema: xmlschema.XMLSchema) -> None:
    for args in ({}, {"identifier": TRACER}):
        root = ask(repo, schema, verb="ListMetadataFormats", **args)
        formats = {
            f.findtext(q("metadataPrefix")): (
                f.findtext(q("schema")),
                f.findtext(q("metadataNamespace")),
            )
            for f in root.iter(q("metadataFormat"))
        }
        assert formats == {
            "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS),
            "rdf": (
                "http://www.openarchives.org/OAI/2.0/rdf.xsd",
                "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
            ),
        }


def test_list_sets(repo: OaiRepository, schema: xmlschema.XMLSchema) -> None:
    root = ask(repo, schema, verb="ListSets")
    sets = {s.findtext(q("setSpec")): s for s in root.iter(q("set"))}
    assert {
        "type",
        "country",
        "topic",
        "type:report",
        "country:PRY",
        "country:PHL",
        "topic:child-labour",
    } <= set(sets)
    assert sets["country:PRY"].findtext(q("setName")) == "Country: Paraguay"
    assert sets["type:report"].findtext(q("setName")) == "Resource type: report"
    described = sets["country:PRY"].find(f"{q('setDescription')}/{q('dc', OAI_DC_NS)}")
    assert described is not None
    assert described.findtext(q("identifier", DC_NS)) == (
        "http://publications.europa.eu/resource/authority/country/PRY"
    )
    specs = [s.findtext(q("setSpec")) for s in root.iter(q("set"))]
    assert specs[:3] == ["country", "topic", "type"]
    assert specs[3:] == sorted(specs[3:])
    assert root.find(f"{q('ListSets')}/{q('resumptionToken')}") is None


def test_get_record_oai_dc_maps_every_field(
    repo: OaiRepository, schema: xmlschema.XMLSchema
) -> None:
    root = ask(repo, schema, verb="GetRecord", identifier=FULL, metadataPrefix="oai_dc")
    record = root.find(f"{q('GetRecord')}/{q('record')}")
    assert record is not None
    header = record.find(q("header"))
    assert header is not None and header.get("status") is None
    assert header.findtext(q("identifier")) == FULL
    assert header.findtext(q("datestamp")) == "2024-03-05"  # modified
    assert [s.text for s in header.iter(q("setSpec"))] == [
        "type:report",
        "country:PHL",
        "country:THA",
        "topic:sexual-exploitation-of-children-in-travel-and-tourism",
        "topic:child-labour",
    ]
    dc = record.find(f"{q('metadata')}/{q('dc', OAI_DC_NS)}")
    assert dc is not None
    fields = [
        (el.tag.split("}")[1], el.text, el.get("{http://www.w3.org/XML/1998/namespace}lang"))
        for el in dc
    ]
    assert fields == [
        ("title", "Child protection in tourism", "en"),
        ("title", "La protection des enfants dans le tourisme", "fr"),
        ("creator", "National Statistics Office of the Philippines", None),
        ("subject", "sexual exploitation of children in travel and tourism", "en"),
        ("subject", "child labour", "en"),
        ("description", "A record that uses every field.", "en"),
        ("publisher", "International Labour Organization", None),
        ("contributor", "ECPAT International", None),
        ("date", "2013-03", None),
        ("type", "report", "en"),
        ("type", "https://w3id.org/csec-ld/type/report", None),
        ("type", "Text", None),
        ("identifier", "https://w3id.org/csec-ld/resource/full-record-2013", None),
        ("identifier", "urn:isbn:978-92-2-125081-4", None),
        ("identifier", "https://example.org/report.pdf", None),
        ("identifier", "https://doi.org/10.1234/abc", None),
        ("language", "en", None),
        ("language", "fr", None),
        ("relation", "International Programme on the Elimination of Child Labour", None),
        ("relation", "https://w3id.org/csec-ld/project/ipec", None),
        ("coverage", "Philippines", None),
        ("coverage", "Thailand", None),
        ("rights", "https://creativecommons.org/licenses/by/4.0/", None),
    ]


def test_get_record_rdf_is_the_full_record(
    repo: OaiRepository, schema: xmlschema.XMLSchema, catalogue_dir: Path
) -> None:
    root = ask(repo, schema, verb="GetRecord", identifier=FULL, metadataPrefix="rdf")
    rdf = root.find(
        f"{q('GetRecord')}/{q('record')}/{q('metadata')}/"
        "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"
    )
    assert rdf is not None
    got = {
        quad.triple
        for quad in pyoxigraph.parse(ET.tostring(rdf), format=pyoxigraph.RdfFormat.RDF_XML)
    }
    catalogue = open_catalog([catalogue_dir])
    record = next(r for r in catalogue.records() if r.id == "full-record-2013")
    mapper = Mapper(catalogue)
    expected = set(mapper.record(record))
    for block in list(mapper.support())[:-1]:
        expected.update(block)
    assert got == expected
    titles = {str(t.object) for t in got if t.predicate.value == "http://purl.org/dc/terms/title"}
    assert titles == {
        '"Child protection in tourism"@en',
        '"La protection des enfants dans le tourisme"@fr',
    }


@pytest.mark.parametrize("prefix", ["oai_dc", "rdf"])
def test_withdrawn_record_is_deleted(
    repo: OaiRepository, schema: xmlschema.XMLSchema, prefix: str
) -> None:
    root = ask(repo, schema, verb="GetRecord", identifier=WITHDRAWN, metadataPrefix=prefix)
    record = root.find(f"{q('GetRecord')}/{q('record')}")
    assert record is not None
    header = record.find(q("header"))
    assert header is not None
    assert header.get("status") == "deleted"
    assert header.findtext(q("datestamp")) == "2025-01-10"
    assert record.find(q("metadata")) is None


@pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords"])
def test_list_everything(repo: OaiRepository, schema: xmlschema.XMLSchema, verb: str) -> None:
    root = ask(repo, schema, verb=verb, metadataPrefix="oai_dc")
    headers = list(root.iter(q("header")))
    assert len(headers) == ALL
    stamps = [(h.findtext(q("datestamp")), h.findtext(q("identifier"))) for h in headers]
    assert stamps == sorted(stamps)
    assert stamps[-3:] == [("2023-09-30", TRACER), ("2024-03-05", FULL), ("2025-01-10", WITHDRAWN)]
    deleted = [h.findtext(q("identifier")) for h in headers if h.get("status") == "deleted"]
    assert deleted == [WITHDRAWN]
    assert root.find(f"{q(verb)}/{q('resumptionToken')}") is None
    if verb == "ListRecords":
        assert len(root.findall(f"{q(verb)}/{q('record')}/{q('metadata')}")) == ALL - 1


@pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords"])
def test_resumption_tokens(catalogue_dir: Path, schema: xmlschema.XMLSchema, verb: str) -> None:
    repo = OaiRepository(open_catalog([catalogue_dir]), BASE_URL, page_size=5)
    headers, tokens = harvest(repo, schema, verb, metadataPrefix="oai_dc")
    assert len(ids_of(headers)) == ALL == len(set(ids_of(headers)))
    assert [(t.get("cursor"), t.get("completeListSize")) for t in tokens] == [
        ("0", "12"),
        ("5", "12"),
        ("10", "12"),
    ]
    assert tokens[-1].text is None  # the last page ends the list
    full = ask(repo, schema, verb=verb, metadataPrefix="oai_dc", set="country:PRY")
    assert full.find(f"{q(verb)}/{q('resumptionToken')}") is None  # fits on one page


def ids_of(headers: list[ET.Element]) -> list[str]:
    return [h.findtext(q("identifier")) or "" for h in headers]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"from_": "2023-01-01"}, [TRACER, FULL, WITHDRAWN]),
        ({"from_": "2024-03-05", "until": "2024-03-05"}, [FULL]),
        (
            {"until": "2010-05-01"},
            [
                f"oai:{HOST}:code-conduct-contribution-tourism-industry-fight-2010",
                f"oai:{HOST}:scream-mobilizing-public-action-2010",
            ],
        ),
        ({"from_": "2024-01-01", "set": "country:PHL"}, [FULL]),
        (
            {"set": "country:PRY"},
            [f"oai:{HOST}:scream-mobilizing-public-action-2010", WITHDRAWN, TRACER],
        ),
    ],
)
def test_selective_harvesting(
    repo: OaiRepository, schema: xmlschema.XMLSchema, args: dict[str, str], expected: list[str]
) -> None:
    root = ask(repo, schema, verb="ListIdentifiers", metadataPrefix="oai_dc", **args)
    got = ids(root)
    if "set" in args and "from_" not in args:
        assert sorted(got) == sorted(expected)
    else:
        assert got == expected


def test_parent_set_holds_its_children(repo: OaiRepository, schema: xmlschema.XMLSchema) -> None:
    everything = ids(ask(repo, schema, verb="ListIdentifiers", metadataPrefix="oai_dc", set="type"))
    assert len(everything) == ALL
    with_country = ids(
        ask(repo, schema, verb="ListIdentifiers", metadataPrefix="oai_dc", set="country")
    )
    assert FULL in with_country and WITHDRAWN in with_country


def test_output_is_deterministic(catalogue_dir: Path) -> None:
    one = OaiRepository(open_catalog([catalogue_dir]), BASE_URL, page_size=4, clock=lambda: FIXED)
    two = OaiRepository(open_catalog([catalogue_dir]), BASE_URL, page_size=4, clock=lambda: FIXED)
    for args in (
        {"verb": ["ListRecords"], "metadataPrefix": ["rdf"]},
        {"verb": ["ListRecords"], "metadataPrefix": ["oai_dc"]},
        {"verb": ["ListSets"]},
        {"verb": ["Identify"]},
    ):
        assert one.handle(args) == two.handle(args)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Dance"}, "badVerb"),
        ({"verb": ["Identify", "Identify"]}, "badVerb"),
        ({"verb": "Identify", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "colour": "red"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "rdf"]}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListIdentifiers", "set": "type"}, "badArgument"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"verb": "GetRecord", "identifier": TRACER}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2010-13-01"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2010-02-30"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2010"}, "badArgument"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2010-01-01T00:00:00Z"},
            "badArgument",
        ),  # finer than the granularity
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2012-01-01",
                "until": "2011-01-01",
            },
            "badArgument",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x.y"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "metadataPrefix": ""}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai dc"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "type:"}, "badArgument"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "no id"}, "badArgument"),
        (
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:x:\x01"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "resumptionToken": "garbage"}, "badResumptionToken"),
        ({"verb": "ListRecords", "resumptionToken": "e30.AAAA"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        (
            {"verb": "GetRecord", "metadataPrefix": "marc21", "identifier": TRACER},
            "cannotDisseminateFormat",
        ),
        (
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": f"oai:{HOST}:nope"},
            "idDoesNotExist",
        ),
        (
            {
                "verb": "GetRecord",
                "metadataPrefix": "oai_dc",
                "identifier": "oai:example.org:tracer-study-paraguay-2012",
            },
            "idDoesNotExist",
        ),
        ({"verb": "ListMetadataFormats", "identifier": f"oai:{HOST}:nope"}, "idDoesNotExist"),
        ({"verb": "ListMetadataFormats", "identifier": WITHDRAWN}, "noMetadataFormats"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-01-01"},
            "noRecordsMatch",
        ),
        (
            {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "topic:nothing-here"},
            "noRecordsMatch",
        ),
        (
            {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "until": "2009-12-31"},
            "noRecordsMatch",
        ),
    ],
)
def test_errors(
    repo: OaiRepository, schema: xmlschema.XMLSchema, args: dict[str, str | list[str]], code: str
) -> None:
    root = ask(repo, schema, **args)
    assert error_code(root) == code
    assert (root.findtext(q("error")) or "").strip()
    request = root.find(q("request"))
    assert request is not None and request.text == BASE_URL
    if code in ("badVerb", "badArgument"):
        assert request.attrib == {}  # the protocol: no attributes then
    else:
        assert request.get("verb") == args["verb"]


def _first_token(repo: OaiRepository, schema: xmlschema.XMLSchema, verb: str) -> str:
    root = ask(repo, schema, verb=verb, metadataPrefix="oai_dc")
    token = root.findtext(f"{q(verb)}/{q('resumptionToken')}")
    assert token
    return token


def test_tampered_token(catalogue_dir: Path, schema: xmlschema.XMLSchema) -> None:
    repo = OaiRepository(open_catalog([catalogue_dir]), BASE_URL, page_size=3)
    token = _first_token(repo, schema, "ListRecords")
    assert error_code(ask(repo, schema, verb="ListRecords", resumptionToken=token)) is None
    payload, _, mac = token.partition(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    for forged in (f"{flipped}.{mac}", f"{payload}.{mac[:-1]}", token + "x", payload):
        root = ask(repo, schema, verb="ListRecords", resumptionToken=forged)
        assert error_code(root) == "badResumptionToken", forged
    # A token of one verb does not resume another.
    root = ask(repo, schema, verb="ListIdentifiers", resumptionToken=token)
    assert error_code(root) == "badResumptionToken"


def test_token_from_another_state_of_the_catalogue_is_stale(
    tmp_path: Path, catalogue_dir: Path, schema: xmlschema.XMLSchema
) -> None:
    before = OaiRepository(open_catalog([catalogue_dir]), BASE_URL, page_size=3)
    token = _first_token(before, schema, "ListIdentifiers")
    changed = make_catalogue(tmp_path / "data")
    (changed / "records" / "scream-mobilizing-public-action-2010.yaml").unlink()
    after = OaiRepository(open_catalog([changed]), BASE_URL, page_size=3)
    root = ask(after, schema, verb="ListIdentifiers", resumptionToken=token)
    assert error_code(root) == "badResumptionToken"
    # With a secret, a token is only good for the repository that holds the secret.
    keyed = OaiRepository(open_catalog([catalogue_dir]), BASE_URL, page_size=3, secret="s3cret")
    assert error_code(ask(keyed, schema, verb="ListIdentifiers", resumptionToken=token)) == (
        "badResumptionToken"
    )
    own = _first_token(keyed, schema, "ListIdentifiers")
    assert error_code(ask(keyed, schema, verb="ListIdentifiers", resumptionToken=own)) is None


def test_no_set_hierarchy(catalogue_dir: Path, schema: xmlschema.XMLSchema) -> None:
    repo = OaiRepository(open_catalog([catalogue_dir]), BASE_URL, sets=False)
    assert error_code(ask(repo, schema, verb="ListSets")) == "noSetHierarchy"
    root = ask(repo, schema, verb="ListRecords", metadataPrefix="oai_dc", set="type:report")
    assert error_code(root) == "noSetHierarchy"
    root = ask(repo, schema, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert len(ids(root)) == ALL
    assert not list(root.iter(q("setSpec")))


# --------------------------------------------------------------------------- adminEmail


def test_admin_email_given_wins(catalogue_dir: Path, schema: xmlschema.XMLSchema) -> None:
    repo = OaiRepository(open_catalog([catalogue_dir]), BASE_URL, admin_email="a@b.example")
    assert ask(repo, schema, verb="Identify").findtext(f"{q('Identify')}/{q('adminEmail')}") == (
        "a@b.example"
    )


def test_no_contact_email_no_oai(tmp_path: Path) -> None:
    """Without catalog.yaml's contact_email there is no address to announce: no OAI-PMH,
    and a message that says what to add (never a made-up address)."""
    import httpx
    from starlette.applications import Starlette
    from starlette.routing import Route

    from csec_ld.errors import UsageError
    from csec_ld.site.oai import NO_ADMIN_EMAIL, oai_endpoint
    from tests.servers import Server

    repo = OaiRepository(open_catalog([ROOT / "data"]), BASE_URL)
    assert repo.admin_email is None
    with pytest.raises(UsageError, match="contact_email"):
        repo.handle({"verb": ["Identify"]})
    app = Starlette(routes=[Route("/oai", oai_endpoint(repo), methods=["GET", "POST"])])
    with Server(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        for response in (
            client.get("/oai", params={"verb": "Identify"}),
            client.post("/oai", data={"verb": "Identify"}),
        ):
            assert response.status_code == 404
            assert response.text == NO_ADMIN_EMAIL
            assert "@" not in response.text


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("not an address", "is not an email address"),
        ("a@localhost", "is not an email address"),
        ("[a@b.org]", "expected a text"),
    ],
)
def test_bad_contact_email(tmp_path: Path, value: str, words: str) -> None:
    from csec_ld.errors import DataError

    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    catalog = target / "catalog.yaml"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text + f"contact_email: {value}\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        open_catalog([target])
    (error,) = exc.value.errors
    assert (error.field, error.line) == ("contact_email", text.count("\n") + 1)
    assert words in error.message
