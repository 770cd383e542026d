"""Every kind of page, in headless Debian chromium: axe-core finds no serious or critical
violation, and at 375 px wide nothing is wider than the screen.

The site's pages come from a plain static server; the workbench pages (``/sparql``,
``/queries/``, ``/queries/{name}``) from ``csec-ld serve``. Screenshots at 375 px go to
``$CSEC_LD_SCREENSHOTS`` when it is set (to look at them), else to a temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from csec_ld.server import create_app
from csec_ld.server.workbench import EXAMPLES
from csec_ld.site.publish import publish
from tests.servers import Server
from tests.site.test_publish import NASTY_RECORD, WITHDRAWN, withdrawn_catalogue
from tests.site.test_search import RECORD, StaticServer, launch_chromium

axe_module = pytest.importorskip(
    "axe_playwright_python.sync_playwright", reason="pip install axe-playwright-python"
)

#: (page kind, which server, path). The workbench and the query forms are served by
#: ``csec-ld serve`` only; new kinds of page are added here.
PAGES = [
    ("home", "static", ""),
    ("home-page-2", "static", "page/2/"),
    ("record", "static", f"resource/{RECORD}/"),
    ("hostile-record", "static", "resource/tricky-escaping-2015/"),
    ("listing-country", "static", "country/PRY/"),
    ("concept-type", "static", "type/survey-report/"),
    ("concept-topic", "static", "topic/child-labour/"),
    ("scheme", "static", "type/"),
    ("agent", "static", "agent/ilo/"),
    ("agents", "static", "agent/"),
    ("search", "static", "search.html"),
    ("search-results", "static", "search.html?q=child&country=Philippines"),
    ("tombstone", "static", f"resource/{WITHDRAWN}/"),
    ("workbench", "serve", "sparql"),
    ("queries", "serve", "queries/"),
    ("query-form", "serve", "queries/by-country"),
    # with results: wide tables scroll in their own box, not the page
    ("workbench-results", "serve", "sparql?" + urlencode({"query": EXAMPLES[0].text})),
    ("query-results", "serve", "queries/by-country?country=PHL&country=PRY"),
]
SERIOUS = ("serious", "critical")
MOBILE = {"width": 375, "height": 812}


@pytest.fixture(scope="module")
def servers(site: Path) -> Iterator[dict[str, str]]:
    with StaticServer(site) as static, Server(create_app(site)) as serve:
        yield {"static": static.url, "serve": serve.url + "/"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:

    data = withdrawn_catalogue(tmp_path_factory.mktemp("a11y"))
    (data / "records" / "tricky-escaping-2015.yaml").write_text(NASTY_RECORD, encoding="utf-8")
    # three records a page, so that the listings have further pages (and pagers)
    return publish([data], data.parent / "site", validate=False, listing_size=3).out_dir


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _open(
    browser: Any, servers: dict[str, str], where: str, path: str, **options: Any
) -> tuple[Any, Any]:
    context = browser.new_context(**options)
    page = context.new_page()
    response = page.goto(servers[where] + path)
    assert response is not None and response.status in (200, 410), (path, response)
    page.wait_for_load_state("networkidle")
    if path.startswith("search.html"):
        page.wait_for_selector("#search-form[data-ready]")
        page.wait_for_function(
            "!/Loading|Searching/.test(document.getElementById('search-status').textContent)"
        )
    return context, page


@pytest.mark.parametrize(("kind", "where", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_no_serious_accessibility_violation(
    kind: str, where: str, path: str, browser: Any, servers: dict[str, str]
) -> None:
    context, page = _open(browser, servers, where, path)
    try:
        results = axe_module.Axe().run(page)
        violations = results.response["violations"]
        serious = [
            (v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:5])
            for v in violations
            if v["impact"] in SERIOUS
        ]
        minor = sorted({(v["id"], v["impact"]) for v in violations} - {s[:2] for s in serious})
        print(f"\n{kind}: {len(violations)} violation kinds; minor: {minor}")
        assert not serious, serious
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.locator("main").count() == 1
        assert page.locator("h1").count() == 1
    finally:
        context.close()


def _shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("CSEC_LD_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.parametrize(("kind", "where", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_readable_at_375_px(
    kind: str,
    where: str,
    path: str,
    browser: Any,
    servers: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    context, page = _open(
        browser,
        servers,
        where,
        path,
        viewport=MOBILE,
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
    )
    try:
        shot = _shots(tmp_path_factory) / f"{kind}-375.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(
            """() => {
                // inside a box that scrolls sideways itself, a wide table does not widen
                // the page: that box is checked instead
                const scrolled = e => {
                    for (let a = e.parentElement; a; a = a.parentElement) {
                        const x = getComputedStyle(a).overflowX;
                        if (x === 'auto' || x === 'scroll') return true;
                    }
                    return false;
                };
                return Array.from(document.querySelectorAll('main *, header *, footer *'))
                    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                    .filter(e => !scrolled(e))
                    .slice(0, 5).map(e => e.tagName + ' ' + (e.textContent || '').slice(0, 40));
            }"""
        )
        print(f"\n{kind}: scroll width {width} px; {shot}")
        assert width <= MOBILE["width"], (width, wide)
        assert not wide, wide
        if kind in ("workbench-results", "query-results"):  # a table, which scrolls
            assert page.locator(".scroll table.results tbody tr").count() >= 2
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 16
    finally:
        context.close()


#: The pages with a table of resources (title, year, type, country).
TABLE_PAGES = [p for p in PAGES if p[0] in ("home", "listing-country", "concept-type", "agent")]


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize(("kind", "where", "path"), TABLE_PAGES, ids=[p[0] for p in TABLE_PAGES])
def test_table_words_are_never_split(
    kind: str, where: str, path: str, width: int, browser: Any, servers: dict[str, str]
) -> None:
    """A year, a one-word type or a country's word stays on one line, however wide the
    screen (a table cell that may break anywhere used to show "20/16", "guideline/s");
    on a narrow screen the title takes the row's whole width, its details beneath."""
    context, page = _open(browser, servers, where, path, viewport={"width": width, "height": 900})
    try:
        split = page.evaluate(
            """() => {
                const out = [];
                for (const td of document.querySelectorAll('table.rows td:not(:first-child)')) {
                    for (const e of td.querySelectorAll('a, time')) {
                        const range = document.createRange();
                        for (const m of e.textContent.matchAll(/\\S+/g)) {
                            range.setStart(e.firstChild, m.index);
                            range.setEnd(e.firstChild, m.index + m[0].length);
                            if (range.getClientRects().length > 1) out.push(m[0]);
                        }
                    }
                }
                return out;
            }"""
        )
        assert page.locator("table.rows tbody tr").count() >= 1
        assert split == [], split
        title = page.locator("table.rows tbody tr td:first-child").first.bounding_box()
        row = page.locator("table.rows tbody tr").first.bounding_box()
        assert title is not None and row is not None
        if width < 640:  # narrow: the title spans the row
            assert title["width"] >= row["width"] - 2
        else:
            assert title["width"] < row["width"] * 0.8
    finally:
        context.close()
