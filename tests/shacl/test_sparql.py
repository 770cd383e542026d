"""shacl.sparql: SHACL-SPARQL constraints compiled (pre-bound ``$this``, what they read)
and run on a chunk's store with pySHACL's results (the differential tests in
test_compiled.py hold the whole engine to pySHACL; these pin the parts)."""

from __future__ import annotations

from typing import Any

import pyoxigraph
import pytest
import rdflib

from csec_ld.shacl.components import Fallback, Shape
from csec_ld.shacl.sparql import analyse, compile_sparql, run_query, store_of

EX = "http://example.org/"
SH = "http://www.w3.org/ns/shacl#"


def _constraint(select: str) -> tuple[rdflib.Graph, rdflib.BNode]:
    g = rdflib.Graph()
    node = rdflib.BNode()
    g.add((node, rdflib.URIRef(SH + "select"), rdflib.Literal(select)))
    g.add((node, rdflib.URIRef(SH + "message"), rdflib.Literal("bad {$value}")))
    return g, node


def _shape(path: str | None = None) -> Shape:
    return Shape(
        node=rdflib.URIRef(EX + "S"),
        iri=EX + "S",
        path=path,
        severity=SH + "Violation",
        messages=[],
    )


def test_what_a_query_reads_and_whether_it_stays_on_its_focus_node() -> None:
    predicates, keys, local = analyse(f"SELECT ?this WHERE {{ ?this <{EX}p> ?v }}")
    assert predicates == {EX + "p"} and keys is None and local
    join = (
        f"SELECT ?this WHERE {{ ?this <{EX}id> ?x . ?other <{EX}id> ?x . FILTER(?other != ?this) }}"
    )
    predicates, keys, local = analyse(join)
    assert keys == [(EX + "id",)] and not local  # a cross-record join on ex:id
    assert analyse("SELECT ?this WHERE { ?this ?p ?v }")[0] is None  # any predicate


@pytest.mark.parametrize(
    ("select", "why"),
    [
        ("SELECT $this WHERE { $this ?p ?o MINUS { $this ?p 1 } }", "MINUS"),
        ("SELECT $this WHERE { $this ?p $shapesGraph }", "$shapesGraph"),
        ("SELECT $this WHERE { { SELECT ?x WHERE { ?x ?p ?o } } }", "subquery"),
        ("SELECT $this WHERE { $this $PATH ?o }", "$PATH in a node shape"),
    ],
)
def test_what_pre_binding_cannot_do_exactly_falls_back(select: str, why: str) -> None:
    g, node = _constraint(select)
    with pytest.raises(Fallback, match=why.replace("$", r"\$")):
        compile_sparql(g, _shape(), node)


def test_this_is_bound_for_every_focus_node_at_once_and_results_are_pyshacls() -> None:
    g, node = _constraint("SELECT $this ?value WHERE { $this $PATH ?value FILTER(?value < 0) }")
    shape = _shape(path=EX + "n")
    check = compile_sparql(g, shape, node)
    assert f"<{EX}n>" in check.text and "%VALUES%" in check.text and check.local
    a, b, c = (pyoxigraph.NamedNode(EX + x) for x in "abc")
    n = pyoxigraph.NamedNode(EX + "n")
    integer = pyoxigraph.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    triples = [
        (a, n, pyoxigraph.Literal("-1", datatype=integer)),
        (b, n, pyoxigraph.Literal("2", datatype=integer)),
    ]
    made: list[dict[str, Any]] = []

    def raw(shape: Shape, focus: str, component: str, value: Any, **kw: Any) -> dict[str, Any]:
        made.append({"focus": focus, "component": component, "value": value, **kw})
        return made[-1]

    out = run_query(store_of(triples, None), shape, check, [a, b, c], raw)
    assert [r["focus"] for r in out] == [EX + "a"]  # one query for the three focus nodes
    assert out[0]["component"] == SH + "SPARQLConstraintComponent"
    assert out[0]["message"] == "bad -1"  # {$value} filled in as pySHACL does
    assert run_query(store_of(triples, None), shape, check, [], raw) == []
