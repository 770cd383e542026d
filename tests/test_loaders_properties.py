"""Property-based: whatever a record file holds, csec-ld gives a clean error or output that
two independent RDF parsers read.

For random bytes, random text (controls, lone surrogates, U+FFFE, other digits...), random
nesting and random field values, in every loader (YAML, CSV, JSON, JSON Lines and the
listing importer), `csec-ld build` either exits 1 or 2 with a message and no traceback, or
exits 0 with N-Triples and Turtle that pyoxigraph and rdflib both parse. Derandomised and
without an example database, so that every run tries the same examples.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pyoxigraph
import rdflib
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from csec_ld.cli import main
from csec_ld.errors import CsecLdError
from csec_ld.records import FIELDS, LIST_FIELDS, TEXT_FIELDS
from tests.conftest import DATA

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: For the tests whose examples mostly build (so that both parsers see many outputs).
MORE = settings(PROPERTY, max_examples=120)

# --------------------------------------------------------------------------- strategies

#: Characters that have broken loaders and outputs, or that only look harmless.
HOSTILE = [
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x1c",
    "\x1f",
    "\x7f",
    "\x85",
    "\t",
    "\n",
    "\r",
    "\u2028",
    "\u2029",
    "\ud800",
    "\udbff",
    "\udc00",
    "\udfff",
    "\ufffe",
    "\uffff",
    "\ufeff",
    "\ufffd",
    "\U0010fffd",
    "\U0001f600",
    "\xa0",
    "\u3000",
    "\u200b",
    "\u0662",
    "\u0660",
    "\uff12",
    "\u0966",  # Arabic-Indic 2 and 0, fullwidth 2, Devanagari 0
    "<",
    ">",
    '"',
    "{",
    "}",
    "|",
    "\\",
    "^",
    "`",
    "%",
    "#",
    " ",
    "'",
    ":",
    "-",
    "/",
    "@",
    "*",
    "&",
    "!",
    "[",
    "]",
    ",",
    ";",
    "é",
    "ﬁ",
    "İ",
    "\u0131",
    "\u017f",
    "\u212a",  # dotless i, long s, Kelvin sign: they case-fold to ASCII
]
#: Any code point, lone surrogates included (hypothesis leaves them out by default).
ANY_CHAR = st.characters(exclude_categories=[])
CHARS = st.one_of(st.sampled_from(HOSTILE), ANY_CHAR, st.characters(codec="ascii"))
TEXT = st.text(CHARS, max_size=40)

GOOD_VALUES: dict[str, list[Any]] = {
    "id": ["a-2010", "tracer-study-2012", "x", "con", "a" * 201, "A-2010", "a--b"],
    "title": ["Survey", {"en": "Survey", "fr": "Enquête"}, {"es": "Encuesta"}],
    "issued": [
        "2010",
        "2010-06",
        "2012-02-29",
        "\u0662\u0660\u0661\u0662",
        "2010-13",
        2010,
        "14 June 2016",
    ],
    "type": ["report", "survey-report", "Tracer study", "podcast"],
    "description": ["A report.", {"en": "Text", "fr": "Texte"}],
    "countries": [["PHL"], ["PH", "FJI"], "PRY", ["XQX"]],
    "subjects": [["child-labour"], ["education", "terminology"]],
    "publishers": [["ilo"], "ecpat-international", ["ipec"]],
    "creators": [["nso-philippines"], "ilo"],
    "contributors": [["ecpat-luxembourg"]],
    "languages": [["en"], ["eng", "fr"]],
    "identifiers": [
        ["isbn:978-92-2-125081-4"],
        ["doi:10.1234/x"],
        ["https://example.org/r.pdf"],
        ["hdl:20.500.12345/6"],
        ["issn:1234-5679"],
        ["doi:10.1234/a<b>"],
    ],
    "is_part_of": [["ipec"], "scream"],
    "license": ["https://creativecommons.org/licenses/by/4.0/"],
    "modified": ["2013-01-01", "2009"],
    "status": ["active", "withdrawn"],
    "withdrawn": ["2014-01-01"],
}


def _nested(leaf: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Lists and mappings of *leaf*, some deeper than the nesting limit (10)."""
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)
        ),
        max_leaves=14,
    )


SCALAR = st.one_of(
    TEXT, st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=True)
)


def _hostile_text(value: Any) -> st.SearchStrategy[Any]:
    """*value* with hostile characters put into its texts."""
    if isinstance(value, str):
        return st.builds(lambda a, b: a + value + b, TEXT, TEXT)
    if isinstance(value, list):
        return st.lists(st.one_of(st.just(value[0]) if value else TEXT, TEXT), max_size=3)
    if isinstance(value, dict):
        return st.dictionaries(
            st.one_of(st.sampled_from(["en", "fr", "es"]), TEXT), TEXT, min_size=1, max_size=3
        )
    return st.just(value)


def field_value(name: str) -> st.SearchStrategy[Any]:
    good = st.sampled_from(GOOD_VALUES[name])
    return st.one_of(
        good,
        good.flatmap(_hostile_text),
        TEXT,
        _nested(SCALAR),
    )


@st.composite
def raw_records(draw: st.DrawFn) -> dict[str, Any]:
    """A record's fields: mostly plausible, with hostile text, wrong types and nesting."""
    out: dict[str, Any] = {}
    for name in FIELDS:
        required = name in ("id", "title", "issued", "type")
        if draw(st.floats(0, 1)) < (0.9 if required else 0.3):
            out[name] = draw(field_value(name))
    if draw(st.booleans()) and draw(st.booleans()):
        out[draw(TEXT)] = draw(SCALAR)  # an unknown field, maybe with a hostile name
    return out


#: Characters XML allows that writers must still escape or keep as they are.
TRICKY = [
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\x85",
    "\u2028",
    "\u2029",
    "\xa0",
    "\ufeff",
    "\ufffd",
    "\U0010fffd",
    "\U0001f600",
    '"',
    "'",
    "\\",
    "\\u0041",
    "\\n",
    "<",
    "&",
    "]]>",
    "@en",
    "^^",
    "#",
    "%",
    "{",
    "}",
    "|",
    "\u202e",
    "\u0301",
    "ﬁ",
    "İ",
    "é",
    "\x7f",
    "\x9f",
]
PUBLISHABLE = st.lists(
    st.one_of(
        st.sampled_from(TRICKY),
        st.characters(exclude_categories=["Cs", "Cc"], exclude_characters=["\ufffe", "\uffff"]),
    ),
    min_size=1,
    max_size=30,
).map("".join)
#: Mostly publishable text, now and then a hostile one.
FREE_TEXT = st.one_of(PUBLISHABLE, PUBLISHABLE, PUBLISHABLE, TEXT)
IRI_TAIL = st.one_of(
    st.from_regex(r"[a-zA-Z0-9._~/-]{0,12}", fullmatch=True),
    st.lists(
        st.sampled_from(
            [*"azAZ09-._~/%!$&'()*+,;=:@?#[]<>\"{}|^` ", "é", "\u3000", "\xa0", "\U0001f600", "%41"]
        ),
        max_size=12,
    ).map("".join),
)


@st.composite
def plausible_records(draw: st.DrawFn, number: int) -> dict[str, Any]:
    """A record that loads, but for what its free texts and identifiers may hold."""
    rid = draw(st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True))
    out: dict[str, Any] = {
        "id": f"{rid}-{number}",
        "title": draw(
            st.one_of(
                FREE_TEXT,
                st.dictionaries(
                    st.sampled_from(["en", "fr", "es", "pt-BR", "zh-Hant"]),
                    FREE_TEXT,
                    min_size=1,
                    max_size=3,
                ),
            )
        ),
        "issued": draw(st.sampled_from(["2010", "2010-06", "2012-02-29", "1999-12-31"])),
        "type": draw(st.sampled_from(["report", "survey-report", "tracer-study", "guidelines"])),
    }
    if draw(st.booleans()):
        out["description"] = draw(
            st.one_of(
                FREE_TEXT, st.dictionaries(st.sampled_from(["en", "fr"]), FREE_TEXT, min_size=1)
            )
        )
    if draw(st.booleans()):
        out["identifiers"] = draw(
            st.lists(
                st.one_of(
                    st.builds(lambda t: "https://example.org/" + t, IRI_TAIL),
                    st.builds(lambda t: "doi:10.1234/x" + t, IRI_TAIL),
                    st.builds(lambda t: "hdl:20.500/x" + t, IRI_TAIL),
                    st.sampled_from(["isbn:978-92-2-125081-4", "issn:1234-5679"]),
                ),
                max_size=3,
            )
        )
    for name in ("countries", "subjects", "publishers", "languages", "license", "modified"):
        if draw(st.booleans()):
            out[name] = GOOD_VALUES[name][0]
    return out


@st.composite
def catalogue_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Records of one file: plausible ones and raw ones, mixed."""
    n = draw(st.integers(1, 3))
    return [
        draw(st.one_of(plausible_records(i), plausible_records(i), raw_records())) for i in range(n)
    ]


# --------------------------------------------------------------------------- writers


def _json(records: list[dict[str, Any]], ascii_only: bool) -> bytes:
    return json.dumps(records, ensure_ascii=ascii_only, indent=1).encode("utf-8", "surrogatepass")


def _jsonl(records: list[dict[str, Any]], ascii_only: bool) -> bytes:
    lines = (json.dumps(r, ensure_ascii=ascii_only) for r in records)
    return "".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass")


class _NoAliases(yaml.SafeDumper):
    """Values the strategies share are written out each time (the loader refuses aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _yaml(records: list[dict[str, Any]], ascii_only: bool) -> bytes:
    text = yaml.dump(
        records if len(records) != 1 else records[0],
        Dumper=_NoAliases,
        allow_unicode=not ascii_only,
        sort_keys=False,
    )
    return text.encode("utf-8", "surrogatepass")


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return "" if value is None else str(value)


def _csv(records: list[dict[str, Any]], ascii_only: bool) -> bytes:
    rows: list[dict[str, str]] = []
    for record in records:
        row: dict[str, str] = {}
        for name, value in record.items():
            if name in TEXT_FIELDS and isinstance(value, dict):
                for lang, text in value.items():
                    row[name if lang == "en" else f"{name}@{lang}"] = _cell(text)
            elif name in LIST_FIELDS or name in FIELDS:
                row[name] = _cell(value)
            else:
                row[str(name)] = _cell(value)
        rows.append(row)
    columns = list(dict.fromkeys(c for row in rows for c in row))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if ascii_only else ",", lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue().encode("utf-8", "surrogatepass")


WRITERS: dict[str, Callable[[list[dict[str, Any]], bool], bytes]] = {
    "records.json": _json,
    "records.jsonl": _jsonl,
    "records.yaml": _yaml,
    "records.csv": _csv,
}


# --------------------------------------------------------------------------- the property


@contextmanager
def source_folder() -> Iterator[Path]:
    """A fresh catalogue folder (data/'s catalog.yaml and agents.yaml), removed after."""
    tmp = Path(tempfile.mkdtemp(prefix="csec-ld-prop-"))
    try:
        src = tmp / "src"
        src.mkdir()
        shutil.copy(DATA / "catalog.yaml", src)
        shutil.copy(DATA / "agents.yaml", src)
        yield src
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def clean(result: Result) -> None:
    """No traceback: exit 0, or 1 or 2 with a message."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code:
        assert "error" in result.stderr, result.output


def readable(out: Path) -> None:
    """The N-Triples and Turtle dumps parse with pyoxigraph and with rdflib, to the same size."""
    sizes = set()
    for name, ox_format, rdflib_format in (
        ("catalog.nt", pyoxigraph.RdfFormat.N_TRIPLES, "nt"),
        ("catalog.ttl", pyoxigraph.RdfFormat.TURTLE, "turtle"),
    ):
        path = out / name
        sizes.add(len(list(pyoxigraph.parse(path=str(path), format=ox_format))))
        sizes.add(len(rdflib.Graph().parse(str(path), format=rdflib_format)))
    assert len(sizes) == 1, sizes


def build_and_check(src: Path) -> Result:
    out = src.parent / "out"
    result = CliRunner().invoke(
        main, ["build", str(src), "-o", str(out), "--format", "nt,ttl", "--no-validate", "-q"]
    )
    clean(result)
    event(f"build exit {result.exit_code}")
    if result.exit_code == 0:
        readable(out)
    else:
        assert not out.exists(), "nothing is written when a build fails"
    return result


@PROPERTY
@given(name=st.sampled_from(sorted(WRITERS)), data=st.binary(max_size=300))
def test_random_bytes(name: str, data: bytes) -> None:
    with source_folder() as src:
        (src / name).write_bytes(data)
        build_and_check(src)


@PROPERTY
@given(
    name=st.sampled_from(sorted(WRITERS)),
    text=st.one_of(st.text(CHARS, max_size=200), PUBLISHABLE),
    template=st.sampled_from(
        [
            "{}",
            "id: a-2010\nissued: '2010'\ntype: report\ntitle: {}\n",
            'id: a-2010\nissued: "2010"\ntype: report\ntitle: "{}"\n',
            '[{{"id": "a-2010", "issued": "2010", "type": "report", "title": "{}"}}]',
            '{{"id": "a-2010", "issued": "2010", "type": "report", "title": "{}"}}\n',
            "id,issued,type,title\na-2010,2010,report,{}\n",
        ]
    ),
)
def test_random_text(name: str, text: str, template: str) -> None:
    """Text, raw or inside a record (as it comes: YAML and JSON escapes included)."""
    with source_folder() as src:
        (src / name).write_bytes(template.format(text).encode("utf-8", "surrogatepass"))
        build_and_check(src)


@PROPERTY
@given(name=st.sampled_from(sorted(WRITERS)), records=catalogue_records(), ascii_only=st.booleans())
def test_random_records(name: str, records: list[dict[str, Any]], ascii_only: bool) -> None:
    with source_folder() as src:
        (src / name).write_bytes(WRITERS[name](records, ascii_only))
        build_and_check(src)


@MORE
@given(
    name=st.sampled_from(sorted(WRITERS)),
    records=st.lists(
        st.integers(0, 99).flatmap(plausible_records),
        min_size=1,
        max_size=3,
        unique_by=lambda r: r["id"],
    ),
    ascii_only=st.booleans(),
)
def test_plausible_records(name: str, records: list[dict[str, Any]], ascii_only: bool) -> None:
    """Records that load but for their free texts and identifiers: most builds succeed."""
    with source_folder() as src:
        (src / name).write_bytes(WRITERS[name](records, ascii_only))
        build_and_check(src)


@PROPERTY
@given(
    name=st.sampled_from(["records.json", "records.jsonl", "records.yaml"]),
    value=_nested(TEXT),
    depth=st.integers(0, 40),
)
def test_random_nesting(name: str, value: Any, depth: int) -> None:
    for _ in range(depth):
        value = [value]
    record = {"id": "a-2010", "title": value, "issued": "2010", "type": "report"}
    with source_folder() as src:
        (src / name).write_bytes(WRITERS[name]([record], True))
        build_and_check(src)


@PROPERTY
@given(title=TEXT, description=TEXT, name=TEXT, alt=st.lists(TEXT, max_size=2))
def test_random_catalogue_and_registry_texts(
    title: str, description: str, name: str, alt: list[str]
) -> None:
    with source_folder() as src:
        catalog = yaml.safe_load((src / "catalog.yaml").read_text())
        catalog.update(title=title, description={"fr": description})
        agents = yaml.safe_load((src / "agents.yaml").read_text())
        agents["organizations"][0].update(name=name, alt_names=alt)
        for path, data in (("catalog.yaml", catalog), ("agents.yaml", agents)):
            (src / path).write_bytes(yaml.safe_dump(data, allow_unicode=False).encode())
        (src / "r.jsonl").write_text(
            json.dumps(
                {
                    "id": "a-2010",
                    "title": "T",
                    "issued": "2010",
                    "type": "report",
                    "publishers": [agents["organizations"][0]["id"]],
                }
            )
            + "\n"
        )
        build_and_check(src)


DATE_LINES = st.one_of(
    st.sampled_from(["14 June 2016", "1 May 2010", "01 December 2011"]),
    st.sampled_from(["14 June 2016", "1 May 2010", "01 December 2011"]),
    st.sampled_from(
        [
            "\u0661\u0664 June 2016",
            "14 June \u0662\u0660\u0661\u0666",
            "31 June 2010",
            "\uff11\uff14 June 2016",
            "14 Juin 2016",
        ]
    ),
    TEXT,
)


#: A line of a listing: mostly publishable text, now and then a hostile one.
LINE_TEXT = st.one_of(
    PUBLISHABLE.map(lambda t: "T " + t.replace("\n", " ").replace("\r", " ")),
    PUBLISHABLE.map(lambda t: "T " + t.replace("\n", " ").replace("\r", " ")),
    FREE_TEXT,
)


@st.composite
def listings(draw: st.DrawFn) -> str:
    """A listing: a heading, then numbered titles, date lines and paragraphs, some hostile."""
    lines = [draw(TEXT), ""]
    for number in range(1, draw(st.integers(1, 3)) + 1):
        lines.append(f"{number}. {draw(LINE_TEXT)}")
        if draw(st.booleans()):
            lines.append("   " + draw(LINE_TEXT))  # the title wraps
        lines.append(draw(DATE_LINES))
        if draw(st.booleans()):
            lines += ["", draw(LINE_TEXT), draw(LINE_TEXT)]
        lines.append("")
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)


@MORE
@given(text=listings())
def test_random_listings(text: str) -> None:
    """The importer gives a clean error or record files that the loaders take or refuse
    cleanly, and whose build both parsers read."""
    with source_folder() as src:
        listing = src.parent / "listing.txt"
        listing.write_bytes(text.encode("utf-8", "surrogatepass"))
        result = CliRunner().invoke(
            main, ["import-listing", str(listing), "-o", str(src / "records")]
        )
        clean(result)
        event(f"import-listing exit {result.exit_code}")
        if result.exit_code == 0:
            build_and_check(src)
        else:
            assert not (src / "records").exists()


@PROPERTY
@given(data=st.binary(max_size=300))
def test_random_listing_bytes(data: bytes) -> None:
    with source_folder() as src:
        listing = src.parent / "listing.txt"
        listing.write_bytes(data)
        result = CliRunner().invoke(
            main, ["import-listing", str(listing), "-o", str(src / "records")]
        )
        clean(result)
        if result.exit_code == 0:
            build_and_check(src)


@PROPERTY
@given(name=st.sampled_from(sorted(WRITERS)), records=catalogue_records())
def test_the_library_raises_only_its_own_errors(name: str, records: list[dict[str, Any]]) -> None:
    """Through the API too: a CsecLdError (DataError, RecordError...) or records."""
    from csec_ld.sources import load_records

    with source_folder() as src:
        (src / name).write_bytes(WRITERS[name](records, False))
        with suppress(CsecLdError):
            load_records([src])
