"""The published dumps are self-sufficient: what VoID lists as ``void:dataDump`` holds
everything the named queries need (the vocabulary too), so a harvester that loads the
dumps alone gets the same rows as ``csec-ld query``."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from csec_ld.query import example_parameters, named_queries
from csec_ld.site.publish import publish
from csec_ld.store import open_engine
from tests.conftest import DATA

VOID = "http://rdfs.org/ns/void#"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish([DATA], tmp_path_factory.mktemp("dumps") / "site").out_dir


def _dumps(site: Path) -> list[str]:
    void = ox.Store()
    void.load(path=str(site / "void.ttl"), format=ox.RdfFormat.TURTLE)
    return sorted(
        str(q.object.value)
        for q in void.quads_for_pattern(None, ox.NamedNode(VOID + "dataDump"), None)
    )


def test_void_lists_the_vocabulary_as_a_dump(site: Path) -> None:
    names = {iri.rsplit("/", 1)[1] for iri in _dumps(site)}
    assert "ontology.ttl" in names
    assert {"catalog.ttl", "catalog.nt", "catalog.jsonld"} <= names
    for name in names:
        assert (site / name).is_file(), name


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_named_queries_give_the_same_rows_on_the_dumps_alone(site: Path, name: str) -> None:
    store = ox.Store()
    for iri in _dumps(site):  # one copy of the graph: the uncompressed Turtle dumps
        fname = iri.rsplit("/", 1)[1]
        if fname.endswith(".ttl"):
            store.load(path=str(site / fname), format=ox.RdfFormat.TURTLE)
    query = named_queries()[name]
    example = query.examples[0] if query.examples else f"csec-ld query {name}"
    values: dict[str, list[str]] = {}
    for key, value in example_parameters(example, name) or []:
        if query.parameters and any(p.name == key for p in query.parameters):
            values.setdefault(key, []).append(value)
    text = query.bind(values)
    with open_engine(data=[DATA]) as engine:
        ours = engine.query(text)
    theirs = store.query(text)
    if ours.kind == "ask":
        assert bool(theirs) == ours.boolean
    elif ours.kind == "graph":
        assert sorted((str(t.subject), str(t.predicate), str(t.object)) for t in theirs) == sorted(
            (str(t.subject), str(t.predicate), str(t.object)) for t in ours.triples
        )
    else:
        got = sorted(
            tuple(str(s[v]) if s[v] is not None else "" for v in ours.variables) for s in theirs
        )  # type: ignore[union-attr]
        want = sorted(
            tuple(str(r.get(v)) if r.get(v) is not None else "" for v in ours.variables)
            for r in ours.rows
        )
        assert got == want, name
