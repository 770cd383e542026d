"""``serve --endpoint``: the listing pages of a published site, from the store.

The home page, the type, topic, country, agent and project pages and their indexes
(``type/``, ``topic/``, ``country/``, ``agent/``, ``project/``) are rendered with
``publish``'s own page methods (:class:`~csec_ld.site.publish.Site`), one page per
request: a listing is a selection of the catalogue's records (``dcterms:hasPart`` of
the catalogue), counted with one query and paged with another, in the static site's
order (newest first by date of issue, then by English title and id), so page *n* holds
the records it holds on the static site. The page's records are then read with
:meth:`~csec_ld.server.remote.RemoteSite.records`.

Concept semantics are the vocabulary's, as for ``publish``: a type's or topic's page
lists the records of every narrower concept too, with the closure computed from the
store's concepts (:attr:`RemoteSite.vocabulary`) and given to the query as ``VALUES``.

What differs from the static site: the agent and project indexes list the agents the
store holds (``push`` sends those the records name, and their parents), not every
entry of the registry; and a push shows on the pages within a minute (what is kept, see
:class:`StorePages`).

Every IRI in a query is written by pyoxigraph (``str(NamedNode(...))``); the path's
segments are checked (an id, a concept of the vocabulary, an ISO country code, a page
number) before any query is made.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from pyoxigraph import NamedNode, Triple

from ..mapping import get_profiles
from ..namespaces import DCTERMS
from ..records import RECORD_FIELDS
from ..site.changes import ChangeFeed, record_changes
from ..site.publish import LISTING_SIZE, Entry, Site, entry_of
from ..sources import Catalogue
from ..vocab import Agent, Concept, Registry, country
from . import remote as _remote
from .remote import Kept, PageSite, RemoteSite, agent_of

__all__ = ["StorePages"]

_SKOS = "http://www.w3.org/2004/02/skos/core#"
_SCHEMA = "http://schema.org/"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: The predicates of the fields that name agents (publisher, creator, contributor),
#: the roles of an agent's page.
_ROLE_PREDICATES = tuple(
    sorted(
        {
            row.predicate
            for profile in get_profiles(["dcterms"])
            for row in profile.rows
            if row.field in {f.name for f in RECORD_FIELDS if f.role}
        }
    )
)
_AGENT_CLASSES = (_SCHEMA + "Organization", _SCHEMA + "Person", _SCHEMA + "Project")
_FOLDERS = {"agent": "Organisations and people", "project": "Projects and series"}
_SCHEMES = {"type": "Resource types", "topic": "Topics"}
_PAGE = re.compile(r"[1-9][0-9]{0,8}")
_COUNTRY = re.compile(r"[A-Z]{3}")


_Ask = TypeVar("_Ask", bound=Callable[..., Any])


@dataclass(frozen=True)
class _Selection:
    """Which records a listing shows: a SPARQL group pattern on ``?r`` (made of IRIs
    written by pyoxigraph), and the folder of its pages."""

    pattern: str
    folder: str


def _kept(name: str, *, stale: bool = False) -> Callable[[_Ask], _Ask]:
    """Keep what the decorated method asks the store, in :attr:`StorePages.kept`, by
    *name* and the method's arguments (see :class:`Kept`; *stale*: its ``stale``)."""

    def wrap(ask: _Ask) -> _Ask:
        @functools.wraps(ask)
        def method(self: StorePages, *args: Any) -> Any:
            return self.kept.get((name, *args), lambda: ask(self, *args), stale=stale)

        return cast(_Ask, method)

    return wrap


#: Listing pages, feed pages and counts an instance keeps (see :class:`StorePages`).
KEPT_LISTINGS = 1024


class StorePages:
    """The listing pages, rendered from the store.

    A rendered page, and each count the pages share (records per type, topic, country,
    agent; every agent), is kept for :data:`~csec_ld.server.remote.CATALOG_TTL` seconds
    (the pages' ``max-age``), and computed by one request at a time (:class:`Kept`), so
    fifty readers of the home page cost the store one computation. The listings' order
    is the whole catalogue's, sorted once a minute (:meth:`_order`: a store sorting every
    matching record for each page took seconds a page at 100,000 records).
    """

    def __init__(self, remote: RemoteSite, listing_size: int = LISTING_SIZE) -> None:
        self.remote = remote
        #: records per listing page: the published site's (``publish(listing_size=)``)
        self.listing_size = listing_size
        self.kept = Kept(_remote.CATALOG_TTL, KEPT_LISTINGS)

    # -- the entry point

    def page(self, parts: Sequence[str]) -> bytes | None:
        """The page at the path *parts* (its segments; ``""`` last for a folder), or
        None if there is no such page. Raises :class:`~csec_ld.errors.StoreError`."""
        key = ("page", *parts)
        page: bytes | None = self.kept.get(key, lambda: self._page(parts), keep=_found)
        return page

    def _page(self, parts: Sequence[str]) -> bytes | None:
        segments = list(parts)
        if segments and segments[-1] in ("", "index.html"):
            segments.pop()
        number = 1
        if len(segments) >= 2 and segments[-2] == "page":
            if not _PAGE.fullmatch(segments[-1]) or segments[-1] == "1":
                return None  # page 1 is the folder itself, as on the static site
            number = int(segments[-1])
            segments = segments[:-2]
        if segments and (not parts or parts[-1] not in ("", "index.html")):
            return None  # a folder's page is at its slash (the static site's files)
        if not segments:
            return self._home(number)
        kind = segments[0]
        if len(segments) == 1 and number == 1:
            if kind in _SCHEMES:
                return self._scheme(kind)
            if kind == "country":
                return self._countries()
            if kind in _FOLDERS:
                return self._agents(kind)
            return None
        if len(segments) != 2:
            return None
        key = segments[1]
        if kind in _SCHEMES:
            return self._concept(kind, key, number)
        if kind == "country":
            return self._country(key, number)
        if kind in _FOLDERS:
            return self._agent(kind, key, number)
        return None

    # -- the pages

    def _site(self, agents: Iterable[Agent] = ()) -> PageSite:
        catalogue = Catalogue(
            self.remote.catalog(),
            Registry({a.id: a for a in agents}),
            self.remote.vocabulary,
            [],
        )
        return PageSite(catalogue, self.listing_size)

    def _home(self, number: int) -> bytes | None:
        everything = _Selection("", "")
        total = self._count(everything)
        site = self._site(self._all_agents().values())  # the publisher, in the JSON-LD
        if number > site.page_count(total):
            return None
        rel, pager = site.page_at("", total, number)
        entries = self._entries(everything, pager.first - 1, site.listing_size, total, None)
        trees: dict[str, list[dict[str, Any]]] = {"type": [], "topic": []}
        countries: list[dict[str, Any]] = []
        if number == 1:  # only the first page shows the browse trees
            trees = {
                "type": site.concept_tree(site.types, "type", self._concept_counts("type")),
                "topic": site.concept_tree(site.topics, "topic", self._concept_counts("topic")),
            }
            countries = site.country_items(self._country_counts())
        site.entries = list(entries)
        site.home_page(rel, pager, entries, trees, countries)
        return site.text.encode("utf-8")

    def _scheme(self, kind: str) -> bytes:
        site = self._site()
        scheme = site.types if kind == "type" else site.topics
        items = site.concept_tree(scheme, kind, self._concept_counts(kind))
        site.render("scheme.html", [kind, "index.html"], heading=_SCHEMES[kind], items=items)
        return site.text.encode("utf-8")

    def _countries(self) -> bytes:
        site = self._site()
        items = site.country_items(self._country_counts())
        site.render("scheme.html", ["country", "index.html"], heading="Countries", items=items)
        return site.text.encode("utf-8")

    def _agents(self, folder: str) -> bytes:
        agents = [a for a in self._all_agents().values() if _folder(a) == folder]
        site = self._site(agents)
        items = site.agent_items(agents, self._agent_counts())
        site.render("scheme.html", [folder, "index.html"], heading=_FOLDERS[folder], items=items)
        return site.text.encode("utf-8")

    def _concept(self, kind: str, concept_id: str, number: int) -> bytes | None:
        site = self._site()
        scheme = site.types if kind == "type" else site.topics
        concept: Concept | None = scheme.concepts.get(concept_id)
        if concept is None:
            return None
        predicate = DCTERMS + ("type" if kind == "type" else "subject")
        below = " ".join(
            str(NamedNode(scheme.concepts[c].iri))
            for c in sorted(scheme.narrower_closure(concept_id))
        )
        selection = _Selection(
            f"?r {NamedNode(predicate)} ?c . VALUES ?c {{ {below} }}", f"{kind}/{concept_id}/"
        )
        return self._listing(
            site,
            selection,
            number,
            lambda rel, pager, entries: site.concept_page(kind, concept, rel, pager, entries),
        )

    def _country(self, code: str, number: int) -> bytes | None:
        if not _COUNTRY.fullmatch(code):
            return None
        try:
            iri = country(code).iri
        except (KeyError, ValueError):
            return None
        selection = _Selection(
            f"?r {NamedNode(DCTERMS + 'spatial')} {NamedNode(iri)} .", f"country/{code}/"
        )
        site = self._site()
        if not self._any(selection):
            return None  # the static site has pages for the countries records name
        return self._listing(
            site,
            selection,
            number,
            lambda rel, pager, entries: site.country_page(code, rel, pager, entries),
        )

    def _agent(self, folder: str, agent_id: str, number: int) -> bytes | None:
        if not RemoteSite.valid_id(agent_id):
            return None
        agents = self._all_agents()
        agent = agents.get(agent_id)
        if agent is None or _folder(agent) != folder:
            return None
        parent = agents.get(agent.part_of) if agent.part_of else None
        parts = [a for a in sorted(agents.values(), key=lambda a: a.id) if a.part_of == agent.id]
        site = self._site(agents.values())
        roles = " ".join(str(NamedNode(p)) for p in _ROLE_PREDICATES)
        selection = _Selection(
            f"?r ?role {NamedNode(agent.iri)} . VALUES ?role {{ {roles} }}", f"{folder}/{agent_id}/"
        )

        def render(rel: list[str], pager: Any, entries: Sequence[Entry]) -> None:
            mentions = [
                (e, frozenset(role for role, a in e.agents if a == agent_id)) for e in entries
            ]
            site.agent_page(agent, parent, parts, rel, pager, mentions)

        return self._listing(site, selection, number, render)

    def _listing(self, site: Site, selection: _Selection, number: int, render: Any) -> bytes | None:
        # A selection's records are asked for once: their number is the count.
        members = self._members(selection) if selection.pattern else None
        total = len(members) if members is not None else self._count(selection)
        if number > site.page_count(total):
            return None
        rel, pager = site.page_at(selection.folder, total, number)
        entries = self._entries(selection, pager.first - 1, site.listing_size, total, members)
        site.entries = list(entries)
        render(rel, pager, entries)
        return site.text.encode("utf-8")  # type: ignore[attr-defined]

    # -- the change feed

    def feed(self, name: str) -> bytes | None:
        """``changes/{name}`` (``index.json``, ``page-{n}.json``) of the change feed:
        a ``Create`` per record and an ``Update`` per record modified after its issue,
        in the static feed's order (day, then Create before Update, then id); no
        ``Delete`` (the store holds no withdrawn records)."""
        body: bytes | None = self.kept.get(("feed", name), lambda: self._feed(name), keep=_found)
        return body

    def _feed(self, name: str) -> bytes | None:
        feed = ChangeFeed(self.remote.catalog())
        total = self._activity_count()
        if name == "index.json":
            return feed.text(feed.index_document(total)).encode("utf-8")
        m = re.fullmatch(r"page-([1-9][0-9]{0,8})\.json", name)
        if m is None or int(m.group(1)) > feed.page_count(total):
            return None
        n = int(m.group(1))
        found = self.remote.engine.query(
            f"SELECT ?r ?o WHERE {{ {self._activities()} }} ORDER BY ?day ?o STR(?r) "
            f"LIMIT {feed.page_size} OFFSET {(n - 1) * feed.page_size}"
        )
        prefix = self.remote.base() + "resource/"
        wanted = [
            (str(row.get("r") or "")[len(prefix) :], str(row.get("o") or ""))
            for row in found.values()
        ]
        records = self.remote.records([i for i, _ in wanted])
        page = []
        for record_id, order in wanted:
            if record_id in records:
                kind = "Update" if order == "1" else "Create"
                page += [c for c in record_changes(records[record_id]) if c.kind == kind]
        return feed.text(feed.page_document(n, total, page)).encode("utf-8")

    def _activities(self) -> str:
        """The feed's activities as a group pattern: ``?r`` (the record), ``?day`` (when),
        ``?o`` (0: Create, 1: Update); a date known to the year or month counts from its
        first day, as in :mod:`csec_ld.site.changes`."""
        d = DCTERMS
        part = f"{self._catalog_node()} {NamedNode(d + 'hasPart')} ?r ."

        return (
            f"{{ {part} ?r {NamedNode(d + 'issued')} ?i ."
            f" BIND({sparql_day('?i')} AS ?day) BIND(0 AS ?o) }}"
            f" UNION {{ {part} ?r {NamedNode(d + 'issued')} ?i ; {NamedNode(d + 'modified')} ?m ."
            f" BIND({sparql_day('?m')} AS ?day) FILTER(?day > {sparql_day('?i')}) BIND(1 AS ?o) }}"
        )

    @_kept("activities")
    def _activity_count(self) -> int:
        found = self.remote.engine.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ {self._activities()} }}"
        ).values()
        return int(str(found[0]["n"])) if found and found[0].get("n") is not None else 0

    # -- the queries

    def _catalog_node(self) -> str:
        return str(NamedNode(self.remote.base() + "catalog"))

    def _selected(self, selection: _Selection) -> str:
        """The group pattern of the catalogue's records in *selection*, as ``?r``.

        The selection's own pattern comes first and membership is a ``FILTER EXISTS``:
        Oxigraph otherwise starts from every ``dcterms:hasPart`` of the catalogue (a
        country's records at 100,000: 0.71 s joined, 0.08 s filtered)."""
        part = f"{self._catalog_node()} {NamedNode(DCTERMS + 'hasPart')} ?r"
        if not selection.pattern:
            return part + " ."
        return f"{selection.pattern} FILTER EXISTS {{ {part} }}"

    @_kept("count")
    def _count(self, selection: _Selection) -> int:
        found = self.remote.engine.query(
            f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ {self._selected(selection)} }}"
        )
        rows = found.values()
        return int(str(rows[0]["n"])) if rows and rows[0].get("n") is not None else 0

    def _entries(
        self,
        selection: _Selection,
        offset: int,
        limit: int,
        total: int,
        members: list[str] | None,
    ) -> list[Entry]:
        """The entries *offset* to *offset* + *limit* of the selection, in the static
        site's order: newest first (the earliest day of the date of issue, then its
        text), then by English title (else the first title) and id.

        The order of the whole catalogue is computed by the store once a minute
        (:meth:`_order`); a listing then asks only which records it holds. A record the
        kept order does not know yet (pushed since) sends this listing back to the
        store's own ``ORDER BY``, as does a catalogue of another size than the kept
        order's (*total* is the selection's count, *members* its records' ids, None for
        the whole catalogue).
        """
        ranked, rank = self._order()
        if not selection.pattern and total == len(ranked):
            ids = ranked[offset : offset + limit]
        elif not selection.pattern:
            ids = self._ordered_at_the_store(selection, offset, limit)
        else:
            members = members if members is not None else self._members(selection)
            if all(m in rank for m in members):
                ids = sorted(members, key=rank.__getitem__)[offset : offset + limit]
            else:
                ids = self._ordered_at_the_store(selection, offset, limit)
        records = self.remote.records(ids)
        return [entry_of(records[i]) for i in ids if i in records]

    def _keys(self, selection: _Selection, tail: str = "") -> str:
        """The query of each selected record's sort keys (the listings' order)."""
        d = DCTERMS
        day = sparql_day("?i")
        return (
            "SELECT ?r (SAMPLE(?day) AS ?first) (SAMPLE(?text) AS ?issued) "
            "(COALESCE(MIN(?en), MIN(STR(?t))) AS ?title) WHERE {\n"
            f"  {{ SELECT DISTINCT ?r WHERE {{ {self._selected(selection)} }} }}\n"
            f"  ?r {NamedNode(d + 'issued')} ?i ; {NamedNode(d + 'title')} ?t .\n"
            f"  BIND(STR(?i) AS ?text) BIND({day} AS ?day)\n"
            '  BIND(IF(LANG(?t) = "en", STR(?t), ?none) AS ?en)\n'
            "} GROUP BY ?r" + tail
        )

    @_kept("order", stale=True)
    def _order(self) -> tuple[list[str], dict[str, int]]:
        """Every record id in the listings' order, and each one's place in it: kept a
        minute, and then still used while the next is computed (it costs the store
        seconds at 100,000 records: one sort a minute instead of one a page)."""
        rows = [
            (
                self._id_of(row.get("r")),
                str(row.get("first") or ""),
                str(row.get("issued") or ""),
                str(row.get("title") or ""),
                str(row.get("r") or ""),
            )
            for row in self.remote.engine.query(self._keys(_Selection("", ""))).values()
        ]
        # ORDER BY DESC(?first) DESC(?issued) ?title STR(?r), as the store sorts (code
        # points): the ascending keys first, then a stable sort on the descending ones.
        rows.sort(key=lambda r: (r[3], r[4]))
        rows.sort(key=lambda r: (r[1], r[2]), reverse=True)
        ranked = [r[0] for r in rows if r[0] is not None]
        return ranked, {record_id: n for n, record_id in enumerate(ranked)}

    @_kept("any")
    def _any(self, selection: _Selection) -> bool:
        """Whether the selection holds a record."""
        return bool(self.remote.engine.query(f"ASK {{ {self._selected(selection)} }}").boolean)

    def _members(self, selection: _Selection) -> list[str]:
        found = self.remote.engine.query(
            f"SELECT DISTINCT ?r WHERE {{ {self._selected(selection)} }}"
        )
        return self._ids(found.values())

    def _ids(self, rows: Iterable[Mapping[str, str | None]]) -> list[str]:
        """The record ids of the rows' ``?r``, in their order."""
        return [i for row in rows if (i := self._id_of(row.get("r"))) is not None]

    def _id_of(self, iri: str | None) -> str | None:
        """The record id of the IRI *iri* (a row's plain value), or None."""
        iri = iri or ""
        prefix = self.remote.base() + "resource/"
        return iri[len(prefix) :] if iri.startswith(prefix) else None

    def _ordered_at_the_store(self, selection: _Selection, offset: int, limit: int) -> list[str]:
        tail = (
            "\nORDER BY DESC(?first) DESC(?issued) ?title STR(?r) "
            f"LIMIT {int(limit)} OFFSET {int(offset)}"
        )
        return self._ids(self.remote.engine.query(self._keys(selection, tail)).values())

    @_kept("concepts")
    def _concept_counts(self, kind: str) -> dict[str, int]:
        """Records per concept of the scheme, each with its narrower concepts' records
        (a record counts once under a concept, however many of its topics are below)."""
        vocab = self.remote.vocabulary
        scheme = vocab.types if kind == "type" else vocab.topics
        pairs = " ".join(
            f"({NamedNode(scheme.concepts[below].iri)} {NamedNode(c.iri)})"
            for c in scheme
            for below in sorted(scheme.narrower_closure(c.id))
        )
        if not pairs:
            return {}
        predicate = NamedNode(DCTERMS + ("type" if kind == "type" else "subject"))
        found = self.remote.engine.query(
            "SELECT ?c (COUNT(DISTINCT ?r) AS ?n) WHERE { "
            f"{self._catalog_node()} {NamedNode(DCTERMS + 'hasPart')} ?r . ?r {predicate} ?s . "
            f"VALUES (?s ?c) {{ {pairs} }} }} GROUP BY ?c"
        )
        by_iri = {c.iri: c.id for c in scheme}
        return _counted(found.values(), "c", by_iri)

    @_kept("countries")
    def _country_counts(self) -> dict[str, int]:
        found = self.remote.engine.query(
            "SELECT ?c (COUNT(DISTINCT ?r) AS ?n) WHERE { "
            f"{self._catalog_node()} {NamedNode(DCTERMS + 'hasPart')} ?r . "
            f"?r {NamedNode(DCTERMS + 'spatial')} ?c }} GROUP BY ?c"
        )
        out: dict[str, int] = {}
        for row in found.values():
            code = str(row.get("c") or "").rsplit("/", 1)[-1]
            if _COUNTRY.fullmatch(code):
                try:
                    country(code)
                except (KeyError, ValueError):
                    continue
                out[code] = int(str(row["n"]))
        return out

    @_kept("agents")
    def _agent_counts(self) -> dict[str, int]:
        roles = " ".join(str(NamedNode(p)) for p in _ROLE_PREDICATES)
        found = self.remote.engine.query(
            "SELECT ?a (COUNT(DISTINCT ?r) AS ?n) WHERE { "
            f"{self._catalog_node()} {NamedNode(DCTERMS + 'hasPart')} ?r . "
            f"?r ?role ?a . VALUES ?role {{ {roles} }} }} GROUP BY ?a"
        )
        return {
            str(row.get("a") or "").rstrip("/").rsplit("/", 1)[-1]: int(str(row["n"]))
            for row in found.values()
        }

    @_kept("all agents")
    def _all_agents(self) -> dict[str, Agent]:
        """Every agent and project the store describes, by id."""
        classes = " ".join(str(NamedNode(c)) for c in _AGENT_CLASSES)
        found = self.remote.engine.query(
            "CONSTRUCT { ?a ?p ?o } WHERE { "
            f"?a {NamedNode(_RDF_TYPE)} ?k . VALUES ?k {{ {classes} }} ?a ?p ?o }}"
        ).triples
        nodes: dict[str, list[Triple]] = {}
        for t in found:
            nodes.setdefault(str(getattr(t.subject, "value", "")), []).append(t)
        agents = {}
        for iri, triples in nodes.items():
            agent = agent_of(iri, triples)
            if agent is not None and agent.iri == iri:
                agents[agent.id] = agent
        return agents


def _found(page: bytes | None) -> bool:
    return page is not None


def sparql_day(term: str) -> str:
    """A SPARQL expression: the first day of the date *term* (``2010`` → ``2010-01-01``,
    ``2010-05`` → ``2010-05-01``), as :meth:`~csec_ld.records.PartialDate.earliest`."""
    return f'SUBSTR(CONCAT(STR({term}), "-01-01"), 1, 10)'


def _folder(agent: Agent) -> str:
    return "project" if agent.kind == "project" else "agent"


def _counted(rows: Iterable[Mapping[str, Any]], key: str, ids: Mapping[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        iri = str(row.get(key) or "")
        if iri in ids:
            out[ids[iri]] = int(str(row["n"]))
    return out
