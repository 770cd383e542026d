"""The cite box's fast path (csec_ld.site.citations): templates per item shape, filled in,
give the same bytes as citeproc-py itself, for APA and Chicago, over the ten records,
the hostile record and a few thousand generated items; what it cannot take goes to
citeproc-py; and the comparison fails when a substitution is wrong."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from csec_ld.site import citations
from csec_ld.site.citations import CITATION_STYLES, cite_box, csl_item, formatted
from csec_ld.sources import open_catalog
from csec_ld.vocab import load_vocabulary
from tests.conftest import DATA
from tests.site.test_publish import NASTY_RECORD, NASTY_TITLE

STYLES = [s.style for s in CITATION_STYLES]
#: Generated items: enough that most are filled in from a template another item made
#: (the first item of a shape is checked against citeproc-py when its template is made).
GENERATED = 150  # seeded; benchmarks/citations.py and a local run can take more

# Texts made of pieces that matter to a citation's formatting: HTML specials, the
# punctuation citeproc-py merges at a seam (".,;:!?"), quotes, stop words and words in
# every case (text-case), non-Latin scripts, a bidi override, the formatter's markup
# characters, runs of odd whitespace, and citeproc-py's "nocase" markup.
WORDS = [
    "child",
    "labour",
    "Survey",
    "REPORT",
    "of",
    "the",
    "and",
    "on",
    "in",
    "a",
    "to",
    "via",
    "eBay",
    "iPhone",
    "McDonald's",
    "l'enfance",
    "Ñandú",
    "straße",
    "İstanbul",
    "ǅemal",
    "שלום",
    "مرحبا",
    "儿童",
    "дети",
    "&",
    "<b>",
    "</i>",
    "<script>",
    "&amp;",
    '"quoted"',
    "'single'",
    "«guillemets»",
    "“curly”",
    "\u2014",
    "\u2013",
    "-",
    "(CSEC)",
    "[draft]",
    "2009",
    "1st",
    "10.1234/x",
    "a.b.c.",
    "U.N.",
    "\u202eevil\u202c",
    "\ue000",
    "\ue001",
    "\ufffd",
    "\u00a0",
    "x:",
    "y.",
    "z,",
    "w;",
    "v!",
    "u?",
    "...",
    "..",
    ":",
    ".",
    "?",
    "!",
    ",",
    ";",
    "Q",
    '<span class="nocase">iPod</span>',
    '<SPAN CLASS="NOCASE">x</span>',
    "\u2028",
    "\t",
]
EDGES = [""] * 60 + [".", ",", ";", ":", "!", "?", "…", '"', "'", ")", "(", "<", "&", "\u2013"]
AGENTS = [
    a["name"]
    for kind in ("organizations", "people", "projects")
    for a in yaml.safe_load((DATA / "agents.yaml").read_text(encoding="utf-8")).get(kind) or []
]


def _text(rng: random.Random, words: int) -> str:
    seps = [" "] * 12 + ["  ", " \n ", "\t", "\u3000", ""]
    out = rng.choice(EDGES)
    for i in range(words):
        out += (rng.choice(seps) if i else "") + rng.choice(WORDS)
    return out + rng.choice(EDGES)


def _name(rng: random.Random) -> str:
    return rng.choice(AGENTS) if rng.random() < 0.85 else _text(rng, rng.randint(1, 4))


def _structure(n: int) -> dict[str, Any]:
    """Which parts an item has (a catalogue has few such structures, many records each)."""
    rng = random.Random(n)
    types = list(load_vocabulary().types)
    return {
        "rtype": types[n % len(types)],
        "authors": n % 4,
        "publishers": rng.choice([0, 1, 1, 1, 2, 3]),
        "precision": n % 3 + 1,
        "language": rng.choice([None, "en", "en", "fr", "es"]),
        **{
            key: rng.random() < p
            for key, p in (
                ("abstract", 0.6),
                ("keyword", 0.6),
                ("DOI", 0.3),
                ("ISBN", 0.2),
                ("ISSN", 0.1),
            )
        },
    }


STRUCTURES = [_structure(n) for n in range(16)]


def _generated_item(i: int, rng: random.Random) -> dict[str, Any]:
    """An item as csl_item makes them, with hostile texts and every optional part."""
    shape = rng.choice(STRUCTURES)
    rtype = shape["rtype"]
    year = rng.choice([1999, 2010, 2012, 2024, rng.randint(1000, 2030)])
    date = [year, rng.randint(1, 12), rng.randint(1, 28 if rng.random() < 0.5 else 9)]
    item: dict[str, Any] = {
        "id": f"gen-{i:05d}",
        "type": "report" if rtype.schema_class == "http://schema.org/Report" else "document",
        "genre": rtype.label,
        "title": _text(rng, rng.randint(1, 12))
        if rng.random() < 0.4
        else " ".join(rng.choice(WORDS[:20]) for _ in range(rng.randint(1, 8))),
        "issued": {"date-parts": [date[: shape["precision"]]]},
    }
    if shape["authors"]:
        item["author"] = [{"literal": _name(rng)} for _ in range(shape["authors"])]
    if shape["publishers"]:
        item["publisher"] = "; ".join(_name(rng) for _ in range(shape["publishers"]))
    if shape["language"]:
        item["language"] = shape["language"]
    if shape["abstract"]:
        item["abstract"] = _text(rng, rng.randint(5, 20))
    if shape["keyword"]:
        item["keyword"] = ", ".join(rng.sample(["child labour", "education", "CSEC"], 2))
    if shape["DOI"]:
        item["DOI"] = rng.choice(["10.1234/tricky", "10.5555/a<b>&c", f"10.1/{i}"])
    if shape["ISBN"]:
        item["ISBN"] = "978-92-2-125081-4"
    if shape["ISSN"]:
        item["ISSN"] = "2049-3630"
    item["URL"] = rng.choice(
        [
            f"https://w3id.org/csec-ld/resource/gen-{i:05d}",
            "https://example.org/a?b=1&c=<2>",
            "https://example.org/x.pdf",
        ]
    )
    return item


def _generated() -> list[dict[str, Any]]:
    rng = random.Random(20261202)
    return [_generated_item(i, rng) for i in range(GENERATED)]


def _catalogue_items(tmp_path: Path) -> list[dict[str, Any]]:
    """The CSL items of the ten records and of the hostile one."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("catalog.yaml", "agents.yaml"):
        (data / name).write_bytes((DATA / name).read_bytes())
    (data / "records").mkdir()
    for path in (DATA / "records").glob("*.yaml"):
        (data / "records" / path.name).write_bytes(path.read_bytes())
    (data / "records" / "tricky-escaping-2015.yaml").write_text(NASTY_RECORD, encoding="utf-8")
    catalogue = open_catalog([data])
    return [csl_item(record, catalogue) for record in catalogue.records()]


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """No templates yet, and counters of this test's own."""
    monkeypatch.setattr(citations, "_TEMPLATES", {})
    monkeypatch.setattr(citations, "_PROFILES", {})
    monkeypatch.setattr(citations, "_REFUSED", set())
    stats = dict.fromkeys(citations._STATS, 0)
    monkeypatch.setattr(citations, "_STATS", stats)
    citations._slot.cache_clear()
    return stats


def _differences(items: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(id, style, fast, citeproc-py) of every entry where the two differ."""
    out = []
    for item in items:
        for style in STYLES:
            fast, slow = formatted(item, style), formatted(item, style, fast=False)
            if fast != slow:
                out.append((item["id"], style, fast, slow))
    return out


def test_the_records_and_the_hostile_one_match_citeproc(
    tmp_path: Path, fresh: dict[str, int]
) -> None:
    items = _catalogue_items(tmp_path)
    assert len(items) == 11
    assert _differences(items) == []
    assert fresh["refused"] == 0
    assert fresh["fast"] == 2 * len(items)  # every entry came from a template
    # and again, from the templates made: each record's own texts in them
    again = [dict(item, id=item["id"] + "-2") for item in items]
    assert _differences(again) == []
    assert fresh["fast"] == 4 * len(items) and fresh["templates"] <= 2 * len(items)
    nasty = next(i for i in items if i["id"] == "tricky-escaping-2015")
    assert nasty["title"] == NASTY_TITLE
    for _key, _label, html in cite_box(nasty):
        assert "<script" not in html and "<b>" not in html and "&lt;script&gt;" in html


def test_generated_items_match_citeproc_byte_for_byte(fresh: dict[str, int]) -> None:
    items = _generated()
    assert _differences(items) == []
    # the comparison means something only for items filled in from a template that
    # another item's shape made: most of them
    assert fresh["fast"] - fresh["templates"] >= len(items) // 2, fresh
    assert fresh["citeproc"] - 2 * len(items) >= len(items) // 10  # and some fell back
    # every part of a record's CSL item occurs, in both languages of title case
    assert {len(i.get("author", ())) for i in items} == {0, 1, 2, 3}
    assert {len(i["issued"]["date-parts"][0]) for i in items} == {1, 2, 3}
    assert {i["genre"] for i in items} == {c.label for c in load_vocabulary().types}
    for key in ("DOI", "ISBN", "ISSN", "publisher", "language"):
        assert any(key in i for i in items) and not all(key in i for i in items)


def test_the_comparison_fails_when_a_substitution_is_wrong(
    monkeypatch: pytest.MonkeyPatch, fresh: dict[str, int], tmp_path: Path
) -> None:
    """The differential tests have teeth: templates filled in without the style's
    text-case (Chicago's title case), or with the texts left unescaped, differ."""
    items = _catalogue_items(tmp_path)
    assert _differences(items) == []  # the templates, made and checked
    again = [dict(i, id=i["id"] + "-2") for i in items]
    slot = citations._slot.__wrapped__
    monkeypatch.setattr(citations, "_slot", lambda element, lang, text: slot(None, lang, text))
    uncased = _differences(again)
    # Chicago's title case, APA's capitalize-first of the genre
    assert uncased and {style for _, style, _, _ in uncased} == set(STYLES)
    monkeypatch.setattr(citations, "_slot", lambda element, lang, text: text)
    unescaped = _differences(again)
    assert "tricky-escaping-2015-2" in {rid for rid, *_ in unescaped}
    assert not fresh["refused"]


@pytest.mark.parametrize(
    "change",
    [
        {"title": 'A <span class="nocase">iPod</span> title'},  # citeproc-py's markup
        {"title": " leading space"},
        {"title": ""},
        {"issued": {"date-parts": [[999]]}},  # "999AD"
        {"issued": {"date-parts": [["2012"]]}},
        {"issued": {"date-parts": [[2012], [2013]]}},  # a range
        {"issued": {"literal": "spring 2012"}},
        {"note": "a key the fast path does not know"},
        {"author": [{"family": "Smith", "given": "Ann"}]},
        {"author": []},
    ],
    ids=lambda change: next(iter(change)) + ":" + repr(next(iter(change.values())))[:24],
)
def test_what_the_fast_path_cannot_take_goes_to_citeproc(
    change: dict[str, Any], fresh: dict[str, int]
) -> None:
    item = dict(
        {
            "id": "x",
            "type": "report",
            "title": "A title",
            "publisher": "ILO",
            "issued": {"date-parts": [[2012, 7]]},
        },
        **change,
    )
    assert citations._prepare(item) is None
    for style in STYLES:
        assert formatted(item, style) == formatted(item, style, fast=False)
    assert fresh["fast"] == 0 and fresh["templates"] == 0


def test_a_template_is_made_once_per_shape(fresh: dict[str, int]) -> None:
    base = {
        "id": "a",
        "type": "report",
        "title": "One title",
        "publisher": "ILO",
        "issued": {"date-parts": [[2012, 7, 16]]},
        "language": "en",
        "URL": "https://x/a",
    }
    other = dict(
        base,
        id="b",
        title="Another, longer title: on children",
        publisher="ECPAT",
        issued={"date-parts": [[1999, 7, 28]]},
        URL="https://x/b",
    )
    for item in (base, other):
        cite_box(item)
    assert (fresh["templates"], fresh["fast"]) == (2, 4)
    for item in (base, other):
        for style in STYLES:
            assert formatted(item, style) == formatted(item, style, fast=False)
    cite_box(dict(base, title="Ends with a full stop."))  # a seam: another shape
    assert fresh["templates"] == 4
