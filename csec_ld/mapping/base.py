"""What every profile shares: the mapping context, term helpers, the profile base class."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pyoxigraph import Literal, NamedNode, Triple

from ..namespaces import RDF, XSD
from ..records import RECORD_FIELDS, LangString, PartialDate, Record
from ..sources import Catalog
from ..vocab import Registry, Vocabulary

__all__ = ["Context", "Profile", "Row", "Terms", "Used", "iri", "lang_literals"]

#: A triple as a plain tuple of pyoxigraph terms: what the profiles give for records.
#: A million records make tens of millions of triples, and a tuple costs a tenth of
#: a ``pyoxigraph.Triple`` (which copies its terms into Rust); the writers and the
#: validator take either, :meth:`Mapper.record` turns them into ``Triple`` objects.
Terms = tuple[NamedNode, NamedNode, NamedNode | Literal]

_XSD_STRING = NamedNode(XSD + "string")
_NODES: dict[str, NamedNode] = {}


def iri(value: str) -> NamedNode:
    """A (cached) named node."""
    node = _NODES.get(value)
    if node is None:
        node = _NODES[value] = NamedNode(value)
    return node


RDF_TYPE = iri(RDF + "type")  # the cached node: the mapper tells types apart by identity


_LAST_TEXTS: list[Any] = [None, []]


def lang_literals(values: Iterable[LangString]) -> list[Literal]:
    """Literals for language-tagged texts (the last tuple's are remembered: every
    profile maps a record's title and description)."""
    if values is _LAST_TEXTS[0]:
        return _LAST_TEXTS[1]
    out = [Literal(v.value, language=v.lang) for v in values]
    if isinstance(values, tuple):
        _LAST_TEXTS[0], _LAST_TEXTS[1] = values, out
    return out


def typed_date(value: PartialDate, datatype: str | None = None) -> Literal:
    return Literal(value.text, datatype=iri(datatype or value.datatype))


@dataclass(frozen=True)
class Context:
    """What a profile needs beyond the record: the catalogue, vocabularies, registry."""

    catalog: Catalog
    vocab: Vocabulary
    registry: Registry

    def record_node(self, record_id: str) -> NamedNode:
        return NamedNode(self.catalog.record_iri(record_id))


@dataclass
class Used:
    """The vocabulary entries the records pointed at, so that their labels can follow."""

    countries: set[str] = field(default_factory=set)
    languages: set[str] = field(default_factory=set)
    agents: set[str] = field(default_factory=set)
    concepts: set[str] = field(default_factory=set)  # IRIs

    def merge(self, other: Used) -> None:
        self.countries |= other.countries
        self.languages |= other.languages
        self.agents |= other.agents
        self.concepts |= other.concepts

    def add_record(self, record: Record, ctx: Context) -> None:
        for name in _FIELDS_OF["country"]:
            self.countries.update(getattr(record, name))
        for name in _FIELDS_OF["language"]:
            self.languages.update(getattr(record, name))
        for name in _FIELDS_OF["agent"]:
            for agent_id in getattr(record, name):
                self.agents.add(agent_id)
                parent = ctx.registry.agents[agent_id].part_of
                while parent and parent not in self.agents:
                    self.agents.add(parent)
                    parent = ctx.registry.agents[parent].part_of
        for name in _FIELDS_OF["type"]:
            self.concepts.add(ctx.vocab.types.concepts[getattr(record, name)].iri)
        for name in _FIELDS_OF["topic"]:
            self.concepts.update(ctx.vocab.topics.concepts[s].iri for s in getattr(record, name))


#: The fields that point at each kind of node (agents: projects too), from the field table.
_FIELDS_OF: dict[str, tuple[str, ...]] = {
    kind: tuple(
        f.name for f in RECORD_FIELDS if f.kind == kind or (kind == "agent" and f.kind == "project")
    )
    for kind in ("country", "language", "agent", "type", "topic")
}
_NODE_KINDS = ("country", "language", "agent", "project", "type", "topic")
if any(
    f.multi == (f.kind == "type") for f in RECORD_FIELDS if f.kind in _NODE_KINDS
):  # pragma: no cover
    raise AssertionError("Used.add_record reads a type field as one value, the others as lists")


#: A converter turns a field's value into RDF terms.
Converter = Callable[[Any, Context], Iterable[Any]]


@dataclass(frozen=True)
class Row:
    """One line of a profile's table: record field → predicate, through a converter."""

    field: str
    predicate: str
    convert: Converter


class Profile:
    """A vocabulary's view of a record: a table of rows, plus the nodes around it."""

    name: ClassVar[str]
    rows: ClassVar[tuple[Row, ...]]
    #: The property linking the catalogue to each record.
    has_part: ClassVar[str]

    def record(self, record: Record, ctx: Context, subject: NamedNode) -> list[Terms]:
        """The record's triples (as :data:`Terms`), *subject* being its node."""
        out: list[Terms] = [(subject, RDF_TYPE, iri(cls)) for cls in self.classes(record, ctx)]
        for row in self.rows:
            value = getattr(record, row.field)
            if value is None or value == ():
                continue
            predicate = iri(row.predicate)
            out += [(subject, predicate, obj) for obj in row.convert(value, ctx)]
        return out

    def classes(self, record: Record, ctx: Context) -> Iterable[str]:
        return ()

    def support(self, used: Used, ctx: Context) -> Iterator[Triple]:
        return iter(())

    def catalog(self, ctx: Context, record_ids: Iterable[str]) -> Iterator[Triple]:
        return iter(())
