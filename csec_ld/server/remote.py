"""``serve --endpoint``: record pages and files rendered from a SPARQL store filled by ``push``.

:class:`RemoteSite` answers "the files of a record" from the store alone, with the
writers and templates ``publish`` uses: a record's ``resource/{id}.ttl``, ``.nt`` and
``.jsonld`` are its block followed by the blocks of what it names (its agents and their
parents, the catalogue's publisher and its parents, countries, languages, type and
topics), each in the mapper's order (by subject, ``rdf:type`` first, then predicate and
object); its page (``resource/{id}/index.html``) and citations come from the
:class:`~csec_ld.records.Record` rebuilt from its ``dcterms:`` triples, through
:meth:`csec_ld.site.publish.Site.record_page` and :func:`csec_ld.site.citations.csl_item`.

**Order.** A store holds a set of triples. The record's block is rebuilt in the
mapping's order: its classes, then each profile's rows in table order, the
``isPartOf`` of the catalogue first among its parts (or after the profile's rows when
the record has no other part). The order of several values of one field (titles,
topics, authors) is not in the store: they are written sorted (N-Triples text), so
the files are byte-identical to ``publish``'s for records whose multi-valued fields
(and the registry's alternate names) are in that order, and the same graph for every
record.

**State.** None that two instances could disagree on: each request asks the store.
The catalogue's base IRI is looked up once (it names every record) and kept; its title,
publisher and licence for :data:`CATALOG_TTL` seconds. Rendered pages and citations
(the costly part) are kept by a hash of the triples they were made from (at most
:data:`KEPT_PAGES`): the store is still asked each time, and a change there is a new key.

**Safety.** A record id from a URL must be a record id (:data:`csec_ld.records.SLUG_RE`,
at most ``LIMITS["id"]`` characters) before any query is made, and goes into the query
as an IRI term written by pyoxigraph, never as pasted text. The store is read through
:class:`csec_ld.store.RemoteEngine` (time limit, size cap, same-origin redirects).
Withdrawn records are not in the store (``push`` sends the catalogue graph, which
has no tombstones): their IRIs answer 404, not 410.

>>> RemoteSite.valid_id("tracer-study-paraguay-2012"), RemoteSite.valid_id("a> } ;")
(True, False)
"""

from __future__ import annotations

import collections
import hashlib
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson
from pyoxigraph import NamedNode, Triple

from ..errors import CsecLdError, QueryError, RequestError, StoreError, UsageError
from ..mapping import DEFAULT_PROFILES, get_profiles
from ..namespaces import DCTERMS
from ..records import (
    LIMITS,
    SLUG_RE,
    Identifier,
    LangString,
    Record,
    parse_date,
    parse_identifier,
)
from ..serialize import FORMATS, node_object
from ..site.citations import CITATION_FORMATS, csl_item
from ..site.publish import DATA_FORMATS, Site, data_frame
from ..sources import Catalog, Catalogue
from ..store import DEFAULT_TIMEOUT, RemoteEngine, Result, vocabulary_of
from ..urls import redact
from ..vocab import Agent, Registry, Vocabulary, language, load_vocabulary
from .protocol import read_query_request

__all__ = ["RecordFiles", "RemoteSite", "create_remote_app"]

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_PART_OF = DCTERMS + "isPartOf"
_HAS_PART = DCTERMS + "hasPart"
_PUBLISHER = DCTERMS + "publisher"
_TITLE = DCTERMS + "title"
_DESCRIPTION = DCTERMS + "description"
_LICENSE = DCTERMS + "license"
#: How long the catalogue's description (title, publisher, licence) is kept, in seconds.
CATALOG_TTL = 60.0
#: Rendered pages and citations kept, by a hash of the triples they are made from.
KEPT_PAGES = 2048
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_SCHEMA = "http://schema.org/"
#: The record predicates whose objects are concepts (its type and topics).
_CONCEPT_LINKS = frozenset(
    {DCTERMS + "type", DCTERMS + "subject", _SCHEMA + "additionalType", _SCHEMA + "about"}
)
#: What the mapper says of a concept in a record's files: ``push`` also sends the
#: ontology, which says more of the same concepts (definitions, broader, ...).
_CONCEPT_PREDICATES = frozenset(
    {_RDF_TYPE, _SKOS + "inScheme", _SKOS + "prefLabel", _SCHEMA + "name"}
)
_AGENT_KINDS = {
    _SCHEMA + "Project": "project",
    _SCHEMA + "Person": "person",
    _SCHEMA + "Organization": "organization",
}


class _Engine(Protocol):
    def query(self, sparql: str) -> Result: ...


@dataclass(frozen=True)
class RecordFiles:
    """A record's files: ``ttl``, ``nt``, ``jsonld``, ``html`` (its page) and the
    citations (``bib``, ``ris``, ``csljson``) → bytes, and their ETags."""

    record_id: str
    bodies: dict[str, bytes]

    def etag(self, fmt: str) -> str:
        """A strong ETag: the body's hash (the same bytes give the same tag everywhere)."""
        return '"' + hashlib.sha256(self.bodies[fmt]).hexdigest()[:32] + '"'


def _rank() -> tuple[dict[str, int], dict[str, int]]:
    """Each record predicate's place in the mapper's order, and where a profile's
    ``isPartOf`` of the catalogue goes when the record has no other part."""
    rank: dict[str, int] = {}
    alone: dict[str, int] = {}
    n = 0
    for profile in get_profiles(list(DEFAULT_PROFILES)):
        for row in profile.rows:
            n += 1
            rank.setdefault(row.predicate, n)
        n += 1
        if profile.rows and any(r.field == "is_part_of" for r in profile.rows):
            part_of = next(r.predicate for r in profile.rows if r.field == "is_part_of")
            alone[part_of] = n  # appended after the profile's rows
    return rank, alone


class RemoteSite:
    """A published site's record files, from a SPARQL endpoint filled by ``push``.

    *endpoint* is the store's SPARQL query URL (Oxigraph: ``http://host:7878/query``);
    *graph* the named graph ``push --graph`` filled (default: the default graph).
    """

    def __init__(
        self,
        endpoint: str,
        *,
        graph: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        engine: _Engine | None = None,
    ) -> None:
        if graph is not None:
            try:
                NamedNode(graph)
            except ValueError as exc:
                raise UsageError(f"--graph: {graph!r} is not an IRI ({exc})") from exc
        self.endpoint = endpoint
        self.graph = graph
        self.engine: _Engine = (
            engine
            if engine is not None
            else RemoteEngine(endpoint, timeout=timeout, default_graph=graph)
        )
        self._base: str | None = None
        self._lock = threading.Lock()
        self._rank, self._alone = _rank()
        self._frames = {fmt: data_frame(fmt) for fmt in DATA_FORMATS}
        self._catalog_at: tuple[float, Catalog] | None = None
        self._kept: collections.OrderedDict[bytes, dict[str, bytes]] = collections.OrderedDict()
        self._vocabulary: Vocabulary | None = None
        self._env = _PageSite(Catalogue(Catalog(), Registry({}), load_vocabulary(), [])).env

    @property
    def _vocab(self) -> Vocabulary:
        """The store's concepts (a catalogue's own ones were pushed with it), asked once."""
        if self._vocabulary is None:
            self._vocabulary = vocabulary_of(self.engine)
        return self._vocabulary

    @staticmethod
    def valid_id(record_id: str) -> bool:
        """Whether *record_id* can be a record's id (checked before it nears a query)."""
        return len(record_id) <= LIMITS["id"] and SLUG_RE.fullmatch(record_id) is not None

    def base(self) -> str:
        """The catalogue's base IRI (its ``catalog`` IRI without ``catalog``)."""
        if self._base is not None:
            return self._base
        found = self.engine.query(  # not under the lock: a slow store holds no one else up
            f"SELECT ?c WHERE {{ ?c <{_HAS_PART}> ?r . "
            'FILTER(STRENDS(STR(?c), "/catalog")) } LIMIT 1'
        )
        rows = found.values()
        if not rows or not rows[0].get("c"):
            raise StoreError(
                f"{redact(self.endpoint)}: the store holds no catalogue"
                + (f" in graph {self.graph}" if self.graph else "")
                + " (fill it with `csec-ld push`)"
            )
        with self._lock:
            self._base = str(rows[0]["c"])[: -len("catalog")]
            return self._base

    def record(self, record_id: str, only: str | None = None) -> RecordFiles | None:
        """The record's files (*only*: just that one, by suffix), or None if the store
        has no such record.

        Raises :class:`StoreError` when the store cannot be asked.
        """
        if not self.valid_id(record_id):
            return None
        base = self.base()
        subject = NamedNode(f"{base}resource/{record_id}")
        catalog = NamedNode(f"{base}catalog")
        triples = self.engine.query(_record_query(subject, catalog)).triples
        own = [t for t in triples if t.subject == subject]
        if not own:
            return None
        concepts = {t.object for t in own if t.predicate.value in _CONCEPT_LINKS}
        nodes: dict[str, set[Triple]] = {}
        for t in triples:
            if t.subject == subject or t.subject == catalog:
                continue
            if t.subject in concepts and t.predicate.value not in _CONCEPT_PREDICATES:
                continue
            nodes.setdefault(str(t.subject), set()).add(t)
        block = self._ordered(own, catalog)
        support = [sorted(nodes[n], key=_sort_key) for n in sorted(nodes)]
        bodies = {
            fmt: self._render(fmt, block, support) for fmt in DATA_FORMATS if only in (None, fmt)
        }
        if only not in DATA_FORMATS:
            bodies.update(self._pages(record_id, block, nodes, only))
        return RecordFiles(record_id, bodies)

    # -- the page and the citations, from a Record rebuilt from the triples

    def _catalog(self) -> Catalog:
        """The catalogue's description (title, publisher, licence), kept for
        :data:`CATALOG_TTL` seconds: it changes only with a push of a new catalog.yaml."""
        now = time.monotonic()
        with self._lock:
            if self._catalog_at is not None and now - self._catalog_at[0] < CATALOG_TTL:
                return self._catalog_at[1]
        base = self.base()
        c = str(NamedNode(f"{base}catalog"))
        wanted = " ".join(f"<{p}>" for p in (_TITLE, _DESCRIPTION, _PUBLISHER, _LICENSE))
        found = self.engine.query(
            f"CONSTRUCT {{ {c} ?p ?o }} WHERE {{ {c} ?p ?o VALUES ?p {{ {wanted} }} }}"
        ).triples
        titles = tuple(_lang_string(t.object) for t in _sorted_objects(found, _TITLE))
        description = tuple(_lang_string(t.object) for t in _sorted_objects(found, _DESCRIPTION))
        publisher = next(
            (_last(_text(t.object)) for t in found if t.predicate.value == _PUBLISHER), None
        )
        license_ = next((_text(t.object) for t in found if t.predicate.value == _LICENSE), None)
        catalog = Catalog(
            title=titles or Catalog().title,
            description=description,
            base=base,
            publisher=publisher,
            license=license_,
        )
        with self._lock:
            self._catalog_at = (now, catalog)
        return catalog

    def _pages(
        self,
        record_id: str,
        block: list[Triple],
        nodes: dict[str, set[Triple]],
        only: str | None = None,
    ) -> dict[str, bytes]:
        catalog = self._catalog()
        # Pages cost tens of ms (the cite box): kept by what they are made from, so a
        # kept page is the page those triples give, whichever instance renders it.
        key = hashlib.sha256(
            repr(
                (
                    record_id,
                    only,
                    catalog,
                    [str(t) for t in block],
                    sorted(str(t) for ts in nodes.values() for t in ts),
                )
            ).encode()
        ).digest()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        out = self._render_pages(record_id, block, nodes, catalog, only)
        with self._lock:
            self._kept[key] = out
            while len(self._kept) > KEPT_PAGES:
                self._kept.popitem(last=False)
        return out

    def _render_pages(
        self,
        record_id: str,
        block: list[Triple],
        nodes: dict[str, set[Triple]],
        catalog: Catalog,
        only: str | None,
    ) -> dict[str, bytes]:
        agents = {}
        for node, triples in nodes.items():
            agent = _agent(node[1:-1], triples)
            if agent is not None:
                agents[agent.id] = agent
        catalogue = Catalogue(catalog, Registry(agents), self._vocab, [])
        record = _record(record_id, block, catalog, self._vocab)
        citation = csl_item(record, catalogue)
        out = {}
        if only in (None, "html"):
            site = _PageSite(catalogue)
            site.env = self._env
            site.record_page(record, block, citation)
            out["html"] = site.text.encode("utf-8")
        for cite in CITATION_FORMATS:
            if only in (None, cite.suffix):
                out[cite.suffix] = cite.render(citation).encode("utf-8")
        return out

    def _ordered(self, triples: Iterable[Triple], catalog: NamedNode) -> list[Triple]:
        """The record's block in the mapper's order (see the module's docstring)."""
        triples = list(triples)
        parts = {
            t.predicate.value
            for t in triples
            if t.predicate.value in self._alone and t.object != catalog
        }
        big = len(self._rank) * 4 + 10

        def key(t: Triple) -> tuple[int, int, str]:
            p = t.predicate.value
            if p == _RDF_TYPE:
                return (0, 0, str(t.object))
            if p in self._alone and p not in parts:
                return (self._alone[p], 0, str(t.object))
            first = 0 if (p in self._alone and t.object == catalog) else 1
            return (self._rank.get(p, big), first, str(t.object))

        return sorted(triples, key=key)

    def _render(self, fmt: str, block: list[Triple], support: Sequence[list[Triple]]) -> bytes:
        head, lead, tail = self._frames[fmt]
        writer = FORMATS[fmt]
        if fmt == "jsonld":
            piece = orjson.dumps(node_object(block), option=orjson.OPT_SORT_KEYS)
            lead_next = b",\n    "
        else:
            piece = writer.render(block)
            lead_next = b""
        rest = b"".join(lead_next + writer.render(b) for b in support if b)
        return b"".join((head, lead, piece, rest, tail))


class _PageSite(Site):
    """The site's page renderer, keeping the text instead of writing a file."""

    def __init__(self, catalogue: Catalogue) -> None:
        super().__init__(catalogue, Path("/nonexistent"), None)
        self.text = ""

    def render(self, template: str, rel: Sequence[str], **context: Any) -> None:
        self.text = self.page_text(template, rel, **context)


def _text(term: Any) -> str:
    """An IRI's or a literal's text."""
    return str(getattr(term, "value", term))


def _last(iri_text: str) -> str:
    return iri_text.rstrip("/").rsplit("/", 1)[-1]


def _lang_string(term: Any) -> LangString:
    return LangString(term.value, term.language or "en")


def _sorted_objects(triples: Iterable[Triple], predicate: str) -> list[Triple]:
    return sorted(
        (t for t in triples if t.predicate.value == predicate), key=lambda t: str(t.object)
    )


def _agent(iri_text: str, triples: Iterable[Triple]) -> Agent | None:
    """The registry entry of an agent node of a record's files, or None (not an agent)."""
    triples = list(triples)
    types = {_text(t.object) for t in triples if t.predicate.value == _RDF_TYPE}
    if not types & _AGENT_KINDS.keys():
        return None
    kind = next(k for cls, k in _AGENT_KINDS.items() if cls in types)
    one = {t.predicate.value: _text(t.object) for t in triples}
    return Agent(
        id=_last(iri_text),
        kind=kind,  # type: ignore[arg-type]
        name=one.get(_SCHEMA + "name", _last(iri_text)),
        alt_names=tuple(
            sorted(
                _text(t.object) for t in triples if t.predicate.value == _SCHEMA + "alternateName"
            )
        ),
        url=one.get(_SCHEMA + "url"),
        part_of=_last(one[_PART_OF]) if _PART_OF in one else None,
    )


def _record(record_id: str, block: list[Triple], catalog: Catalog, vocab: Any) -> Record:
    """The record whose mapping is *block* (its dcterms triples, in the block's order)."""

    def objects(name: str) -> list[Any]:
        return [t.object for t in block if t.predicate.value == DCTERMS + name]

    def concept(scheme: Any, term: Any) -> str:
        for c in scheme:
            if c.iri == term.value:
                return str(c.id)
        raise StoreError(
            f"{term.value}: a concept the store does not describe (push the catalogue "
            "with csec-ld push: it sends the catalogue's vocabularies too)"
        )

    def identifier(text: str) -> Identifier:
        for urn, scheme in (("urn:isbn:", "isbn:"), ("urn:issn:", "issn:")):
            if text.startswith(urn):
                text = scheme + text[len(urn) :]
        return parse_identifier(text)

    try:
        issued = objects("issued")
        modified = objects("modified")
        licence = objects("license")
        return Record(
            id=record_id,
            title=tuple(_lang_string(o) for o in objects("title")),
            issued=parse_date(issued[0].value),
            type=concept(vocab.types, objects("type")[0]),
            description=tuple(_lang_string(o) for o in objects("description")),
            countries=tuple(_last(o.value) for o in objects("spatial")),
            subjects=tuple(concept(vocab.topics, o) for o in objects("subject")),
            publishers=tuple(_last(o.value) for o in objects("publisher")),
            creators=tuple(_last(o.value) for o in objects("creator")),
            contributors=tuple(_last(o.value) for o in objects("contributor")),
            languages=tuple(language(_last(o.value)).code for o in objects("language")),
            identifiers=tuple(identifier(o.value) for o in objects("identifier")),
            is_part_of=tuple(_last(o.value) for o in objects("isPartOf") if o.value != catalog.iri),
            license=licence[0].value if licence else None,
            modified=parse_date(modified[0].value) if modified else None,
        )
    except (IndexError, KeyError, ValueError) as exc:
        raise StoreError(
            f"{record_id}: the store's triples are not a record csec-ld mapped ({exc!r})"
        ) from exc


def _sort_key(t: Triple) -> tuple[str, bool, str, str]:
    """The mapper's order of a node's block: rdf:type first, then predicate and object."""
    return (str(t.subject), t.predicate.value != _RDF_TYPE, t.predicate.value, str(t.object))


def _record_query(subject: NamedNode, catalog: NamedNode) -> str:
    """The record's triples and those of the nodes its files carry, as one CONSTRUCT.

    *subject* and *catalog* are written by pyoxigraph (``str(NamedNode)``): no text
    from a request is pasted into the query.
    """
    s, c = str(subject), str(catalog)
    return (
        "CONSTRUCT { ?s ?p ?o } WHERE {\n"
        f"  {{ BIND({s} AS ?s) ?s ?p ?o }}\n"
        # what the record names (its agents, countries, languages, concepts)
        f"  UNION {{ {s} ?rp ?s . FILTER(isIRI(?s) && ?s != {c}) ?s ?p ?o }}\n"
        # the parents of its agents
        f"  UNION {{ {s} ?rp ?a . FILTER(isIRI(?a) && ?a != {c}) "
        f"?a <{_PART_OF}>+ ?s . FILTER(?s != {c}) ?s ?p ?o }}\n"
        # the catalogue's publisher and its parents
        f"  UNION {{ {c} <{_PUBLISHER}>/<{_PART_OF}>* ?s . ?s ?p ?o }}\n"
        "}"
    )


# --------------------------------------------------------------------------- the app

#: A SERVICE clause (the store would fetch another URL for us: refused, strings included).
_SERVICE = re.compile(r"(?<![\w?$:/#.-])service\s+(?:silent\s+)?[<?$\w]", re.IGNORECASE)
#: The suffixes of a record's files (``html``: its page, at ``resource/{id}/``).
_SUFFIXES = ("html", *DATA_FORMATS, *(f.suffix for f in CITATION_FORMATS))


def create_remote_app(
    endpoint: str,
    *,
    graph: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_query_length: int = 16_384,
    row_limit: int = 10_000,
    site: RemoteSite | None = None,
) -> Any:
    """The ASGI app of ``serve --endpoint``: record IRIs and data files from the store.

    ``/resource/{id}`` negotiates Turtle, JSON-LD and N-Triples (q-values, ``Vary``,
    406), ``/resource/{id}/`` and ``/resource/{id}.{ttl,nt,jsonld,bib,ris,csljson}``
    give one; strong ETags, 304 on ``If-None-Match``. ``/sparql`` forwards read-only
    queries (no ``SERVICE``; at most *row_limit* rows). A store that cannot be reached
    gives 502 with one line.
    """
    import anyio.to_thread
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from ..store import check_query
    from .negotiation import (
        CONTENT_TYPES,
        GRAPH_FORMATS,
        RESULT_FORMATS,
        VARIANTS,
        answer_body,
        negotiate,
    )
    from .responses import check_query_string, decoded_segments, not_found, preflight, refusal
    from .sandbox import Answer

    remote = site if site is not None else RemoteSite(endpoint, graph=graph, timeout=timeout)
    cors = {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": "ETag, Content-Location, Link, Vary",
    }

    def record_path(request: Request) -> tuple[str, str]:
        """(id, suffix or "") of a record URL; a 4xx for anything else."""
        parts = decoded_segments(request)
        if len(parts) == 3 and parts[0] == "resource" and parts[2] in ("", "index.html"):
            stem, suffix = parts[1], "html"
        elif len(parts) == 2 and parts[0] == "resource":
            stem, dot, suffix = parts[1].partition(".")
            if dot and (suffix not in _SUFFIXES or suffix == "html"):
                raise RequestError(404, "not found")
        else:
            raise RequestError(404, "not found (a store serves record IRIs, pages and files)")
        if not RemoteSite.valid_id(stem):
            raise RequestError(404, "not found")
        return stem, suffix

    def url(record_id: str, suffix: str) -> str:
        return f"/resource/{record_id}/" if suffix == "html" else f"/resource/{record_id}.{suffix}"

    offered = {media: suffix for suffix, media in VARIANTS if suffix in _SUFFIXES}

    async def resource(request: Request) -> Response:
        if request.method == "OPTIONS":
            return preflight("GET, HEAD, OPTIONS", "Accept, If-None-Match", cors=cors)
        check_query_string(request, max_query_length)
        record_id, suffix = record_path(request)
        headers = dict(cors) if suffix != "html" else {}
        if not suffix:
            links = ", ".join(
                f'<{url(record_id, sfx)}>; rel="alternate"; type="{media}"'
                for media, sfx in offered.items()
            )
            headers = {"Vary": "Accept", "Link": links}
            chosen = negotiate(request.headers.get("accept"), list(offered))
            if chosen is None:
                raise RequestError(
                    406,
                    "none of the available formats is acceptable: " + ", ".join(offered),
                    headers=headers,
                )
            suffix = offered[chosen]
            headers["Content-Location"] = url(record_id, suffix)
            if suffix != "html":
                headers.update(cors)
        try:
            files = await anyio.to_thread.run_sync(remote.record, record_id, suffix)
        except CsecLdError as exc:
            raise RequestError(
                502, f"the store did not answer: {_one_line(str(exc))}", headers=headers
            ) from exc
        if files is None:
            raise RequestError(404, "not found", headers=headers)
        etag = files.etag(suffix)
        headers.update({"ETag": etag, "Cache-Control": "public, max-age=300"})
        inm = request.headers.get("if-none-match")
        if inm is not None and ("*" in inm or etag in [t.strip() for t in inm.split(",")]):
            return Response(status_code=304, headers=headers)
        return Response(
            files.bodies[suffix], media_type=CONTENT_TYPES[f".{suffix}"], headers=headers
        )

    async def sparql(request: Request) -> Response:
        """``/sparql`` forwarded to the store: queries only, checked here first."""
        if request.method == "OPTIONS":
            return preflight("GET, POST, OPTIONS", "Accept, Content-Type", cors=cors)
        check_query_string(request, max_query_length, headers=cors)
        try:
            params = await read_query_request(request, max_query_length)
        except RequestError as exc:
            raise RequestError(exc.status, str(exc), headers=cors) from exc
        names = {k for k, _ in params}
        if names & {"default-graph-uri", "named-graph-uri"}:
            raise RequestError(
                400,
                "this endpoint serves one graph: no default-graph-uri or named-graph-uri",
                headers=cors,
            )
        queries = [v for k, v in params if k == "query"]
        if len(queries) != 1:
            raise RequestError(400, "give exactly one 'query' parameter", headers=cors)
        query = queries[0]
        if _SERVICE.search(query):
            raise RequestError(
                403, "federated queries (SERVICE) are not allowed on this endpoint", headers=cors
            )
        try:
            form = check_query(query)
        except QueryError as exc:
            raise RequestError(400, _one_line(str(exc)), headers=cors) from exc
        offered = GRAPH_FORMATS if form == "graph" else RESULT_FORMATS
        headers = {**cors, "Vary": "Accept"}
        chosen = negotiate(request.headers.get("accept"), [m for m, _ in offered])
        if chosen is None:
            raise RequestError(
                406,
                "none of the result formats is acceptable: " + ", ".join(m for m, _ in offered),
                headers=headers,
            )
        try:
            result = await anyio.to_thread.run_sync(remote.engine.query, query)
        except QueryError as exc:
            raise RequestError(400, _one_line(str(exc)), headers=cors) from exc
        except CsecLdError as exc:
            raise RequestError(
                502, f"the store did not answer: {_one_line(str(exc))}", headers=cors
            ) from exc
        answer = Answer(
            result.kind,
            list(result.variables),
            [[row.get(v) for v in result.variables] for row in result.rows[:row_limit]],
            list(result.triples[:row_limit]),
            bool(result.boolean),
            truncated=max(len(result.rows), len(result.triples)) > row_limit,
        )
        if answer.truncated:
            headers.update({"X-Row-Limit": str(row_limit), "X-Results-Truncated": "true"})
        body = await anyio.to_thread.run_sync(answer_body, answer, dict(offered)[chosen])
        media = chosen + ("; charset=utf-8" if chosen.startswith("text/") else "")
        return Response(body, media_type=media, headers=headers)

    routes = [
        Route("/sparql", sparql, methods=["GET", "POST", "OPTIONS"]),
        Route("/{path:path}", resource, methods=["GET", "HEAD", "OPTIONS"]),
    ]
    app = Starlette(routes=routes, exception_handlers={RequestError: refusal, 404: not_found})
    app.state.remote = remote
    return app


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 300 else line[:297] + "..."
