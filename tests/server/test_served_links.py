"""Served away from its base (``--public-url``: staging, 127.0.0.1), the links that
harvesters follow point at the served origin: the change feed's pages, Hydra's pages and
the sitemaps. Record IRIs inside them stay identifiers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import etree

from csec_ld.server import create_app
from csec_ld.site.publish import publish
from tests.conftest import DATA
from tests.servers import Server, free_port

BASE = "https://w3id.org/csec-ld/"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    site = publish(
        [DATA], tmp_path_factory.mktemp("links") / "site", validate=False, page_size=3
    ).out_dir
    port = free_port()
    app = create_app(site, public_url=f"http://127.0.0.1:{port}/")
    with Server(app, port=port) as server:
        yield server, site


def _get(server: Server, path: str) -> httpx.Response:
    r = httpx.get(server.url + path, timeout=10)
    assert r.status_code == 200, path
    return r


def test_the_feed_can_be_followed_on_the_served_host(served: tuple[Server, Path]) -> None:
    server, site = served
    index = _get(server, "/changes/index.json").json()
    assert index["id"] == server.url + "/changes/index.json"
    seen = 0
    page_url = index["first"]["id"]
    while page_url:
        assert page_url.startswith(server.url + "/changes/")
        page = httpx.get(page_url, timeout=10).json()
        assert page["partOf"] == index["id"]
        for item in page["orderedItems"]:
            assert item["object"]["id"].startswith(BASE + "resource/")  # an identifier
            seen += 1
        page_url = (
            page.get("next", {}).get("id")
            if isinstance(page.get("next"), dict)
            else page.get("next")
        )
    assert seen == index["totalItems"]
    # the file on disk keeps the base IRI: static hosts serve it as published
    assert (
        json.loads((site / "changes" / "index.json").read_text())["id"]
        == BASE + "changes/index.json"
    )


def test_hydra_pages_can_be_followed_on_the_served_host(served: tuple[Server, Path]) -> None:
    server, _ = served
    url: str | None = server.url + "/pages/1.jsonld"
    members: set[str] = set()
    pages = 0
    while url:
        body = httpx.get(url, timeout=10).text
        assert BASE + "pages/" not in body
        doc = json.loads(body)
        nodes = doc["@graph"]
        views = [n["hydra:view"] for n in nodes if "hydra:view" in n]
        assert views and views[0]["@id"] == url
        nexts = [v["hydra:next"] for v in views if "hydra:next" in v]
        members |= {
            m if isinstance(m, str) else m["@id"] for n in nodes for m in n.get("hydra:member", [])
        }
        pages += 1
        url = (nexts[0] if isinstance(nexts[0], str) else nexts[0]["@id"]) if nexts else None
        assert url is None or url.startswith(server.url + "/pages/")
    assert pages == 4 and len(members) == 10
    assert all(m.startswith(BASE + "resource/") for m in members)


def test_the_sitemap_lists_the_served_host(served: tuple[Server, Path]) -> None:
    server, _ = served
    robots = _get(server, "/robots.txt").text
    assert f"Sitemap: {server.url}/sitemap.xml" in robots
    tree = etree.fromstring(_get(server, "/sitemap.xml").content)
    locs = [e.text for e in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locs and all(loc.startswith(server.url + "/") for loc in locs)
    etag = _get(server, "/sitemap.xml").headers["etag"]
    r = httpx.get(server.url + "/sitemap.xml", headers={"If-None-Match": etag}, timeout=10)
    assert r.status_code == 304


def test_served_at_its_base_nothing_is_rewritten(tmp_path: Path) -> None:
    site = publish([DATA], tmp_path / "site", validate=False).out_dir
    port = free_port()
    with Server(create_app(site, public_url=BASE), port=port) as server:
        assert (
            httpx.get(server.url + "/sitemap.xml", timeout=10).content
            == (site / "sitemap.xml").read_bytes()
        )
