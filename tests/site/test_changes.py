"""The Activity Streams 2.0 change feed: structure, paging, activities, determinism, JSON-LD."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from csec_ld.records import LangString
from csec_ld.site.changes import AS_CONTEXT, ChangeFeed, write_change_feed
from csec_ld.sources import open_catalog

from .test_oai import make_catalogue

BASE = "https://example.org/site/"
RECORD = "https://w3id.org/csec-ld/resource/"


@pytest.fixture(scope="module")
def catalogue_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_catalogue(tmp_path_factory.mktemp("changes") / "data")


def read(folder: Path, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((folder / "changes" / name).read_text(encoding="utf-8"))
    return doc


def all_items(folder: Path) -> list[dict[str, Any]]:
    """Walk the pages from first to last by their links."""
    index = read(folder, "index.json")
    items: list[dict[str, Any]] = []
    url: str | None = index["first"]["id"]
    while url:
        page = read(folder, url.rsplit("/", 1)[1])
        assert page["partOf"] == index["id"]
        assert page["startIndex"] == len(items)
        items.extend(page["orderedItems"])
        url = page.get("next")
    assert len(items) == index["totalItems"]
    return items


def test_feed_structure_and_paging(tmp_path: Path, catalogue_dir: Path) -> None:
    files = write_change_feed(open_catalog([catalogue_dir]), tmp_path, BASE, page_size=4)
    # 12 Creates, 2 Updates (tracer study, full record), 1 Delete = 15 activities
    assert [p.name for p in files] == [
        "index.json",
        "page-1.json",
        "page-2.json",
        "page-3.json",
        "page-4.json",
    ]
    index = read(tmp_path, "index.json")
    assert index["@context"] == AS_CONTEXT
    assert index["type"] == "OrderedCollection"
    assert index["id"] == BASE + "changes/index.json"
    assert index["totalItems"] == 15
    assert index["first"] == {"id": BASE + "changes/page-1.json", "type": "OrderedCollectionPage"}
    assert index["last"] == {"id": BASE + "changes/page-4.json", "type": "OrderedCollectionPage"}
    first, last = read(tmp_path, "page-1.json"), read(tmp_path, "page-4.json")
    assert first["type"] == "OrderedCollectionPage"
    assert "prev" not in first and first["next"] == BASE + "changes/page-2.json"
    assert "next" not in last and last["prev"] == BASE + "changes/page-3.json"
    assert [len(read(tmp_path, f"page-{n}.json")["orderedItems"]) for n in (1, 2, 3, 4)] == [
        4,
        4,
        4,
        3,
    ]
    items = all_items(tmp_path)
    dates = [i["published"] for i in items]
    assert dates == sorted(dates)  # newest last


def test_create_update_delete(tmp_path: Path, catalogue_dir: Path) -> None:
    write_change_feed(open_catalog([catalogue_dir]), tmp_path, BASE, page_size=100)
    items = all_items(tmp_path)
    kinds = [i["type"] for i in items]
    assert kinds.count("Create") == 12 and kinds.count("Update") == 2
    assert kinds.count("Delete") == 1
    ids = [i.pop("id") for i in items]
    assert len(set(ids)) == len(ids)
    assert ids[-1].startswith(BASE + "changes/index.json#delete-withdrawn-report-2011-2025-01-10-")
    assert items[-3:] == [
        {
            "type": "Update",
            "published": "2023-09-30T00:00:00Z",
            "object": {
                "id": RECORD + "tracer-study-paraguay-2012",
                "type": "Document",
                "name": "Tracer Study - PARAGUAY",
            },
        },
        {
            "type": "Update",
            "published": "2024-03-05T00:00:00Z",
            "object": {
                "id": RECORD + "full-record-2013",
                "type": "Document",
                "name": "Child protection in tourism",
            },
        },
        {
            "type": "Delete",
            "published": "2025-01-10T00:00:00Z",
            "object": {
                "id": RECORD + "withdrawn-report-2011",
                "type": "Tombstone",
                "formerType": "as:Document",
                "name": "A report that was withdrawn",
                "deleted": "2025-01-10T00:00:00Z",
            },
        },
    ]
    creates = {i["object"]["id"]: i["published"] for i in items if i["type"] == "Create"}
    assert creates[RECORD + "withdrawn-report-2011"] == "2011-02-01T00:00:00Z"
    assert creates[RECORD + "full-record-2013"] == "2013-03-01T00:00:00Z"  # issued: 2013-03
    assert creates[RECORD + "tracer-study-paraguay-2012"] == "2012-07-16T00:00:00Z"


def test_full_pages_stay_put_when_changes_are_appended(tmp_path: Path, catalogue_dir: Path) -> None:
    catalogue = open_catalog([catalogue_dir])
    # Before the withdrawal, the record was active.
    records = [dataclasses.replace(r, status="active", withdrawn=None) for r in catalogue.records()]
    before, after = tmp_path / "before", tmp_path / "after"
    write_change_feed(catalogue, before, BASE, page_size=4, records=records)
    write_change_feed(catalogue, after, BASE, page_size=4)  # plus the later withdrawal
    assert read(before, "index.json")["totalItems"] == 14
    assert read(after, "index.json")["totalItems"] == 15
    for n in (1, 2, 3):
        assert (before / "changes" / f"page-{n}.json").read_bytes() == (
            after / "changes" / f"page-{n}.json"
        ).read_bytes()


def test_deterministic_and_stale_pages_removed(tmp_path: Path, catalogue_dir: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    write_change_feed(open_catalog([catalogue_dir]), one, BASE, page_size=2)
    write_change_feed(open_catalog([catalogue_dir]), two, BASE, page_size=2)
    names = sorted(p.name for p in (one / "changes").iterdir())
    assert names == sorted(p.name for p in (two / "changes").iterdir())
    for name in names:
        assert (one / "changes" / name).read_bytes() == (two / "changes" / name).read_bytes()
    files = write_change_feed(open_catalog([catalogue_dir]), one, BASE, page_size=100)
    assert sorted(p.name for p in (one / "changes").iterdir()) == sorted(p.name for p in files)
    assert len(files) == 2


def test_default_base_and_empty_feed(tmp_path: Path, catalogue_dir: Path) -> None:
    catalogue = open_catalog([catalogue_dir])
    feed = ChangeFeed(catalogue.catalog)
    docs = feed.documents()
    assert list(docs) == ["index.json"]
    assert docs["index.json"]["id"] == "https://w3id.org/csec-ld/changes/index.json"
    assert docs["index.json"]["totalItems"] == 0
    assert "first" not in docs["index.json"]
    with pytest.raises(ValueError):
        ChangeFeed(catalogue.catalog, page_size=0)


def test_valid_json_ld_with_the_activity_streams_context(
    tmp_path: Path, catalogue_dir: Path
) -> None:
    pyld = pytest.importorskip("pyld")
    frozen = pytest.importorskip("pyld.documentloader.frozen")
    from pyld import jsonld

    loader = frozen.FrozenDocumentLoader()  # the AS2 context, bundled with pyld: offline
    assert AS_CONTEXT in frozen.BUNDLED_CONTEXTS
    write_change_feed(open_catalog([catalogue_dir]), tmp_path, BASE, page_size=10)
    AS = "https://www.w3.org/ns/activitystreams#"
    index = jsonld.expand(read(tmp_path, "index.json"), {"documentLoader": loader})
    assert index[0]["@type"] == [AS + "OrderedCollection"]
    assert index[0][AS + "totalItems"][0]["@value"] == 15
    page = read(tmp_path, "page-2.json")
    nquads = jsonld.to_rdf(page, {"documentLoader": loader, "format": "application/n-quads"})
    assert (
        f"<{RECORD}withdrawn-report-2011> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        f"<{AS}Tombstone>" in nquads
    )
    assert (
        f'<{AS}published> "2025-01-10T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>'
        in nquads
    )
    expanded = jsonld.expand(page, {"documentLoader": loader})
    items = expanded[0][AS + "items"][0]["@list"]
    assert [i["@type"][0].rsplit("#", 1)[1] for i in items][-1] == "Delete"
    # No term was dropped by expansion: every key of every activity is an AS2 term.
    compacted = jsonld.compact(expanded, AS_CONTEXT, {"documentLoader": loader})
    assert compacted["orderedItems"] == page["orderedItems"]
    del pyld


def _update_ids(folder: Path) -> dict[str, str]:
    return {i["object"]["id"]: i["id"] for i in all_items(folder) if i["type"] != "Create"}


def _create_ids(folder: Path) -> dict[str, str]:
    return {i["object"]["id"]: i["id"] for i in all_items(folder) if i["type"] == "Create"}


def test_activity_ids_are_stable_and_two_updates_on_one_day_differ(
    tmp_path: Path, catalogue_dir: Path
) -> None:
    catalogue = open_catalog([catalogue_dir])
    records = list(catalogue.records())
    tracer = RECORD + "tracer-study-paraguay-2012"
    one, again, edited = tmp_path / "one", tmp_path / "again", tmp_path / "edited"
    write_change_feed(catalogue, one, BASE, records=records)
    write_change_feed(catalogue, again, BASE, records=records)
    assert _update_ids(one) == _update_ids(again) and _create_ids(one) == _create_ids(again)
    assert re.fullmatch(
        re.escape(f"{BASE}changes/index.json#update-tracer-study-paraguay-2012-2023-09-30-")
        + "[0-9a-f]{16}",
        _update_ids(one)[tracer],
    )
    # A second edit of the tracer study on the same day (2023-09-30): a new Update id.
    second = [
        dataclasses.replace(r, title=(LangString("A second edit"),))
        if r.id == "tracer-study-paraguay-2012"
        else r
        for r in records
    ]
    write_change_feed(catalogue, edited, BASE, records=second)
    before, after = _update_ids(one), _update_ids(edited)
    assert after[tracer] != before[tracer]
    assert after[tracer].rsplit("-", 1)[0] == before[tracer].rsplit("-", 1)[0]  # same day
    assert {k: v for k, v in after.items() if k != tracer} == {
        k: v for k, v in before.items() if k != tracer
    }
    # A Create is the same event whatever happened to the record later.
    assert _create_ids(edited) == _create_ids(one)
    assert _create_ids(one)[tracer] == (
        f"{BASE}changes/index.json#create-tracer-study-paraguay-2012-2012-07-16"
    )
