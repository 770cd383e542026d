"""FAIR Signposting level 1 on record pages and record IRIs, read by the PyPI
``signposting`` client: from the page's ``<link>`` elements (every web server sends
them) and from the ``Link`` headers ``csec-ld serve`` sends, on a real 127.0.0.1 server."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph
import pytest

from csec_ld.server import create_app
from csec_ld.site.publish import DATA_FORMATS, publish
from csec_ld.site.signposting import LANDING_PAGE_TYPE, Signpost, link_header, record_signposts
from csec_ld.sources import open_catalog
from tests.conftest import DATA
from tests.servers import Server

signposting = pytest.importorskip("signposting")

BASE = "https://w3id.org/csec-ld/"
RECORD = "tracer-study-paraguay-2012"
DOI = "10.1234/csec-ld-test.1"
LICENCE = "https://creativecommons.org/licenses/by-nc/4.0/"
PDF = "https://example.org/files/report.pdf"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SCHEMA = "http://schema.org/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/, and one record given a DOI, a PDF and a licence."""
    data = tmp_path_factory.mktemp("sign") / "data"
    shutil.copytree(DATA, data)
    path = data / "records" / f"{RECORD}.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + f"identifiers: ['doi:{DOI}', '{PDF}']\nlicense: {LICENCE}\n",
        encoding="utf-8",
    )
    return publish([data], data.parent / "site", validate=False).out_dir


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    with Server(create_app(site, workers=1)) as running:
        yield running.url


def _records() -> list[str]:
    return sorted(r.id for r in open_catalog([DATA]).records())


def _schema_types(site: Path, rid: str) -> set[str]:
    """The schema.org classes of the record, as its Turtle has them (https form)."""
    iri = BASE + "resource/" + rid
    return {
        "https://schema.org/" + t.object.value[len(SCHEMA) :]
        for t in pyoxigraph.parse(
            path=str(site / "resource" / f"{rid}.ttl"), format=pyoxigraph.RdfFormat.TURTLE
        )
        if t.subject.value == iri
        and t.predicate.value == RDF_TYPE
        and t.object.value.startswith(SCHEMA)
    }


def _check(found: Any, site: Path, rid: str, *, landing_page: bool = True) -> None:
    """*found* (a signposting.Signposting) is the record's level-1 signposting."""
    iri = BASE + "resource/" + rid
    special = rid == RECORD
    assert found.citeAs is not None, rid
    assert found.citeAs.target == ("https://doi.org/" + DOI if special else iri)
    assert {(d.target, d.type) for d in found.describedBy} == {
        (f"{iri}.{ext}", media) for ext, media in DATA_FORMATS.items()
    }
    types = _schema_types(site, rid)
    assert types and types <= {str(t.target) for t in found.types}, rid
    assert (LANDING_PAGE_TYPE in {str(t.target) for t in found.types}) is landing_page
    if special:
        assert found.license is not None and found.license.target == LICENCE
        assert {(i.target, i.type) for i in found.items} == {(PDF, "application/pdf")}
    else:  # no record of data/ has a licence: none is signposted
        assert found.license is None, rid
        assert not found.items


def test_the_licence_and_identifiers_come_from_the_data() -> None:
    records = {r.id: r for r in open_catalog([DATA]).records()}
    assert len(records) == 10
    assert all(r.license is None for r in records.values())
    assert all(i.scheme != "doi" for i in records[RECORD].identifiers)


def test_record_pages_signpost_in_html_links(site: Path, server: str) -> None:
    for rid in _records():
        found = signposting.find_signposting_html(f"{server}/resource/{rid}/")
        _check(found, site, rid)


def test_record_iris_and_pages_signpost_in_link_headers(site: Path, server: str) -> None:
    for rid in _records():
        for path in (f"/resource/{rid}", f"/resource/{rid}/", f"/resource/{rid}/index.html"):
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # "no signposting found" is a failure
                found = signposting.find_signposting_http(server + path)
            _check(found, site, rid)


def test_headers_and_html_links_agree(server: str) -> None:
    for rid in _records():
        url = f"{server}/resource/{rid}/"
        in_html = signposting.find_signposting_html(url)
        in_headers = signposting.find_signposting_http(url)
        assert set(in_html) == set(in_headers), rid


def test_the_iri_negotiated_to_data_is_not_the_landing_page(site: Path, server: str) -> None:
    r = httpx.get(f"{server}/resource/{RECORD}", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    found = signposting.find_signposting_http_link(
        r.headers.get_list("link"), f"{server}/resource/{RECORD}"
    )
    _check(found, site, RECORD, landing_page=False)
    # the alternates are still there, beside the signposts
    assert 'rel="alternate"' in r.headers["link"]


def test_other_pages_have_no_record_signposts(server: str) -> None:
    for path in ("/", "/type/report/", f"/resource/{RECORD}.ttl", "/agent/ilo/"):
        r = httpx.get(server + path)
        assert r.status_code == 200, path
        assert "cite-as" not in r.headers.get("link", ""), path


def test_record_signposts() -> None:
    iri = BASE + "resource/x"
    s, t = pyoxigraph.NamedNode(iri), pyoxigraph.NamedNode
    triples = [
        pyoxigraph.Triple(s, t(RDF_TYPE), t(SCHEMA + "Report")),
        pyoxigraph.Triple(s, t(SCHEMA + "sameAs"), t("https://hdl.handle.net/1/2")),
        pyoxigraph.Triple(s, t(SCHEMA + "sameAs"), t("https://doi.org/10.1/x")),
        pyoxigraph.Triple(s, t(SCHEMA + "url"), t("https://example.org/a.PDF?x=1")),
        pyoxigraph.Triple(s, t(SCHEMA + "url"), t("https://example.org/page")),
        pyoxigraph.Triple(t(BASE + "agent/y"), t(SCHEMA + "license"), t("https://l/")),
    ]
    links = record_signposts(iri, triples, {"ttl": "text/turtle"})
    assert links == [
        Signpost("cite-as", "https://doi.org/10.1/x"),  # a DOI before a handle
        Signpost("describedby", iri + ".ttl", "text/turtle"),
        Signpost("type", "https://schema.org/Report"),
        Signpost("type", LANDING_PAGE_TYPE),
        Signpost("item", "https://example.org/a.PDF?x=1", "application/pdf"),
    ]  # no licence: the one there is another node's
    header = link_header(links)
    parsed = signposting.find_signposting_http_link([header], "https://example.org/")
    assert parsed.citeAs.target == "https://doi.org/10.1/x"
    # no identifier: the record's IRI; not the landing page: no AboutPage
    links = record_signposts(iri, triples[:1], {}, landing_page=False)
    assert links == [Signpost("cite-as", iri), Signpost("type", "https://schema.org/Report")]
