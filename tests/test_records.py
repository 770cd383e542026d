"""The record model: dates, identifiers, and how raw fields become a checked Record."""

from __future__ import annotations

from typing import Any

import pytest

from csec_ld.errors import RecordError
from csec_ld.namespaces import XSD
from csec_ld.records import (
    Identifier,
    LangString,
    Location,
    PartialDate,
    RawRecord,
    Record,
    build_record,
    parse_date,
    parse_identifier,
)
from csec_ld.sources import read_registry
from csec_ld.vocab import Registry, Vocabulary, load_vocabulary
from tests.conftest import DATA

# --------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    ("text", "precision", "datatype"),
    [
        ("2010", "year", XSD + "gYear"),
        ("2010-06", "month", XSD + "gYearMonth"),
        ("2010-06-14", "day", XSD + "date"),
        ("2012-02-29", "day", XSD + "date"),  # a leap day
        ("  2016-06-14 ", "day", XSD + "date"),
    ],
)
def test_parse_date_valid(text: str, precision: str, datatype: str) -> None:
    date = parse_date(text)
    assert date == PartialDate(text.strip(), precision)  # type: ignore[arg-type]
    assert date.datatype == datatype
    assert str(date) == text.strip()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("2010-13-01", "month must be in 1..12"),
        ("2010-13", "month must be in 1..12"),
        ("2010-00", "month must be in 1..12"),
        ("2010-02-29", "day is out of range"),
        ("2010-06-31", "day is out of range"),
        ("0000", "year 0 is out of range"),
        ("2010-6-1", "use YYYY, YYYY-MM or YYYY-MM-DD"),
        ("2010-06-14T10:00", "use YYYY, YYYY-MM or YYYY-MM-DD"),
        ("June 2010", "use YYYY, YYYY-MM or YYYY-MM-DD"),
        ("", "use YYYY, YYYY-MM or YYYY-MM-DD"),
        ("31 June 2010", "day is out of range for month"),
    ],
)
def test_parse_date_invalid(text: str, needle: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_date(text)
    message = str(info.value)
    assert needle in message
    assert repr(text.strip()) in message


def test_parse_date_human_date_names_the_iso_form() -> None:
    """A date written as in the seed listing is refused, with the ISO form to write."""
    with pytest.raises(ValueError, match=r"write 2016-06-14"):
        parse_date("14 June 2016")


def test_partial_date_earliest() -> None:
    assert str(parse_date("2010").earliest()) == "2010-01-01"
    assert str(parse_date("2010-06").earliest()) == "2010-06-01"
    assert str(parse_date("2010-06-14").earliest()) == "2010-06-14"
    assert parse_date("2010").year == 2010


# --------------------------------------------------------------------------- parse_identifier


@pytest.mark.parametrize(
    ("text", "scheme", "value", "literal", "iri"),
    [
        (
            "https://example.org/report.pdf",
            "url",
            "https://example.org/report.pdf",
            "https://example.org/report.pdf",
            "https://example.org/report.pdf",
        ),
        (
            "http://www.ilo.org/ipec",
            "url",
            "http://www.ilo.org/ipec",
            "http://www.ilo.org/ipec",
            "http://www.ilo.org/ipec",
        ),
        # ISBN-13, with and without hyphens, any prefix spelling
        ("isbn:978-92-2-125081-4", "isbn", "978-92-2-125081-4", "urn:isbn:978-92-2-125081-4", None),
        ("ISBN 9789221250814", "isbn", "978-92-2-125081-4", "urn:isbn:978-92-2-125081-4", None),
        # ISBN-10, with an X check digit
        ("isbn:0-8044-2957-X", "isbn", "0-8044-2957-X", "urn:isbn:0-8044-2957-X", None),
        ("isbn:080442957X", "isbn", "0-8044-2957-X", "urn:isbn:0-8044-2957-X", None),
        ("issn:0378-5955", "issn", "0378-5955", "urn:issn:0378-5955", None),
        ("ISSN 03785955", "issn", "0378-5955", "urn:issn:0378-5955", None),
        (
            "doi:10.1000/182",
            "doi",
            "10.1000/182",
            "https://doi.org/10.1000/182",
            "https://doi.org/10.1000/182",
        ),
        (
            "https://doi.org/10.1000/182",
            "doi",
            "10.1000/182",
            "https://doi.org/10.1000/182",
            "https://doi.org/10.1000/182",
        ),
        (
            "10.1000/182",
            "doi",
            "10.1000/182",
            "https://doi.org/10.1000/182",
            "https://doi.org/10.1000/182",
        ),
        (
            "hdl:20.500.12345/678",
            "handle",
            "20.500.12345/678",
            "https://hdl.handle.net/20.500.12345/678",
            "https://hdl.handle.net/20.500.12345/678",
        ),
        (
            "https://hdl.handle.net/10013/epic.1",
            "handle",
            "10013/epic.1",
            "https://hdl.handle.net/10013/epic.1",
            "https://hdl.handle.net/10013/epic.1",
        ),
    ],
)
def test_parse_identifier_valid(
    text: str, scheme: str, value: str, literal: str, iri: str | None
) -> None:
    ident = parse_identifier(text)
    assert ident == Identifier(scheme, value)  # type: ignore[arg-type]
    assert ident.literal == literal
    assert ident.iri == iri


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("isbn:978-92-2-125081-1", "is not a valid ISBN"),  # wrong check digit
        ("isbn:0-8044-2957-1", "is not a valid ISBN"),
        ("isbn:978-92-2", "is not a valid ISBN"),  # too short
        ("issn:0378-5954", "is not a valid ISSN"),
        ("issn:12345", "is not a valid ISSN"),
        ("doi:10.12/x", "is not a DOI"),
        ("doi:11.1000/182", "is not a DOI"),
        ("https://doi.org/not-a-doi", "is not a DOI"),
        ("hdl:abc", "is not a handle"),
        ("https://hdl.handle.net/", "is not a handle"),
        ("https://example.org/a report.pdf", "is not a valid URL"),
        ("http://[bad", "is not a valid URL"),
        ("https://", "is not an http(s) URL"),
        ("ftp://example.org/x", "is not a recognised identifier"),
        ("urn:isbn:9789221250814", "is not a recognised identifier"),
        ("isbn:", "is not a recognised identifier"),
        ("report 12", "is not a recognised identifier"),
    ],
)
def test_parse_identifier_malformed(text: str, needle: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_identifier(text)
    assert needle in str(info.value)
    assert repr(text.strip()) in str(info.value)


def test_identifier_str_round_trips() -> None:
    for text in (
        "https://example.org/x",
        "doi:10.1000/182",
        "isbn:978-92-2-125081-4",
        "issn:0378-5955",
        "hdl:20.500.12345/678",
    ):
        ident = parse_identifier(text)
        assert parse_identifier(str(ident)) == ident


# --------------------------------------------------------------------------- build_record


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary()


@pytest.fixture(scope="module")
def registry() -> Registry:
    return read_registry(DATA / "agents.yaml")


MINIMAL: dict[str, Any] = {
    "id": "tracer-study-paraguay-2012",
    "title": "Tracer Study - PARAGUAY",
    "issued": "2012-07-16",
    "type": "tracer-study",
}


def raw(data: dict[str, Any], lines: dict[str, int] | None = None) -> RawRecord:
    return RawRecord(data, Location("records/x.yaml", 1), lines or {})


def build(
    data: dict[str, Any], vocab: Vocabulary, registry: Registry, lines: dict[str, int] | None = None
) -> tuple[Record | None, list[RecordError]]:
    return build_record(raw(data, lines), vocab, registry)


def ok(data: dict[str, Any], vocab: Vocabulary, registry: Registry) -> Record:
    record, errors = build(data, vocab, registry)
    assert errors == [], [str(e) for e in errors]
    assert record is not None
    return record


def test_build_record_minimal(vocab: Vocabulary, registry: Registry) -> None:
    record = ok(MINIMAL, vocab, registry)
    assert record == Record(
        id="tracer-study-paraguay-2012",
        title=(LangString("Tracer Study - PARAGUAY", "en"),),
        issued=PartialDate("2012-07-16", "day"),
        type="tracer-study",
    )
    assert record.location == Location("records/x.yaml", 1)


def test_build_record_every_field_normalised(vocab: Vocabulary, registry: Registry) -> None:
    data = {
        "id": " sample-2010 ",
        "title": {"fr": " Étude de suivi ", "en": "Tracer study"},
        "issued": "2010-06",
        "type": "Survey Report",  # a label, any case
        "description": {"en": "About it.", "es": "Sobre esto."},
        "countries": ["ph", "PRY", "PHL"],  # alpha-2, alpha-3; duplicates collapse
        "subjects": ["impact-evaluation", "child-trafficking"],
        "publishers": "ilo",  # a single value is a list of one
        "creators": ["ecpat-international"],
        "contributors": ["nso-philippines"],
        "languages": ["en", "fre", "spa"],  # 639-1, 639-2/B, 639-3
        "identifiers": ["ISBN 9789221250814", "https://example.org/r.pdf", "doi:10.1000/182"],
        "is_part_of": ["ipec"],
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "modified": "2011",
    }
    record = ok(data, vocab, registry)
    assert record.id == "sample-2010"
    # English first, then the other languages; text is stripped.
    assert record.title == (LangString("Tracer study", "en"), LangString("Étude de suivi", "fr"))
    assert record.primary_title == "Tracer study"
    assert record.issued == PartialDate("2010-06", "month")
    assert record.type == "survey-report"
    assert record.description == (LangString("About it.", "en"), LangString("Sobre esto.", "es"))
    assert record.countries == ("PHL", "PRY")
    assert record.subjects == ("impact-evaluation", "child-trafficking")
    assert record.publishers == ("ilo",)
    assert record.creators == ("ecpat-international",)
    assert record.contributors == ("nso-philippines",)
    assert record.languages == ("eng", "fra", "spa")
    assert record.identifiers == (
        Identifier("isbn", "978-92-2-125081-4"),
        Identifier("url", "https://example.org/r.pdf"),
        Identifier("doi", "10.1000/182"),
    )
    assert record.is_part_of == ("ipec",)
    assert record.license == "https://creativecommons.org/licenses/by/4.0/"
    assert record.modified == PartialDate("2011", "year")


def test_record_equality_ignores_location(vocab: Vocabulary, registry: Registry) -> None:
    a, _ = build_record(RawRecord(dict(MINIMAL), Location("a.yaml", 1)), vocab, registry)
    b, _ = build_record(RawRecord(dict(MINIMAL), Location("b.csv", 7)), vocab, registry)
    assert a == b
    assert a is not None and b is not None and a.location != b.location


def test_line_of_uses_field_lines(vocab: Vocabulary, registry: Registry) -> None:
    lines = {"id": 1, "title": 2, "issued": 3, "type": 4}
    record, _ = build(MINIMAL, vocab, registry, lines)
    assert record is not None
    assert record.line_of("issued") == 3
    assert record.line_of("countries") == 1  # not written: the record's line


# (data changes, field, words of the message)
BAD_FIELDS: list[tuple[dict[str, Any], str, str]] = [
    ({"title": None}, "title", "is required"),
    ({"title": "   "}, "title", "must not be empty"),
    ({"title": {"en": "  "}}, "title", "is empty"),
    ({"title": {"english": "x"}}, "title", "is not a language tag"),
    ({"title": ["a", "b"]}, "title", "expected a text or a mapping"),
    ({"issued": "2010-13-01"}, "issued", "'2010-13-01' is not a date"),
    ({"issued": "31 June 2010"}, "issued", "'31 June 2010' is not a date"),
    ({"issued": None}, "issued", "is required"),
    ({"type": "podcast"}, "type", "unknown resource type 'podcast'"),
    ({"id": "Upper"}, "id", "is not a valid id"),
    ({"id": "a/b"}, "id", "is not a valid id"),
    ({"id": ".."}, "id", "is not a valid id"),
    ({"id": "has space"}, "id", "is not a valid id"),
    ({"id": "double--hyphen"}, "id", "is not a valid id"),
    ({"countries": ["XX"]}, "countries", "unknown country code 'XX'"),
    ({"subjects": ["astrology"]}, "subjects", "unknown subject 'astrology'"),
    ({"publishers": ["nobody"]}, "publishers", "unknown agent 'nobody'"),
    ({"publishers": ["ipec"]}, "publishers", "'ipec' is a project"),
    ({"is_part_of": ["ilo"]}, "is_part_of", "'ilo' is an organization"),
    ({"languages": ["xx"]}, "languages", "unknown language code 'xx'"),
    ({"identifiers": ["isbn:978-92-2-125081-1"]}, "identifiers", "is not a valid ISBN"),
    ({"license": "CC-BY"}, "license", "give the licence's URL"),
    ({"modified": "2011-01-01", "issued": "2012"}, "modified", "is before issued"),
    ({"colour": "red"}, "colour", "unknown field"),
]


@pytest.mark.parametrize(("change", "field", "needle"), BAD_FIELDS)
def test_build_record_rejects(
    change: dict[str, Any], field: str, needle: str, vocab: Vocabulary, registry: Registry
) -> None:
    data = {**MINIMAL, **change}
    record, errors = build(data, vocab, registry, {"issued": 3})
    assert record is None
    assert len(errors) == 1, [str(e) for e in errors]
    err = errors[0]
    assert err.field == field
    assert needle in err.message
    assert err.path == "records/x.yaml"
    assert err.line == (3 if field == "issued" else 1)
    expected_id = data["id"]
    assert err.record == expected_id
    assert str(err) == f"records/x.yaml:{err.line}: {expected_id}: {field}: {err.message}"


def test_build_record_collects_every_problem(vocab: Vocabulary, registry: Registry) -> None:
    data = {
        "id": "Bad Id",
        "title": " ",
        "issued": "2010-13-01",
        "type": "podcast",
        "countries": ["XX", "PHL", "YY"],
    }
    record, errors = build(data, vocab, registry)
    assert record is None
    assert sorted((e.field, e.value) for e in errors) == [
        ("countries", "XX"),
        ("countries", "YY"),
        ("id", "Bad Id"),
        ("issued", "2010-13-01"),
        ("title", " "),
        ("type", "podcast"),
    ]
    assert all(e.record == "Bad Id" for e in errors)


def test_build_record_without_id(vocab: Vocabulary, registry: Registry) -> None:
    record, errors = build({k: v for k, v in MINIMAL.items() if k != "id"}, vocab, registry)
    assert record is None
    assert [(e.field, e.record, e.message) for e in errors] == [("id", None, "is required")]


# ------------------------------------------------------------- countries and languages by name


@pytest.mark.parametrize(
    ("field", "given", "stored"),
    [
        ("countries", ["Philippines", "PH", "paraguay"], ("PHL", "PRY")),
        ("countries", ["Cote d'Ivoire"], ("CIV",)),  # accents need not be typed
        ("countries", ["Bolivia, Plurinational State of"], ("BOL",)),
        ("languages", ["French", "fre", "en"], ("fra", "eng")),
        ("languages", ["Tok Pisin"], ("tpi",)),
    ],
)
def test_countries_and_languages_by_name(
    field: str, given: list[str], stored: tuple[str, ...], vocab: Vocabulary, registry: Registry
) -> None:
    record = ok({**MINIMAL, field: given}, vocab, registry)
    assert getattr(record, field) == stored  # normalised to the code, as written out


@pytest.mark.parametrize(
    ("change", "field", "needle"),
    [
        ({"countries": ["Phillipines"]}, "countries", "did you mean Philippines?"),
        ({"languages": ["Frnech"]}, "languages", "did you mean French?"),
        (
            {"subjects": ["child-labor-statistics"]},
            "subjects",
            "did you mean child-labour-statistics?",
        ),
    ],
)
def test_typos_get_a_suggestion(
    change: dict[str, Any], field: str, needle: str, vocab: Vocabulary, registry: Registry
) -> None:
    record, errors = build({**MINIMAL, **change}, vocab, registry)
    assert record is None
    assert [e.field for e in errors] == [field]
    assert errors[0].message.endswith(needle + ")"), errors[0].message


def test_no_suggestion_when_nothing_is_close(vocab: Vocabulary, registry: Registry) -> None:
    _, errors = build({**MINIMAL, "countries": ["Atlantis"], "languages": ["qqq"]}, vocab, registry)
    assert errors and all("did you mean" not in e.message for e in errors)


def test_dois_are_case_insensitive() -> None:
    assert parse_identifier("doi:10.1234/X") == parse_identifier("https://doi.org/10.1234/x")
    assert parse_identifier("10.1234/ABC").literal == "https://doi.org/10.1234/abc"


def test_salvage_reads_what_it_can() -> None:
    from csec_ld.records import salvage

    part = salvage(
        RawRecord(
            {"id": "broken", "issued": "never", "identifiers": ["doi:10.1234/A", "junk", 3]},
            Location("x.yaml", 1),
            {"identifiers": 4},
        )
    )
    assert (part.id, [str(i) for i in part.identifiers], part.line_of("identifiers")) == (
        "broken",
        ["doi:10.1234/a"],
        4,
    )
    assert salvage(RawRecord({"id": "Bad Id"}, Location("x.yaml"))).id is None
    withdrawn = {"id": "gone", "status": "withdrawn", "identifiers": "doi:10.1234/a"}
    assert salvage(RawRecord(withdrawn, Location("x.yaml"))).identifiers == ()


def test_query_parameters_read_names_as_records_do() -> None:
    from csec_ld.query import Parameter, to_term

    assert to_term(Parameter("l", "language"), "French").value.endswith("/language/FRA")
    assert to_term(Parameter("c", "country"), "Cote d'Ivoire").value.endswith("/country/CIV")


# --------------------------------------------------------------------------- the field table


def test_the_field_table_is_the_record_model() -> None:
    """RECORD_FIELDS and the Record dataclass name the same fields in the same order, and
    what the table says of each (required, a list) is what the dataclass holds."""
    import dataclasses

    from csec_ld.records import FIELDS, LIST_FIELDS, RECORD_FIELDS, REQUIRED_FIELDS

    declared = [f for f in dataclasses.fields(Record) if f.compare]
    assert [f.name for f in declared] == list(FIELDS) == [f.name for f in RECORD_FIELDS]
    for f in declared:
        assert (f.default is dataclasses.MISSING) == (f.name in REQUIRED_FIELDS), f.name
        if f.name in LIST_FIELDS:
            assert f.default == (), f.name
    assert REQUIRED_FIELDS == ("id", "title", "issued", "type")


def _every_field(vocab: Vocabulary, registry: Registry) -> list[Record]:
    full = {
        "id": "sample-2010",
        "title": {"fr": "Étude de suivi", "en": "Tracer study"},
        "issued": "2010-06",
        "type": "survey-report",
        "description": {"en": "About it.", "es": "Sobre esto."},
        "countries": ["PHL", "PRY"],
        "subjects": ["impact-evaluation"],
        "publishers": ["ilo"],
        "creators": ["ecpat-international"],
        "contributors": ["nso-philippines"],
        "languages": ["eng", "fra"],
        "identifiers": ["isbn:978-92-2-125081-4", "doi:10.1000/182"],
        "is_part_of": ["ipec"],
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "modified": "2011",
    }
    gone = dict(MINIMAL, status="withdrawn", withdrawn="2020-01-02")
    return [ok(full, vocab, registry), ok(gone, vocab, registry)]


def test_record_to_dict_writes_every_field_it_has(vocab: Vocabulary, registry: Registry) -> None:
    """No field is dropped from what the site's source/ mirror and the change feed carry:
    every field of the table that a record has is written, and reads back equal."""
    from csec_ld.records import RECORD_FIELDS, record_to_dict

    records = _every_field(vocab, registry)
    written = [record_to_dict(r) for r in records]
    assert {k for d in written for k in d} == {f.name for f in RECORD_FIELDS}
    for record, data in zip(records, written, strict=True):
        assert list(data) == [f.name for f in RECORD_FIELDS if f.name in data]  # in order
        assert ok(data, vocab, registry) == record


def test_every_field_reads_from_csv(tmp_path: Any, vocab: Vocabulary, registry: Registry) -> None:
    """The CSV reader knows every field of the table: a column each (lists split at |,
    texts one column per language), and the rows load to the same records."""
    import csv

    from csec_ld.records import LIST_FIELDS, RECORD_FIELDS, TEXT_FIELDS, record_to_dict
    from csec_ld.sources import read_csv

    records = _every_field(vocab, registry)
    columns: list[str] = []
    rows: list[dict[str, str]] = [{} for _ in records]
    for f in RECORD_FIELDS:
        for row, record in zip(rows, records, strict=True):
            value = record_to_dict(record).get(f.name)
            if value is None:
                continue
            if f.name in TEXT_FIELDS:
                texts = {"en": value} if isinstance(value, str) else value
                for lang, text in texts.items():
                    row[f"{f.name}@{lang}"] = text
            elif f.name in LIST_FIELDS:
                row[f.name] = "|".join(value)
            else:
                row[f.name] = value
    for row in rows:
        columns += [c for c in row if c not in columns]
    path = tmp_path / "records.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        writer.writerows(rows)
    loaded = [build_record(r, vocab, registry) for r in read_csv(path)]  # type: ignore[arg-type]
    assert [r for r, _ in loaded] == records
