"""OAI-PMH 2.0: the catalogue for library aggregators, harvested incrementally.

:class:`OaiRepository` answers the six verbs as bytes of XML, whatever the web
framework; :func:`oai_endpoint` wraps it as a starlette endpoint (GET and POST)
for ``/oai``.

The protocol (verbs, arguments, errors, resumption tokens, the XML and the ``oai_dc``
crosswalk) is written once, here; the *items* come from an :class:`OaiSource`:
:class:`MemorySource` holds a catalogue's records (a published site's ``source/``,
tombstones included), and ``serve --endpoint`` asks a SPARQL store on each request
(:class:`csec_ld.server.views.oai.StoreSource`). What follows describes the protocol
and the memory source; a source may say less (a store keeps no tombstones).

* Metadata formats: ``oai_dc`` (every field of a record as simple Dublin Core) and
  ``rdf`` (our full record, both profiles, as RDF/XML: the OAI ``rdf.xsd`` convention).
* Sets: ``type:{id}``, ``country:{ALPHA3}`` and ``topic:{id}`` under the parent sets
  ``type``, ``country`` and ``topic``; asking for a parent gives every record of its
  children.
* Datestamps at day granularity: a record's last change (withdrawn, else modified,
  else issued; a date known to the year or month counts from its first day).
* ``deletedRecord`` is ``persistent``: a withdrawn record (a tombstone) is listed
  with ``status="deleted"`` and the date it was withdrawn.
* Identifiers are ``oai:{host of the catalogue base}:{record id}``.
* Resumption tokens are stateless: they carry the request and the cursor, the
  source's fingerprint (here a hash of every record), and an HMAC over both. A token
  that was altered, or that was issued for another state of the catalogue, is a
  ``badResumptionToken``; what it carries is checked again as a request's arguments.
  Without a *secret*, the HMAC key is derived from the fingerprint (tokens survive
  restarts and work across workers); give a secret to make tokens unforgeable.

Every error of the protocol is a schema-valid response (HTTP 200), never an
exception. Output is deterministic except ``responseDate``.

Identify's ``adminEmail`` is the catalogue's ``contact_email:`` (catalog.yaml), or the
*admin_email* given: the protocol requires one, and none is made up. Without it
:func:`oai_endpoint` answers 404 with a message saying so, and :meth:`OaiRepository.handle`
raises :class:`~csec_ld.errors.UsageError`.

>>> from csec_ld.sources import open_catalog
>>> repo = OaiRepository(open_catalog(["data"]), "https://example.org/oai",
...                      admin_email="catalogue@example.org")
>>> b"<oai:repositoryName>" in repo.handle({"verb": ["Identify"]})
True
"""

from __future__ import annotations

import base64
import bisect
import datetime as _dt
import hashlib
import hmac
import json
import re
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pyoxigraph

from ..errors import UsageError
from ..mapping import Mapper
from ..namespaces import PREFIXES, RDF
from ..records import RECORD_FIELDS, FieldKind, Record
from ..sources import Catalog, Catalogue
from ..vocab import country, language

__all__ = [
    "DC_NS",
    "METADATA_FORMATS",
    "NO_ADMIN_EMAIL",
    "OAI_DC_NS",
    "OAI_NS",
    "SET_FIELDS",
    "MemorySource",
    "MetadataFormat",
    "OaiItem",
    "OaiRepository",
    "OaiSelection",
    "OaiSource",
    "oai_endpoint",
]

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
#: The fifteen Dublin Core elements, in the order of DCMES 1.1 (oai_dc writes them so).
DCMES: tuple[str, ...] = (
    "title",
    "creator",
    "subject",
    "description",
    "publisher",
    "contributor",
    "date",
    "type",
    "format",
    "identifier",
    "source",
    "language",
    "relation",
    "coverage",
    "rights",
)
#: The record fields oai_dc carries, by element in DCMES order (a field's ``dc``).
_DC_FIELDS = tuple((e, f) for e in DCMES for f in RECORD_FIELDS if f.dc == e)
RDF_SCHEMA = "http://www.openarchives.org/OAI/2.0/rdf.xsd"

DEFAULT_PAGE_SIZE = 100
#: The largest request body the endpoint reads (bytes); OAI requests are tiny.
MAX_BODY = 16_384


@dataclass(frozen=True)
class MetadataFormat:
    """A metadata format: its prefix, XML schema and namespace."""

    prefix: str
    schema: str
    namespace: str


METADATA_FORMATS: tuple[MetadataFormat, ...] = (
    MetadataFormat("oai_dc", OAI_DC_SCHEMA, OAI_DC_NS),
    MetadataFormat("rdf", RDF_SCHEMA, RDF),
)
_FORMATS = {f.prefix: f for f in METADATA_FORMATS}

_VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # verb: (required arguments, optional arguments), resumptionToken aside
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset()),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
}
_RESUMABLE = frozenset({"ListSets", "ListIdentifiers", "ListRecords"})

_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The largest cursor a resumption token may carry (far beyond any catalogue).
_MAX_CURSOR = 2**53
_PREFIX_RE = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
_SET_RE = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*")
_URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+")
# Characters XML 1.0 cannot carry, even escaped: such an argument cannot be echoed.
_NOT_XML_RE = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

#: The sets: (parent setSpec, the record field whose values are its children, its name).
#: A record is in ``{parent}:{value}`` for each value of the field, and so in the parent.
SET_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("type", "type", "Resource types"),
    ("country", "countries", "Countries"),
    ("topic", "subjects", "Topics"),
)
_SET_PARENTS = {spec: name for spec, _, name in SET_FIELDS}
#: The longest resumption token read (ours are about 200 characters): a longer one is
#: refused before it is decoded, let alone before a source is asked.
_MAX_TOKEN = 2048

# Preferred prefixes when serialising (ElementTree keeps one global table).
for _prefix, _ns in {
    "oai": OAI_NS,
    "oai_dc": OAI_DC_NS,
    "dc": DC_NS,
    "xsi": XSI_NS,
    **{p: ns for p, ns in PREFIXES.items() if p != "xsd"},
}.items():
    ET.register_namespace(_prefix, _ns)


class _OaiError(Exception):
    """An OAI-PMH error condition: its code, and a message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class OaiItem:
    """A record as the repository lists it: its datestamp and the sets it is in."""

    record: Record
    datestamp: _dt.date
    sets: tuple[str, ...]

    @property
    def deleted(self) -> bool:
        return self.record.is_withdrawn

    @classmethod
    def of(cls, record: Record) -> OaiItem:
        """The item of *record*: every source builds its items here, so that the
        datestamps and sets of two sources of one catalogue agree.

        The datestamp is the first day of the record's last change (withdrawn, else
        modified, else issued; ``2010`` counts from 2010-01-01); the sets follow
        :data:`SET_FIELDS`, in its order and the field's.
        """
        sets: list[str] = []
        for spec, name, _ in SET_FIELDS:
            value = getattr(record, name)
            sets += [f"{spec}:{v}" for v in (value if isinstance(value, tuple) else (value,))]
        return cls(record, record.last_modified.earliest(), tuple(sets))


@dataclass(frozen=True)
class OaiSelection:
    """What a list request asks for (its verb, format, set and dates) and where it is."""

    verb: str
    prefix: str
    set: str | None
    start: _dt.date | None
    end: _dt.date | None
    cursor: int = 0


class OaiSource(Protocol):
    """Where an :class:`OaiRepository`'s items come from; the protocol is the repository's.

    Items are in (datestamp, record id) order. A selection's *set* is a valid setSpec;
    an item is in it when one of the item's sets equals it or starts with it and a
    colon (``country`` holds ``country:PRY``). *start* and *end* bound the datestamp,
    both included. Errors of the source (a store that cannot be asked) pass through.
    """

    #: Identify's ``deletedRecord``: ``persistent``, ``transient`` or ``no``.
    deleted_record: str

    @property
    def contact_email(self) -> str | None:
        """The address the catalogue names for Identify, if the source holds one."""
        ...

    def catalog(self) -> Catalog:
        """The catalogue's description (title, base, publisher, licence)."""
        ...

    def catalogue(self, records: Sequence[Record]) -> Catalogue:
        """A catalogue to write *records* with: the vocabularies, and at least the agents
        they and the catalogue's publisher name (with their parents)."""
        ...

    def fingerprint(self, page_size: int) -> str:
        """A short text that changes when the items do: resumption tokens carry it, and
        one issued for another state of the source is refused."""
        ...

    def earliest(self) -> _dt.date | None:
        """The first datestamp (None: no items)."""
        ...

    def find(self, record_id: str) -> OaiItem | None:
        """The item of the record, or None."""
        ...

    def page(self, selection: OaiSelection, size: int) -> tuple[int, list[OaiItem]]:
        """How many items *selection* matches, and at most *size* of them from its cursor."""
        ...

    def countries(self) -> set[str]:
        """The codes of the countries the items name (the country sets)."""
        ...


class MemorySource:
    """The items of a catalogue's records, read once and kept sorted (tombstones too).

    *records* defaults to the catalogue's own (checked: a catalogue with errors
    raises :class:`~csec_ld.errors.DataError`).
    """

    deleted_record = "persistent"

    def __init__(self, catalogue: Catalogue, records: Iterable[Record] | None = None) -> None:
        self._catalogue = catalogue
        if records is None:
            loaded = list(catalogue.records())
            catalogue.check()
        else:
            loaded = list(records)
        items = [OaiItem.of(r) for r in loaded]
        items.sort(key=lambda i: (i.datestamp, i.record.id))
        self.items: list[OaiItem] = items
        self._by_id = {i.record.id: i for i in items}
        self._dates = [i.datestamp for i in items]
        catalog = catalogue.catalog
        digest = hashlib.sha256()
        for item in sorted(items, key=lambda i: i.record.id):
            digest.update(repr(item.record).encode("utf-8") + b"\n")
        digest.update(repr((catalog.title, catalog.base)).encode("utf-8"))
        self._digest = digest

    @property
    def contact_email(self) -> str | None:
        return self._catalogue.catalog.contact_email

    def catalog(self) -> Catalog:
        return self._catalogue.catalog

    def catalogue(self, records: Sequence[Record]) -> Catalogue:
        return self._catalogue

    def fingerprint(self, page_size: int) -> str:
        """A hash of every record, the catalogue's title and base, and *page_size*."""
        digest = self._digest.copy()
        digest.update(f"{page_size}".encode())
        return digest.hexdigest()[:16]

    def earliest(self) -> _dt.date | None:
        return self._dates[0] if self._dates else None

    def find(self, record_id: str) -> OaiItem | None:
        return self._by_id.get(record_id)

    def page(self, selection: OaiSelection, size: int) -> tuple[int, list[OaiItem]]:
        matched = self._select(selection)
        return len(matched), matched[selection.cursor : selection.cursor + size]

    def countries(self) -> set[str]:
        return {code for item in self.items for code in item.record.countries}

    def _select(self, sel: OaiSelection) -> list[OaiItem]:
        lo = bisect.bisect_left(self._dates, sel.start) if sel.start else 0
        hi = bisect.bisect_right(self._dates, sel.end) if sel.end else len(self._dates)
        items = self.items[lo:hi]
        if sel.set is None:
            return items
        spec, below = sel.set, sel.set + ":"
        return [i for i in items if any(s == spec or s.startswith(below) for s in i.sets)]


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _sub(
    parent: ET.Element, ns: str, name: str, text: str | None = None, **attrs: str
) -> ET.Element:
    el = ET.SubElement(parent, _q(ns, name), attrs)
    if text is not None:
        el.text = text
    return el


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


#: Why there is no OAI-PMH without an address (the message of /oai then).
NO_ADMIN_EMAIL = (
    "no OAI-PMH for this catalogue: OAI-PMH's Identify requires an adminEmail; add "
    "contact_email: with the address of whoever answers for the catalogue to its "
    "catalog.yaml (and publish the site again)"
)


class OaiRepository:
    """An OAI-PMH 2.0 repository over a catalogue's records, or over any :class:`OaiSource`.

    Given a :class:`~csec_ld.sources.Catalogue`, its records are read once (tombstones
    included) into a :class:`MemorySource` (*records*: those instead of the
    catalogue's); given a source, each request asks it. *base_url* is the URL
    harvesters call (``https://host/oai``);
    *page_size* bounds each list response; *admin_email* is announced by Identify
    (default: the catalogue's ``contact_email``; with neither, :attr:`admin_email` is
    None and the repository answers nothing: see :data:`NO_ADMIN_EMAIL`); *secret*
    keys the resumption tokens;
    *sets* false turns sets off (ListSets then answers ``noSetHierarchy``); *clock*
    gives ``responseDate`` (UTC).

    >>> from csec_ld.sources import open_catalog
    >>> repo = OaiRepository(open_catalog(["data"]), "https://example.org/oai", page_size=3,
    ...                      admin_email="catalogue@example.org")
    >>> repo.identifier("tracer-study-paraguay-2012")
    'oai:w3id.org:tracer-study-paraguay-2012'
    """

    def __init__(
        self,
        catalogue: Catalogue | OaiSource,
        base_url: str,
        *,
        records: Iterable[Record] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        admin_email: str | None = None,
        secret: bytes | str | None = None,
        sets: bool = True,
        clock: Callable[[], _dt.datetime] | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if isinstance(catalogue, Catalogue):
            self.source: OaiSource = MemorySource(catalogue, records)
        elif records is not None:
            raise ValueError("records go with a catalogue, not with a source")
        else:
            self.source = catalogue
        self.base_url = base_url
        self.page_size = page_size
        # Required by Identify, and never made up: an address nobody reads tells
        # harvesters' operators nothing.
        self.admin_email: str | None = admin_email or self.source.contact_email
        self.sets_enabled = sets
        self.clock = clock or (lambda: _dt.datetime.now(_dt.UTC))
        self._secret = secret.encode("utf-8") if isinstance(secret, str) else secret

    # ------------------------------------------------------------------ the data

    @property
    def host(self) -> str:
        """The host of the catalogue's base: the middle of every OAI identifier."""
        return urllib.parse.urlsplit(self.source.catalog().base).hostname or "localhost"

    def identifier(self, record_id: str) -> str:
        """The OAI identifier of a record."""
        return f"oai:{self.host}:{record_id}"

    def _find(self, identifier: str) -> OaiItem:
        prefix = f"oai:{self.host}:"
        item = (
            self.source.find(identifier[len(prefix) :]) if identifier.startswith(prefix) else None
        )
        if item is None:
            raise _OaiError("idDoesNotExist", f"{identifier!r} is not an item of this repository")
        return item

    def set_list(self) -> list[tuple[str, str, str | None]]:
        """Every set: ``(setSpec, setName, IRI or None)``, parents first, then by spec."""
        vocab = self.source.catalogue(()).vocab
        leaves: dict[str, tuple[str, str | None]] = {}
        for concept in vocab.types:
            leaves[f"type:{concept.id}"] = (f"Resource type: {concept.label}", concept.iri)
        for concept in vocab.topics:
            leaves[f"topic:{concept.id}"] = (f"Topic: {concept.label}", concept.iri)
        for code in self.source.countries():
            c = country(code)
            leaves[f"country:{code}"] = (f"Country: {c.name}", c.iri)
        out: list[tuple[str, str, str | None]] = [
            (spec, name, None) for spec, name in sorted(_SET_PARENTS.items())
        ]
        out += [(spec, name, iri) for spec, (name, iri) in sorted(leaves.items())]
        return out

    # ------------------------------------------------------------------ requests

    def handle(self, args: Mapping[str, Sequence[str]]) -> bytes:
        """Answer one request (its arguments, each with its values) with XML bytes.

        >>> from csec_ld.sources import open_catalog
        >>> repo = OaiRepository(open_catalog(["data"]), "https://example.org/oai",
        ...                      admin_email="catalogue@example.org")
        >>> b'code="badVerb"' in repo.handle({"verb": ["Dance"]})
        True
        """
        if self.admin_email is None:
            raise UsageError(NO_ADMIN_EMAIL)
        root = ET.Element(_q(OAI_NS, "OAI-PMH"))
        root.set(_q(XSI_NS, "schemaLocation"), f"{OAI_NS} {OAI_SCHEMA}")
        stamp = self.clock().astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        _sub(root, OAI_NS, "responseDate", stamp)
        request = _sub(root, OAI_NS, "request", self.base_url)
        try:
            verb, params = self._check(args)
            for name in sorted(params):
                request.set(name, params[name])
            request.set("verb", verb)
            try:
                root.append(getattr(self, "_" + verb)(params))
            except _OaiError as exc:
                if exc.code in ("badVerb", "badArgument"):
                    request.attrib.clear()
                raise
        except _OaiError as exc:
            _sub(root, OAI_NS, "error", exc.message, code=exc.code)
        return ET.tostring(root, encoding="UTF-8", xml_declaration=True)

    def _check(self, args: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, str]]:
        verbs = list(args.get("verb", ()))
        if len(verbs) != 1:
            raise _OaiError(
                "badVerb",
                "the verb argument is missing" if not verbs else "the verb argument is repeated",
            )
        verb = verbs[0]
        if verb not in _VERBS:
            raise _OaiError("badVerb", f"{verb[:100]!r} is not an OAI-PMH verb")
        required, optional = _VERBS[verb]
        allowed = required | optional | ({"resumptionToken"} if verb in _RESUMABLE else set())
        params: dict[str, str] = {}
        for name, values in sorted(args.items()):
            if name == "verb":
                continue
            if name not in allowed:
                raise _OaiError("badArgument", f"{name[:100]!r} is not an argument of {verb}")
            if len(values) != 1:
                raise _OaiError("badArgument", f"the {name} argument is repeated")
            value = values[0]
            if not value or _NOT_XML_RE.search(value):
                raise _OaiError("badArgument", f"the {name} argument has an illegal value")
            params[name] = value
        if "resumptionToken" in params:
            if len(params) > 1:
                raise _OaiError(
                    "badArgument", "resumptionToken is an exclusive argument: give it alone"
                )
            return verb, params
        missing = sorted(required - set(params))
        if missing:
            raise _OaiError("badArgument", f"{verb} needs the {missing[0]} argument")
        if "metadataPrefix" in params and not _PREFIX_RE.fullmatch(params["metadataPrefix"]):
            raise _OaiError("badArgument", "metadataPrefix has an illegal value")
        if "set" in params and not _SET_RE.fullmatch(params["set"]):
            raise _OaiError("badArgument", "set has an illegal value (not a setSpec)")
        if "identifier" in params and not _URI_RE.fullmatch(params["identifier"]):
            raise _OaiError("badArgument", "identifier has an illegal value (not a URI)")
        dates = {}
        for name in ("from", "until"):
            if name in params:
                dates[name] = self._day(name, params[name])
        if len(dates) == 2 and dates["from"] > dates["until"]:
            raise _OaiError("badArgument", "from is after until")
        return verb, params

    @staticmethod
    def _day(name: str, value: str) -> _dt.date:
        if not _DAY_RE.fullmatch(value):
            raise _OaiError(
                "badArgument",
                f"{name}: {value[:40]!r} is not a date at this repository's granularity "
                "(YYYY-MM-DD)",
            )
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            raise _OaiError("badArgument", f"{name}: {value!r} is not a date") from None

    # ------------------------------------------------------------------ verbs

    def _Identify(self, params: Mapping[str, str]) -> ET.Element:
        el = ET.Element(_q(OAI_NS, "Identify"))
        catalogue = self.source.catalogue(())
        catalog = catalogue.catalog
        title = next(
            (t.value for t in catalog.title if t.lang == "en"),
            catalog.title[0].value if catalog.title else "csec-ld",
        )
        _sub(el, OAI_NS, "repositoryName", title)
        _sub(el, OAI_NS, "baseURL", self.base_url)
        _sub(el, OAI_NS, "protocolVersion", "2.0")
        _sub(el, OAI_NS, "adminEmail", self.admin_email)
        earliest = self.source.earliest() or self.clock().date()
        _sub(el, OAI_NS, "earliestDatestamp", earliest.isoformat())
        _sub(el, OAI_NS, "deletedRecord", self.source.deleted_record)
        _sub(el, OAI_NS, "granularity", "YYYY-MM-DD")
        description = _sub(el, OAI_NS, "description")
        dc = self._dc_root(description)
        for t in catalog.title:
            _sub(dc, DC_NS, "title", t.value, **{_q(XML_NS, "lang"): t.lang})
        for d in catalog.description:
            _sub(dc, DC_NS, "description", d.value, **{_q(XML_NS, "lang"): d.lang})
        publisher = catalogue.registry.get(catalog.publisher or "")
        if publisher is not None:
            _sub(dc, DC_NS, "publisher", publisher.name)
        _sub(dc, DC_NS, "identifier", catalog.iri)
        if catalog.license:
            _sub(dc, DC_NS, "rights", catalog.license)
        return el

    def _ListMetadataFormats(self, params: Mapping[str, str]) -> ET.Element:
        if "identifier" in params and self._find(params["identifier"]).deleted:
            raise _OaiError(
                "noMetadataFormats", f"{params['identifier']!r} was withdrawn: it has no metadata"
            )
        el = ET.Element(_q(OAI_NS, "ListMetadataFormats"))
        for fmt in METADATA_FORMATS:
            f = _sub(el, OAI_NS, "metadataFormat")
            _sub(f, OAI_NS, "metadataPrefix", fmt.prefix)
            _sub(f, OAI_NS, "schema", fmt.schema)
            _sub(f, OAI_NS, "metadataNamespace", fmt.namespace)
        return el

    def _ListSets(self, params: Mapping[str, str]) -> ET.Element:
        if not self.sets_enabled:
            raise _OaiError("noSetHierarchy", "this repository does not support sets")
        if "resumptionToken" in params:
            # Every set fits in one response: no token was ever issued for ListSets.
            raise _OaiError("badResumptionToken", "ListSets is never resumed here")
        el = ET.Element(_q(OAI_NS, "ListSets"))
        for spec, name, iri in self.set_list():
            s = _sub(el, OAI_NS, "set")
            _sub(s, OAI_NS, "setSpec", spec)
            _sub(s, OAI_NS, "setName", name)
            if iri:
                dc = self._dc_root(_sub(s, OAI_NS, "setDescription"))
                _sub(dc, DC_NS, "title", name.partition(": ")[2], **{_q(XML_NS, "lang"): "en"})
                _sub(dc, DC_NS, "identifier", iri)
        return el

    def _GetRecord(self, params: Mapping[str, str]) -> ET.Element:
        item = self._find(params["identifier"])
        fmt = self._format(params["metadataPrefix"])
        el = ET.Element(_q(OAI_NS, "GetRecord"))
        self._record(el, item, fmt, self.source.catalogue([item.record]))
        return el

    def _ListIdentifiers(self, params: Mapping[str, str]) -> ET.Element:
        return self._list(params, "ListIdentifiers")

    def _ListRecords(self, params: Mapping[str, str]) -> ET.Element:
        return self._list(params, "ListRecords")

    def _format(self, prefix: str) -> MetadataFormat:
        fmt = _FORMATS.get(prefix)
        if fmt is None:
            raise _OaiError(
                "cannotDisseminateFormat",
                f"{prefix!r} is not a metadata format here (formats: {', '.join(_FORMATS)})",
            )
        return fmt

    def _list(self, params: Mapping[str, str], verb: str) -> ET.Element:
        fingerprint: str | None = None
        if "resumptionToken" in params:
            sel, fingerprint = self._read_token(params["resumptionToken"], verb)
        else:
            sel = OaiSelection(
                verb,
                params["metadataPrefix"],
                params.get("set"),
                self._day("from", params["from"]) if "from" in params else None,
                self._day("until", params["until"]) if "until" in params else None,
            )
        fmt = self._format(sel.prefix)
        if sel.set is not None and not self.sets_enabled:
            raise _OaiError("noSetHierarchy", "this repository does not support sets")
        total, page = self.source.page(sel, self.page_size)
        if not total:
            raise _OaiError("noRecordsMatch", "no record matches the request")
        if sel.cursor >= total:
            raise _OaiError("badResumptionToken", "the resumption token is past the list")
        if not page:  # counted, then gone (a source that changed between two queries)
            raise _OaiError(
                "badResumptionToken" if sel.cursor else "noRecordsMatch",
                "the list changed while it was read: harvest it again",
            )
        el = ET.Element(_q(OAI_NS, verb))
        catalogue = (
            self.source.catalogue([i.record for i in page if not i.deleted])
            if verb == "ListRecords"
            else None
        )
        for item in page:
            if catalogue is not None:
                self._record(el, item, fmt, catalogue)
            else:
                self._header(el, item)
        # Not cursor + len(page): a source may give fewer items than it counted (a
        # record removed between two queries), and a token must still move on.
        nxt = min(sel.cursor + self.page_size, total)
        if sel.cursor > 0 or nxt < total:
            token = (
                self._token(
                    OaiSelection(sel.verb, sel.prefix, sel.set, sel.start, sel.end, nxt),
                    fingerprint or self.source.fingerprint(self.page_size),
                )
                if nxt < total
                else None
            )
            _sub(
                el,
                OAI_NS,
                "resumptionToken",
                token,
                completeListSize=str(total),
                cursor=str(sel.cursor),
            )
        return el

    # ------------------------------------------------------------------ tokens

    def _key(self, fingerprint: str) -> bytes:
        """The HMAC key: the secret (or a fixed text) and the source's fingerprint."""
        return hashlib.sha256((self._secret or b"csec-ld-oai") + fingerprint.encode()).digest()

    def _token(self, sel: OaiSelection, fingerprint: str) -> str:
        payload = json.dumps(
            [
                sel.verb,
                sel.prefix,
                sel.set,
                sel.start.isoformat() if sel.start else None,
                sel.end.isoformat() if sel.end else None,
                sel.cursor,
                fingerprint,
            ],
            separators=(",", ":"),
        ).encode("utf-8")
        mac = hmac.new(self._key(fingerprint), payload, hashlib.sha256).digest()[:16]
        return f"{_b64(payload)}.{_b64(mac)}"

    def _read_token(self, token: str, verb: str) -> tuple[OaiSelection, str]:
        """The selection a token resumes, and the source's fingerprint it was checked with.

        What can be refused without the source is refused first (a source may be a
        store, asked for its fingerprint). Without a secret the key can be worked out
        from the fingerprint, so the payload is checked as if anyone had written it.
        """
        bad = _OaiError("badResumptionToken", "the resumption token is invalid or has expired")
        if len(token) > _MAX_TOKEN:
            raise bad
        data, _, mac = token.partition(".")
        try:
            payload, given = _unb64(data), _unb64(mac)
        except (ValueError, TypeError):
            raise bad from None
        if len(given) != 16:
            raise bad
        current = self.source.fingerprint(self.page_size)
        expected = hmac.new(self._key(current), payload, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(expected, given):
            # The catalogue changed since the token was issued, or it was altered.
            raise bad
        try:
            v, prefix, set_, start, end, cursor, fingerprint = json.loads(payload)
            sel = OaiSelection(
                v,
                prefix,
                set_,
                _dt.date.fromisoformat(start) if start else None,
                _dt.date.fromisoformat(end) if end else None,
                cursor,
            )
        except (ValueError, TypeError):
            raise bad from None
        if (
            v != verb
            or fingerprint != current
            or not isinstance(prefix, str)
            or (set_ is not None and not (isinstance(set_, str) and _SET_RE.fullmatch(set_)))
            or type(cursor) is not int
            or not 1 <= cursor <= _MAX_CURSOR
        ):
            raise bad
        return sel, current

    # ------------------------------------------------------------------ records

    def _header(self, parent: ET.Element, item: OaiItem) -> None:
        attrs = {"status": "deleted"} if item.deleted else {}
        header = _sub(parent, OAI_NS, "header", **attrs)
        _sub(header, OAI_NS, "identifier", self.identifier(item.record.id))
        _sub(header, OAI_NS, "datestamp", item.datestamp.isoformat())
        for spec in item.sets if self.sets_enabled else ():
            _sub(header, OAI_NS, "setSpec", spec)

    def _record(
        self, parent: ET.Element, item: OaiItem, fmt: MetadataFormat, catalogue: Catalogue
    ) -> None:
        rec = _sub(parent, OAI_NS, "record")
        self._header(rec, item)
        if item.deleted:
            return
        metadata = _sub(rec, OAI_NS, "metadata")
        if fmt.prefix == "oai_dc":
            self.oai_dc(metadata, item.record, catalogue)
        else:
            metadata.append(self.rdf(item.record, catalogue))

    @staticmethod
    def _dc_root(parent: ET.Element) -> ET.Element:
        dc = _sub(parent, OAI_DC_NS, "dc")
        dc.set(_q(XSI_NS, "schemaLocation"), f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
        return dc

    def oai_dc(
        self, parent: ET.Element, record: Record, catalogue: Catalogue | None = None
    ) -> ET.Element:
        """Append the record's ``oai_dc:dc`` element to *parent*: every field, in DC order.

        *catalogue* names its agents and concepts (default: the source's for it).
        """
        dc = self._dc_root(parent)
        if catalogue is None:
            catalogue = self.source.catalogue([record])
        for element, spec in _DC_FIELDS:
            for value in spec.values(record):
                for text, lang in _dc_texts(catalogue, spec.kind, value):
                    attrs = {_q(XML_NS, "lang"): lang} if lang else {}
                    _sub(dc, DC_NS, element, text, **attrs)
        return dc

    def rdf(self, record: Record, catalogue: Catalogue | None = None) -> ET.Element:
        """The record's triples (both profiles) and the labels of what it names, as rdf:RDF.

        *catalogue* names its agents and concepts (default: the source's for it).
        """
        mapper = Mapper(catalogue if catalogue is not None else self.source.catalogue([record]))
        triples = list(mapper.record(record))
        for block in list(mapper.support())[:-1]:  # not the catalogue's own block
            triples.extend(block)
        prefixes = {p: ns for p, ns in PREFIXES.items() if p != "xsd"}
        data = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.RDF_XML, prefixes=prefixes)
        assert data is not None  # no output file given: the bytes are returned
        return ET.fromstring(data)


def _dc_texts(
    catalogue: Catalogue, kind: FieldKind, value: Any
) -> Iterator[tuple[str, str | None]]:
    """What a field's *value* of *kind* is in ``oai_dc``: texts, each with its language."""
    vocab, registry = catalogue.vocab, catalogue.registry
    if kind == "id":
        yield catalogue.catalog.record_iri(value), None
    elif kind == "texts":
        yield value.value, value.lang
    elif kind == "date":
        yield value.text, None
    elif kind == "type":
        concept = vocab.types.concepts[value]
        yield concept.label, "en"
        yield concept.iri, None
        if concept.dcmi_type:
            yield concept.dcmi_type.rsplit("/", 1)[-1], None  # the DCMI Type term, e.g. Text
    elif kind == "topic":
        yield vocab.topics.concepts[value].label, "en"
    elif kind in ("agent", "project"):
        yield registry.agents[value].name, None
        if kind == "project":  # a relation: its name, and the IRI to follow
            yield registry.agents[value].iri, None
    elif kind == "identifier":
        yield value.literal, None
    elif kind == "language":
        yield language(value).tag, None
    elif kind == "country":
        yield country(value).name, None
    elif kind == "url":
        yield value, None
    else:  # pragma: no cover - a kind without a Dublin Core rendering
        raise AssertionError(f"no oai_dc text for a {kind} field")


# ---------------------------------------------------------------------- HTTP


def oai_endpoint(repo: OaiRepository) -> Callable[[Any], Awaitable[Any]]:
    """A starlette endpoint answering OAI-PMH requests by GET (query) or POST (form).

    Mount it with ``Route("/oai", oai_endpoint(repo), methods=["GET", "POST"])``.
    Protocol errors are XML with status 200, as the protocol wants; a body over
    :data:`MAX_BODY` bytes is 413.
    """
    import anyio.to_thread
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response

    async def endpoint(request: Request) -> Response:
        if repo.admin_email is None:
            return PlainTextResponse(NO_ADMIN_EMAIL, status_code=404)
        if request.method == "POST":
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_BODY:
                    return PlainTextResponse("request body too large", status_code=413)
            query = body.decode("latin-1")
        else:
            query = request.scope.get("query_string", b"").decode("latin-1")
        args: dict[str, list[str]] = {}
        for name, value in urllib.parse.parse_qsl(
            query, keep_blank_values=True, encoding="utf-8", errors="replace"
        ):
            args.setdefault(name, []).append(value)
        xml = await anyio.to_thread.run_sync(repo.handle, args)
        return Response(
            xml, media_type="text/xml; charset=utf-8", headers={"Access-Control-Allow-Origin": "*"}
        )

    return endpoint
