"""The validation library: the bundled data, one negative fixture per shape constraint,
record-loading and RDF syntax errors, shapes that do not load, RDF input."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from csec_ld.errors import ShapesError, SourceNotFoundError
from csec_ld.validation import (
    Severity,
    ValidationReport,
    ValidationResult,
    field_for_path,
    load_shapes,
    validate,
)
from tests.conftest import DATA, ROOT

INVALID = Path(__file__).resolve().parent / "fixtures" / "invalid"
REL = INVALID.relative_to(ROOT).as_posix()


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # results name files relative to the working folder


def _find(report: ValidationReport, shape: str) -> list[ValidationResult]:
    return [r for r in report.results if r.shape == shape]


# ----------------------------------------------------------------------------- bundled data


def test_bundled_data_conforms() -> None:
    report = validate([DATA])
    assert report.conforms
    assert not report.failed("violation")
    assert report.records == 10
    counts = report.counts()
    assert counts["violation"] == 0
    assert counts["warning"] > 0  # e.g. records without a language
    for r in report.results:
        assert r.file and r.file.startswith("data/records/"), r
        assert r.line is not None and r.field and r.record and r.shape and r.component
    assert report.failed("warning")


def test_warning_points_at_the_record() -> None:
    report = validate([DATA])
    langs = [
        r
        for r in _find(report, "csh:LanguageRecommended")
        if r.record == "tracer-study-paraguay-2012"
    ]
    assert len(langs) == 1
    r = langs[0]
    assert (r.file, r.line, r.field, r.severity) == (
        "data/records/tracer-study-paraguay-2012.yaml",
        1,
        "languages",
        Severity.WARNING,
    )
    assert r.path == "dcterms:language"
    assert r.component == "sh:MinCountConstraintComponent"
    assert r.focus == "https://w3id.org/csec-ld/resource/tracer-study-paraguay-2012"


# ----------------------------------------------------------------------------- fixtures

# One Turtle fixture per constraint of the shapes: baseline.ttl with one line changed.
# (fixture, shape, constraint component (sh:...ConstraintComponent), field, severity, line)
RDF_CASES = [
    ("record-id.ttl", "csh:RecordIdShape", "Pattern", "id", "violation", 12),
    ("title-missing.ttl", "csh:TitleRequired", "MinCount", "title", "violation", 12),
    ("title-plain-literal.ttl", "csh:TitleText", "Datatype", "title", "violation", 14),
    ("title-two-english.ttl", "csh:TitleOnePerLanguage", "UniqueLang", "title", "violation", 14),
    ("title-only-markup.ttl", "csh:TitleNotOnlyMarkup", "Pattern", "title", "violation", 14),
    ("title-markup.ttl", "csh:TitleMarkup", "Pattern", "title", "warning", 14),
    ("name-differs.ttl", "csh:NameAgreesWithTitle", "Equals", "title", "violation", 15),
    ("issued-missing.ttl", "csh:IssuedRequired", "MinCount", "issued", "violation", 12),
    ("issued-datatype.ttl", "csh:IssuedDatatype", "Or", "issued", "violation", 16),
    ("issued-ill-formed.ttl", "csh:IssuedForm", "Pattern", "issued", "violation", 16),
    ("issued-not-a-date.ttl", "csh:IssuedDatatype", "Or", "issued", "violation", 16),
    ("issued-future.ttl", "csh:IssuedNotInFuture", "SPARQL", "issued", "violation", 16),
    (
        "date-published-datatype.ttl",
        "csh:DatePublishedDatatype",
        "Datatype",
        "issued",
        "violation",
        17,
    ),
    (
        "date-published-differs.ttl",
        "csh:DatePublishedAgreesWithIssued",
        "SPARQL",
        "issued",
        "violation",
        17,
    ),
    ("type-missing.ttl", "csh:TypeRequired", "MinCount", "type", "violation", 12),
    ("type-unknown.ttl", "csh:TypeInScheme", "In", "type", "violation", 18),
    (
        "additional-type-differs.ttl",
        "csh:AdditionalTypeAgreesWithType",
        "Equals",
        "type",
        "violation",
        19,
    ),
    (
        "description-missing.ttl",
        "csh:DescriptionRecommended",
        "MinCount",
        "description",
        "warning",
        12,
    ),
    (
        "description-plain-literal.ttl",
        "csh:DescriptionText",
        "Datatype",
        "description",
        "violation",
        20,
    ),
    (
        "schema-description-differs.ttl",
        "csh:SchemaDescriptionAgrees",
        "Equals",
        "description",
        "violation",
        21,
    ),
    ("subject-missing.ttl", "csh:SubjectRecommended", "MinCount", "subjects", "warning", 12),
    ("subject-unknown.ttl", "csh:SubjectInScheme", "In", "subjects", "violation", 22),
    ("about-differs.ttl", "csh:AboutAgreesWithSubject", "Equals", "subjects", "violation", 23),
    ("country-missing.ttl", "csh:CountryRecommended", "MinCount", "countries", "warning", 12),
    ("country-unknown.ttl", "csh:CountryInAuthority", "Pattern", "countries", "violation", 24),
    (
        "spatial-coverage-differs.ttl",
        "csh:SpatialCoverageAgrees",
        "Equals",
        "countries",
        "violation",
        25,
    ),
    ("language-missing.ttl", "csh:LanguageRecommended", "MinCount", "languages", "warning", 12),
    ("language-unknown.ttl", "csh:LanguageInAuthority", "Pattern", "languages", "violation", 26),
    ("in-language-tag.ttl", "csh:InLanguageTag", "Pattern", "languages", "violation", 27),
    ("publisher-missing.ttl", "csh:PublisherRecommended", "MinCount", "publishers", "info", 12),
    ("publisher-literal.ttl", "csh:PublisherIri", "NodeKind", "publishers", "violation", 28),
    (
        "schema-publisher-differs.ttl",
        "csh:SchemaPublisherAgrees",
        "Equals",
        "publishers",
        "violation",
        29,
    ),
    ("author-differs.ttl", "csh:AuthorAgreesWithCreator", "Equals", "creators", "violation", 31),
    (
        "schema-contributor-differs.ttl",
        "csh:SchemaContributorAgrees",
        "Equals",
        "contributors",
        "violation",
        33,
    ),
    ("identifier-missing.ttl", "csh:IdentifierRecommended", "MinCount", "identifiers", "info", 12),
    ("identifier-malformed.ttl", "csh:IdentifierForm", "Pattern", "identifiers", "violation", 34),
    ("isbn-check-digit.ttl", "csh:IsbnCheckDigit", "SPARQL", "identifiers", "violation", 34),
    ("url-not-http.ttl", "csh:UrlForm", "Pattern", "identifiers", "violation", 35),
    ("schema-isbn-malformed.ttl", "csh:SchemaIsbnForm", "Pattern", "identifiers", "violation", 36),
    ("is-part-of-missing.ttl", "csh:IsPartOfIri", "MinCount", "is_part_of", "violation", 12),
    (
        "schema-is-part-of-differs.ttl",
        "csh:SchemaIsPartOfAgrees",
        "Equals",
        "is_part_of",
        "violation",
        38,
    ),
    ("license-missing.ttl", "csh:LicenseRecommended", "MinCount", "license", "info", 12),
    ("license-literal.ttl", "csh:LicenseForm", "NodeKind", "license", "violation", 39),
    ("schema-license-differs.ttl", "csh:SchemaLicenseAgrees", "Equals", "license", "violation", 40),
    ("modified-datatype.ttl", "csh:ModifiedDatatype", "Or", "modified", "violation", 41),
    ("modified-ill-formed.ttl", "csh:ModifiedForm", "Pattern", "modified", "violation", 41),
    ("modified-future.ttl", "csh:ModifiedNotInFuture", "SPARQL", "modified", "violation", 41),
    (
        "date-modified-differs.ttl",
        "csh:DateModifiedAgreesWithModified",
        "SPARQL",
        "modified",
        "violation",
        42,
    ),
    ("catalog-title-missing.ttl", "csh:CatalogTitle", "MinCount", "title", "violation", 44),
    ("catalog-name-differs.ttl", "csh:CatalogNameAgrees", "Equals", "title", "violation", 47),
    (
        "catalog-description-missing.ttl",
        "csh:CatalogDescription",
        "MinCount",
        "description",
        "warning",
        44,
    ),
    (
        "catalog-publisher-missing.ttl",
        "csh:CatalogPublisher",
        "MinCount",
        "publisher",
        "warning",
        44,
    ),
    ("catalog-license-missing.ttl", "csh:CatalogLicense", "MinCount", "license", "warning", 44),
    ("agent-name-missing.ttl", "csh:AgentName", "MinCount", "name", "violation", 53),
    ("agent-homepage.ttl", "csh:AgentHomepage", "Pattern", "url", "violation", 56),
    ("concept-label-missing.ttl", "csh:ConceptLabel", "MinCount", "prefLabel", "violation", 58),
    ("concept-scheme-missing.ttl", "csh:ConceptScheme", "MinCount", "inScheme", "warning", 58),
    ("issued-twice.ttl", "csh:IssuedRequired", "MaxCount", "issued", "violation", 16),
    ("type-twice.ttl", "csh:TypeRequired", "MaxCount", "type", "violation", 18),
    ("type-literal.ttl", "csh:TypeRequired", "NodeKind", "type", "violation", 18),
    (
        "date-published-missing.ttl",
        "csh:DatePublishedDatatype",
        "MinCount",
        "issued",
        "violation",
        12,
    ),
    (
        "date-published-twice.ttl",
        "csh:DatePublishedDatatype",
        "MaxCount",
        "issued",
        "violation",
        17,
    ),
    ("identifier-iri.ttl", "csh:IdentifierForm", "NodeKind", "identifiers", "violation", 34),
    ("url-literal.ttl", "csh:UrlForm", "NodeKind", "identifiers", "violation", 35),
    ("schema-isbn-iri.ttl", "csh:SchemaIsbnForm", "NodeKind", "identifiers", "violation", 36),
    ("in-language-iri.ttl", "csh:InLanguageTag", "NodeKind", "languages", "violation", 27),
    ("is-part-of-literal.ttl", "csh:IsPartOfIri", "NodeKind", "is_part_of", "violation", 37),
    ("license-twice.ttl", "csh:LicenseForm", "MaxCount", "license", "violation", 39),
    ("license-not-http.ttl", "csh:LicenseForm", "Pattern", "license", "violation", 39),
    ("modified-twice.ttl", "csh:ModifiedDatatype", "MaxCount", "modified", "violation", 41),
    ("catalog-title-plain.ttl", "csh:CatalogTitle", "Datatype", "title", "violation", 46),
    ("catalog-title-two-english.ttl", "csh:CatalogTitle", "UniqueLang", "title", "violation", 46),
    ("catalog-publisher-twice.ttl", "csh:CatalogPublisher", "MaxCount", "publisher", "warning", 49),
    (
        "catalog-publisher-literal.ttl",
        "csh:CatalogPublisher",
        "NodeKind",
        "publisher",
        "warning",
        49,
    ),
    ("catalog-license-twice.ttl", "csh:CatalogLicense", "MaxCount", "license", "warning", 50),
    ("catalog-license-literal.ttl", "csh:CatalogLicense", "NodeKind", "license", "warning", 50),
    ("agent-name-iri.ttl", "csh:AgentName", "NodeKind", "name", "violation", 55),
    ("agent-homepage-twice.ttl", "csh:AgentHomepage", "MaxCount", "url", "violation", 56),
    ("agent-homepage-literal.ttl", "csh:AgentHomepage", "NodeKind", "url", "violation", 56),
    (
        "concept-two-english-labels.ttl",
        "csh:ConceptLabel",
        "UniqueLang",
        "prefLabel",
        "violation",
        60,
    ),
    ("concept-scheme-literal.ttl", "csh:ConceptScheme", "NodeKind", "inScheme", "warning", 61),
]


def test_rdf_baseline_is_clean() -> None:
    report = validate([INVALID / "baseline.ttl"])
    assert report.results == []
    assert report.records == 1


@pytest.mark.parametrize(
    ("fixture", "shape", "component", "field", "severity", "line"),
    RDF_CASES,
    ids=[c[0] for c in RDF_CASES],
)
def test_rdf_fixture(
    fixture: str, shape: str, component: str, field: str, severity: str, line: int
) -> None:
    report = validate([INVALID / fixture])
    hits = [r for r in _find(report, shape) if r.component == f"sh:{component}ConstraintComponent"]
    assert hits, [(r.shape, r.component, r.field, r.line) for r in report.results]
    assert any(
        (r.field, r.severity.value, r.file, r.line) == (field, severity, f"{REL}/{fixture}", line)
        for r in hits
    ), hits
    for r in report.results:  # every result, expected or not, is located
        assert r.file == f"{REL}/{fixture}" and r.line and r.field, r
    assert report.failed(severity)


_PARAMETERS = {
    "minCount": "MinCount",
    "maxCount": "MaxCount",
    "datatype": "Datatype",
    "pattern": "Pattern",
    "nodeKind": "NodeKind",
    "in": "In",
    "equals": "Equals",
    "uniqueLang": "UniqueLang",
    "or": "Or",
    "sparql": "SPARQL",
    "maxLength": "MaxLength",
}


def test_every_constraint_has_a_fixture() -> None:
    """Each (shape, constraint component) of the shipped shapes is broken by some fixture."""
    from rdflib import URIRef
    from rdflib.namespace import SH

    from csec_ld.validation import SHAPES_NS

    graph = load_shapes()
    constraints = set()
    for shape in set(graph.subjects(SH.message, None)):
        for parameter, component in _PARAMETERS.items():
            if graph.value(shape, SH[parameter]) is not None:
                constraints.add((f"csh:{str(shape)[len(SHAPES_NS) :]}", component))
    assert all(isinstance(s, URIRef) for s in graph.subjects(SH.message, None))
    covered = {(c[1], c[2]) for c in RDF_CASES}
    yaml_covered = {  # the record fixtures below (their shape has one constraint each)
        ("csh:IssuedNotInFuture", "SPARQL"),
        ("csh:ModifiedNotInFuture", "SPARQL"),
        ("csh:TitleNotOnlyMarkup", "Pattern"),
        ("csh:IdentifierUnique", "SPARQL"),
        ("csh:ProbableDuplicate", "SPARQL"),
        ("csh:DescriptionRecommended", "MinCount"),
    }
    assert {shape for shape, _ in yaml_covered} <= {c[1] for c in YAML_CASES}
    covered |= yaml_covered
    covered.add(("csh:DescriptionLength", "MaxLength"))  # test_huge_description_is_a_warning
    # A record that is a blank node has no line to point at; the loader never writes one.
    covered.add(("csh:RecordIdShape", "NodeKind"))
    assert constraints - covered == set()


# Record fixtures (YAML) for what the record loader lets through to the shapes.
YAML_CASES = [
    ("issued-future.yaml", "csh:IssuedNotInFuture", "issued", "violation", 3, "issued-future"),
    (
        "modified-future.yaml",
        "csh:ModifiedNotInFuture",
        "modified",
        "violation",
        10,
        "modified-future",
    ),
    ("title-only-markup.yaml", "csh:TitleNotOnlyMarkup", "title", "violation", 2, "title-markup"),
    (
        "identifier-reused.yaml",
        "csh:IdentifierUnique",
        "identifiers",
        "violation",
        10,
        "identifier-first",
    ),
    (
        "identifier-reused.yaml",
        "csh:IdentifierUnique",
        "identifiers",
        "violation",
        20,
        "identifier-second",
    ),
    ("probable-duplicate.yaml", "csh:ProbableDuplicate", "title", "warning", 2, "duplicate-first"),
    (
        "probable-duplicate.yaml",
        "csh:ProbableDuplicate",
        "title",
        "warning",
        11,
        "duplicate-second",
    ),
    (
        "description-missing.yaml",
        "csh:DescriptionRecommended",
        "description",
        "warning",
        1,
        "description-missing",
    ),
]


@pytest.mark.parametrize(
    ("fixture", "shape", "field", "severity", "line", "record"),
    YAML_CASES,
    ids=[f"{c[0]}:{c[4]}" for c in YAML_CASES],
)
def test_record_fixture(
    fixture: str, shape: str, field: str, severity: str, line: int, record: str
) -> None:
    report = validate([INVALID / fixture])
    assert any(
        (r.field, r.severity.value, r.file, r.line, r.record)
        == (field, severity, f"{REL}/{fixture}", line, record)
        for r in _find(report, shape)
    ), report.results


def test_cross_record_message_names_the_other_record() -> None:
    report = validate([INVALID / "identifier-reused.yaml"])
    first = next(r for r in _find(report, "csh:IdentifierUnique") if r.record == "identifier-first")
    assert f"identifier-second ({REL}/identifier-reused.yaml:11)" in first.message
    assert first.value == "https://doi.org/10.1234/abc"


# (fixture, field, line, words in the message)
LOAD_CASES = [
    ("issued-not-a-date.yaml", "issued", 3, "is not a date"),
    ("duplicate-id.yaml", "id", 6, "duplicate id 'same-id'"),
    ("malformed.yaml", None, 3, "malformed YAML"),
    ("empty.yaml", None, None, "the file is empty"),
]


@pytest.mark.parametrize(
    ("fixture", "field", "line", "words"), LOAD_CASES, ids=[c[0] for c in LOAD_CASES]
)
def test_loading_errors_are_results(
    fixture: str, field: str | None, line: int | None, words: str
) -> None:
    report = validate([INVALID / fixture])
    loads = [r for r in report.results if r.source == "load"]
    assert len(loads) == 1, report.results
    r = loads[0]
    assert (r.severity, r.file, r.line, r.field) == (
        Severity.VIOLATION,
        f"{REL}/{fixture}",
        line,
        field,
    )
    assert words in r.message
    assert r.shape == "csec-ld:record"
    assert report.failed()


def test_loading_errors_and_shacl_results_in_one_run(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    shutil.copy(INVALID / "issued-not-a-date.yaml", folder / "records")
    shutil.copy(INVALID / "issued-future.yaml", folder / "records")
    report = validate([folder])
    sources = {(r.record, r.source) for r in report.results if r.severity == Severity.VIOLATION}
    assert sources == {("issued-not-a-date", "load"), ("issued-future", "shacl")}
    assert report.records == 12


@pytest.mark.parametrize(
    ("fixture", "line", "column", "words"),
    [
        ("broken-syntax.ttl", 5, 45, "malformed Turtle"),
        ("broken-syntax.jsonld", 5, 3, "malformed JSON-LD"),
    ],
)
def test_rdf_syntax_errors(fixture: str, line: int, column: int, words: str) -> None:
    report = validate([INVALID / fixture])
    (r,) = report.results
    assert (r.severity, r.file, r.line, r.column, r.source) == (
        Severity.VIOLATION,
        f"{REL}/{fixture}",
        line,
        column,
        "syntax",
    )
    assert words in r.message and f"line {line}, column {column}" in r.message
    assert report.failed()


# ----------------------------------------------------------------------------- bad input


def test_huge_description_is_a_warning(catalog_copy: Path) -> None:
    import json

    record = catalog_copy / "records" / "huge.json"  # JSON: PyYAML would take seconds on 1 MB
    record.write_text(
        json.dumps(
            {
                "id": "huge-description",
                "title": "A long one",
                "issued": "2010",
                "type": "report",
                # the longest the record loader takes (records.LIMITS), ten times the shape's
                "description": "word " * 20_000,
            }
        ),
        encoding="utf-8",
    )
    report = validate([record])
    (r,) = _find(report, "csh:DescriptionLength")
    assert (r.severity, r.field, r.line) == (Severity.WARNING, "description", 1)
    assert r.value is not None and r.value.endswith("... (99999 characters)")
    assert len(r.value) < 1000  # reports carry a sample, not the 100 KB
    assert not report.failed()


def test_empty_folder(tmp_path: Path) -> None:
    report = validate([tmp_path])
    (r,) = report.results
    assert r.severity == Severity.WARNING and "no record" in r.message
    assert report.records == 0 and not report.failed()


def test_missing_source() -> None:
    with pytest.raises(SourceNotFoundError):
        validate(["no/such/folder"])


def test_unreadable_shapes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix sh: <http://www.w3.org/ns/shacl#> .\n<a> sh:b "x .\n')
    with pytest.raises(ShapesError, match=r"bad\.ttl:2:10: cannot read the shapes"):
        validate([DATA], shapes=bad)
    with pytest.raises(ShapesError, match="no such shapes"):
        validate([DATA], shapes=tmp_path / "nothing.ttl")


def test_shapes_file_brings_its_imports() -> None:
    report = validate([INVALID / "country-unknown.ttl"], shapes=ROOT / "shapes" / "records.ttl")
    assert _find(report, "csh:CountryInAuthority")


def test_max_per_shape() -> None:
    full = validate([DATA])
    capped = validate([DATA], max_per_shape=1)
    per_shape: dict[str, int] = {}
    for r in full.results:
        per_shape[r.shape or ""] = per_shape.get(r.shape or "", 0) + 1
    assert len(capped.results) == len(per_shape)
    assert capped.omitted == {s: n - 1 for s, n in per_shape.items() if n > 1}
    assert capped.counts() == full.counts()


def test_results_have_one_order() -> None:
    """Results that differ in anything they are compared on never tie when sorted (a tie
    left them in set order, which changes from run to run: sh:nodeKind and sh:pattern
    on one literal licence gave two orders)."""
    base = ValidationResult(
        Severity.VIOLATION,
        "The licence is malformed.",
        file="data/x.yaml",
        line=3,
        record="r",
        field="license",
        value="CC-BY",
        shape="csh:LicenseForm",
        component="sh:PatternConstraintComponent",
        focus="https://w3id.org/csec-ld/resource/r",
        path="dcterms:license",
        term='"CC-BY"',
    )
    other = {
        "severity": Severity.WARNING,
        "message": "Another message.",
        "file": "data/y.yaml",
        "line": 4,
        "record": "s",
        "field": "rights",
        "value": "CC-BY-4.0",
        "shape": "csh:LicenseIri",
        "component": "sh:NodeKindConstraintComponent",
        "focus": "https://w3id.org/csec-ld/resource/s",
        "path": "dcterms:rights",
        "source": "load",
        "term": "<CC-BY>",
    }
    compared = {f.name for f in dataclasses.fields(ValidationResult) if f.compare}
    assert compared == set(other)  # a new compared field needs a line here
    for name, value in other.items():
        variant = dataclasses.replace(base, **{name: value})
        assert variant != base
        assert variant.sort_key() != base.sort_key(), name
    # And column, which is not compared, does not split equal results.
    assert dataclasses.replace(base, column=7) == base


# ----------------------------------------------------------------------------- RDF input


def test_built_dump_validates_like_the_records(tmp_path: Path) -> None:
    from csec_ld.build import build

    out = tmp_path / "dist"
    build([DATA], out, formats=["ttl", "nt", "jsonld"])
    expected = {(r.record, r.shape, r.value) for r in validate([DATA]).results}
    for name in ("catalog.ttl", "catalog.nt", "catalog.jsonld"):
        report = validate([out / name])
        assert report.records == 10
        assert {(r.record, r.shape, r.value) for r in report.results} == expected, name
        assert all(r.file == str(out / name) and r.line for r in report.results)


def test_field_for_path() -> None:
    assert field_for_path("http://purl.org/dc/terms/issued") == "issued"
    assert field_for_path("http://schema.org/datePublished") == "issued"
    assert field_for_path("http://schema.org/spatialCoverage") == "countries"
    assert field_for_path("http://example.org/other") is None


def test_vocabulary_shapes_are_up_to_date() -> None:
    from csec_ld.shapes_gen import VOCABULARIES_FILE, vocabulary_shapes

    shipped = (ROOT / "shapes" / VOCABULARIES_FILE).read_text(encoding="utf-8")
    assert shipped == vocabulary_shapes(), "run: python -m csec_ld.shapes_gen"


def test_errors_for_callers_that_stop() -> None:
    from csec_ld.errors import DataError

    report = validate([INVALID / "issued-future.yaml"])
    (err,) = report.errors("violation")
    assert str(err).startswith(f"{REL}/issued-future.yaml:3: issued-future: issued: The date")
    assert "(value: '2999-01-01')" in str(err)
    assert len(report.errors("info")) == len(report.results)
    assert "1 problem in the records" in str(DataError(report.errors()))


def test_one_path_as_sources() -> None:
    assert validate(str(DATA)).records == 10


def test_broken_catalogue_description(catalog_copy: Path) -> None:
    catalog = catalog_copy / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("base: https://w3id.org/csec-ld/", "base: nope"))
    report = validate([catalog_copy])
    (r,) = report.results
    assert (r.file, r.field, r.source) == (str(catalog), "base", "load")
    assert r.line is not None and r.severity == Severity.VIOLATION
    assert report.failed()


def test_csv_records_point_at_their_row(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("records"))
    (folder / "records.csv").write_text(
        "id,title,issued,type,description\n"
        "ok-record,A fine record,2010,report,Described.\n"
        "future-record,A future record,2999,report,Described.\n",
        encoding="utf-8",
    )
    report = validate([folder])
    (r,) = [r for r in report.results if r.severity == Severity.VIOLATION]
    assert (r.file, r.line, r.record, r.field) == (
        str(folder / "records.csv"),
        3,
        "future-record",
        "issued",
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_chunks_give_the_same_results(tmp_path: Path, workers: int) -> None:
    """Large catalogues run in chunks; cross-record rules still see every record."""
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    for name in (
        "issued-future.yaml",
        "identifier-reused.yaml",
        "probable-duplicate.yaml",
        "title-only-markup.yaml",
        "issued-not-a-date.yaml",
    ):
        shutil.copy(INVALID / name, folder / "records" / name)
    whole = validate([folder])
    chunked = validate([folder], chunk_size=1, workers=workers)  # pairs in separate chunks
    assert chunked.results == whole.results
    assert chunked.records == whole.records == 17
    shapes = {r.shape for r in chunked.results}
    assert {"csh:IdentifierUnique", "csh:ProbableDuplicate", "csh:IssuedNotInFuture"} <= shapes


def test_jsonld_with_a_remote_context(tmp_path: Path) -> None:
    doc = tmp_path / "harvested.jsonld"
    doc.write_text('{"@context": "https://schema.org", "@id": "https://x.org/r", "name": "R"}')
    (r,) = validate([doc]).results
    assert r.source == "syntax" and "remote @context" in r.message


# ------------------------------------------------------- broken records in cross-record checks

_RECORD = """\
- id: {id}
  title: {title}
  issued: '{issued}'
  type: report
  description: A record.
  publishers: [ilo]
  identifiers: ['{identifier}']
"""

# How validate reads the records: the build's pipeline (one chunk, chunks in two
# processes), the mapped graph (pySHACL), and records beside an RDF file (the stream).
_PATHS = {
    "pipeline": {},
    "pipeline-chunks": {"chunk_size": 1, "workers": 2},
    "pyshacl": {"engine": "pyshacl"},
    "with-rdf": {"with_rdf": True},
}


def _validate_paths(folder: Path, path: str) -> ValidationReport:
    kwargs = dict(_PATHS[path])
    sources: list[Path] = [folder]
    if kwargs.pop("with_rdf", False):
        sources.append(INVALID / "baseline.ttl")
    return validate(sources, **kwargs)  # type: ignore[arg-type]


def _two_records(folder: Path, first: dict[str, str], second: dict[str, str]) -> None:
    base = {"title": "A title", "issued": "2010", "identifier": "doi:10.1234/abc"}
    for name, fields in (("a.yaml", first), ("b.yaml", second)):
        (folder / "records" / name).write_text(
            _RECORD.format(**{**base, **fields}), encoding="utf-8"
        )


@pytest.mark.parametrize("path", list(_PATHS))
def test_broken_records_share_an_identifier(catalog_copy: Path, path: str) -> None:
    """Two records that fail to load still collide on their identifier."""
    _two_records(
        catalog_copy,
        {"id": "broken-first", "issued": "2010-13-01"},
        {"id": "broken-second", "issued": "not a date"},
    )
    report = _validate_paths(catalog_copy, path)
    loads = {r.record for r in report.results if r.source == "load"}
    assert loads == {"broken-first", "broken-second"}, report.results
    unique = _find(report, "csh:IdentifierUnique")
    assert {r.record for r in unique} == {"broken-first", "broken-second"}, report.results
    first = next(r for r in unique if r.record == "broken-first")
    assert first.file is not None and first.file.endswith("records/a.yaml")
    assert first.line == 7 and first.field == "identifiers"
    assert "broken-second (" in first.message and "b.yaml:1)" in first.message


@pytest.mark.parametrize("path", list(_PATHS))
def test_broken_and_loaded_records_share_an_identifier(catalog_copy: Path, path: str) -> None:
    _two_records(catalog_copy, {"id": "loads-fine"}, {"id": "broken-one", "issued": "2010-13-01"})
    report = _validate_paths(catalog_copy, path)
    unique = _find(report, "csh:IdentifierUnique")
    assert {r.record for r in unique} == {"loads-fine", "broken-one"}, report.results


@pytest.mark.parametrize("path", list(_PATHS))
def test_broken_records_share_an_id(catalog_copy: Path, path: str) -> None:
    _two_records(
        catalog_copy,
        {"id": "same-broken", "issued": "2010-13-01", "identifier": "doi:10.1234/one"},
        {"id": "same-broken", "issued": "not a date", "identifier": "doi:10.1234/two"},
    )
    report = _validate_paths(catalog_copy, path)
    dup = [r for r in report.results if "duplicate id 'same-broken'" in r.message]
    assert len(dup) == 1, report.results
    assert dup[0].file is not None and dup[0].file.endswith("records/b.yaml")
    assert "a.yaml:1" in dup[0].message
    assert not _find(report, "csh:IdentifierUnique")


@pytest.mark.parametrize("path", list(_PATHS))
def test_dois_compare_case_insensitively(catalog_copy: Path, path: str) -> None:
    _two_records(
        catalog_copy,
        {"id": "lower-doi", "identifier": "doi:10.1234/x"},
        {"id": "upper-doi", "identifier": "https://doi.org/10.1234/X", "issued": "2011"},
    )
    report = _validate_paths(catalog_copy, path)
    unique = _find(report, "csh:IdentifierUnique")
    assert {r.record for r in unique} == {"lower-doi", "upper-doi"}, report.results


def _broken_catalogue(folder: Path) -> Path:
    """data/ with records that fail to load, reuse an id, and break shapes."""
    shutil.copytree(DATA, folder)
    records = folder / "records"
    first = sorted(records.glob("*.yaml"))[0]
    text = first.read_text(encoding="utf-8")
    (records / "zz-reused-id.yaml").write_text(text, encoding="utf-8")  # the same id again
    (records / "zz-bad-date.yaml").write_text(
        text.replace("id: ", "id: zz-").replace("issued:", "issued: not-a-date\nold_issued:"),
        encoding="utf-8",
    )
    return folder


def _comparable(report: ValidationReport) -> tuple[object, ...]:
    return (report.records, report.checked, [dataclasses.astuple(r) for r in report.results])


@pytest.mark.parametrize(
    "options",
    [
        {"engine": "pyshacl"},
        {"engine": "pyshacl", "chunk_size": 3},
        {"with_rdf": True},
        {"engine": "pyshacl", "with_rdf": True},
    ],
    ids=["pyshacl-whole", "pyshacl-chunked", "records+rdf", "pyshacl-records+rdf"],
)
def test_every_path_maps_records_on_the_pipeline_whatever_the_workers(
    tmp_path: Path, options: dict[str, object]
) -> None:
    """The reference engine and records validated with RDF files read records through
    the pipeline (its pool with two workers, in this process with one): the same report
    either way, and the records that fail, repeat an id or break shapes all in it."""
    options = dict(options)
    sources: list[Path] = [_broken_catalogue(tmp_path / "data")]
    if options.pop("with_rdf", False):
        dump = tmp_path / "more.nt"
        dump.write_text(
            '<https://example.org/x> <http://purl.org/dc/terms/title> "x" .\n', encoding="utf-8"
        )
        sources.append(dump)
    one = validate(sources, workers=1, **options)  # type: ignore[arg-type]
    two = validate(sources, workers=2, **options)  # type: ignore[arg-type]
    assert _comparable(one) == _comparable(two)
    load = [r for r in one.results if r.source == "load"]
    assert any("duplicate id" in r.message for r in load), load
    assert any(r.field == "issued" for r in load), load
    assert one.records == len(list((tmp_path / "data" / "records").glob("*.yaml")))


def test_validation_has_no_loader_of_its_own() -> None:
    """Records reach every validation path through the pipeline (``run_chunks``): no
    loop over ``Catalogue.records()`` and no ``Mapper.record`` call in validation.py."""
    import ast

    import csec_ld.validation as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    calls = [
        n.func.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
    ]
    assert "records" not in calls
    assert "record" not in calls
    assert "run_chunks" in {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
