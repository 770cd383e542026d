"""``/oai``: OAI-PMH over the records the site carries in ``source/`` (tombstones too),
or, for ``serve --endpoint``, over a SPARQL store filled by ``push``.

The repository's ``baseURL`` is the configured public URL's, never one a ``Host``
header made up. A site's repository is opened on the first request (reading
``source/`` takes a while on a large site) and kept. A store's is one
:class:`~csec_ld.site.oai.OaiRepository` over a :class:`StoreSource`, which keeps
nothing two instances could disagree on: each request asks the store.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from pyoxigraph import Literal, NamedNode
from starlette.requests import Request
from starlette.responses import Response

from ...errors import CsecLdError, RequestError, StoreError
from ...mapping.dcterms import DctermsProfile
from ...namespaces import COUNTRY_BASE, DCTERMS, RDF, SCHEMA, XSD
from ...records import RECORD_FIELDS, Record
from ...site.oai import SET_FIELDS, OaiItem, OaiRepository, OaiSelection, oai_endpoint
from ...site.publish import SOURCE_FOLDER
from ...sources import Catalog, Catalogue, open_catalog
from ...store import Result
from ...vocab import Agent, AgentKind, Registry, Vocabulary, country
from ..store_pages import sparql_day

if TYPE_CHECKING:
    from ..remote import RemoteSite

__all__ = ["NO_STORE_ADMIN_EMAIL", "OaiView", "StoreOaiView", "StoreSource"]


class OaiView:
    """``GET``/``POST /oai``."""

    def __init__(self, root: Path, public: str, page_size: int) -> None:
        self.sources = root / SOURCE_FOLDER
        self.base_url = public + "oai"
        self.page_size = page_size
        self._lock = threading.Lock()
        self._endpoint: Any = None

    def _opened(self) -> Any:
        with self._lock:
            if self._endpoint is None:
                repo = OaiRepository(
                    open_catalog([self.sources]), self.base_url, page_size=self.page_size
                )
                self._endpoint = oai_endpoint(repo)
            return self._endpoint

    async def endpoint(self, request: Request) -> Response:
        if not (self.sources / "records.jsonl").is_file():
            raise RequestError(404, "this site carries no records for OAI-PMH (publish it again)")
        endpoint = await anyio.to_thread.run_sync(self._opened)
        response: Response = await endpoint(request)
        return response


# --------------------------------------------------------------------------- the store

#: Why a store-backed server has no OAI-PMH without ``--admin-email`` (the 404's text).
NO_STORE_ADMIN_EMAIL = (
    "no OAI-PMH from this store: OAI-PMH's Identify requires an adminEmail, and a store "
    "holds none (push does not send catalog.yaml's contact_email); give the address of "
    "whoever answers for the catalogue with --admin-email"
)

_HAS_PART = DCTERMS + "hasPart"
_PART_OF = DCTERMS + "isPartOf"
_PUBLISHER = DCTERMS + "publisher"
_RDF_TYPE = RDF + "type"
_DCTERMS_OF = {row.field: row.predicate for row in DctermsProfile.rows}
#: Each parent set's predicate in the store: the dcterms property of its record field.
_SET_PREDICATES = {spec: _DCTERMS_OF[name] for spec, name, _ in SET_FIELDS}
#: The fields that name agents (projects too), from the field table, and their predicates.
_AGENT_FIELDS = tuple(f.name for f in RECORD_FIELDS if f.kind in ("agent", "project"))
_AGENT_LINKS = tuple(_DCTERMS_OF[name] for name in _AGENT_FIELDS)
#: What an agent's node says that :class:`~csec_ld.vocab.Agent` holds (schema.org's
#: class, name, alternate names and URL; its parent as dcterms:isPartOf).
_AGENT_KINDS: dict[str, AgentKind] = {
    SCHEMA + "Organization": "organization",
    SCHEMA + "Person": "person",
    SCHEMA + "Project": "project",
}
_AGENT_SAYS = (_RDF_TYPE, SCHEMA + "name", SCHEMA + "alternateName", SCHEMA + "url", _PART_OF)


def _iri(value: str) -> str:
    """An IRI as a SPARQL term, written by pyoxigraph (it refuses what is no IRI)."""
    return str(NamedNode(value))


class StoreSource:
    """OAI-PMH items from a SPARQL store filled by ``push``, asked on every request.

    Nothing of the catalogue is held here. A list request asks the store for its
    state (:meth:`fingerprint`, when a resumption token is read or issued), for the
    number of matches and one page of ids in datestamp order (one query, ``LIMIT`` and
    ``OFFSET``), and for those records (:meth:`RemoteSite.records`); ``ListRecords``
    also for the agents they name. Only the vocabularies (types and topics) are
    kept, by :attr:`RemoteSite.vocabulary <csec_ld.server.remote.RemoteSite.vocabulary>`
    (a minute, as for the pages). The page's sort is the cost
    that grows: every matching record's datestamp is computed and sorted for each
    page (about 0.1 s for 10,000 records on Oxigraph).

    **Datestamps** are :meth:`OaiItem.of`'s, computed in SPARQL the same way so that
    the order and ``from``/``until`` agree with the items: the lexical form of
    ``dcterms:modified``, else of ``dcterms:issued``, as its first day
    (:func:`~csec_ld.server.store_pages.sparql_day`: ``2010`` → ``2010-01-01``), as
    :meth:`~csec_ld.records.PartialDate.earliest` does. A record has one ``issued``
    and at most one ``modified``, as ``push`` writes them.

    **Deleted records**: ``deletedRecord`` is ``no``. ``push`` sends the catalogue
    graph, which holds no tombstones, so the store cannot tell a withdrawn record from
    one that never was; the protocol's ``no`` promises exactly that (no deleted status
    in any response). A harvester learns of withdrawals from a full harvest, or from
    the published site's OAI-PMH (``persistent``) and change feed.

    **Fingerprint** (resumption tokens): a hash of the number of records and, for
    ``dcterms:issued`` and ``dcterms:modified``, the number of values and the sum of
    their digits (``2019-07`` counts 201907): three aggregates over the predicates'
    indexes, where the site hashes every record. A push that adds or removes a record
    or changes any date (as ``modified:`` does) expires every token; one that changes
    no date does not, so an edit that moves a record into or out of a set without a
    new ``modified:`` can shift that set's later pages by one (a record seen twice or
    missed) for a harvester resuming across the push.

    **Safety.** Nothing from a request goes into a query as text: IRIs and literals are
    written by pyoxigraph, sets are looked up, dates and cursors are parsed first.
    """

    deleted_record = "no"
    contact_email: str | None = None

    def __init__(self, site: RemoteSite) -> None:
        self.site = site

    # -- what the repository asks

    def catalog(self) -> Catalog:
        return self.site.catalog()

    def catalogue(self, records: Sequence[Record]) -> Catalogue:
        """The catalogue to write *records* with: the store's vocabularies, and the agents
        the records and the catalogue's publisher name, with their parents (one query).

        Raises :class:`~csec_ld.errors.StoreError` if the store does not describe one.
        """
        catalog = self.site.catalog()
        agents = self._agents(catalog, records)
        named = {a for r in records for f in _AGENT_FIELDS for a in getattr(r, f)}
        parents = {a.part_of for a in agents.values() if a.part_of}
        missing = sorted((named | parents | {catalog.publisher or ""}) - set(agents) - {""})
        if missing:
            raise StoreError(
                f"the store does not describe the agent {missing[0]!r} its records name "
                "(fill it with `csec-ld push`: it sends the agents' nodes too)"
            )
        return Catalogue(catalog, Registry(agents), self._vocab(), [])

    def fingerprint(self, page_size: int) -> str:
        """The store's state (see the class's docstring), the base and *page_size*."""
        sums = " ".join(
            f"{{ SELECT (COUNT(?{v}) AS ?{v}n) (SUM({_iri(XSD + 'integer')}"
            f'(REPLACE(STR(?{v}), "-", ""))) AS ?{v}s) WHERE {{ ?{v}r {_iri(p)} ?{v} }} }}'
            for v, p in (("i", _DCTERMS_OF["issued"]), ("m", _DCTERMS_OF["modified"]))
        )
        found = self._select(
            "SELECT * WHERE { "
            f"{{ SELECT (COUNT(?r) AS ?n) WHERE {{ {self._catalog_iri()} {_iri(_HAS_PART)} ?r }} }}"
            f" {sums} }}"
        ).values()
        state = sorted(found[0].items()) if found else []
        text = repr((state, self.site.base(), page_size))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def earliest(self) -> _dt.date | None:
        found = self._select(
            f"SELECT (MIN(?d) AS ?first) WHERE {{ {self._records(dated=True)} }}"
        ).values()
        first = found[0].get("first") if found else None
        if not first:
            return None
        try:
            return _dt.date.fromisoformat(first)
        except ValueError:
            raise StoreError(f"the store holds {first[:40]!r} as a record's date") from None

    def find(self, record_id: str) -> OaiItem | None:
        record = self.site.records([record_id]).get(record_id)
        return OaiItem.of(record) if record is not None else None

    def page(self, selection: OaiSelection, size: int) -> tuple[int, list[OaiItem]]:
        """The matches' number and one page of them: one query for both, one for the
        records. A set no record can be in (an unknown concept) asks nothing."""
        in_set = self._in_set(selection.set)
        if in_set is None:
            return 0, []
        dates = self._dates(selection)
        counted = self._records(dated=bool(dates)) + in_set + dates
        listed = self._records(dated=True) + in_set + dates
        # The count and the page in one request; OPTIONAL keeps the count when the page
        # is empty (a cursor past the end), so that the two errors stay apart.
        found = self._select(
            "SELECT ?n ?r ?d WHERE {\n"
            f"  {{ SELECT (COUNT(?r) AS ?n) WHERE {{ {counted} }} }}\n"
            f"  OPTIONAL {{ SELECT ?r ?d WHERE {{ {listed} }} ORDER BY ?d ?r "
            f"LIMIT {int(size)} OFFSET {int(selection.cursor)} }}\n"
            "} ORDER BY ?d ?r"
        ).values()
        total = _int(found[0].get("n")) if found else 0
        prefix = f"{self.site.base()}resource/"
        ids = [r[len(prefix) :] for row in found if (r := row.get("r")) and r.startswith(prefix)]
        records = self.site.records(ids)
        return total, [OaiItem.of(records[i]) for i in ids if i in records]

    def countries(self) -> set[str]:
        found = self._select(
            f"SELECT DISTINCT ?c WHERE {{ {self._catalog_iri()} {_iri(_HAS_PART)} ?r . "
            f"?r {_iri(_SET_PREDICATES['country'])} ?c }}"
        )
        codes = set()
        for row in found.values():
            value = row.get("c") or ""
            code = value[len(COUNTRY_BASE) :] if value.startswith(COUNTRY_BASE) else ""
            if _is_country(code):
                codes.add(code)
        return codes

    # -- the queries

    def _vocab(self) -> Vocabulary:
        return self.site.vocabulary  # kept by the site, as for the pages

    def _catalog_iri(self) -> str:
        return _iri(self.site.base() + "catalog")

    def _select(self, sparql: str) -> Result:
        return self.site.engine.query(sparql)

    def _records(self, *, dated: bool) -> str:
        """Every record of the catalogue as ``?r`` (*dated*: its datestamp as ``?d``).

        The datestamp's date is ``modified``, or ``issued`` less the records that have
        a ``modified`` (a ``MINUS``: on Oxigraph, a third faster than ``OPTIONAL``
        and ``COALESCE``).
        """
        pattern = f"{self._catalog_iri()} {_iri(_HAS_PART)} ?r . "
        if not dated:
            return pattern
        issued, modified = _iri(_DCTERMS_OF["issued"]), _iri(_DCTERMS_OF["modified"])
        return pattern + (
            f"{{ ?r {modified} ?t }} UNION {{ ?r {issued} ?t MINUS {{ ?r {modified} ?m }} }} "
            f"BIND({sparql_day('?t')} AS ?d) "
        )

    @staticmethod
    def _dates(sel: OaiSelection) -> str:
        """The filters of *sel*'s ``from`` and ``until`` on ``?d`` (dates, not text)."""
        out = ""
        if sel.start is not None:
            out += f"FILTER(?d >= {Literal(sel.start.isoformat())}) "
        if sel.end is not None:
            out += f"FILTER(?d <= {Literal(sel.end.isoformat())}) "
        return out

    def _in_set(self, set_spec: str | None) -> str | None:
        """What keeps the records of the set ``?r`` is in ("" for no set; None: no
        record can be in it). The hierarchy is :meth:`OaiItem.of`'s: a parent holds
        every record that names a value of its field."""
        if set_spec is None:
            return ""
        spec, _, value = set_spec.partition(":")
        predicate = _SET_PREDICATES.get(spec)
        if predicate is None or ":" in value:
            return None  # no item's sets are or hold it
        if not value:
            return f"FILTER EXISTS {{ ?r {_iri(predicate)} ?in }} "
        node = self._set_member(spec, value)
        return f"?r {_iri(predicate)} {_iri(node)} . " if node is not None else None

    def _set_member(self, spec: str, value: str) -> str | None:
        """The IRI a record names when it is in ``{spec}:{value}``, or None (there is none)."""
        vocab = self._vocab()
        if spec == "type":
            concept = vocab.types.concepts.get(value)
        elif spec == "topic":
            concept = vocab.topics.concepts.get(value)
        else:  # country: the code as records hold it (ISO alpha-3), never another spelling
            return COUNTRY_BASE + value if _is_country(value) else None
        return concept.iri if concept is not None else None

    def _agents(self, catalog: Catalog, records: Sequence[Record]) -> dict[str, Agent]:
        """The agents *records* and the catalogue's publisher name, and their parents.

        Written for Oxigraph's planner: one branch per predicate (``VALUES ?link``
        reads every record's links) and ``FILTER IN`` (``VALUES ?p`` reads every
        node's names): twenty times faster on 10,000 records.
        """
        c = _iri(catalog.iri)
        part_of = _iri(_PART_OF)
        branches = [f"{{ {c} {_iri(_PUBLISHER)}/{part_of}* ?a }}"]
        if records:
            subjects = " ".join(_iri(catalog.record_iri(r.id)) for r in records)
            links = " UNION ".join(f"{{ ?r {_iri(p)} ?x }}" for p in _AGENT_LINKS)
            branches.append(
                f"{{ {{ SELECT DISTINCT ?x WHERE {{ VALUES ?r {{ {subjects} }} {links} "
                f"FILTER(isIRI(?x) && ?x != {c}) }} }} ?x {part_of}* ?a }}"
            )
        kept = ", ".join(_iri(p) for p in _AGENT_SAYS)
        found = self._select(
            "SELECT ?a ?p ?o WHERE { { SELECT DISTINCT ?a WHERE { "
            + " UNION ".join(branches)
            + f" }} }} ?a ?p ?o FILTER(?p IN ({kept})) }}"
        )
        nodes: dict[str, list[tuple[str, str]]] = {}
        for row in found.values():
            a, p, o = row.get("a"), row.get("p"), row.get("o")
            if a is not None and p is not None and o is not None:
                nodes.setdefault(a, []).append((p, o))
        agents = {}
        for node, said in nodes.items():
            agent = _agent(node, said)
            if agent is not None:
                agents[agent.id] = agent
        return agents


def _last(iri_text: str) -> str:
    return iri_text.rstrip("/").rsplit("/", 1)[-1]


def _agent(node: str, said: Sequence[tuple[str, str]]) -> Agent | None:
    """The registry entry an agent's node describes (None: the node is no agent)."""
    kinds = [_AGENT_KINDS[o] for p, o in said if p == _RDF_TYPE and o in _AGENT_KINDS]
    if not kinds:
        return None
    one = {p: o for p, o in sorted(said)}
    return Agent(
        id=_last(node),
        kind=kinds[0],
        name=one.get(SCHEMA + "name", _last(node)),
        alt_names=tuple(sorted(o for p, o in said if p == SCHEMA + "alternateName")),
        url=one.get(SCHEMA + "url"),
        part_of=_last(one[_PART_OF]) if _PART_OF in one else None,
    )


def _int(text: str | None) -> int:
    try:
        return int(text or "0")
    except ValueError:
        raise StoreError(f"the store answered {(text or '')[:40]!r} for a count") from None


def _is_country(code: str) -> bool:
    """Whether *code* is a country as records hold it (its ISO 3166-1 alpha-3 code)."""
    try:
        return len(code) == 3 and country(code).alpha3 == code
    except KeyError:
        return False


class StoreOaiView:
    """``GET``/``POST /oai`` of ``serve --endpoint``: OAI-PMH answered from the store.

    *public_base* is where clients reach the server, ending in ``/`` (``baseURL`` is
    ``{public_base}oai``); *page_size* bounds each list; *admin_email* is Identify's
    ``adminEmail`` (the store holds none: without it, 404 with
    :data:`NO_STORE_ADMIN_EMAIL`); *secret* keys the resumption tokens (give every
    instance behind a load balancer the same one; without it a token's key can be
    worked out from the token, as on the site). A store that cannot be asked is a
    502 with one line.
    """

    def __init__(
        self,
        site: RemoteSite,
        public_base: str,
        page_size: int,
        admin_email: str | None = None,
        *,
        secret: bytes | str | None = None,
    ) -> None:
        self.repository = OaiRepository(
            StoreSource(site),
            public_base + "oai",
            page_size=page_size,
            admin_email=admin_email,
            secret=secret,
        )
        self._endpoint = oai_endpoint(self.repository)

    async def endpoint(self, request: Request) -> Response:
        if self.repository.admin_email is None:
            raise RequestError(404, NO_STORE_ADMIN_EMAIL)
        try:
            response: Response = await self._endpoint(request)  # the store is asked in a thread
        except RequestError:
            raise
        except CsecLdError as exc:
            raise RequestError(502, f"the store did not answer: {_one_line(str(exc))}") from exc
        return response


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 300 else line[:297] + "..."
