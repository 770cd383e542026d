"""The loaders: YAML, CSV, JSON, JSON Lines; equal records across formats; file and line."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from csec_ld.errors import DataError, RecordError, SourceNotFoundError, UsageError
from csec_ld.records import FIELDS, LIST_FIELDS, TEXT_FIELDS, LangString, Record
from csec_ld.sources import discover, load_records, open_catalog, read_raw
from tests.conftest import DATA

CATALOG = DATA / "catalog.yaml"


@pytest.fixture(scope="module")
def seed_records() -> list[Record]:
    """The bundled catalogue, as the YAML loader reads it."""
    records = load_records([DATA / "records"])
    assert len(records) == 10
    return records


def load(path: Path) -> list[Record]:
    """Records of one file, with the bundled catalogue's registry."""
    return load_records([path], catalog_file=CATALOG)


def errors_of(path: Path) -> list[RecordError]:
    with pytest.raises(DataError) as info:
        load(path)
    return info.value.errors


# --------------------------------------------------------------------------- a small writer
# Written here, independently of the loaders, from the loaded records.


def to_fields(record: Record) -> dict[str, Any]:
    """A record as the plain fields a person would write (lists, language maps, text)."""
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(record, name)
        if value is None or value == ():
            continue
        if name in TEXT_FIELDS:
            out[name] = {s.lang: s.value for s in value}
        elif name == "identifiers":
            out[name] = [str(i) for i in value]
        elif name in LIST_FIELDS:
            out[name] = list(value)
        else:
            out[name] = str(value)
    return out


def write_csv(
    records: list[Record],
    path: Path,
    *,
    delimiter: str = ",",
    bom: bool = False,
    newline: str = "\n",
) -> None:
    rows = [to_fields(r) for r in records]
    columns: list[str] = []
    for name in FIELDS:
        if name in TEXT_FIELDS:
            langs = sorted(
                {lang for row in rows for lang in row.get(name, {})},
                key=lambda lang: (lang != "en", lang),
            )
            columns += [name if lang == "en" else f"{name}@{lang}" for lang in langs]
        elif any(name in row for row in rows):
            columns.append(name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(columns)
    for row in rows:
        cells = []
        for column in columns:
            name, _, lang = column.partition("@")
            value = row.get(name)
            if name in TEXT_FIELDS:
                cells.append((value or {}).get(lang or "en", ""))
            elif isinstance(value, list):
                cells.append("|".join(value))
            else:
                cells.append(value or "")
        writer.writerow(cells)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))


def write_json(records: list[Record], path: Path) -> None:
    path.write_text(
        json.dumps([to_fields(r) for r in records], indent=2, ensure_ascii=False), encoding="utf-8"
    )


def write_jsonl(records: list[Record], path: Path) -> None:
    path.write_text(
        "".join(json.dumps(to_fields(r), ensure_ascii=False) + "\n" for r in records),
        encoding="utf-8",
    )


def write_yaml_list(records: list[Record], path: Path) -> None:
    import yaml

    path.write_text(
        yaml.safe_dump([to_fields(r) for r in records], allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )


Writer = Callable[[list[Record], Path], None]
FORMATS: dict[str, tuple[str, Writer]] = {
    "yaml-list": ("records.yaml", write_yaml_list),
    "csv": ("catalog.csv", write_csv),
    "csv-bom": ("catalog.csv", lambda r, p: write_csv(r, p, bom=True)),
    "csv-semicolon": ("catalog.csv", lambda r, p: write_csv(r, p, delimiter=";")),
    "csv-crlf": ("catalog.csv", lambda r, p: write_csv(r, p, newline="\r\n")),
    "csv-bom-semicolon-crlf": (
        "catalog.csv",
        lambda r, p: write_csv(r, p, delimiter=";", bom=True, newline="\r\n"),
    ),
    "json": ("catalog.json", write_json),
    "jsonl": ("catalog.jsonl", write_jsonl),
    "ndjson": ("catalog.ndjson", write_jsonl),
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_same_catalogue_in_every_format_loads_to_equal_records(
    fmt: str, seed_records: list[Record], tmp_path: Path
) -> None:
    name, write = FORMATS[fmt]
    path = tmp_path / fmt / name
    path.parent.mkdir()
    write(seed_records, path)
    loaded = load(path)
    assert loaded == seed_records
    # Not only equal as a whole: every record kept its lists and multi-valued cells.
    by_id = {r.id: r for r in loaded}
    assert by_id["child-labour-fiji-survey-working-children-2010"].subjects == (
        "commercial-sexual-exploitation-of-children",
        "children-working-on-the-streets",
        "worst-forms-of-child-labour",
        "hazardous-work",
        "child-labour-statistics",
    )
    assert {r.location.path for r in loaded} == {str(path)}


def test_writer_output_is_really_in_the_format(seed_records: list[Record], tmp_path: Path) -> None:
    """Guard the cross-format test: the variants differ in the bytes that matter."""
    variants = {}
    for fmt in ("csv", "csv-bom", "csv-semicolon", "csv-crlf"):
        path = tmp_path / f"{fmt}.csv"
        FORMATS[fmt][1](seed_records, path)
        variants[fmt] = path.read_bytes()
    assert variants["csv-bom"].startswith(b"\xef\xbb\xbf")
    assert not variants["csv"].startswith(b"\xef\xbb\xbf")
    assert variants["csv-semicolon"].splitlines()[0].count(b";") >= 4
    assert b"\r\n" in variants["csv-crlf"] and b"\r\n" not in variants["csv"]
    assert b"|" in variants["csv"]  # multi-valued cells


# --------------------------------------------------------------------------- YAML


def test_yaml_one_record_per_file(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(
        "# a comment\n"
        "id: x-2010\n"
        "title:\n"
        "  en: Survey\n"
        "  fr: Enquête\n"
        "issued: 2010-06\n"  # unquoted: stays text, never a YAML date
        "type: survey-report\n"
        "countries: [PH, FJI]\n"
        "publishers: ilo\n",
        encoding="utf-8",
    )
    [record] = load(path)
    assert record.title == (LangString("Survey", "en"), LangString("Enquête", "fr"))
    assert str(record.issued) == "2010-06"
    assert record.countries == ("PHL", "FJI")
    assert record.publishers == ("ilo",)
    assert record.location.line == 2
    assert record.line_of("issued") == 6
    assert record.line_of("countries") == 8


def test_yaml_values_stay_text(tmp_path: Path) -> None:
    """YAML 1.1 would read `no` as False and 2010 as an int; records keep what was written."""
    path = tmp_path / "x.yaml"
    path.write_text("id: x\ntitle: no\nissued: 2010\ntype: report\nlanguages: [no]\n")
    [raw] = list(read_raw(path))
    assert raw.data == {
        "id": "x",
        "title": "no",
        "issued": "2010",
        "type": "report",
        "languages": ["no"],
    }


def test_yaml_list_of_records_lines(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text(
        "- id: first-2010\n"
        "  title: First\n"
        "  issued: '2010'\n"
        "  type: report\n"
        "\n"
        "- id: second-2011\n"
        "  title: Second\n"
        "  issued: '2011-13'\n"
        "  type: report\n"
    )
    [err] = errors_of(path)
    assert (err.path, err.line, err.record, err.field) == (str(path), 8, "second-2011", "issued")
    path.write_text(path.read_text().replace("2011-13", "2011-12"))
    first, second = load(path)
    assert (first.location.line, second.location.line) == (1, 6)


def test_yaml_duplicate_key(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("id: x\ntitle: A\ntitle: B\nissued: '2010'\ntype: report\n")
    [err] = errors_of(path)
    assert (err.line, err.record, err.field) == (3, "x", "title")
    assert "given twice" in err.message


# --------------------------------------------------------------------------- CSV

CSV_TEXT = (
    "id,title,title@fr,issued,type,countries,subjects,description\n"
    "a-2010,Survey A,Enquête A,2010,survey-report,PHL|FJI, awareness-raising | child-labour ,\n"
    "\n"
    'b-2011,Survey B,,2011-05,report,,,"Two lines,\nof description"\n'
    "c-2012,Survey C,,2012-13,report,,,\n"
)


@pytest.mark.parametrize(
    ("delimiter", "bom", "newline"),
    [(",", False, "\n"), (",", True, "\n"), (";", False, "\r\n"), (";", True, "\r\n")],
)
def test_csv_variants_and_lines(delimiter: str, bom: bool, newline: str, tmp_path: Path) -> None:
    text = CSV_TEXT.replace(",", delimiter).replace("\n", newline)
    path = tmp_path / "x.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    raws = list(read_raw(path))
    assert [r.location.line for r in raws] == [2, 4, 6]  # the blank line and the wrapped cell
    a, b, _ = raws
    assert a.data["id"] == "a-2010"  # the BOM is not part of the first column's name
    assert a.data["title"] == {"en": "Survey A", "fr": "Enquête A"}
    assert a.data["countries"] == ["PHL", "FJI"]
    assert a.data["subjects"] == ["awareness-raising", "child-labour"]
    # A quoted cell keeps its line break as written.
    assert b.data["description"] == {"en": f"Two lines{delimiter}{newline}of description"}
    [err] = errors_of(path)
    assert (err.line, err.record, err.field) == (6, "c-2012", "issued")


def test_csv_title_translation_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "id,title,title@fr,title@es,issued,type\n"
        "x-2010,Survey,Enquête,Encuesta,2010,survey-report\n",
        encoding="utf-8",
    )
    [record] = load(path)
    assert record.title == (
        LangString("Survey", "en"),
        LangString("Encuesta", "es"),
        LangString("Enquête", "fr"),
    )


@pytest.mark.parametrize(
    ("header", "needle"),
    [
        ("id,title,issued,type,colour", "unknown column 'colour'"),
        ("id,title,issued,type,countries@fr", "unknown column 'countries@fr'"),
        ("id,title,issued,type,title", "column 'title' is given twice"),
        ("id,title,issued,type,title@en", "column 'title@en' is given twice"),
        ("id,title,title@fr,issued,type,title@FR", "column 'title@FR' is given twice"),
        ("id,issued,type", "missing required column 'title'"),
    ],
)
def test_csv_bad_header(header: str, needle: str, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(header + "\n" + ",".join(["x"] * len(header.split(","))) + "\n")
    [err] = errors_of(path)
    assert err.line == 1
    assert needle in err.message


def test_csv_title_in_another_language_only(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,title@fr,issued,type\nx-2010,Enquête,2010,survey-report\n")
    [record] = load(path)
    assert record.title == (LangString("Enquête", "fr"),)


def test_csv_row_with_wrong_number_of_cells(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,title,issued,type\nx,T,2010,report\ny,T,2010\n")
    [err] = errors_of(path)
    assert err.line == 3
    assert "3 cells, the header has 4" in err.message


# --------------------------------------------------------------------------- JSON and JSON Lines


def test_json_list_lines_and_values(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(
        "[\n"
        '  {"id": "a-2010", "title": {"en": "A", "fr": "A fr"}, "issued": 2010,\n'
        '   "type": "report", "countries": ["PHL"]},\n'
        "\n"
        '  {"id": "b-2011", "title": "B", "issued": "2011-02-30", "type": "report"}\n'
        "]\n"
    )
    raws = list(read_raw(path))
    assert [r.location.line for r in raws] == [2, 5]
    assert raws[0].data["issued"] == "2010"  # a JSON number year is read as text
    [err] = errors_of(path)
    assert (err.line, err.record, err.field) == (5, "b-2011", "issued")


def test_json_single_object(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"id": "a-2010", "title": "A", "issued": "2010", "type": "report"}')
    [record] = load(path)
    assert record.id == "a-2010" and record.location.line == 1


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ('[\n  {"id": "a",\n   "title": }\n]', 3, "malformed JSON"),
        ('[{"id": "a", "id": "b"}]', None, "'id' is given twice"),
        ('"just text"', 1, "expected a list of records"),
        ("[1, 2]", 1, "expected a record"),
    ],
)
def test_json_malformed(text: str, line: int | None, needle: str, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(text)
    err = errors_of(path)[0]
    assert needle in err.message
    assert err.line == line


def test_bad_rows_do_not_hide_the_rest_of_the_file(tmp_path: Path) -> None:
    """A row that cannot be read is reported, and the rows after it still are read."""
    path = tmp_path / "x.csv"
    path.write_text(
        "id,title,issued,type\n"
        "a-2010,A,2010,report,extra\n"
        "b-2010,B,2010-13-01,report\n"
        "c-2010,C,2010,report\n"
    )
    lines = sorted(e.line for e in errors_of(path))
    assert lines == [2, 3]
    jsonl = tmp_path / "y.jsonl"
    good = '{"id": "c-2010", "title": "C", "issued": "2010", "type": "report"}'
    jsonl.write_text('{"id": "a-2010"\n[1]\n' + good + "\n")
    assert sorted(e.line for e in errors_of(jsonl)) == [1, 2]


def test_jsonl_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(
        '{"id": "a-2010", "title": "A", "issued": "2010", "type": "report"}\r\n'
        "\r\n"
        '{"id": "b-2011", "title": "B", "issued": "2011", "type": "report"}\r\n'
        '{"id": "c-2012", "title": "C", "issued": "2012", "type": "podcast"}\r\n'
    )
    raws = list(read_raw(path))
    assert [r.location.line for r in raws] == [1, 3, 4]
    [err] = errors_of(path)
    assert (err.line, err.record, err.field) == (4, "c-2012", "type")


def test_jsonl_malformed_line(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(
        '{"id": "a-2010", "title": "A", "issued": "2010", "type": "report"}\n{"id": "b", \n'
    )
    [err] = errors_of(path)
    assert err.line == 2
    assert "malformed JSON" in err.message


# --------------------------------------------------------------------------- every format


BAD_DATE_IN: dict[str, tuple[str, str, int]] = {
    # format → (file name, text with a bad issued date in the 2nd record, its line)
    "yaml": (
        "x.yaml",
        "- {id: a, title: A, issued: '2010', type: report}\n"
        "- {id: b, title: B, issued: 2010-13-01, type: report}\n",
        2,
    ),
    "csv": ("x.csv", "id;title;issued;type\na;A;2010;report\nb;B;2010-13-01;report\n", 3),
    "json": (
        "x.json",
        '[\n{"id": "a", "title": "A", "issued": "2010", "type": "report"},\n'
        '{"id": "b", "title": "B", "issued": "2010-13-01", "type": "report"}\n]',
        3,
    ),
    "jsonl": (
        "x.jsonl",
        '{"id": "a", "title": "A", "issued": "2010", "type": "report"}\n'
        '{"id": "b", "title": "B", "issued": "2010-13-01", "type": "report"}\n',
        2,
    ),
}


@pytest.mark.parametrize("fmt", sorted(BAD_DATE_IN))
def test_every_format_reports_file_line_record_field(fmt: str, tmp_path: Path) -> None:
    name, text, line = BAD_DATE_IN[fmt]
    path = tmp_path / name
    path.write_text(text)
    [err] = errors_of(path)
    assert str(err) == (
        f"{path}:{line}: b: issued: '2010-13-01' is not a date "
        "(month must be in 1..12; use YYYY, YYYY-MM or YYYY-MM-DD)"
    )


@pytest.mark.parametrize("name", ["x.yaml", "x.csv", "x.json", "x.jsonl"])
def test_every_format_refuses_an_empty_file(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(" \n\n")
    [err] = errors_of(path)
    assert (err.path, err.message) == (str(path), "the file is empty")


@pytest.mark.parametrize("name", ["x.yaml", "x.csv", "x.json", "x.jsonl"])
def test_every_format_refuses_bytes_that_are_not_utf8(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(b"id: x\n\ntitle: caf\xe9\n")
    # JSON Lines is read line by line, so its line 1 is also reported (not JSON).
    [err] = [e for e in errors_of(path) if "UTF-8" in e.message]
    assert err.line == 3
    assert "is not UTF-8 text (byte 0xe9" in err.message


# --------------------------------------------------------------------------- discovery, catalogue


def test_discover(tmp_path: Path) -> None:
    (tmp_path / "records" / "sub").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for name in (
        "records/b.yaml",
        "records/a.csv",
        "records/sub/c.jsonl",
        "records/notes.txt",
        ".hidden/d.yaml",
        "catalog.yaml",
        "agents.yaml",
        "e.json",
    ):
        (tmp_path / name).write_text("x")
    found = discover([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "e.json",
        "records/a.csv",
        "records/b.yaml",
        "records/sub/c.jsonl",
    ]
    # Naming a file twice (directly and through its folder) reads it once.
    assert discover([tmp_path / "e.json", tmp_path / "e.json"]) == [tmp_path / "e.json"]


def test_discover_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match="no such file or folder"):
        discover([tmp_path / "missing"])
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="unsupported file type"):
        discover([tmp_path / "notes.txt"])


def test_open_catalog_reads_catalog_yaml() -> None:
    cat = open_catalog([DATA])
    assert cat.catalog.base == "https://w3id.org/csec-ld/"
    assert cat.catalog.title == (
        LangString("Resources on commercial sexual exploitation of children"),
    )
    assert cat.catalog.publisher == "csec-ld"
    assert cat.catalog.record_iri("x") == "https://w3id.org/csec-ld/resource/x"
    assert len(cat.files) == 10
    assert "ilo" in cat.registry


def test_open_catalog_base_override() -> None:
    cat = open_catalog([DATA], base="https://example.org/cat/")
    assert cat.catalog.record_iri("x") == "https://example.org/cat/resource/x"
    with pytest.raises(UsageError, match="must end with '/'"):
        open_catalog([DATA], base="https://example.org/cat")
    with pytest.raises(UsageError, match="is not an http"):
        open_catalog([DATA], base="example.org/")


def test_duplicate_id_across_files_names_the_first(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("id: x\ntitle: X\nissued: '2010'\ntype: report\n")
    with pytest.raises(DataError) as info:
        load_records([tmp_path], catalog_file=CATALOG)
    [err] = info.value.errors
    assert (err.path, err.line, err.record, err.field) == (str(tmp_path / "b.yaml"), 1, "x", "id")
    assert f"first used at {tmp_path / 'a.yaml'}:1" in err.message


@pytest.mark.parametrize("size", [1, 2, 3, 100])
@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b""], ids=["lf", "crlf", "none"])
def test_jsonl_batches_cover_every_line_once(tmp_path: Path, size: int, ending: bytes) -> None:
    from csec_ld.sources import jsonl_batches, read_lines

    # a byte order mark, an empty line, a line with a lone \r inside, no final break
    lines = [b'\xef\xbb\xbf{"a": 1}', b"", b'{"b": "x\ry"}', b'{"c": "\xc3\xa9"}', b"[]"]
    path = tmp_path / "x.jsonl"
    path.write_bytes(ending.join(lines) + ending)
    got: list[tuple[int, bytes]] = []
    for first, start, length in jsonl_batches(path, size):
        batch = read_lines(path, first, start, length)
        assert len(batch) <= size
        got += [(first + i, line.rstrip(b"\r\n")) for i, line in enumerate(batch)]
    if not ending:  # no line breaks at all: one line
        assert got == [(1, b"".join(lines)[3:])]
    else:
        assert got == [(n, line) for n, line in enumerate([lines[0][3:], *lines[1:]], start=1)]


def test_jsonl_batches_of_an_empty_file(tmp_path: Path) -> None:
    from csec_ld.sources import jsonl_batches

    path = tmp_path / "x.jsonl"
    path.write_bytes(b"\xef\xbb\xbf\n  \n")
    with pytest.raises(RecordError, match="empty"):
        list(jsonl_batches(path))


# ------------------------------------------------- the catalogue's own vocabularies (SKOS files)

OWN_TOPICS = """\
@prefix skos:  <http://www.w3.org/2004/02/skos/core#> .
@prefix topic: <https://w3id.org/csec-ld/topic/> .

topic:online-grooming a skos:Concept ;
    skos:inScheme <https://w3id.org/csec-ld/topic> ;
    skos:prefLabel "Online grooming"@en ;
    skos:broader topic:sexual-exploitation-of-children .
"""

OWN_RECORD = """\
id: grooming-report-2020
title: A report on online grooming
issued: '2020'
type: report
description: A record that uses a topic of the catalogue's own.
countries: [PHL]
languages: [en]
publishers: [ilo]
subjects: [{subject}]
"""


def _own_vocabulary(folder: Path, subject: str, extra: str = "") -> Path:
    shutil.copytree(DATA, folder)
    (folder / "vocab").mkdir()
    (folder / "vocab" / "topics.ttl").write_text(OWN_TOPICS, encoding="utf-8")
    catalog = folder / "catalog.yaml"
    catalog.write_text(
        catalog.read_text(encoding="utf-8") + "vocabularies: [vocab/topics.ttl]\n" + extra,
        encoding="utf-8",
    )
    (folder / "records" / "own.yaml").write_text(
        OWN_RECORD.format(subject=subject), encoding="utf-8"
    )
    return folder


@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
@pytest.mark.parametrize("subject", ["online-grooming", "Online grooming"])
def test_catalogue_vocabularies_extend_the_schemes(
    tmp_path: Path, engine: str, subject: str
) -> None:
    from csec_ld.validation import validate

    folder = _own_vocabulary(tmp_path / "data", subject)
    catalogue = open_catalog([folder])
    assert "child-labour" in catalogue.vocab.topics  # the shipped topics are still there
    records = {r.id: r for r in catalogue.records()}
    catalogue.check()
    assert records["grooming-report-2020"].subjects == ("online-grooming",)
    # The shapes check against the extended list: no violation for the new topic.
    report = validate([folder], engine=engine)
    assert not report.failed(), [r for r in report.results if r.severity.value == "violation"]
    assert not [r for r in report.results if r.shape == "csh:SubjectInScheme"]
    assert "vocab/topics.ttl" in report.shapes_source


def test_without_the_vocabulary_the_topic_is_unknown(tmp_path: Path) -> None:
    folder = _own_vocabulary(tmp_path / "data", "online-grooming")
    (folder / "catalog.yaml").write_text(
        (DATA / "catalog.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(DataError, match="unknown subject 'online-grooming'"):
        load_records([folder])


def test_catalogue_vocabularies_in_messages_and_oai_sets(tmp_path: Path) -> None:
    from csec_ld.site.oai import OaiRepository

    folder = _own_vocabulary(tmp_path / "data", "online-groomin")
    with pytest.raises(DataError) as exc:
        load_records([folder])
    (error,) = exc.value.errors
    assert "did you mean online-grooming?" in error.message
    assert "vocab/topics.ttl" in error.message and "ontology/" not in error.message

    (folder / "records" / "own.yaml").write_text(
        OWN_RECORD.format(subject="online-grooming"), encoding="utf-8"
    )
    repo = OaiRepository(open_catalog([folder]), "http://127.0.0.1/oai", admin_email="a@b.org")
    sets = {spec: name for spec, name, _ in repo.set_list()}
    assert sets["topic:online-grooming"] == "Topic: Online grooming"


def test_catalogue_vocabularies_replace_a_scheme(tmp_path: Path) -> None:
    replace = "replace_vocabularies: [topics]\n"
    folder = _own_vocabulary(tmp_path / "data", "online-grooming", replace)
    with pytest.raises(DataError) as exc:
        load_records([folder])
    # The shipped topics are gone: the ten records' own topics are unknown now.
    assert exc.value.errors and all(
        e.field == "subjects" and "unknown subject" in e.message for e in exc.value.errors
    )
    assert sorted(open_catalog([folder]).vocab.topics.concepts) == ["online-grooming"]


@pytest.mark.parametrize(
    ("turtle", "extra", "where", "words"),
    [
        (
            "topic:x a skos:Concept ;\n    skos:inScheme <https://w3id.org/csec-ld/topic> ) .\n",
            "",
            "vocab/topics.ttl:5",
            "malformed Turtle",
        ),
        (
            "<https://example.org/x> a skos:Concept ;\n"
            "    skos:inScheme <https://w3id.org/csec-ld/topic> .\n",
            "",
            "vocab/topics.ttl",
            "its IRI must start with https://w3id.org/csec-ld/topic/",
        ),
        ("", "", "vocab/topics.ttl", "holds no concept"),
        (None, "", "catalog.yaml:", "does not exist"),
        (None, "replace_vocabularies: [places]\n", "catalog.yaml:", "is not a scheme"),
    ],
    ids=["syntax", "iri", "empty", "missing", "scheme"],
)
def test_bad_catalogue_vocabularies(
    tmp_path: Path, turtle: str | None, extra: str, where: str, words: str
) -> None:
    folder = _own_vocabulary(tmp_path / "data", "online-grooming", extra)
    own = folder / "vocab" / "topics.ttl"
    if turtle is None:
        if not extra:
            own.unlink()
    else:
        own.write_text(OWN_TOPICS.split("topic:online")[0] + turtle, encoding="utf-8")
    with pytest.raises(DataError) as exc:
        open_catalog([folder])
    (error,) = exc.value.errors
    assert where in str(error) and words in error.message, str(error)


def test_build_checks_against_the_catalogue_vocabularies(tmp_path: Path) -> None:
    """build validates with the same extended shapes as validate: a record that uses the
    catalogue's own topic builds, and the dump carries the topic's label."""
    from csec_ld.build import build

    folder = _own_vocabulary(tmp_path / "data", "online-grooming")
    result = build([folder], tmp_path / "dist", formats=["nt"])
    nt = result.files["nt"].read_text(encoding="utf-8")
    assert "<https://w3id.org/csec-ld/topic/online-grooming>" in nt
    assert '"Online grooming"@en' in nt


def test_publish_checks_against_the_catalogue_vocabularies(tmp_path: Path) -> None:
    """publish validates as build does: the record with the catalogue's own topic is
    published, with its page and the topic's label in its data."""
    from csec_ld.site.publish import publish

    folder = _own_vocabulary(tmp_path / "data", "online-grooming")
    site = publish([folder], tmp_path / "site").out_dir
    page = (site / "resource" / "grooming-report-2020" / "index.html").read_text(encoding="utf-8")
    assert "Online grooming" in page
    nt = (site / "resource" / "grooming-report-2020.nt").read_text(encoding="utf-8")
    assert '"Online grooming"@en' in nt
