"""The same verdicts from pySHACL run directly on the built graph, with the shapes read by
rdflib (no csec-ld code between them): the shapes stand on their own."""

from __future__ import annotations

import logging
import random
import re
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
SH_ISBN = rdflib.URIRef("https://w3id.org/csec-ld/shapes#IsbnCheckDigit")
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


def _shapes_graph() -> rdflib.Graph:
    shapes = rdflib.Graph()
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        shapes.parse(path, format="turtle")
    return shapes


def _expression_nodes(node: object) -> int:
    """Function calls and operators in a SPARQL algebra (rdflib ``Expr`` nodes)."""
    from rdflib.plugins.sparql.parserutils import Expr

    count = 1 if isinstance(node, Expr) else 0
    if isinstance(node, dict):
        count += sum(_expression_nodes(v) for v in node.values())
    elif isinstance(node, (list, tuple)):
        count += sum(_expression_nodes(v) for v in node)
    return count


def test_sparql_rules_stay_cheap_to_parse() -> None:
    """pySHACL hands rdflib a SHACL-SPARQL query's text once per focus node, and rdflib
    parses it every time: a few milliseconds per function call or operator, far more
    than the evaluation. Small queries keep plain pySHACL linear with a small slope
    (the arithmetic ISBN check had 96 of them: 0.3 s for each record with identifiers)."""
    from rdflib.plugins.sparql import prepareQuery

    shapes = _shapes_graph()
    sizes = {}
    for shape, constraint in shapes.subject_objects(SH.sparql):
        text = str(shapes.value(constraint, SH.select))
        path = shapes.value(shape, SH.path)
        if path is not None:
            text = text.replace("$PATH", f"<{path}>")
        prefixes = "".join(
            f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>\n"
            for source in shapes.objects(constraint, SH.prefixes)
            for d in shapes.objects(source, SH.declare)
        )
        sizes[str(shape).rsplit("#", 1)[1]] = _expression_nodes(
            prepareQuery(prefixes + text).algebra
        )
    assert {"IsbnCheckDigit", "IssuedNotInFuture", "ProbableDuplicate"} <= sizes.keys()
    assert max(sizes.values()) <= 10, sizes


def _isbn_valid(digits: str) -> bool:
    if re.fullmatch(r"[0-9]{13}", digits):
        return sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
    if re.fullmatch(r"[0-9]{9}[0-9X]", digits):
        return sum((10 - i) * (10 if d == "X" else int(d)) for i, d in enumerate(digits)) % 11 == 0
    return False


def _isbn_cases() -> list[str]:
    """ISBN identifiers, right and wrong, as the records and harvested data write them."""
    rng = random.Random(5)
    cases = [
        "urn:isbn:978-92-2-125081-4",
        "urn:isbn:978-92-2-125081-1",
        "urn:isbn:0-8044-2957-X",
        "urn:isbn:080442957X",
        "urn:isbn:0-8044-2957-1",
        "urn:isbn:978-92-2",
        "urn:isbn:",
        "urn:isbn:0000000000",
        "urn:isbn:0000000000000",
        "urn:isbn:00000000000000",
        "urn:isbn:97892212508140",
        "urn:isbn:978921250814",
        "urn:isbn:080442957x",
        "urn:isbn:08044295X7",
        "urn:isbn:9789221250814X",
        "urn:isbn:9789221250814##",
        "urn:isbn:080442957X#",
        "urn:isbn: 9789221250814",
        "urn:isbn:9789221250814 ",
        "urn:isbn:--978-92-2-125081-4--",
        "urn-isbn:9789221250814",
        "URN:ISBN:9789221250814",
        "isbn:9789221250814",
        "https://example.org/9789221250814",
    ]
    for _ in range(40):
        length = rng.choice([10, 13])
        digits = [rng.choice("0123456789") for _ in range(length - 1)]
        for check in "0123456789X" if length == 10 else "0123456789":
            text = "".join(digits) + check
            if _isbn_valid(text) or rng.random() < 0.15:
                cut = rng.randrange(1, length)
                hyphens = rng.random() < 0.5
                cases.append("urn:isbn:" + (text[:cut] + "-" + text[cut:] if hyphens else text))
    return cases


def test_isbn_check_digit_rule_agrees_with_the_checksum(tmp_path: Path) -> None:
    """csh:IsbnCheckDigit computes the check digit with replacements and a regular
    expression: its verdicts are the weighted sums', in pySHACL and in our engine."""
    cases = _isbn_cases()
    dcterms = "http://purl.org/dc/terms/"
    data = rdflib.Graph()
    for i, text in enumerate(cases):
        data.add(
            (
                rdflib.URIRef(f"https://w3id.org/csec-ld/resource/isbn-{i}"),
                rdflib.URIRef(dcterms + "identifier"),
                rdflib.Literal(text),
            )
        )
    expected = {
        text
        for text in cases
        if text.startswith("urn:isbn:") and not _isbn_valid(text[9:].replace("-", ""))
    }
    assert 10 < len(expected) < len(cases) - 10

    logging.getLogger("rdflib").setLevel(logging.CRITICAL)
    _, report, _ = pyshacl.validate(
        data, shacl_graph=_shapes_graph(), advanced=True, allow_warnings=True
    )
    theirs = {str(report.value(r, SH.value)) for r in report.subjects(SH.sourceShape, SH_ISBN)}
    assert theirs == expected

    path = tmp_path / "isbns.ttl"
    data.serialize(path, format="turtle")
    ours = {r.value for r in validate([path]).results if r.shape == "csh:IsbnCheckDigit"}
    assert ours == expected
