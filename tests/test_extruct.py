"""A real aggregator extractor (extruct) reads each page's JSON-LD; expanded offline
with the official schema.org context (pyld), a record page's is the schema.org part of
the record's Turtle (the record and every node it names, with their types and names),
and the home page's is the dataset of ``void.ttl`` with its dumps."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest

from csec_ld.mapping import Mapper
from csec_ld.site.publish import publish
from csec_ld.sources import open_catalog
from tests.conftest import DATA, VENDOR

SCHEMA = "http://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RECORD = "tracer-study-paraguay-2012"
LICENCE = "https://creativecommons.org/licenses/by-nc/4.0/"

extruct = pytest.importorskip("extruct")
jsonld = pytest.importorskip("pyld.jsonld")

SCHEMA_CONTEXT = VENDOR / "schemaorg" / "schemaorgcontext.jsonld"


def _offline_loader() -> Any:
    if not SCHEMA_CONTEXT.is_file():
        pytest.skip("the vendored schema.org context (../shared/vendor) is not here")
    document = json.loads(SCHEMA_CONTEXT.read_text(encoding="utf-8"))

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url.rstrip("/") in ("https://schema.org", "http://schema.org") or url.startswith(
            ("https://schema.org/", "http://schema.org/")
        ):
            return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(document)}
        raise AssertionError(f"the test must stay offline; asked for {url}")

    return load


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish([DATA], tmp_path_factory.mktemp("ex") / "site", validate=False).out_dir


@pytest.fixture(scope="module")
def licensed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/ with a licence given to one record."""
    data = tmp_path_factory.mktemp("lic") / "data"
    shutil.copytree(DATA, data)
    path = data / "records" / f"{RECORD}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"license: {LICENCE}\n", encoding="utf-8")
    return publish([data], data.parent / "site", validate=False).out_dir


def _expected() -> dict[str, set[pyoxigraph.Triple]]:
    catalogue = open_catalog([DATA])
    mapper = Mapper(catalogue, ["schemaorg"])
    return {r.id: set(mapper.record(r)) for r in catalogue.records()}


def _extracted(html: str, url: str, loader: Any) -> set[pyoxigraph.Triple]:
    """The triples of the page's one JSON-LD item, as extruct finds it."""
    items = extruct.extract(html, base_url=url, syntaxes=["json-ld"], uniform=False)["json-ld"]
    assert len(items) == 1, url
    assert items[0]["@context"] == "https://schema.org"
    nquads = jsonld.to_rdf(items[0], {"format": "application/n-quads", "documentLoader": loader})
    quads = list(pyoxigraph.parse(nquads.encode(), format=pyoxigraph.RdfFormat.N_QUADS))
    assert all(isinstance(q.graph_name, pyoxigraph.DefaultGraph) for q in quads)
    return {pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in quads}


def _schema_part(path: Path) -> set[pyoxigraph.Triple]:
    """The schema.org triples of a Turtle file (schema: predicates, schema: classes)."""
    out = set()
    for t in pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE):
        p, o = t.predicate.value, t.object
        if p.startswith(SCHEMA) or (p == RDF_TYPE and o.value.startswith(SCHEMA)):
            out.add(pyoxigraph.Triple(t.subject, t.predicate, t.object))
    return out


def _reachable(triples: set[pyoxigraph.Triple], start: str) -> set[pyoxigraph.Triple]:
    """The triples about *start* and about every node reached from it."""
    out: set[pyoxigraph.Triple] = set()
    todo, seen = [start], {start}
    while todo:
        node = todo.pop()
        for t in triples:
            if t.subject.value == node:
                out.add(t)
                o = t.object
                if isinstance(o, pyoxigraph.NamedNode) and o.value not in seen:
                    seen.add(o.value)
                    todo.append(o.value)
    return out


def test_extruct_reads_every_record_page_as_its_schemaorg_triples(site: Path) -> None:
    loader = _offline_loader()
    expected = _expected()
    assert len(expected) == 10
    for rid, triples in sorted(expected.items()):
        iri = f"https://w3id.org/csec-ld/resource/{rid}"
        html = (site / "resource" / rid / "index.html").read_text(encoding="utf-8")
        got = _extracted(html, iri + "/", loader)
        own = {t for t in got if t.subject.value == iri}
        assert own == triples, f"{rid}: missing {triples - own}, extra {own - triples}"
        # Every node it names is there with its type and name, as the record's Turtle has it.
        turtle = _schema_part(site / "resource" / f"{rid}.ttl")
        assert got <= turtle, f"{rid}: not in its Turtle: {got - turtle}"
        assert got == _reachable(turtle, iri), rid
        named = {
            t.object.value
            for t in triples
            if isinstance(t.object, pyoxigraph.NamedNode) and t.predicate.value != RDF_TYPE
        }
        described = {t.subject.value for t in got}
        for predicate in ("publisher", "author", "about", "spatialCoverage", "additionalType"):
            for t in triples:
                if t.predicate.value == SCHEMA + predicate:
                    node = t.object.value
                    assert node in described, (rid, predicate, node)
                    assert any(
                        x.subject.value == node and x.predicate.value == RDF_TYPE for x in got
                    ), (rid, node)
                    assert any(
                        x.subject.value == node and x.predicate.value == SCHEMA + "name"
                        for x in got
                    ), (rid, node)
        # ... but the catalogue (described by the home page), not in the record's data.
        assert named - described == {"https://w3id.org/csec-ld/catalog"} | {
            t.object.value
            for t in triples
            if t.predicate.value in (SCHEMA + "url", SCHEMA + "sameAs", SCHEMA + "license")
        }


def test_the_home_page_describes_the_dataset_and_its_dumps(site: Path) -> None:
    loader = _offline_loader()
    base = "https://w3id.org/csec-ld/"
    html = (site / "index.html").read_text(encoding="utf-8")
    got = _extracted(html, base, loader)
    ds = pyoxigraph.NamedNode(base + "dataset")
    s = lambda term: pyoxigraph.NamedNode(SCHEMA + term)  # noqa: E731

    def values(subject: Any, predicate: str) -> set[Any]:
        return {t.object for t in got if t.subject == subject and t.predicate == s(predicate)}

    catalog = open_catalog([DATA]).catalog
    assert pyoxigraph.Triple(ds, pyoxigraph.NamedNode(RDF_TYPE), s("Dataset")) in got
    assert values(ds, "name") == {
        pyoxigraph.Literal(t.value, language=t.lang) for t in catalog.title
    }
    assert values(ds, "description") == {
        pyoxigraph.Literal(t.value, language=t.lang) for t in catalog.description
    }
    assert values(ds, "url") == {pyoxigraph.NamedNode(base)}
    assert catalog.license
    assert values(ds, "license") == {pyoxigraph.NamedNode(catalog.license)}
    # the publisher with its type and name, as the catalogue's Turtle has it
    (publisher,) = values(ds, "publisher")
    assert _reachable(got, publisher.value) <= _schema_part(site / "catalog.ttl")
    assert values(publisher, "name")
    # the distributions: the dumps of void.ttl, each with its media type
    void = list(pyoxigraph.parse(path=str(site / "void.ttl"), format=pyoxigraph.RdfFormat.TURTLE))
    dcat = "http://www.w3.org/ns/dcat#"
    dumps = {t.object.value for t in void if t.predicate.value == dcat + "downloadURL"}
    assert {base + "catalog.ttl", base + "catalog.nt.gz"} <= dumps
    downloads = {}
    for dist in values(ds, "distribution"):
        (url,) = values(dist, "contentUrl")
        (media,) = values(dist, "encodingFormat")
        downloads[url.value] = media.value
        types = {t.object for t in got if t.subject == dist and t.predicate.value == RDF_TYPE}
        assert types == {s("DataDownload")}
    assert set(downloads) == dumps
    assert downloads[base + "catalog.ttl"] == "text/turtle"
    assert downloads[base + "catalog.nt.gz"] == "application/gzip"


def test_a_record_shows_a_licence_only_if_it_has_one(site: Path, licensed_site: Path) -> None:
    """No record of data/ has a licence: no syntax extruct reads gives one to its page
    (the footer's link to the catalogue's licence is not rel="license" there)."""
    records = {r.id: r for r in open_catalog([DATA]).records()}
    assert records and all(r.license is None for r in records.values())
    for rid in records:
        html = (site / "resource" / rid / "index.html").read_text(encoding="utf-8")
        assert not _licences(html, f"https://w3id.org/csec-ld/resource/{rid}/"), rid
        assert 'rel="license"' not in html, rid
    # the catalogue's own pages keep it
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "https://creativecommons.org/licenses/by/4.0/" in _licences(
        home, "https://w3id.org/csec-ld/"
    )
    # a record with a licence shows it: in its JSON-LD, its details and its signposts
    html = (licensed_site / "resource" / RECORD / "index.html").read_text(encoding="utf-8")
    assert _licences(html, f"https://w3id.org/csec-ld/resource/{RECORD}/") == {LICENCE}


def _licences(html: str, url: str) -> set[str]:
    """Every licence a crawler reads on the page: JSON-LD, RDFa (which reads rel="license"
    links, as microformats do), and the signposting <link> elements."""
    data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "rdfa"], uniform=False)
    out: set[str] = set()
    for item in data["json-ld"]:
        lic = item.get("license")
        if lic:
            out.add(lic["@id"] if isinstance(lic, dict) else lic)
    for item in data["rdfa"]:
        for key, vals in item.items():
            if key.endswith(("#license", "/license")):
                out.update(v.get("@id", v.get("@value")) for v in vals)
    out.update(re.findall(r'<link rel="license" href="([^"]+)"', html))
    return out
