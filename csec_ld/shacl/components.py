"""The constraint components the compiled checks run: value tests (``nodeKind``,
``datatype``, ``pattern``, ``in``, lengths) memoised per value, ``equals`` and
``uniqueLang``, SHACL-SPARQL constraints, the shapes and targets they belong to, and
:func:`generate_checks`, which turns a target's shapes into one straight-line Python
function; :class:`StreamPlan` says how subject-grouped RDF streams through them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import rdflib
import rdflib.collection

from .terms import (
    EMPTY,
    NO_VALUES,
    NODE_KINDS,
    NOT_COMPILED_PARAMS,
    RANKS,
    UNSET,
    component_iri,
    datatype_ok,
    from_rdflib,
    string_value,
    term_key,
    term_kind,
)


class Memo:
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


class Fallback(Exception):
    """This shape cannot be compiled (the message says why)."""


@dataclass
class ValueCheck:
    """Constraints on each value node: (component, test) pairs; a test says if v conforms."""

    tests: list[tuple[str, Any]] = field(default_factory=list)

    def memoised(self) -> None:
        """Remember each test's verdict per value (IRIs, dates and codes repeat a lot)."""
        self.tests = [(component, Memo(test)) for component, test in self.tests]

    def failures(self, v: Any) -> Iterable[str]:
        for component, test in self.tests:
            if not test(v):
                yield component

    def conforms(self, v: Any) -> bool:
        return all(test(v) for _, test in self.tests)


# --------------------------------------------------------------------------- value components

#: A test of one value node: does it conform?
ValueTest = Callable[[Any], bool]


class ShapeParameters(Protocol):
    """What a value component reads of its shape: the one value of a parameter
    (:class:`Fallback` when there are none or several), or an optional one."""

    graph: rdflib.Graph

    def one(self, name: str) -> Any: ...

    def optional(self, name: str) -> Any: ...


def _node_kind(shape: ShapeParameters) -> ValueTest:
    kinds = NODE_KINDS.get(str(shape.one("nodeKind")))
    if kinds is None:
        raise Fallback("unknown sh:nodeKind")
    return lambda v: term_kind(v) in kinds


def _datatype(shape: ShapeParameters) -> ValueTest:
    rule = str(shape.one("datatype"))
    return lambda v: datatype_ok(v, rule)


def _min_length(shape: ShapeParameters) -> ValueTest:
    n = int(shape.one("minLength"))
    return lambda v: n == 0 or ((s := string_value(v)) is not None and len(s) >= n)


def _max_length(shape: ShapeParameters) -> ValueTest:
    n = int(shape.one("maxLength"))
    return lambda v: (s := string_value(v)) is not None and len(s) <= n


def _pattern(shape: ShapeParameters) -> ValueTest:
    flags_node = shape.optional("flags")
    text = str(flags_node.value).lower() if flags_node is not None else ""
    flags = (re.I if "i" in text else 0) | (re.M if "m" in text else 0)
    regex = re.compile(str(shape.one("pattern")), flags)
    return lambda v: (s := string_value(v)) is not None and regex.search(s) is not None


def _in(shape: ShapeParameters) -> ValueTest:
    members = {
        term_key(from_rdflib(t)) for t in rdflib.collection.Collection(shape.graph, shape.one("in"))
    }
    return lambda v: term_key(v) in members


@dataclass(frozen=True)
class ValueComponent:
    """A SHACL Core component that judges each value node on its own: the parameter
    that switches it on, its name (``sh:{name}ConstraintComponent``), and what builds
    its test from the shape (the parameters it reads besides, such as ``sh:flags``)."""

    parameter: str
    name: str
    build: Callable[[ShapeParameters], ValueTest]
    reads: tuple[str, ...] = ()

    @property
    def iri(self) -> str:
        return component_iri(self.name)


#: The value components the compiled checks run, in the order their results come.
VALUE_COMPONENTS: tuple[ValueComponent, ...] = (
    ValueComponent("nodeKind", "NodeKind", _node_kind),
    ValueComponent("datatype", "Datatype", _datatype),
    ValueComponent("minLength", "MinLength", _min_length),
    ValueComponent("maxLength", "MaxLength", _max_length),
    ValueComponent("pattern", "Pattern", _pattern, reads=("flags",)),
    ValueComponent("in", "In", _in),
)
#: Every parameter of the value components (an ``sh:or`` member made of these only is
#: a value test too).
VALUE_PARAMS = frozenset(p for c in VALUE_COMPONENTS for p in (c.parameter, *c.reads))


#: Constraint parameters compiled here: the value components', and those of the
#: shape's values as a whole (:func:`generate_checks`) and of its SPARQL constraints.
COMPILED_PARAMS = VALUE_PARAMS | {"minCount", "maxCount", "equals", "uniqueLang", "or", "sparql"}
#: Every SHACL Core / SPARQL constraint parameter (to tell what is not compiled).
ALL_PARAMS = COMPILED_PARAMS | NOT_COMPILED_PARAMS


def value_check(shape: ShapeParameters, params: set[str]) -> ValueCheck:
    """The tests of the value components whose parameters *params* holds."""
    check = ValueCheck()
    for component in VALUE_COMPONENTS:
        if component.parameter in params:
            check.tests.append((component.iri, component.build(shape)))
    return check


@dataclass
class SparqlCheck:
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
class Shape:
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
    values: ValueCheck = field(default_factory=ValueCheck)
    equals: list[str] = field(default_factory=list)
    unique_lang: bool = False
    #: sh:or, each list as one value test (does v conform to one of the members?),
    #: remembered per value like the others: most of its values are dates, which repeat.
    ors: list[Memo] = field(default_factory=list)
    sparql: list[SparqlCheck] = field(default_factory=list)
    _message: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._message = UNSET

    @property
    def rank(self) -> int:
        """3 for a violation (and unknown severities, as pySHACL's reports read), 2, 1."""
        return RANKS.get(self.severity, 3)

    def message(self) -> str | None:
        """The shape's message (English first): one string for all its results."""
        if self._message is UNSET:
            msgs = sorted(self.messages, key=lambda m: (m.language not in (None, "en"), str(m)))
            self._message = str(msgs[0]) if msgs else None
        return self._message  # type: ignore[return-value]


@dataclass
class Target:
    """A shape with targets, and the shapes evaluated on its focus nodes."""

    classes: list[str]
    subjects_of: list[str]
    objects_of: list[str]
    shapes: list[Shape]


def _equals_failures(
    shape: Shape, fkey: str, values: Any, theirs_values: Any, out: list, raw: Any
) -> None:
    """sh:equals when the two sets of terms differ (they may still be equal for rdflib)."""
    eq_c = component_iri("Equals")
    mine = {term_key(v): v for v in values}
    theirs = {term_key(v): v for v in theirs_values}
    if mine.keys() != theirs.keys():
        for k in mine.keys() - theirs.keys():
            out.append(raw(shape, fkey, eq_c, mine[k]))
        for k in theirs.keys() - mine.keys():
            out.append(raw(shape, fkey, eq_c, theirs[k]))


def _unique_lang_failures(shape: Shape, fkey: str, values: Any, out: list, raw: Any) -> None:
    seen: set[str] = set()
    dupes: set[str] = set()
    for v in values:
        lang = getattr(v, "language", None)
        if lang:
            (dupes if lang.lower() in seen else seen).add(lang.lower())
    for _ in dupes:
        out.append(raw(shape, fkey, component_iri("UniqueLang"), None))


def generate_checks(shapes: list[Shape], raw: Any) -> Callable[[Iterable[Any], Any, list], None]:
    """One Python function checking *shapes* on focus nodes: ``check(focus, index, out)``.

    The shapes' constraints become straight-line code (each path's values looked up
    once per focus node, each memoised value test read from its cache inline): a
    function call per shape and focus node would cost more than the checks do.
    """
    env: dict[str, Any] = {
        "raw": raw,
        "EMPTY": EMPTY,
        "NO_VALUES": NO_VALUES,
        "equals_failures": _equals_failures,
        "unique_lang_failures": _unique_lang_failures,
        "MIN_C": component_iri("MinCount"),
        "MAX_C": component_iri("MaxCount"),
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
        value_tests = shape.values.tests + [(component_iri("Or"), test) for test in shape.ors]
        if value_tests:
            tests = []
            for component, test in value_tests:
                memo = test if isinstance(test, Memo) else Memo(test)
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


def has_core(shape: Shape) -> bool:
    """Whether the shape has constraints checked in Python (not only SPARQL ones)."""
    return bool(
        shape.min_count is not None
        or shape.max_count is not None
        or shape.values.tests
        or shape.equals
        or shape.unique_lang
        or shape.ors
    )
