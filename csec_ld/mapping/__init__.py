"""Map records to RDF, one profile per vocabulary.

A profile (``dcterms``, ``schemaorg``) is a table of ``(field, predicate,
converter)`` rows plus a few helpers for the nodes a record points at (agents,
countries, languages, concepts) and for the catalogue itself. :data:`PROFILES`
is the registry; adding a vocabulary means adding one module and one entry.

>>> from csec_ld.sources import open_catalog
>>> cat = open_catalog(["data"])
>>> rec = next(cat.records())
>>> mapper = Mapper(cat)
>>> any(str(t.predicate) == "<http://purl.org/dc/terms/title>" for t in mapper.record(rec))
True
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal, overload

from pyoxigraph import Triple

from .. import defaults
from ..errors import UsageError
from ..records import Record
from ..serialize import Parts
from ..sources import Catalogue
from .base import RDF_TYPE, Context, Profile, Terms, Used, iri
from .dcterms import DctermsProfile
from .schemaorg import SchemaOrgProfile

__all__ = [
    "DEFAULT_PROFILES",
    "PROFILES",
    "Context",
    "Mapper",
    "Profile",
    "Terms",
    "get_profiles",
    "writes_every_profile",
]

PROFILES: dict[str, type[Profile]] = {
    DctermsProfile.name: DctermsProfile,
    SchemaOrgProfile.name: SchemaOrgProfile,
}
DEFAULT_PROFILES: tuple[str, ...] = defaults.PROFILES


def writes_every_profile(names: Sequence[str] | None) -> bool:
    """Whether a mapping with these profiles (none named: the default ones) writes every
    vocabulary the shapes check; validation needs a mapper of its own if not."""
    return not names or set(names) >= set(DEFAULT_PROFILES)


def get_profiles(names: Sequence[str] | None = None) -> list[Profile]:
    """Instantiate the named profiles (default: all), in registry order."""
    wanted = list(names) if names else list(DEFAULT_PROFILES)
    unknown = [n for n in wanted if n not in PROFILES]
    if unknown:
        raise UsageError(f"unknown profile {unknown[0]!r} (known: {', '.join(sorted(PROFILES))})")
    return [PROFILES[n]() for n in PROFILES if n in wanted]


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: Records per block of the catalogue's ``hasPart`` triples when they are streamed.
PART_BLOCK = 10_000


def _sort_key(t: Triple) -> tuple[str, bool, str, str]:
    """Subject, then rdf:type first, then predicate and object."""
    return (str(t.subject), t.predicate.value != _RDF_TYPE, t.predicate.value, str(t.object))


class Mapper:
    """Turn a catalogue's records into triple blocks, one block per subject.

    :meth:`record` gives a record's triples; :meth:`support` gives, after the
    records, the blocks for every agent, country, language and concept they
    used (sorted), and the catalogue's own block. Output is deterministic.
    """

    def __init__(self, catalogue: Catalogue, profiles: Sequence[str] | None = None) -> None:
        self.ctx = Context(catalogue.catalog, catalogue.vocab, catalogue.registry)
        self.profiles = get_profiles(profiles)
        self.used = Used()
        self.record_ids: list[str] = []

    def record(self, record: Record) -> list[Triple]:
        """The record's triples, as ``pyoxigraph.Triple`` objects (see :meth:`terms`)."""
        return [Triple(s, p, o) for s, p, o in self.terms(record)]

    def terms(self, record: Record) -> list[Terms]:
        """The record's triples as tuples: its classes, then each profile's rows in
        table order (the writers and the validator take tuples; the pipeline uses this).

        That order is deterministic and reads like the record (title, issued,
        type, ...); sorting a million blocks would cost more than it gives.
        """
        if record.is_withdrawn:
            # A tombstone is not part of the catalogue graph; harvesters learn of it
            # through OAI-PMH (deleted) and the change feed, people through its page.
            return []
        subject = self.ctx.record_node(record.id)
        types: list[Terms] = []
        rest: list[Terms] = []
        for profile in self.profiles:
            for t in profile.record(record, self.ctx, subject):
                (types if t[1] is RDF_TYPE else rest).append(t)
        self.used.add_record(record, self.ctx)
        self.record_ids.append(record.id)
        types.extend(rest)
        return types

    @overload
    def support(self, stream_parts: Literal[False] = False) -> Iterator[list[Triple]]: ...

    @overload
    def support(self, stream_parts: bool) -> Iterator[list[Triple] | Parts]: ...

    def support(self, stream_parts: bool = False) -> Iterator[list[Triple] | Parts]:
        """Blocks for the nodes the records pointed at, then the catalogue's block.

        With *stream_parts* and more than :data:`PART_BLOCK` records, the catalogue's
        ``hasPart`` triples follow its block in blocks of that many records, in
        record order, instead of inside it: a million records would otherwise make
        one sorted block of two million triples (and their sort keys) in memory. Those
        blocks are :class:`~csec_ld.serialize.Parts`, which iterate as triples.
        The catalogue then has several node objects in JSON-LD, which processors
        merge, as they would any node objects with the same ``@id``.
        """
        stream_parts = stream_parts and len(self.record_ids) > PART_BLOCK
        # The catalogue's publisher is described like the records' agents (and its parents).
        agent_id = self.ctx.catalog.publisher
        while agent_id and agent_id not in self.used.agents:
            self.used.agents.add(agent_id)
            agent_id = self.ctx.registry.agents[agent_id].part_of
        blocks: dict[str, set[Triple]] = {}
        for profile in self.profiles:
            for t in profile.support(self.used, self.ctx):
                blocks.setdefault(str(t.subject), set()).add(t)
        catalog_iri = self.ctx.catalog.iri
        for node in sorted(blocks):
            if node != catalog_iri:
                yield sorted(blocks[node], key=_sort_key)
        catalog: set[Triple] = set(blocks.get(catalog_iri, ()))
        ids = () if stream_parts else self.record_ids
        for profile in self.profiles:
            catalog.update(profile.catalog(self.ctx, ids))
        yield sorted(catalog, key=_sort_key)
        if stream_parts:
            subject = iri(catalog_iri)
            predicates = tuple(iri(p.has_part) for p in self.profiles)
            record_iri = self.ctx.catalog.record_iri
            for start in range(0, len(self.record_ids), PART_BLOCK):
                run = self.record_ids[start : start + PART_BLOCK]
                yield Parts(subject, predicates, tuple(record_iri(rid) for rid in run))
