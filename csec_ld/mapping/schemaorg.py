"""The schema.org profile, in the ``http://schema.org/`` namespace.

That namespace is what the official schema.org JSON-LD context expands to, so a
page's ``"@context": "https://schema.org"`` JSON-LD and our Turtle are one graph.
Dates are typed ``schema:Date``, as that context types ``datePublished``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pyoxigraph import Literal, NamedNode, Triple

from ..namespaces import SCHEMA
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

__all__ = ["SchemaOrgProfile"]

S = SCHEMA
SCHEMA_DATE = S + "Date"


def _agents(ids: Iterable[str], ctx: Context) -> list[NamedNode]:
    return [iri(ctx.registry.agents[a].iri) for a in ids]


def _part_of(ids: Iterable[str], ctx: Context) -> list[NamedNode]:
    return [iri(ctx.catalog.iri), *_agents(ids, ctx)]


def _scheme(scheme: str) -> object:
    def convert(ids: Iterable[Identifier], ctx: Context) -> list[object]:
        out: list[object] = []
        for i in ids:
            if i.scheme != scheme:
                continue
            out.append(iri(i.value) if scheme == "url" else Literal(i.value))
        return out

    return convert


def _same_as(ids: Iterable[Identifier], ctx: Context) -> list[NamedNode]:
    return [iri(i.iri) for i in ids if i.scheme in ("doi", "handle") and i.iri]


class SchemaOrgProfile(Profile):
    """schema.org classes and properties."""

    name = "schemaorg"
    has_part = S + "hasPart"
    rows = (
        Row("title", S + "name", lambda v, c: lang_literals(v)),
        Row("issued", S + "datePublished", lambda v, c: [typed_date(v, SCHEMA_DATE)]),
        Row("type", S + "additionalType", lambda v, c: [iri(c.vocab.types.concepts[v].iri)]),
        Row("description", S + "description", lambda v, c: lang_literals(v)),
        Row("countries", S + "spatialCoverage", lambda v, c: [iri(country(x).iri) for x in v]),
        Row("subjects", S + "about", lambda v, c: [iri(c.vocab.topics.concepts[x].iri) for x in v]),
        Row("publishers", S + "publisher", _agents),
        Row("creators", S + "author", _agents),
        Row("contributors", S + "contributor", _agents),
        Row("languages", S + "inLanguage", lambda v, c: [Literal(language(x).tag) for x in v]),
        Row("identifiers", S + "url", _scheme("url")),  # type: ignore[arg-type]
        Row("identifiers", S + "isbn", _scheme("isbn")),  # type: ignore[arg-type]
        Row("identifiers", S + "issn", _scheme("issn")),  # type: ignore[arg-type]
        Row("identifiers", S + "sameAs", _same_as),
        Row("is_part_of", S + "isPartOf", _part_of),
        Row("license", S + "license", lambda v, c: [iri(v)]),
        Row("modified", S + "dateModified", lambda v, c: [typed_date(v, SCHEMA_DATE)]),
    )

    def record(self, record: Record, ctx: Context, subject: NamedNode) -> list[Terms]:
        out = super().record(record, ctx, subject)
        if not record.is_part_of:
            out.append((subject, iri(S + "isPartOf"), iri(ctx.catalog.iri)))
        return out

    def classes(self, record: Record, ctx: Context) -> Iterable[str]:
        return [ctx.vocab.types.concepts[record.type].schema_class or S + "CreativeWork"]

    def support(self, used: Used, ctx: Context) -> Iterator[Triple]:
        name = iri(S + "name")
        for code in sorted(used.countries):
            c = country(code)
            yield Triple(iri(c.iri), RDF_TYPE, iri(S + "Country"))
            yield Triple(iri(c.iri), name, Literal(c.name, language="en"))
        for agent_id in sorted(used.agents):
            agent = ctx.registry.agents[agent_id]
            node = iri(agent.iri)
            cls = {"organization": "Organization", "person": "Person"}.get(agent.kind, "Project")
            yield Triple(node, RDF_TYPE, iri(S + cls))
            yield Triple(node, name, Literal(agent.name))
            for alt in agent.alt_names:
                yield Triple(node, iri(S + "alternateName"), Literal(alt))
            if agent.url:
                yield Triple(node, iri(S + "url"), iri(agent.url))
            if agent.part_of:
                parent = iri(ctx.registry.agents[agent.part_of].iri)
                prop = "parentOrganization" if agent.kind == "organization" else "isPartOf"
                yield Triple(node, iri(S + prop), parent)
        # The record's type (additionalType) and topics (about) as defined terms with
        # their labels: so that a page's JSON-LD names every node it points at.
        by_iri = {c.iri: c for c in (*ctx.vocab.types, *ctx.vocab.topics)}
        for concept_iri in sorted(used.concepts):
            node = iri(concept_iri)
            yield Triple(node, RDF_TYPE, iri(S + "DefinedTerm"))
            for lang, text in sorted(by_iri[concept_iri].labels.items()):
                yield Triple(node, name, Literal(text, language=lang))

    def catalog(self, ctx: Context, record_ids: Iterable[str]) -> Iterator[Triple]:
        cat = ctx.catalog
        node = iri(cat.iri)
        yield Triple(node, RDF_TYPE, iri(S + "Collection"))
        for t in lang_literals(cat.title):
            yield Triple(node, iri(S + "name"), t)
        for t in lang_literals(cat.description):
            yield Triple(node, iri(S + "description"), t)
        if cat.publisher:
            yield Triple(node, iri(S + "publisher"), iri(ctx.registry.agents[cat.publisher].iri))
        if cat.license:
            yield Triple(node, iri(S + "license"), iri(cat.license))
        has_part = iri(S + "hasPart")
        for rid in record_ids:
            yield Triple(node, has_part, ctx.record_node(rid))
