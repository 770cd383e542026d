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
import math
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson
from pyoxigraph import NamedNode, Triple

from ..errors import CsecLdError, QueryError, Refused, StoreError, UsageError
from ..http import clip
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
from ..site.publish import DATA_FORMATS, LISTING_SIZE, Site, data_frame
from ..sources import Catalog, Catalogue
from ..store import (
    DEFAULT_TIMEOUT,
    Engine,
    RemoteEngine,
    Result,
    check_query,
    looks_like_update,
    vocabulary_of,
)
from ..urls import redact
from ..vocab import Agent, Registry, Vocabulary, language, load_vocabulary
from .sandbox import Admission, Answer

__all__ = ["PageSite", "RecordFiles", "RemoteSite", "StorePool", "StoreSparql", "agent_of"]

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


class Kept:
    """What a store answered, kept for *ttl* seconds, at most *size* entries (least
    recently used go first), computed once per key at a time.

    A caller asking for a key another thread is computing waits for that answer instead
    of asking the store too: fifty readers of a new home page cost the store one set of
    queries. A computation that fails is not kept; a waiting caller then tries itself.
    Values are answers to the store's state: every instance computes the same ones, and
    an instance sees a push within *ttl* seconds (the pages say ``max-age`` as long).
    """

    def __init__(self, ttl: float, size: int) -> None:
        self.ttl = ttl
        self.size = size
        self._lock = threading.Lock()
        self._values: collections.OrderedDict[Any, tuple[float, Any]] = collections.OrderedDict()
        self._running: dict[Any, threading.Event] = {}

    def get(self, key: Any, make: Any, *, keep: Any = None, stale: bool = False) -> Any:
        """The kept answer for *key*, else ``make()``'s, kept unless *keep* (a test of
        the value) says no: a page that does not exist is not worth a place.

        With *stale*, an expired answer is still given while one background thread
        computes the next (for what costs the store seconds: only the first caller
        ever waits)."""
        while True:
            with self._lock:
                hit = self._values.get(key)
                fresh = hit is not None and time.monotonic() - hit[0] < self.ttl
                if hit is not None:
                    self._values.move_to_end(key)
                    if fresh or (stale and key in self._running):
                        return hit[1]
                running = self._running.get(key)
                mine = running is None
                if running is None:
                    running = self._running[key] = threading.Event()
            if mine and hit is not None and stale:
                threading.Thread(
                    target=self._make, args=(key, make, keep, running, True), daemon=True
                ).start()
                return hit[1]
            if not mine:
                running.wait()
                continue  # kept now, or the maker failed and this caller tries
            return self._make(key, make, keep, running, False)

    def previous(self, key: Any) -> Any:
        """The answer kept for *key*, expired or not (None if none)."""
        with self._lock:
            hit = self._values.get(key)
        return None if hit is None else hit[1]

    def _make(self, key: Any, make: Any, keep: Any, running: threading.Event, quiet: bool) -> Any:
        try:
            value = make()
            if keep is not None and not keep(value):
                return value
            with self._lock:
                self._values[key] = (time.monotonic(), value)
                self._values.move_to_end(key)
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
            return value
        except CsecLdError:
            if not quiet:
                raise
            return None  # in the background: the old answer stays, asked again next time
        finally:
            with self._lock:
                del self._running[key]
            running.set()


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
        #: rendered pages by the hash of what they are made from: never stale
        self._rendered = Kept(math.inf, KEPT_PAGES)
        #: the catalogue's description and concepts (what the other instances see too)
        self.kept = Kept(CATALOG_TTL, 8)
        self._env = PageSite(Catalogue(Catalog(), Registry({}), load_vocabulary(), [])).env

    @property
    def vocabulary(self) -> Vocabulary:
        """The store's concepts (a catalogue's own ones were pushed with it), kept for
        :data:`CATALOG_TTL` seconds as the catalogue's description is: a push of new
        vocabularies reaches every instance within that time.

        Only the first call waits for the store. Once the kept concepts are older than
        the TTL they are still answered while one background thread asks again
        (:class:`Kept`), so the query API's handlers (on the event loop) never wait for
        the store here.
        """
        found: Vocabulary = self.kept.get(("vocabulary",), self._ask_vocabulary, stale=True)
        return found

    def _ask_vocabulary(self) -> Vocabulary:
        vocabulary = vocabulary_of(self.engine)
        kept = self.kept.previous(("vocabulary",))
        # the same concepts: the same object, for what is kept of it
        return kept if kept is not None and vocabulary == kept else vocabulary

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

    def records(self, record_ids: Sequence[str]) -> dict[str, Record]:
        """The :class:`~csec_ld.records.Record` of each of *record_ids* the store holds
        (ids that are no record id, or that the store lacks, are left out), from one query.

        A record's multi-valued fields come in the store's order (sorted), as on its page.
        Raises :class:`StoreError` when the store cannot be asked.
        """
        wanted = sorted({i for i in record_ids if self.valid_id(i)})
        if not wanted:
            return {}
        base = self.base()
        catalog = NamedNode(f"{base}catalog")
        subjects = " ".join(str(NamedNode(f"{base}resource/{i}")) for i in wanted)
        found = self.engine.query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {subjects} }} ?s ?p ?o }}"
        ).triples
        blocks: dict[str, list[Triple]] = {}
        prefix = f"{base}resource/"
        for t in found:
            blocks.setdefault(str(getattr(t.subject, "value", ""))[len(prefix) :], []).append(t)
        cat = self.catalog()
        return {
            i: _record(i, self._ordered(blocks[i], catalog), cat, self.vocabulary)
            for i in wanted
            if i in blocks
        }

    # -- the page and the citations, from a Record rebuilt from the triples

    def catalog(self) -> Catalog:
        """The catalogue's description (title, publisher, licence), as :meth:`_catalog`."""
        return self._catalog()

    def _catalog(self) -> Catalog:
        """The catalogue's description (title, publisher, licence), kept for
        :data:`CATALOG_TTL` seconds: it changes only with a push of a new catalog.yaml."""
        found: Catalog = self.kept.get(("catalog",), self._ask_catalog)
        return found

    def _ask_catalog(self) -> Catalog:
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
        out: dict[str, bytes] = self._rendered.get(
            key, lambda: self._render_pages(record_id, block, nodes, catalog, only)
        )
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
            agent = agent_of(node[1:-1], triples)
            if agent is not None:
                agents[agent.id] = agent
        catalogue = Catalogue(catalog, Registry(agents), self.vocabulary, [])
        record = _record(record_id, block, catalog, self.vocabulary)
        citation = csl_item(record, catalogue)
        out = {}
        if only in (None, "html"):
            site = PageSite(catalogue)
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


class PageSite(Site):
    """The site's page renderer, keeping the text instead of writing a file."""

    def __init__(self, catalogue: Catalogue, listing_size: int = LISTING_SIZE) -> None:
        super().__init__(catalogue, Path("/nonexistent"), None, listing_size)
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


def agent_of(iri_text: str, triples: Iterable[Triple]) -> Agent | None:
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


# --------------------------------------------------------------------------- queries

#: A SERVICE clause (the store would fetch another URL for us: refused, strings included).
_SERVICE = re.compile(r"(?<![\w?$:/#.-])service\s+(?:silent\s+)?[<?$\w]", re.IGNORECASE)


class StorePool:
    """The jobs of :class:`~csec_ld.server.sandbox.QueryPool` (``/sparql`` queries and
    named queries), answered by the remote store instead of sandboxed workers.

    The store runs the query; what is checked here is what it must never see: no
    ``SERVICE`` (403: the store would fetch a URL for the client), no update (403), a
    syntax error or brackets nested too deep (400) before any request is made. At most
    *workers* queries are at the store at once and *queue* wait (then :class:`Busy`);
    the store's own answer is bounded by :class:`~csec_ld.store.RemoteEngine` (time
    limit, size cap). A store that does not answer is a ``Refused(502)``.
    """

    def __init__(self, engine: Engine, *, workers: int, queue: int, timeout: float) -> None:
        self.engine = engine
        self.size = max(1, workers)
        self.queue = max(0, queue)
        self.timeout = timeout
        self.admission = Admission(self.size, self.queue, timeout, where="at the store")

    async def run(self, job: tuple[Any, ...]) -> Answer:
        """Run *job* at the store: :class:`Refused`, :class:`Busy`, a parameter's
        :class:`~csec_ld.errors.ParameterError`, or its :class:`Answer`."""
        import anyio.to_thread

        async with self.admission.slot():
            answer: Answer = await anyio.to_thread.run_sync(self._run, job)
            return answer

    def _run(self, job: tuple[Any, ...]) -> Answer:
        from ..query import run_query

        try:
            if job[0] == "named":
                _, named, values, row_limit = job
                result = run_query(named, values, source=self.engine)  # typed binding
                truncated = len(result) > row_limit
                if truncated:
                    result.rows = result.rows[:row_limit]
                    result.triples = result.triples[:row_limit]
                return Answer(result.kind, result=result, truncated=truncated)
            _, sparql, graphs, row_limit = job
            self.check(sparql, graphs)
            result = self.engine.query(sparql)
        except QueryError as exc:
            raise Refused(400, clip(str(exc))) from exc
        except (StoreError, UsageError) as exc:
            raise Refused(502, f"the store did not answer: {clip(str(exc))}") from exc
        return Answer(
            result.kind,
            list(result.variables),
            [[row.get(v) for v in result.variables] for row in result.rows[:row_limit]],
            list(result.triples[:row_limit]),
            bool(result.boolean),
            truncated=max(len(result.rows), len(result.triples)) > row_limit,
        )

    @staticmethod
    def check(sparql: str, graphs: Sequence[str]) -> None:
        """Refuse what the store must not run (see the class); nothing is sent."""
        if graphs:
            raise Refused(
                400, "this endpoint serves one graph: no default-graph-uri or named-graph-uri"
            )
        if _SERVICE.search(sparql):
            raise Refused(403, "federated queries (SERVICE) are not allowed on this endpoint")
        if looks_like_update(sparql):
            raise Refused(403, "this endpoint is read-only: updates are refused")
        try:
            check_query(sparql)
        except QueryError as exc:
            raise Refused(400, clip(str(exc))) from exc

    def close(self) -> None:
        """Nothing to stop: the store's connections close with the engine."""


class StoreSparql:
    """``/sparql`` of ``serve --endpoint``: :class:`StorePool` and its row limit (what
    :class:`~csec_ld.server.views.sparql.SparqlView` needs of an endpoint)."""

    def __init__(self, pool: StorePool, timeout: float, row_limit: int) -> None:
        self.pool = pool
        self.timeout = timeout
        self.row_limit = row_limit

    async def run(self, query: str, default_graphs: list[str]) -> Answer:
        return await self.pool.run(("sparql", query, default_graphs, self.row_limit))
