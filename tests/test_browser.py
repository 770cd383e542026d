"""A real browser renders the served site: headless Debian chromium, no network but ours.

Skipped when chromium is not installed (``.ci/run`` installs Debian's ``chromium``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import html as lxml_html

from csec_ld.server import create_app
from csec_ld.site.publish import publish
from tests.conftest import DATA
from tests.servers import Server
from tests.site.test_publish import NASTY_RECORD, NASTY_TITLE

CHROMIUM = next(
    (c for c in ("/usr/bin/chromium", shutil.which("chromium") or "") if c and Path(c).is_file()),
    None,
)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

RECORD = "tracer-study-paraguay-2012"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--window-size=1280,1000",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("browser") / "data"
    shutil.copytree(DATA, data)
    (data / "records" / "tricky-escaping-2015.yaml").write_text(NASTY_RECORD, encoding="utf-8")
    site = publish([data], data.parent / "site", validate=False).out_dir
    with Server(create_app(site)) as s:
        yield s


def chromium(tmp_path: Path, *args: str) -> str:
    assert CHROMIUM is not None
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def rendered(tmp_path: Path, url: str) -> lxml_html.HtmlElement:
    dom = chromium(tmp_path, "--dump-dom", url)
    return lxml_html.fromstring(dom)


def test_home_page_renders(server: Server, tmp_path: Path) -> None:
    page = rendered(tmp_path, server.url + "/")
    title = page.findtext(".//title")
    h1 = page.xpath("string(//h1)")
    rows = page.xpath("//table/tbody/tr")
    print(f"\nhome page: <title>{title}</title> <h1>{h1}</h1> {len(rows)} rows")
    assert title == "Resources on commercial sexual exploitation of children"
    assert h1 == title
    assert len(rows) == 11
    shot = tmp_path / "home.png"
    chromium(tmp_path, f"--screenshot={shot}", server.url + "/")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000  # something was drawn


def test_record_page_renders(server: Server, tmp_path: Path) -> None:
    # the record IRI itself, as a browser asks for it (Accept prefers text/html)
    page = rendered(tmp_path, f"{server.url}/resource/{RECORD}")
    title = page.findtext(".//title")
    h1 = page.xpath("string(//h1)")
    print(f"\nrecord page: <title>{title}</title> <h1>{h1}</h1>")
    assert title == (
        "Tracer Study - PARAGUAY · Resources on commercial sexual exploitation of children"
    )
    assert h1 == "Tracer Study - PARAGUAY"
    assert "Paraguay" in page.xpath("string(//main)")
    scripts = page.xpath('//script[@type="application/ld+json"]')
    assert json.loads(scripts[0].text)["name"]["@value"] == "Tracer Study - PARAGUAY"


def test_hostile_text_stays_text_in_a_browser(server: Server, tmp_path: Path) -> None:
    page = rendered(tmp_path, f"{server.url}/resource/tricky-escaping-2015/")
    title = page.findtext(".//title")
    print(f"\nescaping page: <title>{title}</title>")
    # had any <script> in the record run, it would have set the title to "pwned"
    assert title.startswith(NASTY_TITLE)
    assert page.xpath("string(//h1)") == NASTY_TITLE
    assert len(page.xpath("//script")) == 1
