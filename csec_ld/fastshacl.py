"""Fast SHACL: the SHACL Core constraints our shapes use, compiled to Python and SPARQL checks.

:func:`compile_shapes` reads a shapes graph (any shapes, not only ours) and turns
every shape it can into checks over a chunk's triples, grouped by subject and
predicate; SHACL-SPARQL constraints run with pyoxigraph on a small in-memory store
per chunk, with ``$this`` pre-bound for every focus node at once (``VALUES``).
The results are the ones pySHACL gives on the same graph — focus node, path,
component, severity, value and message — and a test holds them to it.

What is compiled: targets ``sh:targetClass`` (with ``rdfs:subClassOf`` in the
data), ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``; node shapes with
``sh:property`` property shapes whose path is one predicate; the components
``minCount``, ``maxCount``, ``nodeKind``, ``datatype`` (ill-typed literals judged
as rdflib judges them), ``pattern`` (+ ``flags``), ``in``, ``equals``,
``uniqueLang``, ``minLength``, ``maxLength``, ``or`` (of node shapes made of
those), and ``sh:sparql`` SELECT constraints. Anything else (other components,
complex paths, ``sh:targetNode``, shapes without ``sh:message``, whose default
messages are pySHACL's own) falls back to pySHACL for that shape
(:attr:`Compiled.fallback` says which and why).

Cross-record constraints (``csh:crossRecord true``) also run per chunk; besides,
each chunk gives *keys* — the values the constraint's query joins a record with
another on — and :class:`CrossIndex` finds the records whose keys collide across
chunks, then runs those constraints once more over the colliding records only.
That assumes what the annotation promises: the query is a join of records on
shared values (monotone: no ``NOT EXISTS`` between records), over the records'
own triples.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import pickle
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph
import rdflib
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import RDFS as _RDFS
from rdflib.namespace import SH as _SH
from rdflib.namespace import XSD as _XSD

from .memory import paused_gc
from .shacl_result import RawResult, nt_text, rdflib_term

__all__ = ["Compiled", "CrossIndex", "StreamContext", "StreamPlan", "compile_shapes"]

SH = "http://www.w3.org/ns/shacl#"
_XSD_STRING = str(_XSD.string)
_LANG_STRING = str(_RDF.langString)
_RDFS_LITERAL = str(_RDFS.Literal)
_RDFS_DATATYPE = str(_RDFS.Datatype)
_RDF_TYPE = str(_RDF.type)
_SUBCLASS = str(_RDFS.subClassOf)
_CROSS_RECORD = rdflib.URIRef("https://w3id.org/csec-ld/shapes#crossRecord")

#: Constraint parameters compiled here (others make the shape fall back to pySHACL).
_COMPILED_PARAMS = {
    "minCount",
    "maxCount",
    "nodeKind",
    "datatype",
    "pattern",
    "flags",
    "in",
    "equals",
    "uniqueLang",
    "minLength",
    "maxLength",
    "or",
    "sparql",
}
#: Every SHACL Core / SPARQL constraint parameter (to tell what is not compiled).
_ALL_PARAMS = _COMPILED_PARAMS | {
    "class",
    "node",
    "property",
    "not",
    "and",
    "xone",
    "hasValue",
    "lessThan",
    "lessThanOrEquals",
    "disjoint",
    "languageIn",
    "minInclusive",
    "maxInclusive",
    "minExclusive",
    "maxExclusive",
    "closed",
    "qualifiedValueShape",
    "qualifiedMinCount",
    "qualifiedMaxCount",
    "expression",
    "rule",
}
_VALUE_PARAMS = {"nodeKind", "datatype", "pattern", "flags", "in", "minLength", "maxLength"}

_NODE_KINDS = {
    SH + "IRI": "I",
    SH + "BlankNode": "B",
    SH + "Literal": "L",
    SH + "BlankNodeOrIRI": "BI",
    SH + "BlankNodeOrLiteral": "BL",
    SH + "IRIOrLiteral": "IL",
}


_RANKS = {SH + "Violation": 3, SH + "Warning": 2, SH + "Info": 1}
_UNSET = object()


def _comp(name: str) -> str:
    return f"{SH}{name}ConstraintComponent"


# --------------------------------------------------------------------------- terms


def _kind(term: Any) -> str:
    if isinstance(term, pyoxigraph.NamedNode):
        return "I"
    if isinstance(term, pyoxigraph.BlankNode):
        return "B"
    return "L"


_TYPED: dict[tuple[str, str], rdflib.Literal] = {}


def _typed(lex: str, datatype: str) -> rdflib.Literal:
    """The rdflib literal pySHACL sees for a typed literal (its lexical form normalised)."""
    key = (lex, datatype)
    lit = _TYPED.get(key)
    if lit is None:
        if len(_TYPED) > 100_000:
            _TYPED.clear()
        lit = _TYPED[key] = rdflib.Literal(lex, datatype=datatype)
    return lit


def _is_plain(lit: Any) -> bool:
    return bool(lit.language) or lit.datatype.value == _XSD_STRING


def _string(term: Any) -> str | None:
    """``str()`` of the value as pySHACL's string-based constraints take it (None: blank)."""
    if isinstance(term, pyoxigraph.NamedNode):
        return term.value
    if isinstance(term, pyoxigraph.BlankNode):
        return None
    if _is_plain(term):
        return term.value
    return str(_typed(term.value, term.datatype.value))


def _key(term: Any) -> Any:
    """A key equal for terms rdflib holds equal (typed literals normalised as rdflib does)."""
    if isinstance(term, pyoxigraph.Literal) and not _is_plain(term):
        dt = term.datatype.value
        lex = str(_typed(term.value, dt))
        if lex != term.value:
            return pyoxigraph.Literal(lex, datatype=pyoxigraph.NamedNode(dt))
    return term


def _from_rdflib(term: Any) -> Any:
    if isinstance(term, rdflib.URIRef):
        return pyoxigraph.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return pyoxigraph.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return pyoxigraph.Literal(str(term), language=term.language)
        dt = str(term.datatype) if term.datatype else _XSD_STRING
        return pyoxigraph.Literal(str(term), datatype=pyoxigraph.NamedNode(dt))
    raise TypeError(f"unsupported term {term!r}")


_DT_OK: dict[tuple[str, str, str], bool] = {}


def _python_types() -> dict[str, Any]:
    import datetime
    from decimal import Decimal

    return {
        _XSD_STRING: (str, bytes),
        _LANG_STRING: (str, bytes),
        str(_XSD.integer): int,
        str(_XSD.float): float,
        str(_XSD.decimal): Decimal,
        str(_XSD.boolean): bool,
        str(_XSD.date): datetime.date,
        str(_XSD.time): datetime.time,
        str(_XSD.dateTime): datetime.datetime,
    }


#: The Python type pySHACL wants a literal's value to have, per datatype.
_PYTHON_TYPES = _python_types()


def _actual_datatype(lit: rdflib.Literal, rule: str) -> bool:
    """pySHACL's check that a literal's value has the Python type of its datatype."""
    wanted = _PYTHON_TYPES.get(rule)
    return True if wanted is None else isinstance(lit.value, wanted)


def _datatype_ok(term: Any, rule: str) -> bool:
    """pySHACL's DatatypeConstraintComponent verdict for one value node."""
    if not isinstance(term, pyoxigraph.Literal):
        return False
    if term.language:  # rdflib: datatype None, a language
        return rule in (_LANG_STRING, _RDFS_LITERAL)
    dt = term.datatype.value
    if dt == _XSD_STRING:  # rdflib: datatype None, no language
        return rule in (_XSD_STRING, _RDFS_LITERAL)
    key = (term.value, dt, rule)
    ok = _DT_OK.get(key)
    if ok is None:
        if dt == rule:
            lit = _typed(term.value, dt)
            ok = False if getattr(lit, "ill_typed", None) is True else _actual_datatype(lit, rule)
        else:
            ok = rule in (_RDFS_LITERAL, _RDFS_DATATYPE)
        if len(_DT_OK) > 100_000:
            _DT_OK.clear()
        _DT_OK[key] = ok
    return ok


# --------------------------------------------------------------------------- indexing

_EMPTY: dict[str, dict[Any, None]] = {}
_NO_VALUES: dict[Any, None] = {}


def _node_key(term: Any) -> str:
    """A focus node as a string: the IRI, ``_:id`` for a blank node, N-Triples for a literal."""
    if isinstance(term, pyoxigraph.NamedNode):
        return term.value
    if isinstance(term, pyoxigraph.BlankNode):
        return "_:" + term.value
    return str(term)


def _index(triples: list[Any]) -> tuple[dict[str, dict[str, dict[Any, None]]], dict[str, Any]]:
    """Objects by subject and predicate (ordered sets), and the subject nodes by key."""
    index: dict[str, dict[str, dict[Any, None]]] = {}
    nodes: dict[str, Any] = {}
    names: dict[Any, str] = {}
    last = None
    props: dict[str, dict[Any, None]] = {}
    for s, p, o in triples:
        if s != last:
            last = s
            skey = _node_key(s)
            props = index.get(skey)  # type: ignore[assignment]
            if props is None:
                props = index[skey] = {}
                nodes[skey] = s
        name = names.get(p)
        if name is None:
            name = names[p] = p.value
        objects = props.get(name)
        if objects is None:
            props[name] = {o: None}
        else:
            objects[o] = None
    return index, nodes


class _Memo:
    """A value test that remembers its verdict per value while that pays: IRIs, dates
    and codes repeat; titles and descriptions do not (then it stops remembering)."""

    __slots__ = ("active", "cache", "hits", "test")

    def __init__(self, test: Any) -> None:
        self.test = test
        self.cache: dict[Any, bool] = {}
        self.hits = 0
        self.active = True

    def __call__(self, v: Any) -> bool:
        if not self.active:
            return bool(self.test(v))
        ok = self.cache.get(v)
        if ok is not None:
            self.hits += 1
            return ok
        ok = self.cache[v] = bool(self.test(v))
        if len(self.cache) >= 5_000:
            self.active = self.hits >= len(self.cache)  # mostly new values: stop
            self.cache.clear()  # in place: compiled checks read it directly (see _plan)
            self.hits = 0
        return ok


# --------------------------------------------------------------------------- compiled shapes


class _Fallback(Exception):
    """This shape cannot be compiled (the message says why)."""


@dataclass
class _ValueCheck:
    """Constraints on each value node: (component, test) pairs; a test says if v conforms."""

    tests: list[tuple[str, Any]] = field(default_factory=list)

    def memoised(self) -> None:
        """Remember each test's verdict per value (IRIs, dates and codes repeat a lot)."""
        self.tests = [(component, _Memo(test)) for component, test in self.tests]

    def failures(self, v: Any) -> Iterable[str]:
        for component, test in self.tests:
            if not test(v):
                yield component

    def conforms(self, v: Any) -> bool:
        return all(test(v) for _, test in self.tests)


@dataclass
class _Sparql:
    node: Any  # the sh:SPARQLConstraint node
    text: str  # the query, prefixes and $PATH applied, $this as ?this, VALUES slot marked
    projects_this: bool
    messages: list[Any]  # the constraint's own sh:message literals
    predicates: set[str] | None  # predicates the query reads (None: any)
    keys: list[tuple[str, ...]] | None = None  # cross-record join: predicate per shared variable
    #: Whether the query reads only the focus node's own triples (every pattern's subject
    #: is ``$this``, every predicate an IRI): then a chunk holding each subject's triples
    #: gives it all it needs.
    local: bool = False


@dataclass
class _Shape:
    """One shape as evaluated on a focus node: a node shape's own constraints, or a
    property shape (``path`` set)."""

    node: Any
    iri: str | None
    path: str | None
    severity: str
    messages: list[Any]
    cross: bool = False
    min_count: int | None = None
    max_count: int | None = None
    values: _ValueCheck = field(default_factory=_ValueCheck)
    equals: list[str] = field(default_factory=list)
    unique_lang: bool = False
    #: sh:or, each list as one value test (does v conform to one of the members?),
    #: remembered per value like the others: most of its values are dates, which repeat.
    ors: list[_Memo] = field(default_factory=list)
    sparql: list[_Sparql] = field(default_factory=list)
    _message: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._message = _UNSET

    @property
    def rank(self) -> int:
        """3 for a violation (and unknown severities, as pySHACL's reports read), 2, 1."""
        return _RANKS.get(self.severity, 3)

    def message(self) -> str | None:
        """The shape's message (English first): one string for all its results."""
        if self._message is _UNSET:
            msgs = sorted(self.messages, key=lambda m: (m.language not in (None, "en"), str(m)))
            self._message = str(msgs[0]) if msgs else None
        return self._message  # type: ignore[return-value]


@dataclass
class _Target:
    """A shape with targets, and the shapes evaluated on its focus nodes."""

    classes: list[str]
    subjects_of: list[str]
    objects_of: list[str]
    shapes: list[_Shape]


def _equals_failures(
    shape: _Shape, fkey: str, values: Any, theirs_values: Any, out: list, raw: Any
) -> None:
    """sh:equals when the two sets of terms differ (they may still be equal for rdflib)."""
    eq_c = _comp("Equals")
    mine = {_key(v): v for v in values}
    theirs = {_key(v): v for v in theirs_values}
    if mine.keys() != theirs.keys():
        for k in mine.keys() - theirs.keys():
            out.append(raw(shape, fkey, eq_c, mine[k]))
        for k in theirs.keys() - mine.keys():
            out.append(raw(shape, fkey, eq_c, theirs[k]))


def _unique_lang_failures(shape: _Shape, fkey: str, values: Any, out: list, raw: Any) -> None:
    seen: set[str] = set()
    dupes: set[str] = set()
    for v in values:
        lang = getattr(v, "language", None)
        if lang:
            (dupes if lang.lower() in seen else seen).add(lang.lower())
    for _ in dupes:
        out.append(raw(shape, fkey, _comp("UniqueLang"), None))


def _generate(shapes: list[_Shape], raw: Any) -> Callable[[Iterable[Any], Any, list], None]:
    """One Python function checking *shapes* on focus nodes: ``check(focus, index, out)``.

    The shapes' constraints become straight-line code (each path's values looked up
    once per focus node, each memoised value test read from its cache inline): a
    function call per shape and focus node would cost more than the checks do.
    """
    env: dict[str, Any] = {
        "raw": raw,
        "EMPTY": _EMPTY,
        "NO_VALUES": _NO_VALUES,
        "equals_failures": _equals_failures,
        "unique_lang_failures": _unique_lang_failures,
        "MIN_C": _comp("MinCount"),
        "MAX_C": _comp("MaxCount"),
    }
    paths: dict[str, str] = {}

    def const(value: Any, prefix: str) -> str:
        name = f"{prefix}{len(env)}"
        env[name] = value
        return name

    def values_of(path: str) -> str:
        if path not in paths:
            paths[path] = f"v{len(paths)}"
        return paths[path]

    body: list[str] = []
    for shape in shapes:
        sh = const(shape, "S")
        vals = "node_values" if shape.path is None else values_of(shape.path)
        lines: list[str] = []
        n = f"len({vals})"
        if shape.min_count is not None:
            lines.append(f"if {n} < {shape.min_count}: out.append(raw({sh}, fkey, MIN_C, None))")
        if shape.max_count is not None:
            lines.append(f"if {n} > {shape.max_count}: out.append(raw({sh}, fkey, MAX_C, None))")
        value_tests = shape.values.tests + [(_comp("Or"), test) for test in shape.ors]
        if value_tests:
            tests = []
            for component, test in value_tests:
                memo = test if isinstance(test, _Memo) else _Memo(test)
                get, fill = const(memo.cache.get, "G"), const(memo, "M")
                comp = const(component, "C")
                tests.append(
                    f"    for v in {vals}:\n"
                    f"        ok = {get}(v)\n"
                    f"        if ok is None: ok = {fill}(v)\n"
                    f"        if not ok: out.append(raw({sh}, fkey, {comp}, v))"
                )
            lines.append(f"if {vals}:\n" + "\n".join(tests))
        for other in shape.equals:
            theirs = values_of(other)
            lines.append(
                f"if {vals}.keys() != {theirs}.keys(): "
                f"equals_failures({sh}, fkey, {vals}, {theirs}, out, raw)"
            )
        if shape.unique_lang:
            lines.append(f"if {n} > 1: unique_lang_failures({sh}, fkey, {vals}, out, raw)")
        body += lines
    head = [
        "def check(focus, index, out):",
        "    for fkey, fnode in focus:",
        "        props = index.get(fkey, EMPTY)",
        "        node_values = (fnode,)",
    ]
    head += [
        f"        {var} = props.get({const(path, 'P')}, NO_VALUES)" for path, var in paths.items()
    ]
    code = "\n".join(head + ["        " + line.replace("\n", "\n        ") for line in body])
    exec(compile(code, "<csec-ld compiled shapes>", "exec"), env)
    return env["check"]


@dataclass
class StreamContext:
    """What a chunk of a subject-grouped stream is checked with, besides its triples."""

    #: Per spec number (:attr:`Compiled.spec_numbers`): the focus nodes that the stream
    #: found by sh:targetObjectsOf whose triples are in this chunk (or nowhere).
    extra_focus: dict[int, list[Any]] = field(default_factory=dict)
    #: The rdfs:subClassOf edges (subclass IRI, class IRI) of the whole graph.
    subclass_of: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class StreamPlan:
    """What a stream of subject-grouped triples must keep for the compiled shapes.

    A chunk that holds every triple of each of its subjects gives the compiled checks
    what they read, except what crosses subjects: the focus nodes found by
    sh:targetObjectsOf (the stream tracks them, see :class:`StreamContext`), the
    subclasses of targeted classes (the stream gathers the edges), the cross-record
    rules (:class:`CrossIndex`) and SPARQL constraints that read beyond ``$this``
    (:attr:`nonlocal_shapes`, left to pySHACL).
    """

    #: Predicates whose every triple the checks read (None: all of them).
    read: frozenset[str] | None
    #: sh:targetSubjectsOf predicates nothing reads: one triple per subject will do.
    existence: frozenset[str]
    #: Per spec number: (its sh:targetSubjectsOf, its sh:targetObjectsOf, its classes).
    specs: tuple[tuple[frozenset[str], frozenset[str], tuple[str, ...]], ...]
    #: Every class some shape targets (rdf:type and rdfs:subClassOf are read then).
    classes: frozenset[str]
    #: Shapes with a SPARQL constraint that reads other subjects' triples, and whether
    #: one of them is a blank node (then results cannot be told apart by shape).
    nonlocal_shapes: frozenset[str]
    anonymous_nonlocal: bool


def _has_core(shape: _Shape) -> bool:
    """Whether the shape has constraints checked in Python (not only SPARQL ones)."""
    return bool(
        shape.min_count is not None
        or shape.max_count is not None
        or shape.values.tests
        or shape.equals
        or shape.unique_lang
        or shape.ors
    )


class Compiled:
    """Compiled shapes: run :meth:`check` on a chunk's triples for pySHACL's results."""

    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = graph
        self.targets: list[_Target] = []
        self.fallback: dict[str, str] = {}  # shape -> why it runs on pySHACL
        self.everything_falls_back = False
        self._compile()
        self.cross: list[tuple[_Shape, _Sparql]] = [
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
            read |= {_RDF_TYPE, _SUBCLASS}
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
            except _Fallback as exc:
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

    def _target(self, node: Any) -> _Target:
        g = self.graph
        if g.value(node, _SH.targetNode) is not None:
            raise _Fallback("sh:targetNode")
        if (node, _RDF.type, _RDFS.Class) in g:
            raise _Fallback("implicit class target")
        shapes: list[_Shape] = []
        own = self._shape(node)
        if own is not None:
            shapes.append(own)
        if g.value(node, _SH.path) is None:
            for prop in sorted(g.objects(node, _SH.property), key=str):
                if self._deactivated(prop):
                    continue
                try:
                    shape = self._shape(prop)
                except _Fallback as exc:
                    self._fall_back(prop, str(exc))
                    continue
                if shape is not None:
                    shapes.append(shape)
        return _Target(
            [str(o) for o in g.objects(node, _SH.targetClass)],
            [str(o) for o in g.objects(node, _SH.targetSubjectsOf)],
            [str(o) for o in g.objects(node, _SH.targetObjectsOf)],
            shapes,
        )

    def _params(self, node: Any) -> set[str]:
        return {
            str(p)[len(SH) :]
            for p in self.graph.predicates(node, None)
            if str(p).startswith(SH) and str(p)[len(SH) :] in _ALL_PARAMS
        }

    def _one(self, node: Any, name: str) -> Any:
        values = list(self.graph.objects(node, _SH[name]))
        if len(values) != 1:
            raise _Fallback(f"{len(values)} values of sh:{name}")
        return values[0]

    def _shape(self, node: Any) -> _Shape | None:
        """A node shape's own constraints, or a property shape; None when it has none."""
        g = self.graph
        params = self._params(node)
        is_property = g.value(node, _SH.path) is not None
        if not is_property:
            params.discard("property")
        if not params:
            return None
        unknown = params - _COMPILED_PARAMS
        if unknown:
            raise _Fallback("uncompiled " + ", ".join(f"sh:{p}" for p in sorted(unknown)))
        path = None
        if is_property:
            p = self._one(node, "path")
            if not isinstance(p, rdflib.URIRef):
                raise _Fallback("a path that is not one predicate")
            path = str(p)
        messages = [m for m in g.objects(node, _SH.message) if isinstance(m, rdflib.Literal)]
        sparql_nodes = list(g.objects(node, _SH.sparql))
        if not messages and (params - {"sparql"} or not sparql_nodes):
            raise _Fallback("no sh:message (pySHACL writes its own)")
        severity = g.value(node, _SH.severity)
        shape = _Shape(
            node=node,
            iri=str(node) if isinstance(node, rdflib.URIRef) else None,
            path=path,
            severity=str(severity) if severity is not None else SH + "Violation",
            messages=messages,
            cross=bool(g.value(node, _CROSS_RECORD)),
        )
        if "minCount" in params:
            shape.min_count = int(self._one(node, "minCount"))
        if "maxCount" in params:
            shape.max_count = int(self._one(node, "maxCount"))
        if not is_property and params & {"minCount", "maxCount", "equals", "uniqueLang"}:
            raise _Fallback("a node shape with property constraints")
        shape.values = self._value_check(node, params)
        shape.values.memoised()
        for other in g.objects(node, _SH.equals):
            if not isinstance(other, rdflib.URIRef):
                raise _Fallback("sh:equals with a complex path")
            shape.equals.append(str(other))
        if "uniqueLang" in params:
            value = self._one(node, "uniqueLang")
            shape.unique_lang = bool(isinstance(value, rdflib.Literal) and value.value is True)
        for lst in g.objects(node, _SH["or"]):
            members = []
            for member in rdflib.collection.Collection(g, lst):
                mparams = self._params(member)
                if g.value(member, _SH.path) is not None or mparams - _VALUE_PARAMS:
                    raise _Fallback("sh:or of shapes other than value constraints")
                if self._deactivated(member):
                    continue
                check = self._value_check(member, mparams)
                check.memoised()
                members.append(check)
            if not members:
                raise _Fallback("sh:or of deactivated shapes")
            shape.ors.append(_Memo(lambda v, ms=members: any(m.conforms(v) for m in ms)))
        for sparql in sparql_nodes:
            if self._deactivated(sparql):
                continue
            shape.sparql.append(self._sparql(shape, sparql))
        return shape

    def _value_check(self, node: Any, params: set[str]) -> _ValueCheck:
        g = self.graph
        check = _ValueCheck()
        if "nodeKind" in params:
            kinds = _NODE_KINDS.get(str(self._one(node, "nodeKind")))
            if kinds is None:
                raise _Fallback("unknown sh:nodeKind")
            check.tests.append((_comp("NodeKind"), lambda v, k=kinds: _kind(v) in k))
        if "datatype" in params:
            rule = str(self._one(node, "datatype"))
            check.tests.append((_comp("Datatype"), lambda v, r=rule: _datatype_ok(v, r)))
        if "minLength" in params:
            n = int(self._one(node, "minLength"))
            check.tests.append(
                (
                    _comp("MinLength"),
                    lambda v, n=n: n == 0 or ((s := _string(v)) is not None and len(s) >= n),
                )
            )
        if "maxLength" in params:
            n = int(self._one(node, "maxLength"))
            check.tests.append(
                (_comp("MaxLength"), lambda v, n=n: (s := _string(v)) is not None and len(s) <= n)
            )
        if "pattern" in params:
            pattern = self._one(node, "pattern")
            flags_node = g.value(node, _SH.flags)
            flags = 0
            text = str(flags_node.value).lower() if flags_node is not None else ""
            if "i" in text:
                flags |= re.I
            if "m" in text:
                flags |= re.M
            regex = re.compile(str(pattern), flags)
            check.tests.append(
                (
                    _comp("Pattern"),
                    lambda v, rx=regex: (s := _string(v)) is not None and rx.search(s) is not None,
                )
            )
        if "in" in params:
            members = {
                _key(_from_rdflib(t))
                for t in rdflib.collection.Collection(g, self._one(node, "in"))
            }
            check.tests.append((_comp("In"), lambda v, m=members: _key(v) in m))
        return check

    def _prefixes(self, sparql: Any) -> str:
        g = self.graph
        out = []
        for source in g.objects(sparql, _SH.prefixes):
            for decl in g.objects(source, _SH.declare):
                prefix, ns = g.value(decl, _SH.prefix), g.value(decl, _SH.namespace)
                if prefix is not None and ns is not None:
                    out.append(f"PREFIX {prefix}: <{ns}>\n")
        return "".join(sorted(out))

    def _sparql(self, shape: _Shape, node: Any) -> _Sparql:
        g = self.graph
        select = g.value(node, _SH.select)
        if select is None:
            raise _Fallback("a SPARQL constraint without sh:select")
        text = str(select)
        if re.search(r"[\$\?](shapesGraph|currentShape)\b", text):
            raise _Fallback("$shapesGraph or $currentShape in a SPARQL constraint")
        if (
            re.search(r"\b(MINUS|VALUES|SERVICE)\b", text, re.I)
            or len(re.findall(r"\bSELECT\b", text, re.I)) != 1
        ):
            raise _Fallback("SPARQL with MINUS, VALUES, SERVICE or a subquery (pre-binding)")
        if shape.path is not None:
            text = re.sub(r"([\s{}()])[\$\?]PATH", lambda m: f"{m.group(1)}<{shape.path}>", text)
        elif re.search(r"[\$\?]PATH\b", text):
            raise _Fallback("$PATH in a node shape")
        text = re.sub(r"\$this\b", "?this", text)
        head, brace, body = text.partition("{")
        if not brace:
            raise _Fallback("a SPARQL query without a WHERE group")
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
        full = self._prefixes(node) + head + "{ VALUES ?this { %VALUES% } " + body
        predicates, keys, local = self._analyse(full.replace("%VALUES%", ""))
        messages = [m for m in g.objects(node, _SH.message) if isinstance(m, rdflib.Literal)]
        return _Sparql(node, full, projects_this, messages, predicates, keys, local)

    @staticmethod
    def _analyse(text: str) -> tuple[set[str] | None, list[tuple[str, ...]] | None, bool]:
        """The predicates a query reads, its cross-record join (see :class:`CrossIndex`),
        and whether it reads only ``$this``'s own triples."""
        from rdflib.plugins.sparql import prepareQuery

        try:
            algebra = prepareQuery(text).algebra
        except Exception as exc:  # rdflib raises many kinds for queries it cannot parse
            raise _Fallback(f"a SPARQL query rdflib cannot parse: {exc}") from exc
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
        local = bool(triples) and all(
            s == this and isinstance(p, rdflib.URIRef) for s, p, _ in triples
        )
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
        index, nodes = _index(triples)
        self.index = index  # kept for :meth:`cross_entries` after a check
        self._nodes = nodes
        out: list[Any] = []
        sparql_work: dict[int, tuple[_Shape, _Sparql, list[Any]]] = {}
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

    def _plan(self, shapes: list[_Shape]) -> Callable[[Iterable[Any], Any, list], None]:
        key = tuple(id(sh) for sh in shapes)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _generate([sh for sh in shapes if _has_core(sh)], self._raw)
        return plan

    def _focus(
        self,
        target: _Target,
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
                        focus[_node_key(o)] = o
        elif target.objects_of:  # the stream found them, in this chunk or another
            spec = (tuple(target.classes), tuple(target.subjects_of), tuple(target.objects_of))
            for o in stream.extra_focus.get(self.spec_numbers[spec], ()):
                focus[_node_key(o)] = o
        if target.classes:
            classes = self._subclasses(
                target.classes, index, stream.subclass_of if stream is not None else ()
            )
            for skey, props in index.items():
                types = props.get(_RDF_TYPE)
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
            edges += [(skey, getattr(o, "value", None)) for o in props.get(_SUBCLASS, ())]
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
        shape: _Shape,
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
        store = pyoxigraph.Store()
        store.extend(
            pyoxigraph.Quad(s, p, o)
            for s, p, o in triples
            if predicates is None or p.value in predicates
        )
        return store

    def _indexed_store(self, triples: Sequence[Any], predicates: set[str]) -> pyoxigraph.Store:
        """A store of *triples* (the ones being checked) with these predicates, from the index.

        They go in as N-Triples text, written by our N-Triples writer: a
        ``pyoxigraph.Quad`` around a literal costs several microseconds to build,
        parsing the line a fraction of that.
        """
        from .serialize import NTriplesWriter

        chosen: list[tuple[Any, Any, Any]] = []
        named: dict[str, pyoxigraph.NamedNode] = {}
        for skey, props in self.index.items():
            wanted = predicates.intersection(props)
            if not wanted:
                continue
            subject = self._nodes[skey]
            if isinstance(subject, pyoxigraph.BlankNode):
                return self.store(triples, predicates)  # labels must stay as they are
            for p in wanted:
                node = named.get(p) or named.setdefault(p, pyoxigraph.NamedNode(p))
                for o in props[p]:
                    if isinstance(o, pyoxigraph.BlankNode):
                        return self.store(triples, predicates)
                    chosen.append((subject, node, o))
        store = pyoxigraph.Store()
        store.load(NTriplesWriter.render(chosen), format=pyoxigraph.RdfFormat.N_TRIPLES)
        return store

    def _run_sparql(
        self, triples: Sequence[Any], work: list[tuple[_Shape, _Sparql, list[Any]]], out: list
    ) -> None:
        wanted: set[str] | None = set()
        for _, q, _ in work:
            if q.predicates is None or wanted is None:
                wanted = None
            else:
                wanted |= q.predicates
        if wanted is None:
            store = self.store(triples, None)
        else:
            store = self._indexed_store(triples, wanted)
        for shape, q, focus in work:
            out.extend(self.run_query(store, shape, q, focus))

    def run_query(
        self, store: pyoxigraph.Store, shape: _Shape, q: _Sparql, focus: list[Any]
    ) -> list[Any]:
        """The results of one SPARQL constraint for *focus* nodes, as pySHACL reports them."""
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
                self._raw(
                    shape,
                    fkey,
                    SH + "SPARQLConstraintComponent",
                    value,
                    message=min(texts) if texts else None,
                    path=path.value if isinstance(path, pyoxigraph.NamedNode) else None,
                )
            )
        return out

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
    return str(_key(term))


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


# --------------------------------------------------------------------------- cross-record index


@dataclass
class CrossEntry:
    """What the cross-record pass needs to know of one record (its triples the rules
    read travel with its chunk's): its IRI, its rules, where it comes from."""

    iri: str
    constraints: tuple[int, ...]  # the cross-record constraints it is a focus node of
    info: Any = None


class CrossIndex:
    """Cross-record keys of every chunk; the records whose keys collide; their re-check.

    Keys are 64-bit hashes (a hash collision only adds a record to re-check). Each
    chunk's entries spill to a temporary file, so memory holds a dict of hashes, not
    the records.
    """

    def __init__(self) -> None:
        self.owner: dict[int, int] = {}  # key hash -> first record number
        self.colliding: set[int] = set()  # record numbers
        # (first record number, records, offset, length) per chunk in the file
        self.chunks: list[tuple[int, int, int, int]] = []
        self.count = 0
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the index)

    @staticmethod
    def pack(entries: list[CrossEntry], ntriples: bytes) -> bytes:
        """A chunk's entries and the triples of theirs the rules read, as the index files them."""
        return pickle.dumps((entries, ntriples), protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def unpack(packed: bytes) -> tuple[list[CrossEntry], bytes]:
        entries, ntriples = pickle.loads(packed)
        return entries, ntriples

    def add(self, entries: list[CrossEntry], keys: list[list[int]], ntriples: bytes) -> None:
        """A chunk's entries, their keys, and the triples of theirs the rules read."""
        self.add_packed(self.pack(entries, ntriples) if entries else b"", keys)

    def add_packed(self, packed: bytes, keys: list[list[int]]) -> None:
        """:meth:`add` of entries already packed (:meth:`pack`); *keys* per entry."""
        first = self.count
        for n, record_keys in enumerate(keys, start=first):
            for k in record_keys:
                owner = self.owner.setdefault(k, n)
                if owner != n:
                    self.colliding.add(owner)
                    self.colliding.add(n)
        self.count += len(keys)
        if keys:
            offset = self._file.seek(0, 2)
            self._file.write(packed)
            self.chunks.append((first, len(keys), offset, len(packed)))

    def entries(self) -> tuple[list[CrossEntry], list[Any]]:
        """The colliding records' entries, and their triples."""
        out: list[CrossEntry] = []
        triples: list[Any] = []
        if not self.colliding:
            return out, triples
        numbers = sorted(self.colliding)
        for first, count, offset, length in self.chunks:
            at = bisect.bisect_left(numbers, first)
            if at == len(numbers) or numbers[at] >= first + count:
                continue  # no colliding record in this chunk
            self._file.seek(offset)
            entries, ntriples = self.unpack(self._file.read(length))
            chosen = [e for n, e in enumerate(entries, start=first) if n in self.colliding]
            if not chosen:
                continue
            out.extend(chosen)
            iris = {e.iri for e in chosen}
            triples += [
                q.triple
                for q in pyoxigraph.parse(ntriples, format=pyoxigraph.RdfFormat.N_TRIPLES)
                if q.subject.value in iris
            ]
        return out, triples

    def check(self, compiled: Compiled, min_rank: int = 0) -> tuple[list[Any], list[CrossEntry]]:
        """The cross-record results over the colliding records, and their entries."""
        entries, triples = self.entries()
        if not entries:
            return [], []
        store = compiled.store(triples, None)
        out = []
        for n, (shape, q) in enumerate(compiled.cross):
            if shape.rank < min_rank:
                continue
            focus = [pyoxigraph.NamedNode(e.iri) for e in entries if n in e.constraints]
            out.extend(compiled.run_query(store, shape, q, focus))
        return out, entries

    def close(self) -> None:
        self._file.close()
