"""SHACL-SPARQL constraints on the compiled engine: compiled from the shapes graph
(:func:`compile_sparql`, with what each query reads: :func:`analyse`) and run on a
pyoxigraph store of a chunk's triples (:func:`run_query`), with pySHACL's results.

A constraint is run for many focus nodes at once: ``$this`` becomes ``?this``, bound by a
``VALUES`` block; one that pre-binding cannot express exactly (``MINUS``, ``VALUES``,
``SERVICE``, a subquery, ``$shapesGraph``, ``$currentShape``) falls back to pySHACL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyoxigraph
import rdflib
from rdflib.namespace import SH as _SH

from .components import Fallback, Shape, SparqlCheck
from .results import rdflib_term
from .terms import SH

__all__ = ["analyse", "compile_sparql", "indexed_store", "run_query", "store_of"]


def _prefixes(g: rdflib.Graph, sparql: Any) -> str:
    out = []
    for source in g.objects(sparql, _SH.prefixes):
        for decl in g.objects(source, _SH.declare):
            prefix, ns = g.value(decl, _SH.prefix), g.value(decl, _SH.namespace)
            if prefix is not None and ns is not None:
                out.append(f"PREFIX {prefix}: <{ns}>\n")
    return "".join(sorted(out))


def compile_sparql(g: rdflib.Graph, shape: Shape, node: Any) -> SparqlCheck:
    """The SPARQL constraint *node* of *shape* (in the shapes graph *g*), compiled:
    :class:`Fallback` when pySHACL must run it (pre-binding it cannot do exactly)."""
    select = g.value(node, _SH.select)
    if select is None:
        raise Fallback("a SPARQL constraint without sh:select")
    text = str(select)
    if re.search(r"[\$\?](shapesGraph|currentShape)\b", text):
        raise Fallback("$shapesGraph or $currentShape in a SPARQL constraint")
    if (
        re.search(r"\b(MINUS|VALUES|SERVICE)\b", text, re.I)
        or len(re.findall(r"\bSELECT\b", text, re.I)) != 1
    ):
        raise Fallback("SPARQL with MINUS, VALUES, SERVICE or a subquery (pre-binding)")
    if shape.path is not None:
        text = re.sub(r"([\s{}()])[\$\?]PATH", lambda m: f"{m.group(1)}<{shape.path}>", text)
    elif re.search(r"[\$\?]PATH\b", text):
        raise Fallback("$PATH in a node shape")
    text = re.sub(r"\$this\b", "?this", text)
    head, brace, body = text.partition("{")
    if not brace:
        raise Fallback("a SPARQL query without a WHERE group")
    projection = head[re.search(r"\bSELECT\b", head, re.I).end() :]  # type: ignore[union-attr]
    projects_this = (
        bool(re.search(r"\?this\b", projection))
        or projection.strip().startswith("*")
        or re.match(r"\s*(DISTINCT|REDUCED)\s+\*", projection, re.I) is not None
    )
    if not projects_this:
        head = re.sub(
            r"\bSELECT(\s+(DISTINCT|REDUCED))?", r"\g<0> ?this", head, count=1, flags=re.I
        )
    full = _prefixes(g, node) + head + "{ VALUES ?this { %VALUES% } " + body
    predicates, keys, local = analyse(full.replace("%VALUES%", ""))
    messages = [m for m in g.objects(node, _SH.message) if isinstance(m, rdflib.Literal)]
    return SparqlCheck(node, full, projects_this, messages, predicates, keys, local)


def analyse(text: str) -> tuple[set[str] | None, list[tuple[str, ...]] | None, bool]:
    """The predicates a query reads, its cross-record join (see :class:`CrossIndex`),
    and whether it reads only ``$this``'s own triples."""
    from rdflib.plugins.sparql import prepareQuery

    try:
        algebra = prepareQuery(text).algebra
    except Exception as exc:  # rdflib raises many kinds for queries it cannot parse
        raise Fallback(f"a SPARQL query rdflib cannot parse: {exc}") from exc
    triples: list[tuple[Any, Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "triples" and isinstance(v, list):
                    triples.extend(tuple(t) for t in v)
                else:
                    walk(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v)

    walk(algebra)
    predicates: set[str] | None = set()
    for _, p, _ in triples:
        if isinstance(p, rdflib.URIRef) and predicates is not None:
            predicates.add(str(p))
        else:
            predicates = None
    this = rdflib.Variable("this")
    local = bool(triples) and all(s == this and isinstance(p, rdflib.URIRef) for s, p, _ in triples)
    this_side = {
        o: str(p)
        for s, p, o in triples
        if s == this and isinstance(p, rdflib.URIRef) and isinstance(o, rdflib.Variable)
    }
    keys: list[tuple[str, ...]] = []
    others = {s for s, _, _ in triples if isinstance(s, rdflib.Variable) and s != this}
    for other in sorted(others):
        shared = {
            o: str(p)
            for s, p, o in triples
            if s == other and isinstance(p, rdflib.URIRef) and o in this_side
        }
        if not shared:
            continue
        if any(this_side[v] != p for v, p in shared.items()):
            return predicates, None, local
        keys.append(tuple(sorted(shared.values())))
    return predicates, (keys or None), local


def store_of(triples: Iterable[Any], predicates: set[str] | None) -> pyoxigraph.Store:
    """A store of *triples* (those with *predicates*; None: all)."""
    store = pyoxigraph.Store()
    store.extend(
        pyoxigraph.Quad(s, p, o)
        for s, p, o in triples
        if predicates is None or p.value in predicates
    )
    return store


def indexed_store(
    index: dict[str, Any], nodes: dict[str, Any], triples: Sequence[Any], predicates: set[str]
) -> pyoxigraph.Store:
    """A store of *triples* (the ones being checked) with these predicates, from their
    *index* and *nodes* (:func:`~csec_ld.shacl.terms.index_triples`).

    They go in as N-Triples text, written by our N-Triples writer: a
    ``pyoxigraph.Quad`` around a literal costs several microseconds to build,
    parsing the line a fraction of that.
    """
    from ..serialize import NTriplesWriter

    chosen: list[tuple[Any, Any, Any]] = []
    named: dict[str, pyoxigraph.NamedNode] = {}
    for skey, props in index.items():
        wanted = predicates.intersection(props)
        if not wanted:
            continue
        subject = nodes[skey]
        if isinstance(subject, pyoxigraph.BlankNode):
            return store_of(triples, predicates)  # labels must stay as they are
        for p in wanted:
            node = named.get(p) or named.setdefault(p, pyoxigraph.NamedNode(p))
            for o in props[p]:
                if isinstance(o, pyoxigraph.BlankNode):
                    return store_of(triples, predicates)
                chosen.append((subject, node, o))
    store = pyoxigraph.Store()
    store.load(NTriplesWriter.render(chosen), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def run_query(
    store: pyoxigraph.Store, shape: Shape, q: SparqlCheck, focus: list[Any], raw: Callable[..., Any]
) -> list[Any]:
    """The results of one SPARQL constraint for *focus* nodes, as pySHACL reports them
    (each made by *raw*, :meth:`Compiled._raw`)."""
    out: list[Any] = []
    unique = {f for f in focus if not isinstance(f, pyoxigraph.Literal)}
    if not unique:
        return out
    values = " ".join(str(f) for f in sorted(unique, key=str))
    solutions = store.query(q.text.replace("%VALUES%", values))
    assert isinstance(solutions, pyoxigraph.QuerySolutions)  # SELECT queries only
    variables = [v.value for v in solutions.variables]
    seen: set[Any] = set()
    for solution in solutions:
        row = {name: solution[name] for name in variables if solution[name] is not None}
        this = row.pop("this", None)
        path = row.pop("path", None)
        value = row.pop("value", None)
        failure = row.pop("failure", None)
        if this is None or failure is not None:
            continue  # not produced by these queries (no ?failure in SELECT constraints here)
        key = (this, path, value, tuple(sorted((k, str(v)) for k, v in row.items())))
        if key in seen:
            continue
        seen.add(key)
        if value is None and shape.path is None:
            value = this
        bound: dict[str, Any] = {k: rdflib_term(v) for k, v in row.items()}
        if q.projects_this:
            bound["this"] = rdflib_term(this)
        if path is not None:
            bound["path"] = rdflib_term(path)
        if value is not None:
            bound["value"] = rdflib_term(value)
        messages = list(shape.messages) + [m for m in q.messages if m not in shape.messages]
        texts = []
        for m in messages:
            msg = str(m.value) if m.value is not None else str(m)
            for var, val in bound.items():
                msg = re.sub(f"{{[?$]{var}}}", str(val), msg)  # as pySHACL
            texts.append(msg)
        fkey = this.value if not isinstance(this, pyoxigraph.BlankNode) else "_:" + this.value
        out.append(
            raw(
                shape,
                fkey,
                SH + "SPARQLConstraintComponent",
                value,
                message=min(texts) if texts else None,
                path=path.value if isinstance(path, pyoxigraph.NamedNode) else None,
            )
        )
    return out
