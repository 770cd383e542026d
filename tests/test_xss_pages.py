"""Hostile text stays escaped in what crawlers read: the JSON-LD of the record and home
pages (with the names of the nodes they embed), the signposting ``<link>`` elements and
the ``Link`` headers of ``csec-ld serve``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import lxml.html
import pytest

from csec_ld.server import create_app
from csec_ld.site.publish import publish
from tests.conftest import DATA
from tests.servers import Server
from tests.site.test_publish import NASTY_DESCRIPTION, NASTY_RECORD, NASTY_TITLE

NASTY_AGENT = "ILO </script><script>alert(\"agent\")</script> <!-- & 'q' <b>"
NASTY_CATALOG = 'Catalogue </SCRIPT ><img src=x onerror=alert(1)> & "q" <!--'
RECORD = "tricky-escaping-2015"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("xss") / "data"
    shutil.copytree(DATA, data)
    (data / "records" / f"{RECORD}.yaml").write_text(NASTY_RECORD, encoding="utf-8")
    agents = data / "agents.yaml"
    text = agents.read_text(encoding="utf-8")
    assert "name: International Labour Organization\n" in text
    agents.write_text(
        text.replace(
            "name: International Labour Organization\n", f"name: {json.dumps(NASTY_AGENT)}\n"
        ),
        encoding="utf-8",
    )
    catalog = data / "catalog.yaml"
    lines = catalog.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [
        f"title: {json.dumps(NASTY_CATALOG)}\n" if line.startswith("title:") else line
        for line in lines
    ]
    catalog.write_text("".join(lines), encoding="utf-8")
    return publish([data], data.parent / "site", validate=False).out_dir


def _scripts(path: Path) -> tuple[lxml.html.HtmlElement, list[dict[str, Any]]]:
    """The page, and its JSON-LD; the page has no other script, nor a script in JSON-LD."""
    html = path.read_text(encoding="utf-8")
    page = lxml.html.fromstring(html)
    scripts = page.xpath("//script")
    assert all(s.get("type") == "application/ld+json" for s in scripts), path
    assert not page.xpath("//img") and not page.xpath("//*[@onerror]"), path
    docs = []
    for s in scripts:
        assert "</" not in s.text and "<!--" not in s.text, path
        docs.append(json.loads(s.text))
    return page, docs


def _names(node: Any) -> list[Any]:
    """Every ``name`` in a JSON-LD tree."""
    if isinstance(node, list):
        return [n for x in node for n in _names(x)]
    if not isinstance(node, dict):
        return []
    out = [node["name"]] if "name" in node else []
    return out + [n for k, v in node.items() if k != "name" for n in _names(v)]


def test_record_page_jsonld_and_links_stay_escaped(site: Path) -> None:
    page, docs = _scripts(site / "resource" / RECORD / "index.html")
    (doc,) = docs
    assert doc["name"] == {"@value": NASTY_TITLE, "@language": "en"}
    assert doc["description"]["@value"] == NASTY_DESCRIPTION
    assert doc["publisher"]["name"] == NASTY_AGENT  # the embedded publisher's name
    links = {(link.get("rel"), link.get("href")) for link in page.iter("link")}
    iri = f"https://w3id.org/csec-ld/resource/{RECORD}"
    assert ("cite-as", "https://doi.org/10.1234/tricky") in links
    assert ("describedby", iri + ".ttl") in links
    assert ("item", "https://example.org/tricky.pdf") in links
    # the head holds only what the templates put there
    head = page.find("head")
    assert {el.tag for el in head} <= {"meta", "title", "link", "script", "style"}
    assert page.xpath("string(//h1)") == NASTY_TITLE


def test_every_record_page_and_home_page_stay_escaped(site: Path) -> None:
    seen = []
    for path in sorted((site / "resource").glob("*/index.html")):
        _, docs = _scripts(path)
        seen += _names(docs)
    assert NASTY_AGENT in seen  # the agent's name, inside other records' JSON-LD too
    page, docs = _scripts(site / "index.html")
    (doc,) = docs
    assert doc["name"] == {"@value": NASTY_CATALOG, "@language": "en"}
    assert page.findtext(".//h1") == NASTY_CATALOG


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    with Server(create_app(site, workers=1)) as running:
        yield running.url


def test_link_headers_stay_well_formed(server: str) -> None:
    for path in (f"/resource/{RECORD}", f"/resource/{RECORD}/"):
        r = httpx.get(server + path)
        assert r.status_code == 200
        link = r.headers["link"]
        assert "<script" not in link and "\n" not in link
        assert '<https://doi.org/10.1234/tricky>; rel="cite-as"' in link
