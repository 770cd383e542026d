"""The same verdicts from pySHACL run directly on the built graph, with the shapes read by
rdflib (no csec-ld code between them): the shapes stand on their own."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pyoxigraph
import pyshacl
import pytest
import rdflib
from rdflib.namespace import SH

from csec_ld.mapping import Mapper
from csec_ld.sources import open_catalog
from csec_ld.validation import validate
from tests.conftest import DATA, ROOT

INVALID = Path(__file__).resolve().parent / "fixtures" / "invalid"
RESULT_KEYS = (
    SH.focusNode,
    SH.resultPath,
    SH.sourceShape,
    SH.resultSeverity,
    SH.sourceConstraintComponent,
    SH.value,
)


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalogue whose records all load, some with SHACL violations and warnings."""
    folder = tmp_path_factory.mktemp("pyshacl") / "data"
    (folder / "records").mkdir(parents=True)
    for name in ("catalog.yaml", "agents.yaml"):
        shutil.copy(DATA / name, folder / name)
    shutil.copy(DATA / "records" / "tracer-study-paraguay-2012.yaml", folder / "records")
    for name in (
        "issued-future.yaml",
        "identifier-reused.yaml",
        "probable-duplicate.yaml",
        "title-only-markup.yaml",
    ):
        shutil.copy(INVALID / name, folder / "records" / name)
    return folder


@pytest.fixture(scope="module")
def built(catalogue: Path) -> Path:
    """The catalogue's graph as `build` maps it (every profile), written as Turtle."""
    cat = open_catalog([catalogue])
    mapper = Mapper(cat)
    triples = [t for record in cat.records() for t in mapper.record(record)]
    triples += [t for block in mapper.support() for t in block]
    assert not cat.errors
    out = catalogue.parent / "catalog.ttl"
    out.write_bytes(pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.TURTLE))
    return out


def _ours(report_results: list) -> set[tuple[str, ...]]:
    def full(compact: str | None) -> str | None:
        from csec_ld.validation import REPORT_PREFIXES

        if compact is None:
            return None
        prefix, _, local = compact.partition(":")
        return REPORT_PREFIXES[prefix] + local

    return {
        (
            r.focus,
            full(r.path),
            full(r.shape),
            "http://www.w3.org/ns/shacl#" + r.severity.value.capitalize(),
            full(r.component),
            r.term,
        )
        for r in report_results
        if r.source == "shacl"
    }


def _theirs(graph: rdflib.Graph) -> set[tuple[str, ...]]:
    out = set()
    for node in graph.subjects(rdflib.RDF.type, SH.ValidationResult):
        values = [graph.value(node, p) for p in RESULT_KEYS]
        out.add(
            tuple(
                None if v is None else (v.n3() if p == SH.value else str(v))
                for p, v in zip(RESULT_KEYS, values, strict=True)
            )
        )
    return out


def test_pyshacl_directly_gives_the_same_verdicts(catalogue: Path, built: Path) -> None:
    shapes = rdflib.Graph()
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        shapes.parse(path, format="turtle")
    logging.getLogger("rdflib").setLevel(logging.CRITICAL)
    conforms, report_graph, _ = pyshacl.validate(
        rdflib.Graph().parse(built, format="turtle"),
        shacl_graph=shapes,
        advanced=True,
        allow_warnings=True,
    )
    theirs = _theirs(report_graph)

    from_records = validate([catalogue])
    from_dump = validate([built])
    assert conforms is False and not from_records.conforms and not from_dump.conforms
    assert _ours(from_records.results) == theirs
    assert _ours(from_dump.results) == theirs
    shapes_hit = {t[2].rsplit("#", 1)[1] for t in theirs}
    assert {
        "IssuedNotInFuture",
        "IdentifierUnique",
        "ProbableDuplicate",
        "TitleNotOnlyMarkup",
        "TitleMarkup",
        "LanguageRecommended",
    } <= shapes_hit
