"""The Dublin Core Terms profile (with SKOS and FOAF for the nodes around a record)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pyoxigraph import Literal, NamedNode, Triple

from ..namespaces import CSEC_NS, DCMITYPE, DCTERMS, FOAF, RDFS, SKOS
from ..records import Identifier, Record
from ..vocab import country, language
from .base import (
    RDF_TYPE,
    Context,
    Profile,
    Row,
    Terms,
    Used,
    iri,
    lang_literals,
    typed_date,
)

__all__ = ["DctermsProfile"]

D = DCTERMS


def _agents(ids: Iterable[str], ctx: Context) -> list[NamedNode]:
    return [iri(ctx.registry.agents[a].iri) for a in ids]


def _identifiers(ids: Iterable[Identifier], ctx: Context) -> list[Literal]:
    return [Literal(i.literal) for i in ids]


def _part_of(ids: Iterable[str], ctx: Context) -> list[NamedNode]:
    return [iri(ctx.catalog.iri), *_agents(ids, ctx)]


class DctermsProfile(Profile):
    """``dcterms:`` properties, DCMI Type classes, SKOS labels for concepts."""

    name = "dcterms"
    has_part = D + "hasPart"
    rows = (
        Row("title", D + "title", lambda v, c: lang_literals(v)),
        Row("issued", D + "issued", lambda v, c: [typed_date(v)]),
        Row("type", D + "type", lambda v, c: [iri(c.vocab.types.concepts[v].iri)]),
        Row("description", D + "description", lambda v, c: lang_literals(v)),
        Row("countries", D + "spatial", lambda v, c: [iri(country(x).iri) for x in v]),
        Row(
            "subjects", D + "subject", lambda v, c: [iri(c.vocab.topics.concepts[x].iri) for x in v]
        ),
        Row("publishers", D + "publisher", _agents),
        Row("creators", D + "creator", _agents),
        Row("contributors", D + "contributor", _agents),
        Row("languages", D + "language", lambda v, c: [iri(language(x).iri) for x in v]),
        Row("identifiers", D + "identifier", _identifiers),
        Row("is_part_of", D + "isPartOf", _part_of),
        Row("license", D + "license", lambda v, c: [iri(v)]),
        Row("modified", D + "modified", lambda v, c: [typed_date(v)]),
    )

    def record(self, record: Record, ctx: Context, subject: NamedNode) -> list[Terms]:
        out = super().record(record, ctx, subject)
        if not record.is_part_of:  # every record is part of the catalogue
            out.append((subject, iri(D + "isPartOf"), iri(ctx.catalog.iri)))
        return out

    def classes(self, record: Record, ctx: Context) -> Iterable[str]:
        return [ctx.vocab.types.concepts[record.type].dcmi_type or DCMITYPE + "Text"]

    def support(self, used: Used, ctx: Context) -> Iterator[Triple]:
        label, pref = iri(RDFS + "label"), iri(SKOS + "prefLabel")
        for code in sorted(used.countries):
            c = country(code)
            node = iri(c.iri)
            yield Triple(node, RDF_TYPE, iri(D + "Location"))
            yield Triple(node, pref, Literal(c.name, language="en"))
            yield Triple(node, iri(SKOS + "notation"), Literal(c.alpha3))
        for code in sorted(used.languages):
            lang = language(code)
            node = iri(lang.iri)
            yield Triple(node, RDF_TYPE, iri(D + "LinguisticSystem"))
            yield Triple(node, pref, Literal(lang.name, language="en"))
            yield Triple(node, iri(SKOS + "notation"), Literal(lang.code))
        for agent_id in sorted(used.agents):
            agent = ctx.registry.agents[agent_id]
            node = iri(agent.iri)
            cls = {"organization": FOAF + "Organization", "person": FOAF + "Person"}.get(
                agent.kind, CSEC_NS + "Project"
            )
            yield Triple(node, RDF_TYPE, iri(cls))
            yield Triple(node, label, Literal(agent.name))
            if agent.kind != "project":
                yield Triple(node, iri(FOAF + "name"), Literal(agent.name))
            if agent.url:
                yield Triple(node, iri(FOAF + "homepage"), iri(agent.url))
            if agent.part_of:
                yield Triple(node, iri(D + "isPartOf"), iri(ctx.registry.agents[agent.part_of].iri))
        by_iri = {c.iri: c for c in (*ctx.vocab.types, *ctx.vocab.topics)}
        for concept_iri in sorted(used.concepts):
            concept = by_iri[concept_iri]
            node = iri(concept_iri)
            yield Triple(node, RDF_TYPE, iri(SKOS + "Concept"))
            yield Triple(node, iri(SKOS + "inScheme"), iri(concept.scheme))
            for lang, text in sorted(concept.labels.items()):
                yield Triple(node, pref, Literal(text, language=lang))

    def catalog(self, ctx: Context, record_ids: Iterable[str]) -> Iterator[Triple]:
        cat = ctx.catalog
        node = iri(cat.iri)
        yield Triple(node, RDF_TYPE, iri(DCMITYPE + "Collection"))
        for t in lang_literals(cat.title):
            yield Triple(node, iri(D + "title"), t)
        for t in lang_literals(cat.description):
            yield Triple(node, iri(D + "description"), t)
        if cat.publisher:
            yield Triple(node, iri(D + "publisher"), iri(ctx.registry.agents[cat.publisher].iri))
        if cat.license:
            yield Triple(node, iri(D + "license"), iri(cat.license))
        has_part = iri(D + "hasPart")
        for rid in record_ids:
            yield Triple(node, has_part, ctx.record_node(rid))
