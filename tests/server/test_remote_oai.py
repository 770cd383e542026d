"""OAI-PMH from a SPARQL store (``serve --endpoint``): the same answers as the site's.

A real ``oxigraph serve`` holds what ``push`` sent of tests/site/test_oai.py's catalogue
(data/, a record with every field, a modified record, a tombstone) plus three records
dated to the year or the month, so that the store's datestamps (computed in SPARQL)
meet the site's (computed in Python) at partial dates too. The site's repository is
read from the published site's ``source/``, less the tombstone: ``push`` sends none.

The store keeps a set of triples, so the several values of one field come back in
another order: headers' setSpecs and ``oai_dc`` elements are compared as multisets, the
``rdf`` format as graphs; everything else (identifiers, datestamps, order, paging,
completeListSize, cursor, errors) as it is. Resumption tokens differ (each repository
has its own fingerprint) and are followed on each side.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
import xmlschema
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from csec_ld.errors import RequestError
from csec_ld.push import push
from csec_ld.server.remote import RemoteSite
from csec_ld.server.responses import not_found, refusal
from csec_ld.server.views.oai import NO_STORE_ADMIN_EMAIL, StoreOaiView, StoreSource
from csec_ld.site.oai import DC_NS, OAI_DC_NS, OAI_NS, OaiRepository
from csec_ld.site.publish import SOURCE_FOLDER, publish
from csec_ld.sources import open_catalog
from csec_ld.store import RemoteEngine, Result
from tests.servers import OxigraphServer, Server, free_port
from tests.site.test_oai import FULL, TRACER, VENDOR, WITHDRAWN, build_schema, make_catalogue

BASE_URL = "http://127.0.0.1:8000/oai"
ADMIN = "oai-admin@example.org"
HOST = "w3id.org"
PAGE = 3
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
GRAPH = "urn:csec-ld:test:oai-changes"

PARTIAL_DATES = {
    "year-only-2011": "issued: '2011'\n",
    "month-only-2012": "issued: '2012-02'\n",
    "modified-to-the-month-2012": "issued: '2012-02-14'\nmodified: '2019-07'\n",
}
LIVE = 14  # the 10 seed records, the full one and the three above (not the tombstone)


def _partial_record(record_id: str, dates: str) -> str:
    return (
        f"id: {record_id}\ntitle: A record dated {record_id}\n{dates}type: report\n"
        "countries: [PRY]\nsubjects: [child-labour]\npublishers: [ilo]\n"
        "is_part_of: [scream]\n"
    )


def _catalogue(target: Path) -> Path:
    folder = make_catalogue(target)
    for record_id, dates in PARTIAL_DATES.items():
        (folder / "records" / f"{record_id}.yaml").write_text(
            _partial_record(record_id, dates), encoding="utf-8"
        )
    return folder


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("store-oai")
    data = _catalogue(tmp / "data")
    server = OxigraphServer(tmp / "oxigraph")
    try:
        push([data], server.store_url, validate=False)
        site = publish([data], tmp / "site", validate=False).out_dir
        yield {"server": server, "data": data, "site": site, "tmp": tmp}
    finally:
        server.stop()


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    if not VENDOR.is_dir():
        pytest.skip("the vendored schemas (../shared/vendor) are not beside this checkout")
    return build_schema()


def static_repo(world: dict[str, Any], **kwargs: Any) -> OaiRepository:
    """The published site's repository (its source/ folder), less the tombstone."""
    catalogue = open_catalog([world["site"] / SOURCE_FOLDER])
    records = [r for r in catalogue.records() if not r.is_withdrawn]
    assert len(records) == LIVE
    return OaiRepository(
        catalogue, BASE_URL, records=records, page_size=PAGE, admin_email=ADMIN, **kwargs
    )


def store_repo(
    world: dict[str, Any], site: RemoteSite | None = None, **kwargs: Any
) -> OaiRepository:
    site = site or RemoteSite(world["server"].query_url)
    kwargs.setdefault("page_size", PAGE)
    return OaiRepository(StoreSource(site), BASE_URL, admin_email=ADMIN, **kwargs)


@pytest.fixture(scope="module")
def static(world: dict[str, Any]) -> OaiRepository:
    return static_repo(world)


@pytest.fixture(scope="module")
def store(world: dict[str, Any]) -> OaiRepository:
    return store_repo(world)


def q(name: str, ns: str = OAI_NS) -> str:
    return f"{{{ns}}}{name}"


def ask(
    repo: OaiRepository, schema: xmlschema.XMLSchema | None = None, /, **args: str | list[str]
) -> ET.Element:
    """Send a request (checked against the schema when one is given); its root."""
    body = repo.handle({k.rstrip("_"): [v] if isinstance(v, str) else v for k, v in args.items()})
    if schema is not None:
        schema.validate(body.decode("utf-8"))
    return ET.fromstring(body)


def error_code(root: ET.Element) -> str | None:
    err = root.find(q("error"))
    return None if err is None else err.get("code")


def token_of(root: ET.Element) -> str | None:
    return next((t.text for t in root.iter(q("resumptionToken"))), None)


def canonical(root: ET.Element) -> str:
    """The answer as text, less what may differ between the two repositories: the
    responseDate, the tokens' text (their presence, cursor and size stay; the request
    element's echo too), Identify's
    deletedRecord; setSpecs and oai_dc elements sorted, rdf:RDF as sorted N-Triples."""
    root = ET.fromstring(ET.tostring(root))
    parents = {child: parent for parent in root.iter() for child in parent}
    root.remove(root.find(q("responseDate")))  # type: ignore[arg-type]
    for token in root.iter(q("resumptionToken")):
        token.text = "TOKEN" if token.text else None
    for request in root.iter(q("request")):  # the token asked with, echoed
        if "resumptionToken" in request.attrib:
            request.set("resumptionToken", "TOKEN")
    for deleted in root.iter(q("deletedRecord")):
        deleted.text = "*"
    for header in root.iter(q("header")):
        specs = header.findall(q("setSpec"))
        for el in specs:
            header.remove(el)
        for el in sorted(specs, key=lambda e: e.text or ""):
            header.append(el)
    for dc in root.iter(q("dc", OAI_DC_NS)):
        children = list(dc)
        for el in children:
            dc.remove(el)
        for el in sorted(children, key=lambda e: (e.tag, e.text or "", e.get(XML_LANG) or "")):
            dc.append(el)
    for rdf in list(root.iter(q("RDF", RDF_NS))):
        triples = pyoxigraph.parse(ET.tostring(rdf), format=pyoxigraph.RdfFormat.RDF_XML)
        text = "\n".join(sorted(f"{quad.triple} ." for quad in triples))
        parent = parents[rdf]
        parent.remove(rdf)
        ET.SubElement(parent, "graph").text = text
    return ET.tostring(root, encoding="unicode")


def both(
    static: OaiRepository,
    store: OaiRepository,
    schema: xmlschema.XMLSchema,
    **args: str,
) -> list[ET.Element]:
    """Ask both, follow each side's tokens to the end, compare every page; the pages."""
    pages = []
    one, two = ask(static, schema, **args), ask(store, schema, **args)
    while True:
        assert canonical(two) == canonical(one), args
        pages.append(two)
        t1, t2 = token_of(one), token_of(two)
        assert (t1 is None) == (t2 is None)
        if not t1 or not t2:
            return pages
        verb = args["verb"]
        one = ask(static, schema, verb=verb, resumptionToken=t1)
        two = ask(store, schema, verb=verb, resumptionToken=t2)


def headers_of(
    repo: OaiRepository, schema: xmlschema.XMLSchema | None, verb: str, **args: str
) -> list[ET.Element]:
    """Every header of a list, across its resumption tokens."""
    root = ask(repo, schema, verb=verb, **args)
    headers = list(root.iter(q("header")))
    while token := token_of(root):
        root = ask(repo, schema, verb=verb, resumptionToken=token)
        assert error_code(root) is None, ET.tostring(root)
        headers += root.iter(q("header"))
    return headers


# --------------------------------------------------------------------------- verbs


def test_identify(static: OaiRepository, store: OaiRepository, schema: Any) -> None:
    (root,) = both(static, store, schema, verb="Identify")
    ident = root.find(q("Identify"))
    assert ident is not None
    assert ident.findtext(q("adminEmail")) == ADMIN
    assert ident.findtext(q("earliestDatestamp")) == "2010-05-01"  # asked of the store
    # The store keeps no tombstones: it says so (and the site, which does, says persistent).
    assert ident.findtext(q("deletedRecord")) == "no"
    assert ask(static, verb="Identify").findtext(f"{q('Identify')}/{q('deletedRecord')}") == (
        "persistent"
    )
    dc = ident.find(f"{q('description')}/{q('dc', OAI_DC_NS)}")
    assert dc is not None and dc.findtext(q("publisher", DC_NS)) == "csec-ld project"


@pytest.mark.parametrize("identifier", [None, TRACER, FULL])
def test_list_metadata_formats(
    static: OaiRepository, store: OaiRepository, schema: Any, identifier: str | None
) -> None:
    args = {"identifier": identifier} if identifier else {}
    (root,) = both(static, store, schema, verb="ListMetadataFormats", **args)
    assert len(list(root.iter(q("metadataFormat")))) == 2


def test_list_sets(static: OaiRepository, store: OaiRepository, schema: Any) -> None:
    (root,) = both(static, store, schema, verb="ListSets")
    specs = [s.findtext(q("setSpec")) for s in root.iter(q("set"))]
    assert specs[:3] == ["country", "topic", "type"]
    assert {"country:PRY", "country:PHL", "type:report", "topic:child-labour"} <= set(specs)


def _ids(site: Path) -> list[str]:
    catalogue = open_catalog([site / SOURCE_FOLDER])
    return sorted(r.id for r in catalogue.records() if not r.is_withdrawn)


@pytest.mark.parametrize("prefix", ["oai_dc", "rdf"])
def test_get_record_of_every_record(
    world: dict[str, Any],
    static: OaiRepository,
    store: OaiRepository,
    schema: Any,
    prefix: str,
) -> None:
    ids = _ids(world["site"])
    assert len(ids) == LIVE
    for record_id in ids:
        identifier = f"oai:{HOST}:{record_id}"
        (root,) = both(
            static, store, schema, verb="GetRecord", identifier=identifier, metadataPrefix=prefix
        )
        assert root.find(f"{q('GetRecord')}/{q('record')}/{q('metadata')}") is not None


def test_datestamps_at_partial_dates(store: OaiRepository, schema: Any) -> None:
    headers = headers_of(store, schema, "ListIdentifiers", metadataPrefix="oai_dc", set="type")
    stamps = {h.findtext(q("identifier")): h.findtext(q("datestamp")) for h in headers}
    assert stamps[f"oai:{HOST}:year-only-2011"] == "2011-01-01"
    assert stamps[f"oai:{HOST}:month-only-2012"] == "2012-02-01"
    assert stamps[f"oai:{HOST}:modified-to-the-month-2012"] == "2019-07-01"


LISTS = [
    {},
    {"from_": "2011-01-01"},  # a year-only record's first day
    {"until": "2010-12-31"},
    {"from_": "2012-02-01", "until": "2012-02-01"},
    {"from_": "2019-07-01", "until": "2024-03-05"},
    {"set": "type"},
    {"set": "country"},
    {"set": "topic"},
    {"set": "type:report"},
    {"set": "country:PRY"},
    {"set": "topic:child-labour", "from_": "2011-06-01"},
    {"set": "country:PHL", "until": "2030-01-01"},
]


@pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords"])
@pytest.mark.parametrize("args", LISTS, ids=lambda a: ",".join(f"{k}={v}" for k, v in a.items()))
def test_lists_page_as_the_static_site(
    static: OaiRepository, store: OaiRepository, schema: Any, verb: str, args: dict[str, str]
) -> None:
    pages = both(static, store, schema, verb=verb, metadataPrefix="oai_dc", **args)
    headers = [h for page in pages for h in page.iter(q("header"))]
    assert headers and all(h.get("status") is None for h in headers)
    if not args:
        assert len(pages) == -(-LIVE // PAGE) and len(headers) == LIVE
        tokens = [next(p.iter(q("resumptionToken"))) for p in pages]
        assert [(t.get("cursor"), t.get("completeListSize")) for t in tokens] == [
            (str(c), str(LIVE)) for c in range(0, LIVE, PAGE)
        ]


def test_list_records_rdf_as_the_static_site(
    static: OaiRepository, store: OaiRepository, schema: Any
) -> None:
    pages = both(static, store, schema, verb="ListRecords", metadataPrefix="rdf")
    assert sum(len(p.findall(f".//{q('metadata')}")) for p in pages) == LIVE


def test_every_datestamp_as_a_bound(
    static: OaiRepository, store: OaiRepository, schema: Any
) -> None:
    """from and until at each datestamp, and the day before and after: the store's
    SPARQL datestamps and the items' agree at every boundary."""
    import datetime as dt

    headers = headers_of(static, None, "ListIdentifiers", metadataPrefix="oai_dc")
    stamps = sorted({h.findtext(q("datestamp")) or "" for h in headers})
    assert len(stamps) > 8
    for stamp in stamps:
        day = dt.date.fromisoformat(stamp)
        for bound in (day - dt.timedelta(days=1), day, day + dt.timedelta(days=1)):
            for name in ("from_", "until"):
                args = {name: bound.isoformat()}
                one = ask(static, verb="ListIdentifiers", metadataPrefix="oai_dc", **args)
                two = ask(store, verb="ListIdentifiers", metadataPrefix="oai_dc", **args)
                assert canonical(two) == canonical(one), args


def test_a_harvest_resumes_on_another_instance(world: dict[str, Any], schema: Any) -> None:
    """Stateless: each page can come from another server in front of the same store."""
    instances = [store_repo(world) for _ in range(3)]
    root = ask(instances[0], schema, verb="ListRecords", metadataPrefix="oai_dc")
    seen = [h.findtext(q("identifier")) for h in root.iter(q("header"))]
    n = 1
    while token := token_of(root):
        root = ask(instances[n % 3], schema, verb="ListRecords", resumptionToken=token)
        assert error_code(root) is None
        seen += [h.findtext(q("identifier")) for h in root.iter(q("header"))]
        n += 1
    assert n == -(-LIVE // PAGE)
    assert len(seen) == len(set(seen)) == LIVE


# --------------------------------------------------------------------------- errors

ERRORS: list[tuple[dict[str, str | list[str]], str]] = [
    ({}, "badVerb"),
    ({"verb": "Dance"}, "badVerb"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "colour": "red"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2010-02-30"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2010"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "type:"}, "badArgument"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "no id"}, "badArgument"),
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
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-01-01"}, "noRecordsMatch"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2009-12-31"}, "noRecordsMatch"),
    (
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "topic:nothing"},
        "noRecordsMatch",
    ),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "colour"}, "noRecordsMatch"),
    (
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "colour:red"},
        "noRecordsMatch",
    ),
    (
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "type:report:x"},
        "noRecordsMatch",
    ),
    # a country set is its records' spelling (ISO alpha-3, upper case), no other
    (
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "country:pry"},
        "noRecordsMatch",
    ),
    (
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "country:PY"},
        "noRecordsMatch",
    ),
    (
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "country:XXX"},
        "noRecordsMatch",
    ),
    (
        {
            "verb": "ListIdentifiers",
            "metadataPrefix": "oai_dc",
            "set": "country:PHL",
            "from": "2024-03-06",
        },
        "noRecordsMatch",
    ),
]


@pytest.mark.parametrize(("args", "code"), ERRORS)
def test_errors_as_the_static_site(
    static: OaiRepository,
    store: OaiRepository,
    schema: Any,
    args: dict[str, str | list[str]],
    code: str,
) -> None:
    one, two = ask(static, schema, **args), ask(store, schema, **args)
    assert error_code(one) == code  # the case is what it says
    assert canonical(two) == canonical(one)


def test_a_withdrawn_record_is_not_in_the_store(
    static: OaiRepository, store: OaiRepository, schema: Any
) -> None:
    """The site lists it as deleted; the store never had it (and says deletedRecord no)."""
    full_static = static_repo_with_tombstones(static)
    root = ask(full_static, schema, verb="GetRecord", identifier=WITHDRAWN, metadataPrefix="oai_dc")
    assert root.find(f".//{q('header')}").get("status") == "deleted"  # type: ignore[union-attr]
    for args in (
        {"verb": "GetRecord", "identifier": WITHDRAWN, "metadataPrefix": "oai_dc"},
        {"verb": "ListMetadataFormats", "identifier": WITHDRAWN},
    ):
        assert error_code(ask(store, schema, **args)) == "idDoesNotExist"
    listed = both(static, store, schema, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert not [h for p in listed for h in p.iter(q("header")) if h.get("status")]


def static_repo_with_tombstones(static: OaiRepository) -> OaiRepository:
    catalogue = static.source.catalogue(())
    return OaiRepository(catalogue, BASE_URL, admin_email=ADMIN)


def test_tokens_are_checked(store: OaiRepository, schema: Any) -> None:
    root = ask(store, schema, verb="ListRecords", metadataPrefix="oai_dc")
    token = token_of(root)
    assert token
    payload, _, mac = token.partition(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    for forged in (f"{flipped}.{mac}", f"{payload}.{mac[:-1]}", token + "x", payload):
        assert error_code(ask(store, schema, verb="ListRecords", resumptionToken=forged)) == (
            "badResumptionToken"
        ), forged
    assert error_code(ask(store, schema, verb="ListIdentifiers", resumptionToken=token)) == (
        "badResumptionToken"
    )


def test_a_secret_keys_the_tokens(world: dict[str, Any], schema: Any) -> None:
    plain = store_repo(world)
    keyed = store_repo(world, secret="s3cret")
    token = token_of(ask(plain, schema, verb="ListIdentifiers", metadataPrefix="oai_dc"))
    assert token
    root = ask(keyed, schema, verb="ListIdentifiers", resumptionToken=token)
    assert error_code(root) == "badResumptionToken"
    own = token_of(ask(keyed, schema, verb="ListIdentifiers", metadataPrefix="oai_dc"))
    assert own
    assert error_code(ask(keyed, schema, verb="ListIdentifiers", resumptionToken=own)) is None


def _edited(target: Path, edits: list[tuple[str, str, str]]) -> Path:
    """The test catalogue without scream-... (one record fewer), with *edits* made:
    (record id, text, replacement)."""
    folder = _catalogue(target)
    (folder / "records" / "scream-mobilizing-public-action-2010.yaml").unlink()
    for record_id, old, new in edits:
        path = folder / "records" / f"{record_id}.yaml"
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")
    return folder


def test_a_token_expires_when_the_store_changes(world: dict[str, Any], schema: Any) -> None:
    """The fingerprint counts the records and checks their dates: a push that removes
    a record, or changes any date (not only the first or the last), expires every
    token; one that changes no date keeps them (the documented limit)."""
    server, tmp = world["server"], world["tmp"]
    push([world["data"]], server.store_url, graph=GRAPH, validate=False)
    repo = store_repo(world, RemoteSite(server.query_url, graph=GRAPH))

    def first_token() -> str:
        token = token_of(ask(repo, schema, verb="ListIdentifiers", metadataPrefix="oai_dc"))
        assert token
        assert error_code(ask(repo, schema, verb="ListIdentifiers", resumptionToken=token)) is None
        return token

    def resumes(token: str) -> bool:
        root = ask(repo, schema, verb="ListIdentifiers", resumptionToken=token)
        assert error_code(root) in (None, "badResumptionToken")
        return error_code(root) is None

    edits = [  # each state has the edits of those before it, and one more
        ("tracer-study-paraguay-2012", "2023-09-30", "2012-10-30"),  # a date in the middle
        ("year-only-2011", "issued: '2011'", "issued: '2011-04'"),  # an issued date
        ("month-only-2012", "title: A record dated", "title: Retitled"),  # no date
    ]
    token = first_token()
    for n in range(len(edits) + 1):
        push(
            [_edited(tmp / f"state-{n}", edits[:n])], server.store_url, graph=GRAPH, validate=False
        )
        if n < len(edits):
            assert not resumes(token), n
            token = first_token()
        else:
            assert resumes(token)


# --------------------------------------------------------------------------- hostile input


class Recording:
    """An engine that notes every query before the real one answers it."""

    def __init__(self, url: str) -> None:
        self.engine = RemoteEngine(url)
        self.queries: list[str] = []

    def query(self, sparql: str) -> Result:
        self.queries.append(sparql)
        return self.engine.query(sparql)


def _forge(token: str, **changes: Any) -> str:
    """A token with other contents and a valid MAC: without a secret, its key is worked
    out from the fingerprint, which every token carries."""
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    names = ["verb", "prefix", "set", "start", "end", "cursor", "fingerprint"]
    values = dict(zip(names, payload, strict=True)) | changes
    data = json.dumps([values[n] for n in names], separators=(",", ":")).encode()
    key = hashlib.sha256(b"csec-ld-oai" + values["fingerprint"].encode()).digest()
    mac = hmac.new(key, data, hashlib.sha256).digest()[:16]

    def b64(b: bytes) -> str:
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    return f"{b64(data)}.{b64(mac)}"


def test_hostile_input_never_reaches_the_store_as_text(world: dict[str, Any], schema: Any) -> None:
    recording = Recording(world["server"].query_url)
    repo = store_repo(world, RemoteSite(world["server"].query_url, engine=recording))
    token = token_of(ask(repo, schema, verb="ListIdentifiers", metadataPrefix="oai_dc"))
    assert token
    assert error_code(ask(repo, schema, verb="ListIdentifiers", resumptionToken=token)) is None
    # A forged token that is well formed works (it is only a request), but what it
    # carries is checked as a request's arguments are.
    forged = _forge(token, cursor=6)
    assert error_code(ask(repo, schema, verb="ListIdentifiers", resumptionToken=forged)) is None
    recording.queries.clear()
    marker = "DROP"
    cases: list[tuple[dict[str, str], str]] = [
        ({"identifier": f"oai:{HOST}:x>}}{marker}", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"identifier": f"oai:{HOST}:x'{marker}", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"identifier": f"oai:{HOST}:x;{marker}", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"identifier": f"oai:{HOST}:{marker}%3E", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"identifier": f"oai:{HOST}:" + "a" * 5000, "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
    ]
    for args, code in cases:
        assert error_code(ask(repo, schema, verb="GetRecord", **args)) == code, args
    lists: list[tuple[dict[str, str], str]] = [
        ({"set": f"type:x'{marker}"}, "noRecordsMatch"),
        ({"set": f"topic:a(){marker}"}, "noRecordsMatch"),
        ({"set": f"country:P'{marker}"}, "noRecordsMatch"),
        ({"set": f"type:x>}}{marker}"}, "badArgument"),
        ({"from": f'2010-01-01"){marker}'}, "badArgument"),
        ({"until": f"2010-01-01 {marker}"}, "badArgument"),
    ]
    for args, code in lists:
        root = ask(repo, schema, verb="ListIdentifiers", metadataPrefix="oai_dc", **args)
        assert error_code(root) == code, args
    for bad in (
        "A" * 200_000,  # huge: refused before it is decoded
        _forge(token, set=f"type:x> }} {marker} ALL #"),
        _forge(token, set=["type"]),
        _forge(token, cursor=f"1 {marker}"),
        _forge(token, cursor=10**40),
        _forge(token, cursor=True),
        _forge(token, cursor=0),
        _forge(token, cursor=10**6),  # well formed, past the list
        _forge(token, start=f"2010-01-01 {marker}"),
        _forge(token, prefix=["oai_dc"]),
    ):
        root = ask(repo, schema, verb="ListIdentifiers", resumptionToken=bad)
        assert error_code(root) == "badResumptionToken", bad[:80]
    assert recording.queries  # the store was asked (its state, a page) ...
    for sparql in recording.queries:  # ... never with the request's text
        assert marker not in sparql and "aaaaaaaaaa" not in sparql, sparql
    huge = len(recording.queries)
    ask(repo, verb="ListIdentifiers", resumptionToken="A" * 200_000)
    ask(repo, verb="ListIdentifiers", resumptionToken="not base64 at all!")
    assert len(recording.queries) == huge  # refused before the store is asked


def test_what_a_page_costs(world: dict[str, Any], schema: Any) -> None:
    """Each page asks the store a fixed number of small queries: its state (to check
    or issue a token), the count and one page of ids (LIMIT), those records, and for
    ListRecords the agents they name. Nothing loads the catalogue."""
    recording = Recording(world["server"].query_url)
    repo = store_repo(world, RemoteSite(world["server"].query_url, engine=recording))
    # kept once asked: the base, the catalogue's description (a minute), the vocabularies
    ask(repo, verb="GetRecord", identifier=TRACER, metadataPrefix="oai_dc")
    for verb, per_page in (("ListIdentifiers", 3), ("ListRecords", 4)):
        recording.queries.clear()
        root = ask(repo, schema, verb=verb, metadataPrefix="oai_dc")
        counts = [len(recording.queries)]
        paged = [s for s in recording.queries if "OFFSET" in s]
        while token := token_of(root):
            recording.queries.clear()
            root = ask(repo, schema, verb=verb, resumptionToken=token)
            counts.append(len(recording.queries))
            paged += [s for s in recording.queries if "OFFSET" in s]
        assert counts == [per_page] * -(-LIVE // PAGE), verb
        assert len(paged) == len(counts)
        assert [s.count(f"LIMIT {PAGE} OFFSET ") for s in paged] == [1] * len(counts)


# --------------------------------------------------------------------------- HTTP


def app_of(view: StoreOaiView) -> Starlette:
    return Starlette(
        routes=[Route("/oai", view.endpoint, methods=["GET", "POST"])],
        exception_handlers={RequestError: refusal, 404: not_found},
    )


def test_the_view_answers_get_and_post(world: dict[str, Any], static: OaiRepository) -> None:
    site = RemoteSite(world["server"].query_url)
    view = StoreOaiView(site, "http://127.0.0.1:8000/", PAGE, ADMIN)
    client = TestClient(app_of(view))
    args = {"verb": "GetRecord", "identifier": FULL, "metadataPrefix": "oai_dc"}
    get, post = client.get("/oai", params=args), client.post("/oai", data=args)
    for answer in (get, post):
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/xml; charset=utf-8"
        assert answer.headers["access-control-allow-origin"] == "*"
    assert canonical(ET.fromstring(get.content)) == canonical(ask(static, **args))
    assert canonical(ET.fromstring(post.content)) == canonical(ET.fromstring(get.content))
    root = ET.fromstring(client.get("/oai", params={"verb": "Identify"}).content)
    assert root.findtext(f"{q('Identify')}/{q('baseURL')}") == "http://127.0.0.1:8000/oai"


def test_no_admin_email_no_oai(world: dict[str, Any]) -> None:
    view = StoreOaiView(RemoteSite(world["server"].query_url), "http://127.0.0.1:8000/", PAGE)
    answer = TestClient(app_of(view)).get("/oai", params={"verb": "Identify"})
    assert answer.status_code == 404
    assert answer.text == NO_STORE_ADMIN_EMAIL + "\n" and "@" not in answer.text


@pytest.mark.parametrize("verb", ["Identify", "ListRecords", "GetRecord", "ListSets"])
def test_store_down_is_a_502_in_one_line(verb: str) -> None:
    site = RemoteSite(f"http://127.0.0.1:{free_port()}/query", timeout=2)
    client = TestClient(app_of(StoreOaiView(site, "http://127.0.0.1:8000/", PAGE, ADMIN)))
    args = {"verb": verb, "metadataPrefix": "oai_dc", "identifier": TRACER}
    allowed = {
        "Identify": (),
        "ListSets": (),
        "ListRecords": ("metadataPrefix",),
        "GetRecord": ("metadataPrefix", "identifier"),
    }[verb]
    answer = client.get("/oai", params={"verb": verb, **{k: args[k] for k in allowed}})
    assert answer.status_code == 502
    assert answer.text.count("\n") == 1 and "Traceback" not in answer.text
    assert answer.text.startswith("the store did not answer: ")
    # a protocol error needs no store: it is still answered
    bad = client.get("/oai", params={"verb": "Dance"})
    assert bad.status_code == 200 and b'code="badVerb"' in bad.content


def test_a_store_without_the_catalogue(world: dict[str, Any]) -> None:
    site = RemoteSite(world["server"].query_url, graph="urn:csec-ld:test:empty")
    client = TestClient(app_of(StoreOaiView(site, "http://127.0.0.1:8000/", PAGE, ADMIN)))
    answer = client.get("/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    assert answer.status_code == 502 and "holds no catalogue" in answer.text


def test_sickle_harvests_the_store(world: dict[str, Any], static: OaiRepository) -> None:
    """A real harvester, over HTTP, across resumption tokens: what the site gives."""
    sickle = pytest.importorskip("sickle")
    site = RemoteSite(world["server"].query_url)
    port = free_port()
    view = StoreOaiView(site, f"http://127.0.0.1:{port}/", PAGE, ADMIN)
    with Server(app_of(view), port=port) as server:
        harvester = sickle.Sickle(server.url + "/oai", timeout=10)
        records = list(harvester.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
        by_set = list(harvester.ListIdentifiers(metadataPrefix="oai_dc", set="country:PRY"))
        identify = harvester.Identify()
    assert identify.deletedRecord == "no" and identify.adminEmail == ADMIN
    got = [(r.header.identifier, r.header.datestamp) for r in records]
    want = [
        (h.findtext(q("identifier")), h.findtext(q("datestamp")))
        for h in headers_of(static, None, "ListRecords", metadataPrefix="oai_dc")
    ]
    assert got == want and len(got) == LIVE
    titles = {r.header.identifier: sorted(r.metadata["title"]) for r in records}
    assert titles[FULL] == [
        "Child protection in tourism",
        "La protection des enfants dans le tourisme",
    ]
    assert {h.identifier for h in by_set} >= {TRACER, f"oai:{HOST}:year-only-2011"}


class _Forgetful(RemoteSite):
    """A store that lists a record in the page query but has lost it by the next one."""

    def records(self, record_ids: Any) -> Any:
        found = super().records(record_ids)
        found.pop("tracer-study-paraguay-2012", None)
        return found


def test_a_record_lost_between_two_queries_does_not_stall_a_harvest(
    world: dict[str, Any], schema: Any
) -> None:
    """Every token moves on by a page, whatever the page held; a page left empty is an
    error (a list response holds at least one item), never a token to itself."""
    repo = store_repo(world, _Forgetful(world["server"].query_url))
    root = ask(repo, schema, verb="ListIdentifiers", metadataPrefix="oai_dc")
    seen, pages = [h.findtext(q("identifier")) for h in root.iter(q("header"))], 1
    while token := token_of(root):
        root = ask(repo, schema, verb="ListIdentifiers", resumptionToken=token)
        seen += [h.findtext(q("identifier")) for h in root.iter(q("header"))]
        pages += 1
    assert pages == -(-LIVE // PAGE) and TRACER not in seen and len(seen) == LIVE - 1
    one = store_repo(world, _Forgetful(world["server"].query_url), page_size=1)
    root = ask(one, schema, verb="ListIdentifiers", metadataPrefix="oai_dc")
    for _ in range(LIVE):
        token = token_of(root)
        if not token:
            break
        root = ask(one, schema, verb="ListIdentifiers", resumptionToken=token)
    assert error_code(root) == "badResumptionToken"
