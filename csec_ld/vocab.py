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

import difflib
import functools
import os
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pycountry
import rdflib
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import SKOS as _SKOS

from .errors import RecordError, ShapesError
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
    "countries_named",
    "country",
    "find_country",
    "find_language",
    "fold",
    "language",
    "load_vocabulary",
    "site_vocabulary",
    "suggestion",
    "vocabulary_with",
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
    #: The catalogue's own SKOS files that add to (or replace) the shipped scheme.
    files: tuple[str, ...] = field(default=(), compare=False)
    replaced: bool = field(default=False, compare=False)

    @property
    def where(self) -> str:
        """Where its concepts are defined, for messages: the shipped scheme (by IRI: a
        pip user has no ontology/ folder) and the catalogue's files."""
        shipped = [] if self.replaced else [f"the shipped scheme <{self.iri}>"]
        return " and ".join([*shipped, ", ".join(self.files)] if self.files else shipped)

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

    def suggest(self, value: str) -> str | None:
        """The id of the concept whose id or label is closest to *value*, if one is close
        (for "did you mean")."""
        names = {fold(c.id.replace("-", " ")): c.id for c in self}
        for c in self:
            for label in (*c.labels.values(), *c.alt_labels):
                names.setdefault(fold(label), c.id)
        return suggestion(value.replace("-", " "), names)

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


#: Longer texts are not names: no lookup, no suggestion (a hostile file's long value
#: costs no fuzzy matching).
_NAME_LENGTH = 100


def suggestion(text: str, names: Mapping[str, str]) -> str | None:
    """The name closest to *text* among *names* (folded name -> name shown), if close.

    >>> suggestion("Phillipines", {"philippines": "Philippines"})
    'Philippines'
    """
    if len(text) > _NAME_LENGTH:
        return None
    found = difflib.get_close_matches(fold(text), list(names), n=1, cutoff=0.8)
    return names[found[0]] if found else None


@functools.lru_cache(maxsize=4096)
def find_country(text: str) -> Country:
    """The country of ISO 3166-1 code or English name *text* (as pycountry knows them:
    ``PH``, ``PHL``, ``Philippines``, ``Bolivia, Plurinational State of``); ``KeyError``
    if none. Records and query parameters both read countries so.

    >>> find_country("philippines").alpha3
    'PHL'
    """
    text = text.strip()
    try:
        return country(text)
    except KeyError:
        pass
    found = None
    if 3 < len(text) <= _NAME_LENGTH:  # codes are country()'s (lookup would take "608")
        try:
            found = pycountry.countries.lookup(_country_names().get(fold(text), text))
        except LookupError:  # the folded index also takes "Cote d'Ivoire"
            found = None
    if found is None:
        raise KeyError(text)
    return country(found.alpha_3)


@functools.lru_cache(maxsize=4096)
def find_language(text: str) -> Language:
    """The language of ISO 639 code or English name *text* (``fr``, ``fre``, ``fra``,
    ``French``); ``KeyError`` if none.

    >>> find_language("French").code
    'fra'
    """
    text = text.strip()
    try:
        return language(text)
    except KeyError:
        pass
    found = None
    if 3 < len(text) <= _NAME_LENGTH:
        try:
            found = pycountry.languages.lookup(text)
        except LookupError:
            found = None
    if found is None:
        raise KeyError(text)
    return language(found.alpha_3)


@functools.cache
def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for c in pycountry.countries:
        shown = getattr(c, "common_name", c.name)
        for name in (c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)):
            if name:
                names.setdefault(fold(name), shown)
    return names


@functools.cache
def _language_names() -> dict[str, str]:
    return {fold(lang.name): lang.name for lang in pycountry.languages}


@functools.cache
def _country_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex of every country name (folded, longest first), and name -> alpha-3.

    Names two countries share once shortened ("Korea" of "Korea, Republic of") are left
    out: a title that says only "Korea" names neither for sure.
    """
    claims: dict[str, set[str]] = {}
    for c in pycountry.countries:
        for name in (c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)):
            if not name:
                continue
            for form in {name, name.split(",")[0]}:
                claims.setdefault(fold(form), set()).add(c.alpha_3)
    codes = {name: next(iter(owners)) for name, owners in claims.items() if len(owners) == 1}
    names = sorted(codes, key=lambda n: (-len(n), n))
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])"), codes


def countries_named(text: str) -> list[str]:
    """The ISO 3166-1 alpha-3 codes of the countries *text* names, in order, each once.

    >>> countries_named("Tracer Study - PARAGUAY; Papua New Guinea, not Guinea-Bissau")
    ['PRY', 'PNG', 'GNB']
    """
    pattern, codes = _country_pattern()
    found = (codes[m.group(0)] for m in pattern.finditer(fold(text)))
    return list(dict.fromkeys(found))


@functools.lru_cache(maxsize=1024)
def country_suggestion(text: str) -> str | None:
    """The country name closest to *text*, if one is close (for "did you mean")."""
    return suggestion(text, _country_names())


@functools.lru_cache(maxsize=1024)
def language_suggestion(text: str) -> str | None:
    """The language name closest to *text*, if one is close (for "did you mean")."""
    return suggestion(text, _language_names())


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
    #: The Turtle files of this vocabulary, in order: the shipped ontology (less the
    #: files of a scheme the catalogue replaces), then the catalogue's own SKOS files.
    #: A site's ``ontology.ttl``, the query engines and ``push`` carry these.
    files: tuple[Path, ...] = field(default=(), compare=False)


_CSEC = rdflib.Namespace(CSEC_NS)


def _scheme(
    graph: rdflib.Graph, scheme_iri: str, files: tuple[str, ...] = (), replaced: bool = False
) -> ConceptScheme:
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
    return ConceptScheme(scheme_iri, concepts, index, files, replaced)


#: The schemes a catalogue's SKOS files may extend or replace, by the name catalog.yaml uses.
SCHEMES = {"types": TYPE_SCHEME, "topics": TOPIC_SCHEME}


@functools.lru_cache(maxsize=8)
def _load(
    shipped: tuple[tuple[str, int, int], ...],
    extra: tuple[tuple[str, int, int], ...] = (),
    replace: tuple[str, ...] = (),
) -> Vocabulary:
    graph = rdflib.Graph()
    kept: list[Path] = []
    for given, _, _ in shipped:
        path = Path(given)
        part = rdflib.Graph()
        try:
            part.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises many kinds; all mean "unreadable"
            raise ShapesError(f"{path}: cannot read the ontology: {exc}") from exc
        graph += part
        if not any(
            True
            for name in replace
            for _ in part.subjects(_SKOS.inScheme, rdflib.URIRef(SCHEMES[name]))
        ):
            kept.append(path)
    if not extra:
        return Vocabulary(
            _scheme(graph, TYPE_SCHEME), _scheme(graph, TOPIC_SCHEME), graph, tuple(kept)
        )
    own = rdflib.Graph()
    files: dict[str, list[str]] = {"types": [], "topics": []}
    for given, _, _ in extra:
        part = _read_skos(Path(given))
        named = [
            name
            for name, iri in SCHEMES.items()
            if any(True for _ in part.subjects(_SKOS.inScheme, rdflib.URIRef(iri)))
        ]
        if not named:
            raise RecordError(
                "holds no concept of the resource-type or topic scheme (skos:inScheme "
                f"<{TYPE_SCHEME}> or <{TOPIC_SCHEME}>)",
                path=given,
                field="vocabularies",
            )
        for name in named:
            files[name].append(given)
        own += part
    merged = graph + own
    schemes = {}
    for name, iri in SCHEMES.items():
        replaced = name in replace
        scheme = _scheme(own if replaced else merged, iri, tuple(files[name]), replaced)
        if replaced and not scheme.concepts:
            raise RecordError(
                f"replace_vocabularies: {name}, but no file of vocabularies: has a concept "
                f"of <{iri}> (with an IRI under {iri}/)",
                field="replace_vocabularies",
            )
        schemes[name] = scheme
    return Vocabulary(
        schemes["types"],
        schemes["topics"],
        merged,
        (*kept, *(Path(given) for given, _, _ in extra)),
    )


def _read_skos(path: Path) -> rdflib.Graph:
    """A catalogue's SKOS file (Turtle); :class:`RecordError` with the line of a syntax
    error, or of a concept whose IRI is not under its scheme's (its id is that path)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"cannot read the vocabulary ({exc.strerror})", path=path) from exc
    try:  # pyoxigraph says where the error is; rdflib reads the graph
        import pyoxigraph

        list(
            pyoxigraph.parse(
                data, format=pyoxigraph.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()
            )
        )
    except SyntaxError as exc:
        raise RecordError(
            f"malformed Turtle: {exc.msg}", path=path, line=exc.lineno, field="vocabularies"
        ) from exc
    graph = rdflib.Graph()
    graph.parse(data=data, format="turtle", publicID=path.resolve().as_uri())
    for iri in SCHEMES.values():
        for c in sorted(graph.subjects(_SKOS.inScheme, rdflib.URIRef(iri)), key=str):
            if not str(c).startswith(iri + "/"):
                raise RecordError(
                    f"concept <{c}> is in <{iri}>: its IRI must start with {iri}/ "
                    f"(its id is what follows)",
                    path=path,
                    field="vocabularies",
                )
    return graph


def load_vocabulary(
    directory: Path | None = None,
    extra: tuple[str | Path, ...] = (),
    replace: tuple[str, ...] = (),
    *,
    files: Sequence[str | Path] | None = None,
) -> Vocabulary:
    """Read (once) the SKOS schemes of ``ontology/``, with the catalogue's own SKOS files
    *extra* (``vocabularies:`` of catalog.yaml): their concepts extend the shipped
    schemes, or replace those named in *replace* (``types``, ``topics``).

    *files* instead of ``ontology/``: the Turtle files that hold the whole vocabulary,
    such as a published site's ``ontology.ttl`` (see :func:`site_vocabulary`).

    :class:`~csec_ld.errors.RecordError` names the file (and line) of a bad one.
    """
    if files is None:
        files = sorted((directory or ontology_dir()).resolve().glob("*.ttl"))
    return _load(_stamps(files, None), _stamps(extra, "vocabularies"), tuple(sorted(replace)))


def _stamps(files: Sequence[str | Path], field: str | None) -> tuple[tuple[str, int, int], ...]:
    """Each file with its modification time and size: the cache's key changes with them."""
    stamps = []
    for p in files:
        try:
            st = os.stat(p)
        except OSError as exc:
            what = "the vocabulary" if field else "the ontology"
            raise RecordError(f"cannot read {what} ({exc.strerror})", path=p) from exc
        stamps.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(stamps)


def site_vocabulary(site: str | Path) -> Vocabulary:
    """The vocabulary a published *site* was made with: its ``ontology.ttl`` holds the
    shipped schemes and the catalogue's own concepts (``vocabularies:``), so the query
    forms and parameter checks of ``serve`` offer what the site's records use. A folder
    without one (not a site) gets the shipped vocabulary."""
    ontology = Path(site) / "ontology.ttl"
    return load_vocabulary(files=[ontology]) if ontology.is_file() else load_vocabulary()


def vocabulary_with(triples: rdflib.Graph) -> Vocabulary:
    """The shipped vocabulary extended by the concepts in *triples* (what a store, an
    endpoint or a site holds of the two schemes: a catalogue's own concepts included)."""
    shipped = load_vocabulary()
    merged = shipped.graph + triples
    return Vocabulary(
        _scheme(merged, TYPE_SCHEME), _scheme(merged, TOPIC_SCHEME), merged, shipped.files
    )
