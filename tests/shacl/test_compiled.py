"""The compiled shapes (csec_ld.shacl) against pySHACL, the reference: identical results
on generated catalogues with injected errors of every kind, on harvested RDF, on the negative
fixtures, in chunks and in the build's single pass."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pyoxigraph
import pytest

from csec_ld.build import build, ensure_valid
from csec_ld.errors import DataError, UsageError
from csec_ld.shacl import CrossEntry, CrossIndex, compile_shapes
from csec_ld.validation import ValidationResult, load_shapes, validate
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import synth

INVALID = Path(__file__).resolve().parents[1] / "fixtures" / "invalid"
#: The injected errors that reach the shapes (the others stop in the record loader).
SHAPE_ERRORS = synth.ERRORS[synth.ERRORS.index("future-date") :]


def _keys(results: list[ValidationResult]) -> list[tuple[object, ...]]:
    """Everything a result says, the value's RDF term included."""
    return [
        (
            r.focus,
            r.path,
            r.component,
            r.severity,
            r.value,
            r.term,
            r.shape,
            r.message,
            r.file,
            r.line,
            r.record,
            r.field,
            r.source,
        )
        for r in results
    ]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """240 records, a third of them with an error of a kind that reaches the shapes, plus
    a few that the loader refuses."""
    folder = tmp_path_factory.mktemp("fast") / "cat"
    synth.generate(240, folder, seed=7, error_rate=0.35, kinds=SHAPE_ERRORS)
    with (folder / "records.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(
            '{"id": "resource-0000003", "title": "Reused id", "issued": "2001", "type": "report"}\n'
        )
        fh.write('{"id": "bad-date", "title": "Bad", "issued": "2010-13-01", "type": "report"}\n')
    return folder


@pytest.fixture(scope="module")
def reference(catalogue: Path) -> list[ValidationResult]:
    return validate([catalogue], engine="pyshacl", chunk_size=10**6).results


def test_our_shapes_compile_without_fallback() -> None:
    compiled = compile_shapes(load_shapes())
    assert compiled.fallback == {}
    assert not compiled.everything_falls_back
    assert len(compiled.cross) == 2
    assert all(q.keys for _, q in compiled.cross)  # both join records on values


def test_every_injected_kind_shows(reference: list[ValidationResult]) -> None:
    shapes = {r.shape for r in reference}
    assert {
        "csh:IssuedNotInFuture",
        "csh:ModifiedNotInFuture",
        "csh:TitleMarkup",
        "csh:TitleNotOnlyMarkup",
        "csh:IdentifierUnique",
        "csh:ProbableDuplicate",
        "csh:DescriptionRecommended",
        "csh:DescriptionLength",
        "csh:LanguageRecommended",
        "csh:PublisherRecommended",
        "csh:record",
    } <= {s.replace("csec-ld:", "csh:") for s in shapes if s}


@pytest.mark.parametrize(("chunk_size", "workers"), [(10**6, 1), (37, 1), (37, 2)])
def test_records_same_results_as_pyshacl(
    catalogue: Path, reference: list[ValidationResult], chunk_size: int, workers: int
) -> None:
    fast = validate([catalogue], chunk_size=chunk_size, workers=workers)
    assert _keys(fast.results) == _keys(reference)


@pytest.fixture(scope="module")
def harvested(catalogue: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalogue as N-Triples, a fifth of its records mutated (every RDF error kind)."""
    out = tmp_path_factory.mktemp("harvested")
    clean = out / "clean"
    synth.generate(160, clean, seed=11)
    build([clean], out / "dist", formats=["nt"])
    path = out / "harvested.nt"
    path.write_bytes(synth.mutate_rdf((out / "dist" / "catalog.nt").read_bytes(), rate=0.4))
    return path


def test_rdf_input_same_results_as_pyshacl(harvested: Path, tmp_path: Path) -> None:
    reference = validate([harvested], engine="pyshacl").results
    assert len({r.shape for r in reference}) > 30  # every mutation breaks some rule
    assert _keys(validate([harvested]).results) == _keys(reference)
    # The same graph as Turtle (other line numbers, same verdicts).
    ttl = tmp_path / "harvested.ttl"
    triples = list(pyoxigraph.parse(harvested.read_bytes(), format=pyoxigraph.RdfFormat.N_TRIPLES))
    ttl.write_bytes(pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.TURTLE))
    assert _keys(validate([ttl]).results) == _keys(validate([ttl], engine="pyshacl").results)


FIXTURES = sorted(
    p.name
    for p in INVALID.iterdir()
    if p.suffix in (".ttl", ".yaml", ".jsonld") and p.name not in ("catalog.yaml", "agents.yaml")
)


@pytest.mark.parametrize("fixture", FIXTURES)
def test_negative_fixture_same_results(fixture: str) -> None:
    fast = validate([INVALID / fixture])
    slow = validate([INVALID / fixture], engine="pyshacl")
    assert _keys(fast.results) == _keys(slow.results)
    assert fast.records == slow.records


def test_unknown_engine() -> None:
    with pytest.raises(UsageError, match="unknown validation engine"):
        validate([INVALID / "baseline.ttl"], engine="jena")


# --------------------------------------------------------------------------- fallback

CUSTOM_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> .

ex:Typed a sh:NodeShape ;
    sh:targetSubjectsOf dcterms:type ;
    sh:property ex:HasReport , ex:TitleShort , ex:NoMessage .

ex:HasReport a sh:PropertyShape ;
    sh:path dcterms:type ;
    sh:hasValue <https://w3id.org/csec-ld/type/report> ;
    sh:message "Not a report." .

ex:TitleShort a sh:PropertyShape ;
    sh:path dcterms:title ;
    sh:maxLength 30 ;
    sh:severity sh:Info ;
    sh:message "Short titles read better." .

ex:NoMessage a sh:PropertyShape ;
    sh:path dcterms:language ;
    sh:minCount 1 .

ex:OneRecord a sh:NodeShape ;
    sh:targetNode <https://w3id.org/csec-ld/resource/resource-0000000> ;
    sh:property ex:LongTitle .

ex:LongTitle a sh:PropertyShape ;
    sh:path dcterms:title ;
    sh:minLength 200 ;
    sh:message "Titles of this one are long." .
"""


def test_uncompiled_shapes_fall_back_to_pyshacl(tmp_path: Path, harvested: Path) -> None:
    shapes = tmp_path / "custom.ttl"
    shapes.write_text(CUSTOM_SHAPES, encoding="utf-8")
    compiled = compile_shapes(load_shapes(shapes))
    assert set(compiled.fallback) == {
        "http://example.org/HasReport",
        "http://example.org/NoMessage",
        "http://example.org/OneRecord",  # sh:targetNode
        "http://example.org/LongTitle",  # a property of it: its results name it
    }
    assert "sh:hasValue" in compiled.fallback["http://example.org/HasReport"]
    fast = validate([harvested], shapes=shapes)
    slow = validate([harvested], shapes=shapes, engine="pyshacl")
    assert _keys(fast.results) == _keys(slow.results)
    assert {r.component for r in fast.results} >= {
        "sh:HasValueConstraintComponent",
        "sh:MaxLengthConstraintComponent",
        "sh:MinLengthConstraintComponent",
    }


# --------------------------------------------------------------------------- build


def _problems(fn: object) -> list[str]:
    try:
        fn()  # type: ignore[operator]
    except DataError as exc:
        return [str(e) for e in exc.errors]
    return []


@pytest.mark.parametrize("workers", [1, 2])
def test_build_single_pass_reports_what_validate_reports(
    catalogue: Path, tmp_path: Path, workers: int
) -> None:
    expected = _problems(lambda: ensure_valid([catalogue], workers=1))
    assert len(expected) > 20
    out = tmp_path / "dist"
    got = _problems(lambda: build([catalogue], out, workers=workers))
    assert got == expected
    assert not out.exists()
    assert not list(tmp_path.iterdir())  # the temporary folder went too


def test_build_cross_record_rules_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from csec_ld import pipeline

    folder = tmp_path / "cat"
    synth.generate(60, folder, seed=3, error_rate=0.5, kinds=["reused-identifier"])
    expected = _problems(lambda: ensure_valid([folder], workers=1))
    assert any("also given by" in e for e in expected)
    original = pipeline.raw_chunks
    monkeypatch.setattr(pipeline, "raw_chunks", lambda cat, size=7: original(cat, 7))
    assert _problems(lambda: build([folder], tmp_path / "dist", workers=2)) == expected


@pytest.mark.parametrize("workers", [1, 2])
def test_validating_build_writes_the_same_bytes(tmp_path: Path, workers: int) -> None:
    folder = tmp_path / "cat"
    synth.generate(50, folder, seed=5, error_rate=0.5, kinds=["markup-title", "sparse"])
    checked = build([folder], tmp_path / "a", workers=workers)
    unchecked = build([folder], tmp_path / "b", workers=1, validate=False)
    for fmt in ("ttl", "nt", "jsonld"):
        assert checked.files[fmt].read_bytes() == unchecked.files[fmt].read_bytes()


def test_build_without_validation_writes_despite_violations(tmp_path: Path) -> None:
    folder = tmp_path / "cat"
    shutil.copytree(ROOT / "data", folder)
    shutil.copy(INVALID / "issued-future.yaml", folder / "records")
    with pytest.raises(DataError, match=r"issued-future\.yaml:3: issued-future: issued"):
        build([folder], tmp_path / "dist")
    assert build([folder], tmp_path / "dist", validate=False).records == 11


def test_cross_index_files_packed_entries_as_it_files_entries() -> None:
    """Workers pack a chunk's cross-record entries (the main process files the bytes as
    they are): the index finds the same collisions and gives back the same entries."""
    nt = b'<https://w3id.org/csec-ld/resource/a> <http://purl.org/dc/terms/identifier> "x" .\n'
    chunks = [
        ([CrossEntry("https://w3id.org/csec-ld/resource/a", (0,))], [[7]], nt),
        (
            [
                CrossEntry("https://w3id.org/csec-ld/resource/b", (0,)),
                CrossEntry("https://w3id.org/csec-ld/resource/c", (0,)),
            ],
            [[8], [7]],
            b"",
        ),
    ]
    found = []
    for packed in (False, True):
        index = CrossIndex()
        try:
            for entries, keys, ntriples in chunks:
                if packed:
                    index.add_packed(CrossIndex.pack(entries, ntriples), keys)
                else:
                    index.add(entries, keys, ntriples)
            found.append((sorted(index.colliding), index.entries()))
        finally:
            index.close()
    assert found[0] == found[1]
    assert found[0][0] == [0, 2]  # a and c share key 7
    entries, triples = found[0][1]
    assert [e.iri.rsplit("/", 1)[1] for e in entries] == ["a", "c"]
    assert len(triples) == 1
