"""A shapes graph compiled: :class:`Compiled` reads the shapes (any shapes, not only
ours) into :mod:`~csec_ld.shacl.components`, says which fall back to pySHACL and why,
and checks a chunk's triples; :func:`compile_shapes` caches it per graph."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyoxigraph
import rdflib
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import RDFS as _RDFS
from rdflib.namespace import SH as _SH

from ..memory import paused_gc
from .components import (
    ALL_PARAMS,
    COMPILED_PARAMS,
    VALUE_PARAMS,
    Fallback,
    Memo,
    Shape,
    SparqlCheck,
    StreamContext,
    StreamPlan,
    Target,
    ValueCheck,
    generate_checks,
    has_core,
    value_check,
)
from .cross import CrossEntry
from .results import RawResult, nt_text, rdflib_term
from .sparql import compile_sparql, indexed_store, run_query, store_of
from .terms import (
    CROSS_RECORD,
    RDF_TYPE,
    SH,
    SUBCLASS_OF,
    index_triples,
    node_key,
    term_key,
)


class _Parameters:
    """A shape's parameters, as the value components read them."""

    def __init__(self, compiled: Compiled, node: Any) -> None:
        self.graph = compiled.graph
        self._compiled = compiled
        self._node = node

    def one(self, name: str) -> Any:
        return self._compiled._one(self._node, name)

    def optional(self, name: str) -> Any:
        return self.graph.value(self._node, _SH[name])


class Compiled:
    """Compiled shapes: run :meth:`check` on a chunk's triples for pySHACL's results."""

    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = graph
        self.targets: list[Target] = []
        self.fallback: dict[str, str] = {}  # shape -> why it runs on pySHACL
        self.everything_falls_back = False
        self._compile()
        self.cross: list[tuple[Shape, SparqlCheck]] = [
            (s, q) for t in self.targets for s in t.shapes if s.cross for q in s.sparql
        ]
        self._cross_number = {id(q): n for n, (_, q) in enumerate(self.cross)}
        #: The target specs with sh:targetObjectsOf, numbered (see :meth:`stream_plan`).
        self.spec_numbers: dict[tuple[tuple[str, ...], ...], int] = {}
        for t in self.targets:
            if t.objects_of:
                spec = (tuple(t.classes), tuple(t.subjects_of), tuple(t.objects_of))
                self.spec_numbers.setdefault(spec, len(self.spec_numbers))
        self._plans: dict[tuple[int, ...], Callable[[Iterable[Any], Any, list], None]] = {}
        self.index: dict[str, dict[str, dict[Any, None]]] = {}
        self._nodes: dict[str, Any] = {}

    def stream_plan(self) -> StreamPlan:
        """What :meth:`check` reads of a chunk, for a stream cutting a graph by subject."""
        read: set[str] | None = set()
        subjects_of: set[str] = set()
        classes: set[str] = set()
        nonlocal_shapes: set[str] = set()
        anonymous = False
        for t in self.targets:
            subjects_of.update(t.subjects_of)
            classes.update(t.classes)
            for shape in t.shapes:
                wanted = [shape.path, *shape.equals] if shape.path else list(shape.equals)
                for q in shape.sparql:
                    if not q.local and not shape.cross:
                        if shape.iri is None:
                            anonymous = True
                        nonlocal_shapes.add(shape.iri or "")
                        continue
                    if q.predicates is None:
                        read = None
                    else:
                        wanted += q.predicates
                if read is not None:
                    read.update(p for p in wanted if p)
        if classes and read is not None:
            read |= {RDF_TYPE, SUBCLASS_OF}
        specs = [(frozenset(s), frozenset(o), c) for c, s, o in self.spec_numbers]
        return StreamPlan(
            read=None if read is None else frozenset(read),
            existence=frozenset(subjects_of - (read or set())) if read is not None else frozenset(),
            specs=tuple(specs),
            classes=frozenset(classes),
            nonlocal_shapes=frozenset(nonlocal_shapes - {""}),
            anonymous_nonlocal=anonymous,
        )

    # ----------------------------------------------------------------- compiling

    def _compile(self) -> None:
        g = self.graph
        targeted: set[Any] = set()
        for p in (_SH.targetClass, _SH.targetSubjectsOf, _SH.targetObjectsOf, _SH.targetNode):
            targeted.update(g.subjects(p, None))
        for node in (
            set(g.subjects(_RDF.type, _SH.NodeShape))
            | set(g.subjects(_RDF.type, _SH.PropertyShape))
        ) & set(g.subjects(_RDF.type, _RDFS.Class)):
            targeted.add(node)  # implicit class targets
        for node in sorted(targeted, key=str):
            if self._deactivated(node):
                continue
            try:
                self.targets.append(self._target(node))
            except Fallback as exc:
                self._fall_back(node, str(exc))
                for prop in self.graph.objects(node, _SH.property):  # results name these
                    self._fall_back(prop, f"in {node}, which falls back: {exc}")

    def _fall_back(self, node: Any, why: str) -> None:
        if not isinstance(node, rdflib.URIRef):
            self.everything_falls_back = True
        self.fallback[str(node)] = why

    def _deactivated(self, node: Any) -> bool:
        value = self.graph.value(node, _SH.deactivated)
        return bool(isinstance(value, rdflib.Literal) and value.value is True)

    def _target(self, node: Any) -> Target:
        g = self.graph
        if g.value(node, _SH.targetNode) is not None:
            raise Fallback("sh:targetNode")
        if (node, _RDF.type, _RDFS.Class) in g:
            raise Fallback("implicit class target")
        shapes: list[Shape] = []
        own = self._shape(node)
        if own is not None:
            shapes.append(own)
        if g.value(node, _SH.path) is None:
            for prop in sorted(g.objects(node, _SH.property), key=str):
                if self._deactivated(prop):
                    continue
                try:
                    shape = self._shape(prop)
                except Fallback as exc:
                    self._fall_back(prop, str(exc))
                    continue
                if shape is not None:
                    shapes.append(shape)
        return Target(
            [str(o) for o in g.objects(node, _SH.targetClass)],
            [str(o) for o in g.objects(node, _SH.targetSubjectsOf)],
            [str(o) for o in g.objects(node, _SH.targetObjectsOf)],
            shapes,
        )

    def _params(self, node: Any) -> set[str]:
        return {
            str(p)[len(SH) :]
            for p in self.graph.predicates(node, None)
            if str(p).startswith(SH) and str(p)[len(SH) :] in ALL_PARAMS
        }

    def _one(self, node: Any, name: str) -> Any:
        values = list(self.graph.objects(node, _SH[name]))
        if len(values) != 1:
            raise Fallback(f"{len(values)} values of sh:{name}")
        return values[0]

    def _shape(self, node: Any) -> Shape | None:
        """A node shape's own constraints, or a property shape; None when it has none."""
        g = self.graph
        params = self._params(node)
        is_property = g.value(node, _SH.path) is not None
        if not is_property:
            params.discard("property")
        if not params:
            return None
        unknown = params - COMPILED_PARAMS
        if unknown:
            raise Fallback("uncompiled " + ", ".join(f"sh:{p}" for p in sorted(unknown)))
        path = None
        if is_property:
            p = self._one(node, "path")
            if not isinstance(p, rdflib.URIRef):
                raise Fallback("a path that is not one predicate")
            path = str(p)
        messages = [m for m in g.objects(node, _SH.message) if isinstance(m, rdflib.Literal)]
        sparql_nodes = list(g.objects(node, _SH.sparql))
        if not messages and (params - {"sparql"} or not sparql_nodes):
            raise Fallback("no sh:message (pySHACL writes its own)")
        severity = g.value(node, _SH.severity)
        shape = Shape(
            node=node,
            iri=str(node) if isinstance(node, rdflib.URIRef) else None,
            path=path,
            severity=str(severity) if severity is not None else SH + "Violation",
            messages=messages,
            cross=bool(g.value(node, CROSS_RECORD)),
        )
        if "minCount" in params:
            shape.min_count = int(self._one(node, "minCount"))
        if "maxCount" in params:
            shape.max_count = int(self._one(node, "maxCount"))
        if not is_property and params & {"minCount", "maxCount", "equals", "uniqueLang"}:
            raise Fallback("a node shape with property constraints")
        shape.values = self._value_check(node, params)
        shape.values.memoised()
        for other in g.objects(node, _SH.equals):
            if not isinstance(other, rdflib.URIRef):
                raise Fallback("sh:equals with a complex path")
            shape.equals.append(str(other))
        if "uniqueLang" in params:
            value = self._one(node, "uniqueLang")
            shape.unique_lang = bool(isinstance(value, rdflib.Literal) and value.value is True)
        for lst in g.objects(node, _SH["or"]):
            members = []
            for member in rdflib.collection.Collection(g, lst):
                mparams = self._params(member)
                if g.value(member, _SH.path) is not None or mparams - VALUE_PARAMS:
                    raise Fallback("sh:or of shapes other than value constraints")
                if self._deactivated(member):
                    continue
                check = self._value_check(member, mparams)
                check.memoised()
                members.append(check)
            if not members:
                raise Fallback("sh:or of deactivated shapes")
            shape.ors.append(Memo(lambda v, ms=members: any(m.conforms(v) for m in ms)))
        for sparql in sparql_nodes:
            if self._deactivated(sparql):
                continue
            shape.sparql.append(self._sparql(shape, sparql))
        return shape

    def _value_check(self, node: Any, params: set[str]) -> ValueCheck:
        return value_check(_Parameters(self, node), params)

    def _sparql(self, shape: Shape, node: Any) -> SparqlCheck:
        return compile_sparql(self.graph, shape, node)

    # ----------------------------------------------------------------- checking

    def check(
        self,
        triples: Iterable[Any],
        *,
        skip_focus: set[str] | None = None,
        focus_only: set[str] | None = None,
        cross_only: bool = False,
        cross_focus: dict[str, set[int]] | None = None,
        min_rank: int = 0,
        stream: StreamContext | None = None,
    ) -> list[Any]:
        """pySHACL's results on the graph of *triples* (as ``RawResult`` values).

        *skip_focus* leaves out results on those focus nodes; *cross_only* runs only the
        cross-record constraints, on *focus_only* nodes. *cross_focus*, if given, gets
        the focus nodes of each cross-record constraint (by its number in :attr:`cross`),
        and those constraints are left to the caller's :class:`CrossIndex`.
        *min_rank* (3: violations, 2: and warnings) skips the shapes of lower severity.
        *stream* says the triples are a chunk of a larger graph holding every triple of
        each of its subjects (see :meth:`stream_plan`).
        """
        triples = triples if isinstance(triples, list) else list(triples)
        with paused_gc():
            return self._check(
                triples, skip_focus, focus_only, cross_only, cross_focus, min_rank, stream
            )

    def _check(
        self,
        triples: list[Any],
        skip_focus: set[str] | None,
        focus_only: set[str] | None,
        cross_only: bool,
        cross_focus: dict[str, set[int]] | None,
        min_rank: int,
        stream: StreamContext | None = None,
    ) -> list[Any]:
        index, nodes = index_triples(triples)
        self.index = index  # kept for :meth:`cross_entries` after a check
        self._nodes = nodes
        out: list[Any] = []
        sparql_work: dict[int, tuple[Shape, SparqlCheck, list[Any]]] = {}
        found: dict[tuple[tuple[str, ...], ...], dict[str, Any]] = {}  # per target spec
        for target in self.targets:
            spec = (tuple(target.classes), tuple(target.subjects_of), tuple(target.objects_of))
            focus = found.get(spec)  # shapes with the same targets share their focus nodes
            if focus is None:
                focus = found[spec] = self._focus(target, index, nodes, stream)
                if skip_focus:
                    for f in skip_focus & focus.keys():
                        del focus[f]
                if focus_only is not None:
                    focus = found[spec] = {k: v for k, v in focus.items() if k in focus_only}
            if not focus:
                continue
            shapes = [
                shape
                for shape in target.shapes
                if shape.rank >= min_rank and (shape.cross or not cross_only)
            ]
            if not cross_only:
                self._plan(shapes)(focus.items(), index, out)
            for shape in shapes:
                for q in shape.sparql:
                    if cross_focus is not None and shape.cross:
                        # Left to the caller's CrossIndex, which re-checks every record
                        # whose keys collide, in this chunk or across chunks.
                        n = self._cross_number[id(q)]
                        for fkey in focus:
                            cross_focus.setdefault(fkey, set()).add(n)
                        continue
                    if stream is not None and not q.local and not shape.cross:
                        continue  # it reads other subjects' triples: pySHACL runs it
                    work = sparql_work.setdefault(id(q), (shape, q, []))
                    work[2].extend(focus.values())
        if sparql_work:
            self._run_sparql(triples, list(sparql_work.values()), out)
        return out

    def _plan(self, shapes: list[Shape]) -> Callable[[Iterable[Any], Any, list], None]:
        key = tuple(id(sh) for sh in shapes)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = generate_checks(
                [sh for sh in shapes if has_core(sh)], self._raw
            )
        return plan

    def _focus(
        self,
        target: Target,
        index: dict[str, Any],
        nodes: dict[str, Any],
        stream: StreamContext | None = None,
    ) -> dict:
        focus: dict[str, Any] = {}
        if target.subjects_of:
            wanted = target.subjects_of
            for skey, props in index.items():
                for p in wanted:
                    if p in props:
                        focus[skey] = nodes[skey]
                        break
        if stream is None:
            for p in target.objects_of:
                for props in index.values():
                    for o in props.get(p, ()):
                        focus[node_key(o)] = o
        elif target.objects_of:  # the stream found them, in this chunk or another
            spec = (tuple(target.classes), tuple(target.subjects_of), tuple(target.objects_of))
            for o in stream.extra_focus.get(self.spec_numbers[spec], ()):
                focus[node_key(o)] = o
        if target.classes:
            classes = self._subclasses(
                target.classes, index, stream.subclass_of if stream is not None else ()
            )
            for skey, props in index.items():
                types = props.get(RDF_TYPE)
                if types and any(getattr(t, "value", None) in classes for t in types):
                    focus[skey] = nodes[skey]
        return focus

    def _subclasses(
        self,
        classes: list[str],
        index: dict[str, Any],
        more: Iterable[tuple[str, str]] = (),
    ) -> set[str]:
        """The classes and their subclasses, by the data's rdfs:subClassOf (and *more*)."""
        edges: list[tuple[str, str | None]] = [(sub, sup) for sub, sup in more]
        for skey, props in index.items():
            edges += [(skey, getattr(o, "value", None)) for o in props.get(SUBCLASS_OF, ())]
        out = set(classes)
        changed = bool(edges)
        while changed:
            changed = False
            for sub, sup in edges:
                if sup in out and sub not in out:
                    out.add(sub)
                    changed = True
        return out

    def _raw(
        self,
        shape: Shape,
        focus: str,
        component: str,
        value: Any,
        *,
        message: str | None = None,
        path: str | None = None,
    ) -> Any:
        rvalue = None if value is None else rdflib_term(value)
        return RawResult(
            focus=focus,
            path=path if path is not None else shape.path,
            value=None if rvalue is None else str(rvalue),
            term=None if rvalue is None else nt_text(rvalue),
            severity=shape.severity,
            shape=shape.iri,
            component=component,
            message=message if message is not None else shape.message(),
        )

    def store(self, triples: Iterable[Any], predicates: set[str] | None) -> pyoxigraph.Store:
        """A store of *triples* (those with *predicates*; None: all) for SPARQL checks."""
        return store_of(triples, predicates)

    def _run_sparql(
        self, triples: Sequence[Any], work: list[tuple[Shape, SparqlCheck, list[Any]]], out: list
    ) -> None:
        wanted: set[str] | None = set()
        for _, q, _ in work:
            if q.predicates is None or wanted is None:
                wanted = None
            else:
                wanted |= q.predicates
        if wanted is None:
            store = store_of(triples, None)
        else:
            store = indexed_store(self.index, self._nodes, triples, wanted)
        for shape, q, focus in work:
            out.extend(self.run_query(store, shape, q, focus))

    def run_query(
        self, store: pyoxigraph.Store, shape: Shape, q: SparqlCheck, focus: list[Any]
    ) -> list[Any]:
        """The results of one SPARQL constraint for *focus* nodes, as pySHACL reports them."""
        return run_query(store, shape, q, focus, self._raw)

    # ----------------------------------------------------------------- cross-record

    def cross_predicates(self) -> set[str] | None:
        """The predicates the cross-record constraints read (None: any)."""
        out: set[str] | None = set()
        for _, q in self.cross:
            if q.predicates is None or out is None:
                out = None
            else:
                out |= q.predicates
        return out

    def cross_entries(
        self, cross_focus: dict[str, set[int]], info: Callable[[str], Any] | None = None
    ) -> tuple[list[CrossEntry], list[list[int]], bytes]:
        """Entries, keys and triples (N-Triples) for :class:`CrossIndex` of the focus
        nodes a :meth:`check` found for the cross-record constraints (``info(iri)``:
        what to keep of each)."""
        wanted = self.cross_predicates()
        entries, keys, chosen = [], [], []
        for fkey, numbers in cross_focus.items():
            if fkey.startswith("_:"):
                continue  # a blank node cannot be joined across chunks
            props = self.index.get(fkey, {})
            chosen += [
                f"<{fkey}> <{p}> {o} .\n"  # N-Triples: str() of a term is its N-Triples form
                for p, objects in props.items()
                if wanted is None or p in wanted
                for o in objects
            ]
            entries.append(CrossEntry(fkey, tuple(sorted(numbers)), info(fkey) if info else None))
            keys.append(self.cross_keys(props, numbers))
        return entries, keys, "".join(chosen).encode()

    def cross_keys(self, props: dict[str, Any], numbers: Iterable[int]) -> list[int]:
        """Hashed join keys of one focus node for the cross-record constraints *numbers*."""
        out: list[int] = []
        for n in numbers:
            q = self.cross[n][1]
            if q.keys is None:
                out.append(_hash((n, "*")))  # no join found: every focus node collides
                continue
            for preds in q.keys:
                columns = [[_canon(v) for v in props.get(p, ())] for p in preds]
                for combo in itertools.product(*columns):
                    out.append(_hash((n, preds, combo)))
        return out


def _canon(term: Any) -> str:
    return str(term_key(term))


def _hash(key: Any) -> int:
    return int.from_bytes(hashlib.blake2b(repr(key).encode(), digest_size=8).digest(), "big")


_COMPILED: dict[int, Compiled] = {}


def compile_shapes(graph: rdflib.Graph) -> Compiled:
    """The compiled form of a shapes graph (cached per graph object)."""
    compiled = _COMPILED.get(id(graph))
    if compiled is None or compiled.graph is not graph:
        _COMPILED.clear()
        compiled = _COMPILED[id(graph)] = Compiled(graph)
    return compiled
