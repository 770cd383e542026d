"""The site's search: the Pagefind index ``publish`` builds, the search page, and a real
browser (headless Debian chromium driven by Playwright) searching it over HTTP and from
``file://``.

The browser tests skip when Playwright or chromium is missing (``.ci/run`` installs both:
Playwright from the ``test`` extra, Debian's ``chromium``); they never download a browser.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import re
import shutil
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from csec_ld.cli import main
from csec_ld.errors import OutputError
from csec_ld.server import create_app
from csec_ld.site.publish import publish
from csec_ld.site.search import FILTERS, _decode_file, _name
from csec_ld.sources import load_records
from csec_ld.vocab import country
from tests.conftest import DATA
from tests.servers import Server
from tests.site.test_publish import NASTY_RECORD, NASTY_TITLE, WITHDRAWN, withdrawn_catalogue

CHROMIUM = next(
    (c for c in ("/usr/bin/chromium", shutil.which("chromium") or "") if c and Path(c).is_file()),
    None,
)
#: Flags for Debian's chromium in a container, without any network of its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
]
RECORD = "tracer-study-paraguay-2012"


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/ plus a withdrawn record and one whose text is hostile HTML."""
    data = withdrawn_catalogue(tmp_path_factory.mktemp("search"))
    (data / "records" / "tricky-escaping-2015.yaml").write_text(NASTY_RECORD, encoding="utf-8")
    return publish([data], data.parent / "site", validate=False).out_dir


def _distinctive_word(record_id: str) -> str:
    """A word of the record's description that no other record of data/ has."""
    records = load_records([DATA])
    others = " ".join(
        d.value for r in records if r.id != record_id for d in (*r.description, *r.title)
    ).casefold()
    mine = next(r for r in records if r.id == record_id)
    words = re.findall(r"[a-z]{7,}", " ".join(d.value for d in mine.description).casefold())
    unique = [w for w in words if w[:6] not in others]  # Pagefind stems words
    assert unique, f"{record_id} has no distinctive word"
    return sorted(unique)[0]


# --------------------------------------------------------------------------- the index


def test_publish_indexes_the_record_pages_only(site: Path) -> None:
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    records = [r for r in load_records([site.parent / "data"]) if not r.is_withdrawn]
    assert entry["languages"]["en"]["page_count"] == len(records) == 11
    # the listings are not results; neither is the tombstone
    assert (site / "resource" / WITHDRAWN / "index.html").is_file()
    assert not list(site.glob("pagefind/pagefind-ui.*")), "Pagefind's own UI is not shipped"
    page = lxml_html.fromstring((site / "resource" / RECORD / "index.html").read_bytes())
    body = page.xpath("//*[@data-pagefind-body]")
    assert len(body) == 1 and body[0].tag == "article"
    tombstone = (site / "resource" / WITHDRAWN / "index.html").read_text(encoding="utf-8")
    assert "data-pagefind-body" not in tombstone
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "data-pagefind-body" not in home


def test_record_pages_carry_every_filter(site: Path) -> None:
    seen: set[str] = set()
    for record in load_records([DATA]):
        page = lxml_html.fromstring((site / "resource" / record.id / "index.html").read_bytes())
        found: dict[str, list[str]] = {}
        for el in page.xpath("//*[@data-pagefind-filter]"):
            name, _, value = el.get("data-pagefind-filter").partition(":")
            found.setdefault(name, []).append(value or el.text_content())
        seen.update(found)
        assert found["type"] == [record.type.replace("-", " ")]
        assert found["year"] == [str(record.issued.year)]
        assert found.get("country", []) == [country(c).name for c in record.countries]
        assert len(found.get("topic", [])) == len(record.subjects)
        assert len(found.get("language", [])) == len(record.languages)
        assert page.xpath("//h1/@data-pagefind-meta") == ["title"]
    assert seen == set(FILTERS)


def test_the_index_is_byte_identical_across_runs(tmp_path: Path) -> None:
    one = _files(publish([DATA], tmp_path / "one", validate=False).out_dir)
    two = _files(publish([DATA], tmp_path / "two", validate=False).out_dir)
    assert [k for k in one if k.startswith("pagefind/filter/")]
    assert one == two


def test_filter_files_are_sorted_and_named_after_their_bytes(site: Path) -> None:
    folder = site / "pagefind"
    entry = json.loads((folder / "pagefind-entry.json").read_text(encoding="utf-8"))
    meta_hash = entry["languages"]["en"]["hash"]
    meta = _decode_file(folder / f"pagefind.{meta_hash}.pf_meta")
    assert meta_hash == _name("en", meta, 10)
    names = [name for name, _ in meta[3]]
    assert names == sorted(FILTERS)
    for name, file_hash in meta[3]:
        path = folder / "filter" / f"{file_hash}.pf_filter"
        filter_name, values = _decode_file(path)
        assert filter_name == name
        assert [v[0] for v in values] == sorted(v[0] for v in values)
        assert file_hash == _name("en", [filter_name, values], 7)
        assert gzip.decompress(path.read_bytes()).startswith(b"pagefind_dcd")
    assert len(list((folder / "filter").iterdir())) == len(FILTERS)


def test_search_page_has_a_labelled_control_per_filter(site: Path) -> None:
    page = lxml_html.fromstring((site / "search.html").read_bytes())
    labels = {lab.get("for"): lab.text_content() for lab in page.xpath("//label")}
    for name, label in FILTERS.items():
        select = page.xpath(f'//select[@data-filter="{name}"]')
        assert len(select) == 1, name
        assert labels[select[0].get("id")] == label
    assert labels[page.xpath('//input[@type="search"]/@id')[0]] == "Words"
    countries = page.xpath('//select[@data-filter="country"]/option/@value')
    codes = {c for r in load_records([DATA]) for c in r.countries}
    assert countries == ["", *sorted(country(c).name for c in codes)]
    # without JavaScript: a message and links to the browse pages
    noscript = (site / "search.html").read_text(encoding="utf-8")
    assert re.search(
        r"<noscript>.*needs JavaScript.*href=\"country/\".*</noscript>", noscript, re.S
    )
    assert len(page.xpath('//form[@role="search"][@hidden]')) == 1  # shown by its script
    # every page links to it
    assert page.xpath('//nav//a[text()="Search"]/@href') == ["search.html"]


def _fallback_rows(site: Path) -> list[list[Any]]:
    rows = []
    for path in sorted((site / "search").glob("records-*.js")):
        text = path.read_text(encoding="utf-8")
        head = "window.csecSearch = window.csecSearch || [];\nwindow.csecSearch.push(\n"
        assert text.startswith(head) and text.endswith("\n);\n")
        rows += json.loads("[" + text[len(head) : -4] + "]")
    return rows


def test_fallback_index_leaves_tombstones_out(site: Path) -> None:
    paths = [r[0] for r in _fallback_rows(site)]
    assert f"resource/{RECORD}/" in paths
    assert f"resource/{WITHDRAWN}/" not in paths
    assert len(paths) == 11
    page = lxml_html.fromstring((site / "search.html").read_bytes())
    assert page.xpath("//form/@data-fallback") == ["search/records-1.js"]
    assert json.loads(page.xpath("//form/@data-filters")[0]) == list(FILTERS)


def test_fallback_index_is_split_into_small_files(
    tmp_path: Path, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("csec_ld.site.search.FALLBACK_FILE_BYTES", 1500)
    out = publish([DATA], tmp_path / "site", validate=False).out_dir
    files = sorted((out / "search").glob("records-*.js"))
    assert len(files) > 3
    assert all(f.stat().st_size < 1500 + 2000 for f in files)  # one record may go past
    assert len(_fallback_rows(out)) == 10
    page = browser.new_page()
    page.goto((out / "search.html").as_uri() + "?q=" + _distinctive_word(RECORD))
    page.wait_for_selector("#search-form[data-ready]")
    page.wait_for_function("/found/.test(document.getElementById('search-status').textContent)")
    assert page.inner_text("#search-status") == "1 resource found."
    page.close()


# --------------------------------------------------------------------------- failures


def _fake_binary(tmp_path: Path, script: str) -> Path:
    path = tmp_path / "pagefind"
    path.write_text("#!/bin/sh\n" + script + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.parametrize("case", ["missing", "failing", "killed"])
def test_an_index_failure_leaves_the_previous_site(
    tmp_path: Path, runner: Any, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    out = publish([DATA], tmp_path / "site", validate=False).out_dir
    before = _files(out)
    if case == "missing":
        binary = tmp_path / "nowhere" / "pagefind"
        expected = "search index: the Pagefind binary was not found"
    elif case == "failing":
        binary = _fake_binary(tmp_path, "echo 'Error: disk on fire' >&2; exit 3")
        expected = "search index: Pagefind failed: Error: disk on fire"
    else:  # as the out-of-memory killer stops it, halfway through
        binary = _fake_binary(tmp_path, "echo '[Building search indexes]'; kill -9 $$")
        expected = "search index: Pagefind was killed (SIGKILL), most often the kernel's"
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(binary))
    with pytest.raises(OutputError, match=re.escape(expected)):
        publish([DATA], out, validate=False)
    assert _files(out) == before
    result = runner.invoke(main, ["publish", str(DATA), "-o", str(out), "--no-validate"])
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert _files(out) == before
    assert not [p for p in tmp_path.iterdir() if "csec-ld-tmp" in p.name]


# --------------------------------------------------------------------------- a browser


class StaticServer:
    """A plain static file server (Python's) on 127.0.0.1: "any static host"."""

    def __init__(self, root: Path) -> None:
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

        handler = functools.partial(Quiet, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StaticServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def launch_chromium() -> Iterator[Any]:
    """A Playwright browser on Debian's chromium (skips when either is missing)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def static(site: Path) -> Iterator[StaticServer]:
    with StaticServer(site) as server:
        yield server


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    yield page
    context.close()


def _results(page: Any) -> list[tuple[str, str]]:
    return page.eval_on_selector_all(
        "#search-results li a", "els => els.map(a => [a.getAttribute('href'), a.textContent])"
    )


def _wait_for_status(page: Any, previous: str) -> str:
    page.wait_for_function(
        "prev => { const s = document.getElementById('search-status').textContent;"
        " return s !== prev && /found/.test(s); }",
        arg=previous,
    )
    return str(page.inner_text("#search-status"))


@pytest.fixture(scope="module")
def serve(site: Path) -> Iterator[Server]:
    with Server(create_app(site)) as server:
        yield server


@pytest.mark.parametrize("where", ["http", "file", "serve"])
def test_a_browser_finds_a_record_by_a_word_then_filters_by_country(
    where: str, page: Any, static: StaticServer, site: Path, request: Any
) -> None:
    """From a static host (Pagefind), from ``file://`` and from ``csec-ld serve`` (the
    page's own index wherever Pagefind cannot load)."""
    url = {
        "http": lambda: static.url + "search.html",
        "file": lambda: (site / "search.html").as_uri(),
        "serve": lambda: request.getfixturevalue("serve").url + "/search.html",
    }[where]()
    record = next(r for r in load_records([DATA]) if r.id == RECORD)
    word = _distinctive_word(RECORD)
    page.goto(url)
    page.wait_for_selector("#search-form[data-ready]")
    page.fill("#search-q", word)
    status = _wait_for_status(page, "")
    found = _results(page)
    print(f"\n{where}: {word!r} → {status} {found}")
    assert status == "1 resource found."
    href, title = found[0]
    assert title == record.primary_title
    assert href.removesuffix("index.html").endswith(f"resource/{RECORD}/")
    name = country(record.countries[0]).name
    page.select_option("#search-country", name)
    assert _wait_for_status(page, "") == "1 resource found."
    assert f"country={name}" in page.url
    assert [t for _, t in _results(page)] == [record.primary_title]
    other = next(
        c
        for c in page.eval_on_selector_all("#search-country option", "os => os.map(o => o.value)")
        if c and c != name
    )
    page.select_option("#search-country", other)
    assert _wait_for_status(page, "1 resource found.") == "No resources found."
    # filters alone (no words): every record of that country
    page.fill("#search-q", "")
    page.select_option("#search-country", name)
    status = _wait_for_status(page, "No resources found.")
    expected = sum(1 for r in load_records([DATA]) if record.countries[0] in r.countries)
    assert status == (f"{expected} resources found." if expected > 1 else "1 resource found.")
    # the link leads to the record's page
    page.click("#search-results li a >> nth=0")
    page.wait_for_load_state()
    assert page.locator("h1").first.inner_text() in {r.primary_title for r in load_records([DATA])}
    assert page.errors == []


def test_hostile_record_text_stays_text_in_results(page: Any, static: StaticServer) -> None:
    page.goto(static.url + "search.html?q=tricky")
    page.wait_for_selector("#search-form[data-ready]")
    _wait_for_status(page, "")
    assert [t for _, t in _results(page)] == [NASTY_TITLE]
    assert page.title().startswith("Search")  # no script of the record ran
    assert (
        page.eval_on_selector_all("#search-results script, #search-results b", "e => e.length") == 0
    )
    assert page.errors == []


def test_without_javascript_the_page_says_so_and_links_to_browsing(
    browser: Any, static: StaticServer
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(static.url + "search.html")
    text = page.inner_text("main")
    assert "Search needs JavaScript" in text
    assert not page.is_visible("#search-form")
    page.click('main a[href="country/"]')
    assert page.url == static.url + "country/"
    context.close()


def test_search_works_from_a_static_host_under_a_sub_path(
    browser: Any, site: Path, tmp_path: Path
) -> None:
    shutil.copytree(site, tmp_path / "root" / "csec")
    context = browser.new_context()
    page = context.new_page()
    with StaticServer(tmp_path / "root") as server:
        page.goto(server.url + "csec/search.html?q=" + _distinctive_word(RECORD))
        page.wait_for_selector("#search-form[data-ready]")
        assert _wait_for_status(page, "") == "1 resource found."
        assert _results(page)[0][0] == f"/csec/resource/{RECORD}/"
    context.close()
