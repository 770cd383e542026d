"""The controlled vocabularies: resource types, topics, countries, languages, agents.

Types and topics are SKOS schemes read from ``ontology/``; countries and languages
come from pycountry (ISO 3166-1, ISO 639) and are mapped to the EU Publications
Office authority IRIs; agents and projects come from the registry in ``data/``.

>>> country("PH").iri
'http://publications.europa.eu/resource/authority/country/PHL'
>>> load_vocabulary().types.resolve("survey report").id
'survey-report'
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pycountry
import rdflib
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import SKOS as _SKOS

from .errors import ShapesError
from .namespaces import (
    AGENT_BASE,
    COUNTRY_BASE,
    CSEC_NS,
    LANGUAGE_BASE,
    PROJECT_BASE,
    TOPIC_SCHEME,
    TYPE_SCHEME,
)
from .resources import ontology_dir

__all__ = [
    "Agent",
    "Concept",
    "ConceptScheme",
    "Country",
    "Language",
    "Registry",
    "Vocabulary",
    "country",
    "fold",
    "language",
    "load_vocabulary",
]


def fold(text: str) -> str:
    """Case- and accent-insensitive key: ``fold("Côte") == fold("cote")``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


@dataclass(frozen=True)
class Concept:
    """A SKOS concept of one of our schemes."""

    id: str
    iri: str
    scheme: str
    labels: Mapping[str, str]
    alt_labels: tuple[str, ...] = ()
    definition: str | None = None
    broader: tuple[str, ...] = ()
    schema_class: str | None = None
    dcmi_type: str | None = None

    @property
    def label(self) -> str:
        return self.labels.get("en") or next(iter(self.labels.values()), self.id)


@dataclass(frozen=True)
class ConceptScheme:
    """A concept scheme, looked up by id, IRI or (case/accent-insensitive) label."""

    iri: str
    concepts: Mapping[str, Concept]
    _index: Mapping[str, str] = field(repr=False, compare=False, default_factory=dict)

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts[k] for k in sorted(self.concepts))

    def __contains__(self, concept_id: object) -> bool:
        return concept_id in self.concepts

    def resolve(self, value: str) -> Concept:
        """The concept whose id, IRI, notation or label is *value*; ``KeyError`` if none."""
        if value in self.concepts:
            return self.concepts[value]
        key = self._index.get(fold(value))
        if key is None:
            raise KeyError(value)
        return self.concepts[key]

    def narrower_closure(self, concept_id: str) -> set[str]:
        """The concept and every concept below it."""
        children: dict[str, set[str]] = {}
        for c in self.concepts.values():
            for b in c.broader:
                children.setdefault(b, set()).add(c.id)
        seen, todo = {concept_id}, [concept_id]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return seen


@dataclass(frozen=True)
class Country:
    alpha2: str
    alpha3: str
    name: str

    @property
    def iri(self) -> str:
        return COUNTRY_BASE + self.alpha3


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-3, lower case
    alpha2: str | None
    name: str

    @property
    def iri(self) -> str:
        return LANGUAGE_BASE + self.code.upper()

    @property
    def tag(self) -> str:
        """The BCP 47 tag: the two-letter code where there is one."""
        return self.alpha2 or self.code


@functools.lru_cache(maxsize=4096)
def country(code: str) -> Country:
    """The country with ISO 3166-1 alpha-2 or alpha-3 *code*; ``KeyError`` if none.

    >>> country("phl").name
    'Philippines'
    """
    code = code.strip()
    found = None
    if code.isalpha() and len(code) in (2, 3):
        if len(code) == 2:
            found = pycountry.countries.get(alpha_2=code.upper())
        else:
            found = pycountry.countries.get(alpha_3=code.upper())
    if found is None:
        raise KeyError(code)
    return Country(found.alpha_2, found.alpha_3, getattr(found, "common_name", found.name))


@functools.lru_cache(maxsize=4096)
def language(code: str) -> Language:
    """The language with ISO 639-1, 639-2 (B or T) or 639-3 *code*; ``KeyError`` if none.

    >>> language("fre").code, language("en").code
    ('fra', 'eng')
    """
    code = code.strip().lower()
    found = None
    if code.isalpha() and len(code) == 2:
        found = pycountry.languages.get(alpha_2=code)
    elif code.isalpha() and len(code) == 3:
        found = pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
    if found is None:
        raise KeyError(code)
    return Language(found.alpha_3, getattr(found, "alpha_2", None), found.name)


AgentKind = Literal["organization", "person", "project"]


@dataclass(frozen=True)
class Agent:
    """An organisation, a person or a project/series from the registry."""

    id: str
    kind: AgentKind
    name: str
    alt_names: tuple[str, ...] = ()
    url: str | None = None
    part_of: str | None = None
    description: str | None = None

    @property
    def iri(self) -> str:
        return (PROJECT_BASE if self.kind == "project" else AGENT_BASE) + self.id


@dataclass(frozen=True)
class Registry:
    """The agents and projects that records may name, by id."""

    agents: Mapping[str, Agent] = field(default_factory=dict)

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self.agents

    def __iter__(self) -> Iterator[Agent]:
        return iter(self.agents[k] for k in sorted(self.agents))

    def get(self, agent_id: str) -> Agent | None:
        return self.agents.get(agent_id)


@dataclass(frozen=True)
class Vocabulary:
    """Our two SKOS schemes, read from the ontology folder."""

    types: ConceptScheme
    topics: ConceptScheme
    graph: rdflib.Graph = field(repr=False, compare=False)


_CSEC = rdflib.Namespace(CSEC_NS)


def _scheme(graph: rdflib.Graph, scheme_iri: str) -> ConceptScheme:
    scheme = rdflib.URIRef(scheme_iri)
    prefix = scheme_iri + "/"
    concepts: dict[str, Concept] = {}
    index: dict[str, str] = {}
    for c in sorted(graph.subjects(_SKOS.inScheme, scheme), key=str):
        if (c, _RDF.type, _SKOS.Concept) not in graph or not str(c).startswith(prefix):
            continue
        cid = str(c)[len(prefix) :]
        labels = {
            (o.language or "en"): str(o)
            for o in graph.objects(c, _SKOS.prefLabel)
            if isinstance(o, rdflib.Literal)
        }
        alts = tuple(sorted(str(o) for o in graph.objects(c, _SKOS.altLabel)))
        broader = tuple(
            sorted(
                str(b)[len(prefix) :]
                for b in graph.objects(c, _SKOS.broader)
                if str(b).startswith(prefix)
            )
        )
        definition = graph.value(c, _SKOS.definition)
        sc = graph.value(c, _CSEC.schemaOrgClass)
        dt = graph.value(c, _CSEC.dcmiType)
        concepts[cid] = Concept(
            id=cid,
            iri=str(c),
            scheme=scheme_iri,
            labels=labels,
            alt_labels=alts,
            definition=str(definition) if definition is not None else None,
            broader=broader,
            schema_class=str(sc) if sc is not None else None,
            dcmi_type=str(dt) if dt is not None else None,
        )
        for key in (
            cid,
            str(c),
            *labels.values(),
            *alts,
            *map(str, graph.objects(c, _SKOS.notation)),
        ):
            index.setdefault(fold(key), cid)
    return ConceptScheme(scheme_iri, concepts, index)


@functools.lru_cache(maxsize=8)
def _load(directory: str) -> Vocabulary:
    graph = rdflib.Graph()
    for path in sorted(Path(directory).glob("*.ttl")):
        try:
            graph.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises many kinds; all mean "unreadable"
            raise ShapesError(f"{path}: cannot read the ontology: {exc}") from exc
    return Vocabulary(_scheme(graph, TYPE_SCHEME), _scheme(graph, TOPIC_SCHEME), graph)


def load_vocabulary(directory: Path | None = None) -> Vocabulary:
    """Read (once) the SKOS schemes of ``ontology/``."""
    return _load(str((directory or ontology_dir()).resolve()))
