"""``csec-ld publish``: the static site, its data, its safety and its atomicity."""

from __future__ import annotations

import gzip
import importlib
import json
import shutil
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from lxml import etree
from lxml import html as lxml_html

from csec_ld.cli import main
from csec_ld.errors import DataError, OutputError
from csec_ld.site.publish import (
    SITE_MARKER,
    WITHDRAWN_INDEX,
    ValidationFailedError,
    publish,
    read_withdrawn,
    site_path,
)
from csec_ld.site.webconfig import GONE_FOLDER
from csec_ld.sources import open_catalog
from tests.conftest import DATA

RECORD = "tracer-study-paraguay-2012"
HYDRA = "http://www.w3.org/ns/hydra/core#"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"

NASTY_TITLE = (
    'Tricky </script><script>document.title="pwned"</script> <!-- & "quotes" '
    "'single' & <b>bold</b> — שלום עולם مرحبا"
)
NASTY_DESCRIPTION = (
    'Ends the script: </script><!-- and <script>alert(1)</script> & "x" \u202eevil\u202c العربية'
)
NASTY_RECORD = f"""\
id: tricky-escaping-2015
title: {json.dumps(NASTY_TITLE)}
issued: '2015-03'
type: report
description: {json.dumps(NASTY_DESCRIPTION)}
countries: [PHL]
subjects: [child-labour]
publishers: [ilo]
identifiers: ['https://example.org/tricky.pdf', 'doi:10.1234/tricky']
"""


WITHDRAWN = "withdrawn-report-2012"
WITHDRAWN_TITLE = 'A Withdrawn Report on <Child Labour> & "Tourism"'
WITHDRAWN_RECORD = f"""\
id: {WITHDRAWN}
title: {json.dumps(WITHDRAWN_TITLE)}
issued: '2012-03-01'
type: report
description: Superseded by a later edition.
countries: [PHL]
subjects: [child-labour]
publishers: [ilo]
is_part_of: [ipec]
status: withdrawn
withdrawn: 2024-01-15
"""


def withdrawn_catalogue(folder: Path) -> Path:
    """A copy of data/ in *folder* with one more record, withdrawn on 2024-01-15."""
    data = folder / "data"
    shutil.copytree(DATA, data)
    (data / "records" / f"{WITHDRAWN}.yaml").write_text(WITHDRAWN_RECORD, encoding="utf-8")
    return data


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish([DATA], tmp_path_factory.mktemp("pub") / "site", validate=False).out_dir


@pytest.fixture(scope="module")
def nasty_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("nasty") / "data"
    shutil.copytree(DATA, data)
    (data / "records" / "tricky-escaping-2015.yaml").write_text(NASTY_RECORD, encoding="utf-8")
    return publish([data], data.parent / "site", validate=False).out_dir


@pytest.fixture(scope="module")
def withdrawn_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = withdrawn_catalogue(tmp_path_factory.mktemp("withdrawn"))
    result = publish([data], data.parent / "site", validate=False)
    assert (result.records, result.withdrawn) == (10, 1)
    return result.out_dir


def _page(site: Path, rid: str = RECORD) -> lxml_html.HtmlElement:
    return lxml_html.fromstring((site / "resource" / rid / "index.html").read_bytes())


# --------------------------------------------------------------------------- layout


def test_site_layout(site: Path) -> None:
    catalogue = open_catalog([DATA])
    ids = [r.id for r in catalogue.records()]
    for rid in ids:
        for name in (f"{rid}/index.html", f"{rid}.ttl", f"{rid}.jsonld", f"{rid}.nt"):
            assert (site / "resource" / name).is_file(), name
    for concept in (*catalogue.vocab.types, *catalogue.vocab.topics):
        kind = "type" if "/type/" in concept.iri else "topic"
        assert (site / kind / concept.id / "index.html").is_file()
        assert (site / kind / f"{concept.id}.ttl").is_file()
    for name in (
        "index.html",
        "catalog.ttl",
        "catalog.nt",
        "catalog.jsonld",
        "catalog.ttl.gz",
        "catalog.nt.gz",
        "catalog.jsonld.gz",
        "context.jsonld",
        "context/1.0.jsonld",
        "ontology.ttl",
        "shapes.ttl",
        "void.ttl",
        "pages/1.jsonld",
        "sitemap.xml",
        "robots.txt",
        "type/index.html",
        "topic/index.html",
        "country/index.html",
        "country/PRY/index.html",
        "country/PRY.ttl",
        SITE_MARKER,
    ):
        assert (site / name).is_file(), name
    assert not list(site.rglob("*.part"))


def test_output_is_deterministic(site: Path, tmp_path: Path) -> None:
    again = publish([DATA], tmp_path / "again", validate=False).out_dir
    assert _files(again) == _files(site)


def test_every_rdf_file_parses(site: Path) -> None:
    for path in sorted(site.rglob("*.ttl")):
        list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))
    for path in sorted(site.rglob("*.nt")):
        list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.N_TRIPLES))
    for path in sorted(site.rglob("*.jsonld")):
        json.loads(path.read_text(encoding="utf-8"))
    for fmt in ("ttl", "nt", "jsonld"):
        assert (
            gzip.decompress((site / f"catalog.{fmt}.gz").read_bytes())
            == (site / f"catalog.{fmt}").read_bytes()
        )


def test_record_data_describes_the_record_and_what_it_names(site: Path) -> None:
    triples = set(
        pyoxigraph.parse(
            path=str(site / "resource" / f"{RECORD}.nt"), format=pyoxigraph.RdfFormat.N_TRIPLES
        )
    )
    ttl = set(
        pyoxigraph.parse(
            path=str(site / "resource" / f"{RECORD}.ttl"), format=pyoxigraph.RdfFormat.TURTLE
        )
    )
    assert triples == ttl
    subjects = {t.subject.value for t in triples}
    assert f"https://w3id.org/csec-ld/resource/{RECORD}" in subjects
    assert "https://w3id.org/csec-ld/agent/ilo" in subjects  # the publisher's name
    assert "https://w3id.org/csec-ld/topic/impact-evaluation" in subjects


# --------------------------------------------------------------------------- pages


def test_record_page(site: Path) -> None:
    page = _page(site)
    assert page.get("lang") == "en"
    assert page.findtext(".//title").startswith("Tracer Study - PARAGUAY")
    assert [h.text_content() for h in page.iter("h1")] == ["Tracer Study - PARAGUAY"]
    for landmark in ("header", "nav", "main", "footer"):
        assert page.find(f".//{landmark}") is not None, landmark
    text = page.text_content()
    for expected in (
        "16 July 2012",
        "tracer study",
        "Paraguay",
        "impact evaluation",
        "International Labour Organization",
        "This report describes",
    ):
        assert expected in text
    alternates = {
        link.get("type"): link.get("href")
        for link in page.iter("link")
        if link.get("rel") == "alternate"
    }
    assert alternates == {
        "text/turtle": f"../../resource/{RECORD}.ttl",
        "application/ld+json": f"../../resource/{RECORD}.jsonld",
        "application/n-triples": f"../../resource/{RECORD}.nt",
    }
    canonical = [link.get("href") for link in page.iter("link") if link.get("rel") == "canonical"]
    assert canonical == [f"https://w3id.org/csec-ld/resource/{RECORD}"]
    meta = [(m.get("name"), m.get("content")) for m in page.iter("meta") if m.get("name")]
    assert ("citation_title", "Tracer Study - PARAGUAY") in meta
    assert ("citation_publication_date", "2012/07/16") in meta
    assert ("citation_publisher", "International Labour Organization") in meta
    # no creators: no citation_author (a publisher is never one; tests/site/test_citations.py)
    assert "citation_author" not in dict(meta)
    assert ("citation_abstract_html_url", f"https://w3id.org/csec-ld/resource/{RECORD}") in meta
    scripts = page.xpath('//script[@type="application/ld+json"]')
    assert len(scripts) == 1
    doc = json.loads(scripts[0].text)
    assert doc["@context"] == "https://schema.org"
    assert doc["@type"] == "Report"
    assert doc["datePublished"] == "2012-07-16"


def test_record_page_details_list_every_field_of_the_table(tmp_path: Path) -> None:
    """The details list is the field table's: each field that has a label, in its place,
    when the record has it (the OAI tests use the same full record)."""
    from csec_ld.records import PAGE_FIELDS
    from tests.site.test_oai import FULL_RECORD

    folder = tmp_path / "cat"
    shutil.copytree(DATA, folder)
    (folder / "records" / "full-record-2013.yaml").write_text(FULL_RECORD, encoding="utf-8")
    out = publish([folder / "records"], tmp_path / "site", validate=False).out_dir
    details = _page(out, "full-record-2013").xpath('//dl[@class="record"]')[0]
    assert [dt.text for dt in details.iter("dt")] == [f.label for f in PAGE_FIELDS]
    shown = {dt.text: dt.getnext().text_content() for dt in details.iter("dt")}
    assert shown["Type"] == "report"
    assert shown["Date"] == "March 2013"
    assert shown["Modified"] == "5 March 2024"
    assert shown["Countries"] == "Philippines, Thailand"
    assert shown["Authors"] == "National Statistics Office of the Philippines"
    assert shown["Contributors"] == "ECPAT International"
    assert shown["Part of"] == "International Programme on the Elimination of Child Labour"
    assert shown["Languages"] == "English, French"
    assert shown["Licence"] == "https://creativecommons.org/licenses/by/4.0/"
    assert shown["IRI"] == "https://w3id.org/csec-ld/resource/full-record-2013"
    licence = details.xpath('.//a[@rel="license"]/@href')
    assert licence == ["https://creativecommons.org/licenses/by/4.0/"]
    # the minimal record lists only what it has (no licence, no authors, ...)
    labels = [dt.text for dt in _page(out).iter("dt")]
    assert "Licence" not in labels and "Authors" not in labels
    assert labels[:2] == ["Type", "Date"] and labels[-1] == "IRI"


def test_pages_are_valid_html5(site: Path) -> None:
    html5lib = pytest.importorskip("html5lib")
    pages = [
        site / "index.html",
        site / "resource" / RECORD / "index.html",
        site / "type" / "report" / "index.html",
        site / "country" / "PRY" / "index.html",
        site / "topic" / "index.html",
        site / "agent" / "ilo" / "index.html",
        site / "agent" / "index.html",
        site / "project" / "scream" / "index.html",
        site / "agent" / "csec-ld" / "index.html",
    ]
    for path in pages:
        parser = html5lib.HTMLParser(strict=True)
        parser.parse(path.read_bytes())  # raises on any parse error
        tree = lxml_html.fromstring(path.read_bytes())
        assert tree.get("lang") == "en"
        assert len(tree.findall(".//h1")) == 1
        assert tree.find(".//main") is not None


def test_links_resolve_inside_the_site(site: Path) -> None:
    for path in [
        site / "index.html",
        site / "resource" / RECORD / "index.html",
        site / "type" / "report" / "index.html",
        site / "country" / "index.html",
        site / "agent" / "ilo" / "index.html",
        site / "project" / "ipec" / "index.html",
        site / "project" / "index.html",
    ]:
        page = lxml_html.fromstring(path.read_bytes())
        for el in page.xpath("//a[@href] | //link[@href]"):
            href = el.get("href")
            if href.startswith(("http://", "https://", "#")):
                continue
            target = (path.parent / href).resolve()
            if href.endswith("/") or href == "":
                target = target / "index.html"
            assert target.is_file(), f"{path.relative_to(site)}: {href}"


def test_home_lists_every_record(site: Path) -> None:
    home = lxml_html.fromstring((site / "index.html").read_bytes())
    rows = home.xpath("//table/tbody/tr")
    assert len(rows) == 10
    hrefs = {row.xpath(".//td[1]/a/@href")[0] for row in rows}
    assert f"resource/{RECORD}/" in hrefs
    tracer = next(r for r in rows if r.xpath(".//td[1]/a/@href")[0] == f"resource/{RECORD}/")
    cells = [td.text_content() for td in tracer.xpath("./td")]
    assert cells == ["Tracer Study - PARAGUAY", "2012", "tracer study", "Paraguay"]


def test_concept_and_country_pages(site: Path) -> None:
    report = lxml_html.fromstring((site / "type" / "report" / "index.html").read_bytes())
    # narrower types (survey reports, tracer studies...) are listed under "report"
    assert len(report.xpath("//table/tbody/tr")) >= 7
    pry = lxml_html.fromstring((site / "country" / "PRY" / "index.html").read_bytes())
    assert "Paraguay" in pry.findtext(".//h1") + pry.xpath("string(//h1)")
    concept = set(
        pyoxigraph.parse(path=str(site / "type" / "report.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    )
    assert any(t.predicate.value.endswith("prefLabel") for t in concept)


# --------------------------------------------------------------------------- agents and projects


def test_agent_and_project_pages_exist_for_the_whole_registry(site: Path) -> None:
    registry = open_catalog([DATA]).registry
    assert len(list(registry)) >= 8
    for agent in registry:
        folder = "project" if agent.kind == "project" else "agent"
        assert agent.iri == f"https://w3id.org/csec-ld/{folder}/{agent.id}"
        assert (site / folder / agent.id / "index.html").is_file(), agent.id
        for fmt in ("ttl", "jsonld", "nt"):
            assert (site / folder / f"{agent.id}.{fmt}").is_file(), (agent.id, fmt)
        triples = {
            (t.subject.value, t.predicate.value, t.object.value)
            for t in pyoxigraph.parse(
                path=str(site / folder / f"{agent.id}.nt"), format=pyoxigraph.RdfFormat.N_TRIPLES
            )
        }
        assert (agent.iri, "http://schema.org/name", agent.name) in triples
        if agent.part_of:
            parent = registry.agents[agent.part_of]
            assert (agent.iri, "http://purl.org/dc/terms/isPartOf", parent.iri) in triples
            assert (parent.iri, "http://schema.org/name", parent.name) in triples
    lists = {
        folder: {
            a.get("href")
            for a in lxml_html.fromstring((site / folder / "index.html").read_bytes()).xpath(
                "//main//a"
            )
        }
        for folder in ("agent", "project")
    }
    assert "../agent/ilo/" in lists["agent"]
    assert "../project/scream/" in lists["project"]
    assert "../project/scream/" not in lists["agent"]


def test_agent_page(site: Path) -> None:
    page = lxml_html.fromstring((site / "agent" / "ilo" / "index.html").read_bytes())
    assert "International Labour Organization" in page.xpath("string(//h1)")
    text = page.text_content()
    assert "Also known as" in text and "ILO" in text
    hrefs = {a.get("href") for a in page.xpath("//main//a")}
    assert "https://www.ilo.org/" in hrefs  # its website
    assert "../../project/ipec/" in hrefs  # its parts
    assert f"../../resource/{RECORD}/" in hrefs  # the records naming it
    assert "https://w3id.org/csec-ld/agent/ilo" in hrefs
    alternates = {
        link.get("type"): link.get("href")
        for link in page.iter("link")
        if link.get("rel") == "alternate"
    }
    assert alternates["text/turtle"] == "../../agent/ilo.ttl"
    canonical = [link.get("href") for link in page.iter("link") if link.get("rel") == "canonical"]
    assert canonical == ["https://w3id.org/csec-ld/agent/ilo"]
    assert [h.text_content() for h in page.xpath("//main//h3")] == ["Published"]
    scream = lxml_html.fromstring((site / "project" / "scream" / "index.html").read_bytes())
    assert "Project or series" in scream.xpath("string(//h1)")
    parent = scream.xpath('//dt[.="Part of"]/following-sibling::dd[1]/a')
    assert [(a.get("href"), a.text_content()) for a in parent] == [
        ("../../project/ipec/", "International Programme on the Elimination of Child Labour")
    ]
    assert scream.xpath("//table/tbody/tr")  # the SCREAM resources
    idle = lxml_html.fromstring((site / "agent" / "csec-ld" / "index.html").read_bytes())
    assert "No resources yet." in idle.text_content()


def test_record_pages_link_to_agent_pages(site: Path) -> None:
    page = _page(site)
    publisher = page.xpath('//dt[.="Publisher"]/following-sibling::dd[1]/a')
    assert [(a.get("href"), a.text_content()) for a in publisher] == [
        ("../../agent/ilo/", "International Labour Organization")
    ]


def test_sitemap_lists_agent_pages(site: Path) -> None:
    text = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://w3id.org/csec-ld/agent/ilo/</loc>" in text
    assert "<loc>https://w3id.org/csec-ld/project/scream/</loc>" in text


# --------------------------------------------------------------------------- withdrawn records


def test_tombstone_page(withdrawn_site: Path) -> None:
    path = withdrawn_site / "resource" / WITHDRAWN / "index.html"
    raw = path.read_bytes()
    page = lxml_html.fromstring(raw)
    assert page.get("lang") == "en"
    assert page.xpath("string(//h1)") == WITHDRAWN_TITLE  # for people following old links
    assert "Withdrawn: " + WITHDRAWN_TITLE in page.findtext(".//title")
    status = page.xpath('//*[@role="status"]')[0]
    assert "withdrawn" in status.text_content()
    assert "15 January 2024" in status.text_content()
    assert status.xpath(".//time/@datetime") == ["2024-01-15"]
    meta = {m.get("name"): m.get("content") for m in page.iter("meta") if m.get("name")}
    assert meta["robots"] == "noindex"
    assert not [m for m in meta if m.startswith("citation_")]
    assert page.xpath("//script") == []  # no JSON-LD: it is not in the catalogue
    assert [link for link in page.iter("link") if link.get("rel") == "alternate"] == []
    assert b"<Child Labour>" not in raw
    html5lib = pytest.importorskip("html5lib")
    html5lib.HTMLParser(strict=True).parse(raw)


def test_a_tombstone_changes_nothing_else(site: Path, withdrawn_site: Path) -> None:
    """No data files, no listings, no sitemap entry, no dumps: its page, the index of
    tombstones, and the harvesting files (the records for OAI-PMH, the change feed)."""
    before, after = _files(site), _files(withdrawn_site)
    # its page, and the line of text web servers answer 410 with
    assert set(after) - set(before) == {
        f"resource/{WITHDRAWN}/index.html",
        f"{GONE_FOLDER}/{WITHDRAWN}.txt",
    }
    changed = {name for name in before if before[name] != after[name]}
    harvesting = {
        "source/records.jsonl",
        "changes/index.json",
        "changes/page-1.json",
        "ldes/page-1.ttl",
        ".csec-ld/manifest.jsonl",
    }  # and the republish manifest
    assert changed == {WITHDRAWN_INDEX, *harvesting}
    for name, body in after.items():
        if name not in (
            f"resource/{WITHDRAWN}/index.html",
            f"{GONE_FOLDER}/{WITHDRAWN}.txt",
            WITHDRAWN_INDEX,
            *harvesting,
        ):
            assert WITHDRAWN.encode() not in body, name
    assert read_withdrawn(withdrawn_site) == {
        WITHDRAWN: {"withdrawn": "2024-01-15", "title": WITHDRAWN_TITLE}
    }
    assert read_withdrawn(site) == {}


def test_cli_publish_counts_withdrawn_records(runner: CliRunner, tmp_path: Path) -> None:
    data = withdrawn_catalogue(tmp_path)
    result = runner.invoke(
        main, ["publish", str(data), "-o", str(tmp_path / "site"), "--no-validate"]
    )
    assert result.exit_code == 0, result.output
    assert "10 records, 1 withdrawn," in result.stdout
    assert (tmp_path / "site" / "resource" / WITHDRAWN / "index.html").is_file()


# --------------------------------------------------------------------------- dataset files


def test_void_describes_the_dumps(site: Path) -> None:
    store = pyoxigraph.Store()
    store.load(path=str(site / "void.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    rows = list(
        store.query(f"""
        SELECT ?url ?size ?media WHERE {{
          ?d a <{DCAT}Dataset> ; <{DCAT}distribution> ?dist .
          ?dist <{DCAT}downloadURL> ?url ; <{DCAT}byteSize> ?size ; <{DCAT}mediaType> ?media .
        }}""")
    )
    sizes = {r["url"].value.rsplit("/", 1)[1]: int(r["size"].value) for r in rows}
    assert set(sizes) == {
        f"catalog.{f}{gz}" for f in ("ttl", "nt", "jsonld") for gz in ("", ".gz")
    } | {"ontology.ttl"}  # the vocabulary too
    for name, size in sizes.items():
        assert (site / name).stat().st_size == size, name
    n_triples = len(
        list(pyoxigraph.parse(path=str(site / "catalog.nt"), format=pyoxigraph.RdfFormat.N_TRIPLES))
    )
    (count,) = store.query(f"SELECT ?n WHERE {{ ?d <{VOID}triples> ?n }}")
    assert int(count["n"].value) == n_triples
    assert bool(
        store.query(
            "ASK { ?d <http://purl.org/dc/terms/license> ?l ; "
            "<http://purl.org/dc/terms/publisher> ?p }"
        )
    )


def test_void_names_the_sparql_endpoint_when_given(tmp_path: Path) -> None:
    out = publish(
        [DATA], tmp_path / "s", validate=False, sparql_endpoint="https://example.org/sparql"
    ).out_dir
    text = (out / "void.ttl").read_text(encoding="utf-8")
    assert "void:sparqlEndpoint <https://example.org/sparql>" in text


def test_hydra_pages(tmp_path: Path) -> None:
    out = publish([DATA], tmp_path / "s", validate=False, page_size=3).out_dir
    pages = sorted((out / "pages").glob("*.jsonld"), key=lambda p: int(p.stem))
    assert [p.name for p in pages] == ["1.jsonld", "2.jsonld", "3.jsonld", "4.jsonld"]
    members: list[str] = []
    for n, path in enumerate(pages, start=1):
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(doc["@context"], dict)  # complete in itself: no remote context
        graph = {node["@id"]: node for node in doc["@graph"]}
        collection = graph["https://w3id.org/csec-ld/catalog"]
        view = collection["hydra:view"]
        assert view["@type"] == "hydra:PartialCollectionView"
        assert view["hydra:first"]["@id"].endswith("pages/1.jsonld")
        assert view["hydra:last"]["@id"].endswith("pages/4.jsonld")
        assert ("hydra:next" in view) == (n < 4)
        assert ("hydra:previous" in view) == (n > 1)
        assert collection["hydra:totalItems"] == 10
        page_members = [m["@id"] for m in collection["hydra:member"]]
        members += page_members
        for m in page_members:
            node = graph[m]
            for publisher in node.get("dcterms:publisher", []):  # named nodes are described
                iri = publisher.replace("agent:", "https://w3id.org/csec-ld/agent/")
                assert iri in graph or publisher in graph
    assert len(members) == len(set(members)) == 10


def test_sitemap_and_robots(site: Path) -> None:
    tree = etree.parse(str(site / "sitemap.xml"))
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = {
        u.findtext("s:loc", namespaces=ns): u.findtext("s:lastmod", namespaces=ns)
        for u in tree.getroot().findall("s:url", ns)
    }
    assert urls[f"https://w3id.org/csec-ld/resource/{RECORD}"] == "2012-07-16"
    assert "https://w3id.org/csec-ld/" in urls
    assert "https://w3id.org/csec-ld/type/report/" in urls
    robots = (site / "robots.txt").read_text()
    assert "Sitemap: https://w3id.org/csec-ld/sitemap.xml" in robots


def test_large_sitemaps_are_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.import_module("csec_ld.site.publish"), "SITEMAP_LIMIT", 20)
    out = publish([DATA], tmp_path / "s", validate=False).out_dir
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = etree.parse(str(out / "sitemap.xml")).getroot()
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    locs = [e.text for e in index.findall("s:sitemap/s:loc", ns)]
    assert len(locs) >= 2
    total = 0
    for loc in locs:
        part = etree.parse(str(out / loc.rsplit("/", 1)[1])).getroot()
        n = len(part.findall("s:url", ns))
        assert 0 < n <= 20
        total += n
    assert total > 20


def test_shapes_and_ontology_dumps_are_whole_graphs(site: Path) -> None:
    from csec_ld.resources import ontology_dir

    merged = len(
        list(pyoxigraph.parse(path=str(site / "ontology.ttl"), format=pyoxigraph.RdfFormat.TURTLE))
    )
    parts = sum(
        len(list(pyoxigraph.parse(path=str(p), format=pyoxigraph.RdfFormat.TURTLE)))
        for p in sorted(ontology_dir().glob("*.ttl"))
    )
    assert merged == parts


# --------------------------------------------------------------------------- bad input


def test_escaping(nasty_site: Path) -> None:
    raw = (nasty_site / "resource" / "tricky-escaping-2015" / "index.html").read_text("utf-8")
    assert "<script>document.title" not in raw
    assert "<script>alert" not in raw
    assert raw.count("</script>") == 1  # only the JSON-LD block's own end tag
    assert "<!-- &" not in raw
    page = _page(nasty_site, "tricky-escaping-2015")
    assert page.xpath("string(//h1)") == NASTY_TITLE
    assert page.xpath("//h1/@dir") == ["auto"]
    assert NASTY_DESCRIPTION in page.text_content()
    scripts = page.xpath("//script")
    assert len(scripts) == 1
    doc = json.loads(scripts[0].text)
    assert doc["name"] == {"@value": NASTY_TITLE, "@language": "en"}
    assert doc["description"]["@value"] == NASTY_DESCRIPTION
    meta = {m.get("name"): m.get("content") for m in page.iter("meta") if m.get("name")}
    assert meta["citation_title"] == NASTY_TITLE
    assert meta["citation_pdf_url"] == "https://example.org/tricky.pdf"
    assert meta["citation_doi"] == "10.1234/tricky"
    home = lxml_html.fromstring((nasty_site / "index.html").read_bytes())
    assert NASTY_TITLE in [a.text_content() for a in home.xpath("//table//a")]
    html5lib = pytest.importorskip("html5lib")
    html5lib.HTMLParser(strict=True).parse(raw)


def test_site_path_refuses_escapes(tmp_path: Path) -> None:
    for bad in ("..", "../x", "a/b", ".hidden", "", "x/../../y", "a\\b", "x.ttl/../.."):
        with pytest.raises(OutputError):
            site_path(tmp_path, "resource", bad)
    assert site_path(tmp_path, "resource", "ok-1.ttl") == tmp_path / "resource" / "ok-1.ttl"


def test_site_path_refuses_a_link_out_of_the_site(tmp_path: Path) -> None:
    """A folder of the site that is a link leading out (at any depth) is refused; a
    link that stays inside is not."""
    root, outside = tmp_path / "site", tmp_path / "elsewhere"
    (root / "resource" / "real").mkdir(parents=True)
    outside.mkdir()
    (root / "resource" / "out").symlink_to(outside)
    (root / "agent").symlink_to(outside)
    (root / "inner").symlink_to(root / "resource")
    for segments in (("resource", "out", "x.ttl"), ("agent", "a", "index.html")):
        with pytest.raises(OutputError, match="outside the site folder"):
            site_path(root, *segments)
    assert site_path(root, "resource", "real", "x.ttl") == root / "resource" / "real" / "x.ttl"
    assert site_path(root, "inner", "new", "x.ttl") == root / "inner" / "new" / "x.ttl"


def test_record_id_cannot_leave_the_site(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "records" / "evil.yaml").write_text(
        "id: ../../evil\ntitle: Evil\nissued: '2010'\ntype: report\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match="id"):
        publish([data], tmp_path / "out" / "site", validate=False)
    assert not (tmp_path / "out" / "site").exists()
    assert not list(tmp_path.rglob("evil*.html"))


def test_failed_publish_keeps_the_previous_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish([DATA], out, validate=False)
    before = _files(out)
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "records" / "broken.yaml").write_text(
        "id: broken\ntitle: Broken\nissued: '2010-13-01'\ntype: report\n", encoding="utf-8"
    )
    with pytest.raises(DataError):
        publish([data], out, validate=False)
    assert _files(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_republish_replaces_the_whole_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish([DATA], out, validate=False)
    (out / "resource" / "stale.html").write_text("old")
    publish([DATA], out, validate=False)
    assert not (out / "resource" / "stale.html").exists()


def test_refuses_to_replace_a_folder_that_is_not_a_site(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    with pytest.raises(OutputError, match="not a csec-ld site"):
        publish([DATA], precious, validate=False)
    assert (precious / "thesis.txt").read_text() == "do not delete"


# --------------------------------------------------------------------------- CLI and validation


def test_cli_publish(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["publish", str(DATA), "-o", str(tmp_path / "site"), "--no-validate"]
    )
    assert result.exit_code == 0, result.output
    assert "10 records" in result.stdout
    assert (tmp_path / "site" / "index.html").is_file()


def test_validation_gate_writes_nothing_on_violations(runner: CliRunner, tmp_path: Path) -> None:
    pytest.importorskip("csec_ld.validation")
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    # Loads as a record, but the shapes reject a date of issue in the future.
    (data / "records" / "future.yaml").write_text(
        "id: future-report-2999\ntitle: Future\nissued: '2999'\ntype: report\n", encoding="utf-8"
    )
    out = tmp_path / "site"
    result = runner.invoke(main, ["publish", str(data), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "violation" in result.stderr
    assert "future.yaml" in result.stderr
    assert not out.exists()
    with pytest.raises(ValidationFailedError):
        publish([data], out)
    assert not out.exists()
    result = runner.invoke(main, ["publish", str(data), "-o", str(out), "--no-validate"])
    assert result.exit_code == 0, result.output
    assert (out / "resource" / "future-report-2999" / "index.html").is_file()


def test_validation_gate_passes_the_bundled_data(tmp_path: Path) -> None:
    pytest.importorskip("csec_ld.validation")
    result = publish([DATA], tmp_path / "site")
    assert result.records == 10


def test_the_site_carries_its_records_and_a_change_feed(withdrawn_site: Path) -> None:
    """source/ loads back to the same records (tombstones included); changes/ announces them."""
    from csec_ld.sources import load_records

    data = withdrawn_site.parent / "data"
    assert load_records([withdrawn_site / "source"]) == load_records([data])
    feed = json.loads((withdrawn_site / "changes" / "index.json").read_text())
    assert feed["type"] == "OrderedCollection"
    page = json.loads((withdrawn_site / "changes" / "page-1.json").read_text())
    kinds = {(a["type"], a["object"]["id"].rsplit("/", 1)[-1]) for a in page["orderedItems"]}
    assert ("Delete", WITHDRAWN) in kinds
    assert ("Create", RECORD) in kinds
