"""``publish`` on a generated catalogue of thousands of records: bounded, paged listings
whose pages link up and hold exactly the right records, browse trees that follow
``skos:broader``, and the same bytes whatever the number of workers."""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest
from lxml import etree
from lxml import html as lxml_html

from csec_ld.records import Record
from csec_ld.site.publish import publish
from csec_ld.sources import open_catalog
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import synth

RECORDS = 2500
LISTING_SIZE = 40
#: The sitemaps' bytes in the site of these tests (1 MB in a real one): theirs split.
SITEMAP_BYTES = 50_000
#: No listing page may be larger than this, however large the catalogue (a page of 40
#: rows is about 15 KB; the unpaged home page of these records was about 850 KB).
PAGE_BOUND = 40_000
SKOS = "http://www.w3.org/2004/02/skos/core#"
DUMPS = {
    "catalog.ttl",
    "catalog.nt",
    "catalog.jsonld",
    "catalog.ttl.gz",
    "catalog.nt.gz",
    "catalog.jsonld.gz",
    "source/records.jsonl",
}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scale") / "cat"
    synth.generate(RECORDS, folder, seed=7)
    return folder


@pytest.fixture(scope="module")
def site(catalogue: Path) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            importlib.import_module("csec_ld.site.publish"), "SITEMAP_BYTES", SITEMAP_BYTES
        )
        return publish(
            [catalogue], catalogue.parent / "site", validate=False, listing_size=LISTING_SIZE
        ).out_dir


@pytest.fixture(scope="module")
def existing(site: Path) -> set[str]:
    """Every file and folder of the site (as :func:`_target` names them)."""
    found = {str(site)}
    for dirpath, dirs, files in os.walk(site):
        found.update(os.path.join(dirpath, name) for name in (*dirs, *files))
    return found


@pytest.fixture(scope="module")
def records(catalogue: Path) -> list[Record]:
    return list(open_catalog([catalogue]).records())


def _newest_first(records: list[Record]) -> list[str]:
    def title(r: Record) -> str:
        return next((t.value for t in r.title if t.lang == "en"), r.title[0].value)

    by_title = sorted(records, key=lambda r: (title(r), r.id))
    ordered = sorted(by_title, key=lambda r: (r.issued.earliest(), r.issued.text), reverse=True)
    return [r.id for r in ordered]


def _expected_listings(records: list[Record], catalogue: Path) -> dict[str, list[str]]:
    """Listing folder → the ids it must show, in order, computed from the records."""
    cat = open_catalog([catalogue])
    types, topics = cat.vocab.types, cat.vocab.topics
    out: dict[str, list[str]] = {"": _newest_first(records)}
    for concept in types:
        below = types.narrower_closure(concept.id)
        out[f"type/{concept.id}/"] = _newest_first([r for r in records if r.type in below])
    for concept in topics:
        below = topics.narrower_closure(concept.id)
        out[f"topic/{concept.id}/"] = _newest_first(
            [r for r in records if below.intersection(r.subjects)]
        )
    for code in {c for r in records for c in r.countries}:
        out[f"country/{code}/"] = _newest_first([r for r in records if code in r.countries])
    for agent in cat.registry:
        folder = "project" if agent.kind == "project" else "agent"
        out[f"{folder}/{agent.id}/"] = _newest_first(
            [
                r
                for r in records
                if agent.id in (*r.publishers, *r.creators, *r.contributors, *r.is_part_of)
            ]
        )
    return out


def _page(path: Path) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(path.read_bytes())


def _target(page_path: Path, href: str) -> Path:
    # normpath, not resolve(): the same path (the site holds no links) without an lstat
    # of every folder on the way, for each of the tens of thousands of links
    target = Path(os.path.normpath(page_path.parent / href))
    return target / "index.html" if href.endswith("/") or href in ("", ".") else target


def _chain(site: Path, folder: str) -> Iterator[tuple[Path, lxml_html.HtmlElement]]:
    """The pages of a listing, from its first page along the rel=next links."""
    path: Path | None = site / folder / "index.html"
    seen: set[Path] = set()
    while path is not None:
        assert path.is_file(), path
        assert path not in seen, f"{path}: the next links go round in a circle"
        seen.add(path)
        page = _page(path)
        yield path, page
        nexts = page.xpath('//head/link[@rel="next"]/@href')
        path = _target(path, nexts[0]) if nexts else None


def _listed(page: lxml_html.HtmlElement) -> list[str]:
    """The record ids in the tables of a listing page, once each, in order."""
    hrefs = page.xpath("//main//table/tbody/tr/td[1]/a/@href")
    return list(dict.fromkeys(h.rstrip("/").rsplit("/", 1)[-1] for h in hrefs))


def test_every_record_is_on_exactly_the_right_listing_pages(
    site: Path, records: list[Record], catalogue: Path
) -> None:
    expected = _expected_listings(records, catalogue)
    assert len(expected[""]) == RECORDS
    assert len(expected) > 40  # types, topics, countries, agents and projects
    for folder, ids in expected.items():
        pages = list(_chain(site, folder))
        n_pages = max(1, -(-len(ids) // LISTING_SIZE))
        assert len(pages) == n_pages, folder
        shown: list[str] = []
        for number, (path, page) in enumerate(pages, start=1):
            want = ids[(number - 1) * LISTING_SIZE : number * LISTING_SIZE]
            assert _listed(page) == want, f"{path.relative_to(site)}"
            if number > 1:
                assert path == site / folder / "page" / str(number) / "index.html"
            if n_pages > 1 and not folder.startswith(("agent/", "project/")):
                first = (number - 1) * LISTING_SIZE + 1
                last = first + len(want) - 1
                caption = page.xpath("string(//main//table/caption)")
                assert caption == f"resources {first:,}\N{EN DASH}{last:,} of {len(ids):,}", path
            shown += want
        assert shown == ids, folder


def test_prev_and_next_links_lead_to_pages_that_exist(site: Path, existing: set[str]) -> None:
    listings = [p for p in site.rglob("index.html") if not p.is_relative_to(site / "resource")]
    paged = [p for p in listings if "page" in p.relative_to(site).parts]
    assert len(paged) > 100
    pages = {path: _page(path) for path in listings}  # each parsed once
    for path, page in pages.items():
        for rel in ("prev", "next"):
            heads = page.xpath(f'//head/link[@rel="{rel}"]/@href')
            anchors = page.xpath(f'//main//a[@rel="{rel}"]/@href')
            assert len(heads) <= 1 and set(anchors) <= set(heads), path
            for href in heads:
                target = _target(path, href)
                assert target.is_file(), f"{path.relative_to(site)}: {rel} {href}"
                back = (pages[target] if target in pages else _page(target)).xpath(
                    f'//head/link[@rel="{"next" if rel == "prev" else "prev"}"]/@href'
                )
                assert [_target(target, h) for h in back] == [path], (path, rel)
        for href in page.xpath("//a/@href | //link/@href"):
            if not href.startswith(("http://", "https://", "#")):
                assert str(_target(path, href)) in existing, f"{path.relative_to(site)}: {href}"


def test_no_generated_file_grows_with_the_catalogue_but_the_dumps(site: Path) -> None:
    sizes = {
        p.relative_to(site).as_posix(): p.stat().st_size for p in site.rglob("*") if p.is_file()
    }
    listings = {
        name: size
        for name, size in sizes.items()
        if name.endswith("index.html") and not name.startswith("resource/")
    }
    assert len(listings) > 200
    too_big = {name: size for name, size in listings.items() if size > PAGE_BOUND}
    assert not too_big
    # Hydra pages, the change feed's pages, sitemaps: bounded by their page sizes.
    others = {
        name: size
        for name, size in sizes.items()
        if name not in DUMPS and name not in listings and not name.startswith("resource/")
    }
    assert max(others.values()) < 1_000_000, max(others.items(), key=lambda kv: kv[1])


def test_sitemaps_are_split_by_bytes_under_an_index(site: Path) -> None:
    """The site was published with sitemaps of at most SITEMAP_BYTES (its URLs take
    about five times as many)."""
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = etree.parse(str(site / "sitemap.xml")).getroot()
    assert index.tag == f"{{{ns['s']}}}sitemapindex"
    locs = []
    parts = index.findall("s:sitemap/s:loc", ns)
    assert len(parts) > 2
    for loc in parts:
        part = site / loc.text.rsplit("/", 1)[1]
        assert part.stat().st_size <= SITEMAP_BYTES, part
        locs += [u.text for u in etree.parse(str(part)).getroot().findall("s:url/s:loc", ns)]
    assert len(locs) == len(set(locs)) > RECORDS
    iris = {f"https://w3id.org/csec-ld/resource/resource-{i:07d}" for i in range(RECORDS)}
    assert iris <= set(locs)


def _tree(ul: lxml_html.HtmlElement) -> list[tuple[str, list]]:
    return [
        (li.xpath("string(./a)"), _tree(li.find("ul")) if li.find("ul") is not None else [])
        for li in ul.findall("li")
    ]


def _ontology_tree() -> list[tuple[str, list]]:
    """topics.ttl's scheme as a tree, from skos:broader, children sorted by label."""
    graph = list(
        pyoxigraph.parse(
            path=str(ROOT / "ontology" / "topics.ttl"), format=pyoxigraph.RdfFormat.TURTLE
        )
    )
    in_scheme = {t.subject.value for t in graph if t.predicate.value == SKOS + "inScheme"}
    label = {
        t.subject.value: t.object.value
        for t in graph
        if t.predicate.value == SKOS + "prefLabel"
        and t.subject.value in in_scheme
        and t.object.language == "en"
    }
    broader = {
        (t.subject.value, t.object.value) for t in graph if t.predicate.value == SKOS + "broader"
    }
    broader |= {
        (t.object.value, t.subject.value) for t in graph if t.predicate.value == SKOS + "narrower"
    }

    def below(parent: str | None) -> list[tuple[str, list]]:
        if parent is None:
            kids = [c for c in in_scheme if not any(s == c for s, _ in broader)]
        else:
            kids = [s for s, o in broader if o == parent]
        return [(label[c], below(c)) for c in sorted(kids, key=lambda c: label[c].casefold())]

    return below(None)


def test_browse_trees_follow_skos_broader(site: Path) -> None:
    expected = _ontology_tree()
    assert ("child labour", expected[[n for n, _ in expected].index("child labour")][1]) in expected
    child_labour = dict(expected)["child labour"]
    assert "child domestic work" in dict(child_labour)  # not under "awareness raising"
    topics = _page(site / "topic" / "index.html").xpath('//main/ul[@class="concepts"]')[0]
    assert _tree(topics) == expected
    home = _page(site / "index.html")
    heading = home.xpath('//h3[.="By topic"]')[0]
    assert _tree(heading.getnext()) == expected


# --------------------------------------------------------------------------- one pass


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_byte_identical_for_any_number_of_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catalogue of three pipeline chunks (chunks of 200 records here, for speed: the
    merge is the same at 2,000): one or two worker processes write the same files, byte
    for byte."""
    from csec_ld import pipeline

    monkeypatch.setitem(pipeline.run_chunks.__kwdefaults__, "chunk_size", 200)
    catalogue = tmp_path / "cat"
    synth.generate(550, catalogue, seed=11)
    two = publish(
        [catalogue], tmp_path / "two", validate=False, listing_size=LISTING_SIZE, workers=2
    ).out_dir
    one = publish(
        [catalogue], tmp_path / "one", validate=False, listing_size=LISTING_SIZE, workers=1
    ).out_dir
    reference = _files(one)
    assert len(reference) > 4 * 550
    assert _files(two) == reference


def test_record_files_are_what_the_record_alone_maps_to(site: Path, catalogue: Path) -> None:
    """Each record's data files: its triples, then those of what it names, as a mapper
    of that record alone gives them (what publish wrote before the pipeline)."""
    from csec_ld.mapping import Mapper
    from csec_ld.site.publish import _write_blocks

    cat = open_catalog([catalogue])
    for n, record in enumerate(cat.records()):
        if n % 97:
            continue
        own = Mapper(cat)
        blocks = [own.record(record), *list(own.support())[:-1]]
        for fmt in ("ttl", "jsonld", "nt"):
            expected = site.parent / f"expected.{fmt}"
            _write_blocks(expected, fmt, blocks)
            assert (
                site / "resource" / f"{record.id}.{fmt}"
            ).read_bytes() == expected.read_bytes(), (record.id, fmt)


@pytest.mark.parametrize("validate", [False, True])
def test_bad_records_are_reported_with_their_place_and_nothing_is_written(
    tmp_path: Path, validate: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad record in the second chunk of the pipeline (chunks of 200 records here, for
    speed, as above) is reported at its line of the file, not of its chunk."""
    from click.testing import CliRunner

    from csec_ld import pipeline
    from csec_ld.cli import main

    monkeypatch.setitem(pipeline.run_chunks.__kwdefaults__, "chunk_size", 200)
    folder = tmp_path / "cat"
    synth.generate(230, folder, seed=3)
    path = folder / "records.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[210])
    bad["issued"] = "2010-13-01"  # in the second chunk of the pipeline
    lines[210] = json.dumps(bad)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "site"
    result = CliRunner().invoke(
        main, ["publish", str(folder), "-o", str(out), *([] if validate else ["--no-validate"])]
    )
    assert result.exit_code == 1, result.output
    assert f"{path}:211: resource-0000210: issued:" in result.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cat"]
