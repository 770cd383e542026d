"""The record model: what a catalogue entry is, and how raw fields become one.

A :class:`Record` is a frozen dataclass that remembers where it came from (file,
line, and the line of each field). Loaders (``csec_ld.sources``) read YAML, CSV,
JSON and JSON Lines into :class:`RawRecord` values; :func:`build_record` checks
and normalises them, collecting *every* problem as a :class:`RecordError`.
:data:`LIMITS` is what an input may hold (lengths, nesting, file sizes), so that
every output can be read back; no text may hold a character XML 1.0 forbids.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pyoxigraph
from stdnum import isbn as _isbn
from stdnum import issn as _issn

from .errors import RecordError
from .namespaces import XSD
from .vocab import (
    Registry,
    Vocabulary,
    country_suggestion,
    find_country,
    find_language,
    language_suggestion,
)

__all__ = [
    "FIELD",
    "FIELDS",
    "LIMITS",
    "LIST_FIELDS",
    "MONTHS",
    "PAGE_FIELDS",
    "RECORD_FIELDS",
    "REQUIRED_FIELDS",
    "TEXT_FIELDS",
    "FieldKind",
    "Identifier",
    "LangString",
    "Location",
    "PartialDate",
    "RawRecord",
    "Record",
    "RecordField",
    "Salvage",
    "ascii_digits",
    "build_record",
    "check_url",
    "id_problem",
    "parse_date",
    "parse_day_month_year",
    "parse_identifier",
    "quoted",
    "record_to_dict",
    "salvage",
    "shown",
    "text_problem",
    "texts_value",
]

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LANG_TAG_RE = re.compile(r"[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*")

# --------------------------------------------------------------------------- limits on input

#: What one input may hold, so that every output stays readable: a record's pages are
#: file names (``resource/{id}/index.html``, 255 bytes a name on common file systems),
#: its texts RDF literals that stores load back (pyoxigraph refuses literals over
#: 16 MiB) and XML 1.0 text (OAI-PMH, SPARQL results). Lengths count characters: per
#: language for title and description, per value for list fields; sizes count bytes.
#: The README's "Limits on input" shows this table (a test keeps the two the same).
LIMITS: dict[str, int] = {
    "id": 200,  # also agent ids
    "title": 2_000,  # also the catalogue's title, agents' names and alternative names
    "description": 100_000,  # also the catalogue's and agents' descriptions
    "identifiers": 2_000,  # each; also URLs: license, base, agents' url
    "other fields": 200,  # dates, codes, concepts, agent ids, language tags, field names
    "nesting": 10,  # lists and mappings inside one another, the record's own included
    "YAML file or listing": 10_000_000,  # also catalog.yaml, agents.yaml; read whole
    "CSV or JSON file": 50_000_000,  # read whole: JSON Lines is the format for more
    "JSON Lines line": 10_000_000,  # one record (the file is streamed)
}
_OTHER_LENGTH = LIMITS["other fields"]
#: The characters XML 1.0 does not allow: C0 controls but tab, LF and CR; lone
#: surrogates (a JSON "\ud800" escape); the non-characters U+FFFE and U+FFFF.
_BAD_CHAR_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_bad_char = _BAD_CHAR_RE.search
#: Device names Windows reserves, with or without an extension (ids are slugs: no dot).
_RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{d}{n}" for d in ("com", "lpt") for n in range(10)]
)


def shown(text: str, width: int = 60) -> str:
    r"""*text* as a label in a message (a record id, a field name): what is not
    printable escaped as ``repr`` does (every character XML 1.0 forbids is), cut to
    *width* characters.

    >>> print(shown("a\x00b"))
    a\x00b
    """
    cut = repr(text[:width])[1:-1]
    return cut if len(text) <= width else cut + "..."


def quoted(text: str, width: int = 60) -> str:
    """*text* quoted for a message, as ``{text!r}`` but cut to *width* characters."""
    cut = repr(text[:width])
    return cut if len(text) <= width else cut + "..."


def _char_problem(text: str, where: re.Match[str]) -> str:
    code = ord(where.group())
    kind = (
        "a control character"
        if code < 0x20
        else "half of a UTF-16 surrogate pair"
        if code < 0xE000
        else "a Unicode non-character"
    )
    return (
        f"{quoted(text)} holds U+{code:04X} ({kind}) at character {where.start() + 1}, "
        "which XML 1.0 does not allow (OAI-PMH and SPARQL results could not carry it): "
        "remove it"
    )


def text_problem(text: str, limit: int) -> str | None:
    r"""Why *text* cannot be published (longer than *limit*, or holding a character
    XML 1.0 forbids); ``None`` if it can.

    >>> print(text_problem("a\x07b", 10)[:32])
    'a\x07b' holds U+0007 (a control
    """
    if len(text) > limit:
        return f"is {len(text):,} characters long; at most {limit:,} are allowed"
    where = _bad_char(text)
    return None if where is None else _char_problem(text, where)


def id_problem(value: str) -> str | None:
    """Why *value* cannot be a record's or an agent's id; ``None`` if it can.

    An id is a slug, and a folder name of the site (``resource/{id}/``): at most
    ``LIMITS["id"]`` characters, and not a device name Windows reserves (``con``, ``nul``...).

    >>> id_problem("con")[:25]
    "'con' is a name Windows r"
    """
    if len(value) > LIMITS["id"]:
        return f"is {len(value):,} characters long; an id has at most {LIMITS['id']:,}"
    if not SLUG_RE.fullmatch(value):
        return (
            f"{quoted(value)} is not a valid id (lower-case letters, digits and single "
            "hyphens, e.g. tracer-study-paraguay)"
        )
    if value in _RESERVED_NAMES:
        return (
            f"{value!r} is a name Windows reserves for a device (con, prn, aux, nul, "
            "com0-com9, lpt0-lpt9): its pages could not be written on Windows; choose another id"
        )
    return None


#: What a field holds, and so how it is read, checked, written back and shown:
#: ``texts`` are language-tagged texts; ``type`` and ``topic`` concepts of the
#: vocabularies; ``agent`` and ``project`` ids of the registry; ``country`` and
#: ``language`` ISO codes; ``url`` an http(s) URL.
FieldKind = Literal[
    "id",
    "texts",
    "date",
    "type",
    "topic",
    "country",
    "language",
    "agent",
    "project",
    "identifier",
    "url",
    "status",
]


@dataclass(frozen=True)
class RecordField:
    """One row of :data:`RECORD_FIELDS`: a record field and how each output treats it."""

    name: str
    kind: FieldKind
    required: bool = False
    multi: bool = False  # a list of values (one text per language is ``texts``)
    limit: str = "other fields"  # the key of LIMITS that bounds each of its texts
    dc: str = ""  # the Dublin Core element OAI-PMH's oai_dc writes it as ("": none)
    label: str = ""  # its name in the record page's details list ("": not listed)
    shown: int = 0  # its place in that list (in tens: a new field goes between two)
    facet: str = ""  # the search filter (data-pagefind-filter) its values go in
    rel: str = ""  # the link relation of its value on the record page
    role: str = ""  # agents: how an agent's page heads the records naming it in the field

    def values(self, record: Record) -> tuple[Any, ...]:
        """The field's values in *record*: none, one, or a list's."""
        value = getattr(record, self.name)
        if self.multi or self.kind == "texts":
            return tuple(value)
        return () if value is None else (value,)


#: Every field a record may have, in the order they are written: the one list that the
#: model's checks (:func:`build_record`), :func:`record_to_dict` (the ``source/`` mirror,
#: the change feed), the CSV reader, the ``oai_dc`` crosswalk and the record page's
#: details derive from. :class:`Record` declares the same fields, typed (a check at
#: import keeps the two in step); the mapping profiles say what each becomes in RDF.
RECORD_FIELDS: tuple[RecordField, ...] = (
    RecordField("id", "id", required=True, limit="id", dc="identifier", label="IRI", shown=130),
    RecordField("title", "texts", required=True, limit="title", dc="title"),
    RecordField("issued", "date", required=True, dc="date", label="Date", shown=20, facet="year"),
    RecordField("type", "type", required=True, dc="type", label="Type", shown=10, facet="type"),
    RecordField("description", "texts", limit="description", dc="description"),
    RecordField(
        "countries",
        "country",
        multi=True,
        dc="coverage",
        label="Countries",
        shown=40,
        facet="country",
    ),
    RecordField(
        "subjects", "topic", multi=True, dc="subject", label="Subjects", shown=50, facet="topic"
    ),
    RecordField(
        "publishers",
        "agent",
        multi=True,
        dc="publisher",
        label="Publisher",
        shown=60,
        role="Published",
    ),
    RecordField(
        "creators", "agent", multi=True, dc="creator", label="Authors", shown=70, role="Authored"
    ),
    RecordField(
        "contributors",
        "agent",
        multi=True,
        dc="contributor",
        label="Contributors",
        shown=80,
        role="Contributed to",
    ),
    RecordField(
        "languages",
        "language",
        multi=True,
        dc="language",
        label="Languages",
        shown=100,
        facet="language",
    ),
    RecordField(
        "identifiers",
        "identifier",
        multi=True,
        limit="identifiers",
        dc="identifier",
        label="Identifiers",
        shown=110,
    ),
    RecordField(
        "is_part_of",
        "project",
        multi=True,
        dc="relation",
        label="Part of",
        shown=90,
        role="Part of it",
    ),
    RecordField(
        "license",
        "url",
        limit="identifiers",
        dc="rights",
        label="Licence",
        shown=120,
        rel="license",
    ),
    RecordField("modified", "date", label="Modified", shown=30),
    RecordField("status", "status"),
    RecordField("withdrawn", "date"),
)
FIELD: dict[str, RecordField] = {f.name: f for f in RECORD_FIELDS}
FIELDS: tuple[str, ...] = tuple(FIELD)
#: The fields the record page lists under "Details", in its order.
PAGE_FIELDS: tuple[RecordField, ...] = tuple(
    sorted((f for f in RECORD_FIELDS if f.label), key=lambda f: f.shown)
)
#: A record's life: ``active``, or ``withdrawn`` (a tombstone, kept so that
#: harvesters learn of the deletion).
STATUSES: tuple[str, ...] = ("active", "withdrawn")
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in RECORD_FIELDS if f.required)
LIST_FIELDS = frozenset(f.name for f in RECORD_FIELDS if f.multi)
TEXT_FIELDS = frozenset(f.name for f in RECORD_FIELDS if f.kind == "texts")


@dataclass(frozen=True, order=True)
class LangString:
    """A text with its BCP 47 language tag."""

    value: str
    lang: str = "en"


Precision = Literal["year", "month", "day"]
_DATATYPES: dict[str, str] = {
    "year": XSD + "gYear",
    "month": XSD + "gYearMonth",
    "day": XSD + "date",
}
# [0-9], not \d: Arabic-Indic or fullwidth digits must not become 2012 (int() reads them).
_DATE_RE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_HUMAN_DATE_RE = re.compile(r"([0-9]{1,2})\s+([A-Za-z]+)\s+([0-9]{4})")
#: The months' English names, January first: read in dates ("16 July 2012"), shown on
#: pages, abbreviated in BibTeX.
MONTHS: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTHS = {m.lower(): i for i, m in enumerate(MONTHS, start=1)}


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day: ``2010``, ``2010-06``, ``2010-06-14``."""

    text: str
    precision: Precision

    @property
    def datatype(self) -> str:
        """``xsd:gYear``, ``xsd:gYearMonth`` or ``xsd:date``."""
        return _DATATYPES[self.precision]

    @property
    def year(self) -> int:
        return int(self.text[:4])

    def earliest(self) -> _dt.date:
        """The first day the date can mean (for comparisons)."""
        y, m, d = (int(p) for p in (self.text + "-01-01")[:10].split("-"))
        return _dt.date(y, m, d)

    def __str__(self) -> str:
        return self.text


_DATE_HINT = "use YYYY, YYYY-MM or YYYY-MM-DD"


def ascii_digits(text: str) -> str | None:
    """*text* with its other decimal digits (Arabic-Indic, fullwidth...) as 0-9; ``None``
    if it has none.

    >>> ascii_digits("٢٠١٢")
    '2012'
    """
    if text.isascii() or not any(c.isdecimal() and not c.isascii() for c in text):
        return None
    return "".join(str(int(c)) if c.isdecimal() else c for c in text)


def _digits_hint(text: str, what: str) -> str | None:
    fixed = ascii_digits(text)
    if fixed is None:
        return None
    return f"{text!r} is written with digits other than 0-9: write the {what} as {fixed!r}"


def parse_day_month_year(text: str) -> _dt.date | None:
    """A date written like ``14 June 2016``; ``None`` if it is not written so.

    ``ValueError`` if it is written so but is no date (``31 June 2010``).

    >>> parse_day_month_year("01 December 2011")
    datetime.date(2011, 12, 1)
    """
    m = _HUMAN_DATE_RE.fullmatch(text.strip())
    if m is None or m.group(2).lower() not in _MONTHS:
        return None
    return _dt.date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))


def parse_date(text: str) -> PartialDate:
    """Parse an ISO 8601 year, year-month or date; ``ValueError`` with a hint if it is not one.

    >>> parse_date("2010-06").datatype
    'http://www.w3.org/2001/XMLSchema#gYearMonth'
    """
    text = text.strip()
    m = _DATE_RE.fullmatch(text)
    if m is None:
        try:
            human = parse_day_month_year(text)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a date ({exc}; {_DATE_HINT})") from None
        if human is not None:
            raise ValueError(f"{text!r} is not an ISO date: write {human.isoformat()}")
        raise ValueError(_digits_hint(text, "date") or f"{text!r} is not a date ({_DATE_HINT})")
    year, month, day = m.group(1), m.group(2), m.group(3)
    try:
        # Also for YYYY and YYYY-MM: year 0000 or month 13 must not get through.
        _dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date ({exc}; {_DATE_HINT})") from None
    precision: Precision = "day" if day else "month" if month else "year"
    return PartialDate(text, precision)


IdentifierScheme = Literal["url", "doi", "isbn", "issn", "handle"]
_DOI_RE = re.compile(r"10\.[0-9]{4,9}/\S+")
_HANDLE_RE = re.compile(r"[0-9]+(?:\.[0-9]+)*/\S+")
_ISBN_ISSN_RE = re.compile(r"(isbn|issn)[:\s]\s*(.+)", re.IGNORECASE | re.ASCII)
#: What an IRI cannot hold (RFC 3987): whitespace (any, also U+00A0, as RDF parsers split
#: on it), controls and <>"{}|\^`; pyoxigraph checks the rest (percent-encoding, ...).
_IRI_BAD_RE = re.compile(r'[\s\x00-\x1f\x7f-\x9f<>"{}|\\^`\ud800-\udfff\ufffe\uffff]')


@dataclass(frozen=True, order=True)
class Identifier:
    """A validated identifier: ``url``, ``doi``, ``isbn``, ``issn`` or ``handle``."""

    scheme: IdentifierScheme
    value: str

    @property
    def iri(self) -> str | None:
        """The resolvable IRI of the identifier, if it has one."""
        if self.scheme == "url":
            return self.value
        if self.scheme == "doi":
            return "https://doi.org/" + self.value
        if self.scheme == "handle":
            return "https://hdl.handle.net/" + self.value
        return None

    @property
    def literal(self) -> str:
        """The identifier as a ``dcterms:identifier`` literal (a URN or IRI)."""
        if self.scheme == "isbn":
            return "urn:isbn:" + self.value
        if self.scheme == "issn":
            return "urn:issn:" + self.value
        return self.iri or self.value

    def __str__(self) -> str:
        return self.value if self.scheme == "url" else f"{self.scheme}:{self.value}"


def _check_iri(iri: str, shown_as: str, what: str = "URL") -> str:
    """*iri* if it is a valid IRI; ``ValueError`` naming the first character it cannot hold."""
    bad = _IRI_BAD_RE.search(iri)
    if bad is not None:
        char = bad.group()
        encoded = "".join(f"%{b:02X}" for b in char.encode("utf-8", "surrogatepass"))
        raise ValueError(
            f"{quoted(shown_as, 200)} is not a valid {what}: it holds {quoted(char)} "
            f"(U+{ord(char):04X}), which an IRI cannot hold (percent-encode it: {encoded})"
        )
    try:
        pyoxigraph.NamedNode(iri)
    except ValueError as exc:
        raise ValueError(f"{quoted(shown_as, 200)} is not a valid {what} ({exc})") from None
    return iri


def check_url(url: str) -> str:
    if not re.match(r"https?://[^/\s]+", url):
        raise ValueError(f"{quoted(url, 200)} is not an http(s) URL")
    return _check_iri(url, url)


def parse_identifier(text: str) -> Identifier:
    """Recognise and validate an identifier; ``ValueError`` if it is malformed.

    Accepted: ``https://...`` URLs, ``doi:10.x/y`` / ``https://doi.org/10.x/y``,
    ``isbn:978...`` (ISBN-10 or 13, hyphens allowed), ``issn:1234-5679``,
    ``hdl:20.500/123`` / ``https://hdl.handle.net/...``.

    >>> str(parse_identifier("ISBN 978-92-2-125081-4"))
    'isbn:978-92-2-125081-4'
    """
    raw = text.strip()
    low = raw.lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if low.startswith(prefix):
            doi = raw[len(prefix) :].strip()
            return _doi(doi, raw)
    for prefix in ("https://hdl.handle.net/", "http://hdl.handle.net/", "hdl:", "handle:"):
        if low.startswith(prefix):
            handle = raw[len(prefix) :].strip()
            if not _HANDLE_RE.fullmatch(handle):
                raise ValueError(
                    _digits_hint(raw, "handle")
                    or f"{raw!r} is not a handle (expected prefix/suffix)"
                )
            _check_iri("https://hdl.handle.net/" + handle, raw, "handle")
            return Identifier("handle", handle)
    m = _ISBN_ISSN_RE.match(raw)
    if m:
        scheme, number = m.group(1).lower(), m.group(2).strip()
        module = _isbn if scheme == "isbn" else _issn
        hint = _digits_hint(raw, scheme.upper())
        if hint is not None:  # stdnum reads fullwidth digits as 0-9
            raise ValueError(hint)
        if not module.is_valid(number):
            raise ValueError(f"{raw!r} is not a valid {scheme.upper()} (check digit or length)")
        formatted = module.format(number)
        return Identifier("isbn" if scheme == "isbn" else "issn", formatted)
    if _DOI_RE.fullmatch(raw):
        return _doi(raw, raw)
    if low.startswith(("http://", "https://")):
        return Identifier("url", check_url(raw))
    raise ValueError(
        _digits_hint(raw, "identifier")
        or f"{raw!r} is not a recognised identifier (use a URL, doi:, isbn:, issn: or hdl:)"
    )


def _doi(doi: str, raw: str) -> Identifier:
    if not _DOI_RE.fullmatch(doi):
        raise ValueError(
            _digits_hint(raw, "DOI") or f"{raw!r} is not a DOI (expected 10.NNNN/suffix)"
        )
    _check_iri("https://doi.org/" + doi, raw, "DOI")
    # DOI names are case-insensitive (ASCII; DOI Handbook 2.4): 10.1234/X and 10.1234/x
    # are one DOI, written as doi.org and Crossref show them.
    return Identifier("doi", doi.lower())


@dataclass(frozen=True)
class Location:
    """Where something was read: a file and, where the format has lines, a line."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


class FieldLines:
    """``line_of`` for what keeps its ``location`` and its ``field_lines`` (field → line):
    records, what is read of a broken one, and references to them in results."""

    __slots__ = ()
    location: Location
    field_lines: tuple[tuple[str, int], ...]

    def line_of(self, field_name: str) -> int | None:
        """The line where *field_name* was written (the record's line if unknown)."""
        for name, line in self.field_lines:
            if name == field_name:
                return line
        return self.location.line


@dataclass(frozen=True)
class Record(FieldLines):
    """One catalogue entry, checked and normalised.

    Equality ignores where the record was read from, so the same catalogue
    written as YAML, CSV or JSON loads to equal records.
    """

    id: str
    title: tuple[LangString, ...]
    issued: PartialDate
    type: str
    description: tuple[LangString, ...] = ()
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-3
    subjects: tuple[str, ...] = ()  # topic concept ids
    publishers: tuple[str, ...] = ()  # registry ids
    creators: tuple[str, ...] = ()
    contributors: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # ISO 639-3
    identifiers: tuple[Identifier, ...] = ()
    is_part_of: tuple[str, ...] = ()  # registry ids of projects or series
    license: str | None = None
    modified: PartialDate | None = None
    status: str = "active"
    withdrawn: PartialDate | None = None
    location: Location = field(default=Location("<memory>"), compare=False, repr=False)
    field_lines: tuple[tuple[str, int], ...] = field(default=(), compare=False, repr=False)

    @property
    def is_withdrawn(self) -> bool:
        return self.status == "withdrawn"

    @property
    def last_modified(self) -> PartialDate:
        """When the record last changed: withdrawn, else modified, else issued."""
        return self.withdrawn or self.modified or self.issued

    @property
    def primary_title(self) -> str:
        for t in self.title:
            if t.lang == "en":
                return t.value
        return self.title[0].value


#: What a record holds where a field is not given (required fields have none).
_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in dataclasses.fields(Record) if f.name in FIELD and f.init
}
if tuple(f.name for f in dataclasses.fields(Record))[: len(FIELDS)] != FIELDS:  # pragma: no cover
    raise AssertionError("Record must declare the fields of RECORD_FIELDS, in their order")


def texts_value(values: tuple[LangString, ...]) -> str | dict[str, str]:
    """Language-tagged texts as a record file writes them: a string if English only."""
    if len(values) == 1 and values[0].lang == "en":
        return values[0].value
    return {v.lang: v.value for v in values}


def record_to_dict(record: Record) -> dict[str, Any]:
    """The record as the loaders read it (fields in order, empty ones left out).

    Loading the result gives an equal record: this is how the site and the change
    feed carry records, and how tools write records back.

    >>> from csec_ld.sources import load_records
    >>> record_to_dict(load_records(["data"])[0])["issued"]
    '2010-09-01'
    """

    out: dict[str, Any] = {}
    for f in RECORD_FIELDS:
        value = getattr(record, f.name)
        if f.required or value != _DEFAULTS[f.name]:
            out[f.name] = [_dumped(f.kind, v) for v in value] if f.multi else _dumped(f.kind, value)
    return out


def _dumped(kind: FieldKind, value: Any) -> Any:
    """A value of *kind* as a record file writes it (what the loaders read back)."""
    if kind == "texts":
        return texts_value(value)
    if kind == "date":
        return value.text
    if kind == "identifier":
        return str(value)
    return value


@dataclass
class RawRecord:
    """A record as a loader read it: field values as text, lists or language maps."""

    data: dict[str, Any]
    location: Location
    field_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, name: str) -> int | None:
        return self.field_lines.get(name, self.location.line)


@dataclass(frozen=True)
class Salvage(FieldLines):
    """What can be read of a record that does not load: its id and its identifiers.

    A broken record still takes part in the cross-record checks (a reused id, an
    identifier another record gives), so that one run reports every problem.
    """

    id: str | None  # None: the id is missing or not valid
    identifiers: tuple[Identifier, ...]
    location: Location
    field_lines: tuple[tuple[str, int], ...] = ()


def salvage(raw: RawRecord) -> Salvage:
    """The id and identifiers of *raw* as far as they can be read (see :class:`Salvage`).

    A withdrawn record gives no identifiers: it is not in the catalogue's graph.

    >>> raw = RawRecord({"id": "x", "identifiers": ["doi:10.1234/A", "nonsense"]}, Location("f"))
    >>> [str(i) for i in salvage(raw).identifiers]
    ['doi:10.1234/a']
    """
    data = raw.data
    rid = data.get("id")
    record_id = rid.strip() if isinstance(rid, str) else None
    if not record_id or id_problem(record_id) is not None:
        record_id = None
    found: list[Identifier] = []
    values = data.get("identifiers")
    if data.get("status") != "withdrawn":
        listed = [values] if isinstance(values, str) else values
        for value in listed if isinstance(listed, list) else []:
            if isinstance(value, str) and text_problem(value, LIMITS["identifiers"]) is None:
                try:
                    found.append(parse_identifier(value))
                except ValueError:
                    continue
    lines = tuple(sorted((k, v) for k, v in raw.field_lines.items() if k in ("id", "identifiers")))
    return Salvage(record_id, tuple(dict.fromkeys(found)), raw.location, lines)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


class _Collector:
    def __init__(self, raw: RawRecord, record_id: str | None) -> None:
        self.raw = raw
        self.record_id = record_id
        self.errors: list[RecordError] = []

    def error(
        self, name: str, message: str, value: Any = None, *, label: str | None = None
    ) -> None:
        self.errors.append(
            RecordError(
                message,
                path=self.raw.location.path,
                line=self.raw.line_of(name),
                record=self.record_id,
                field=label or name,
                value=value,
            )
        )


#: The longest text of each field (see LIMITS).
_LIMIT_OF = {f.name: LIMITS[f.limit] for f in RECORD_FIELDS}


def _nested_problem(value: Any, limit: int) -> str | None:
    """The first text in *value* (nested lists and mappings, keys too) that cannot be
    published; walked without recursion, as a hostile file nests as deep as it likes."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            problem = text_problem(item, limit)
            if problem is not None:
                return problem
        elif isinstance(item, list):
            todo.extend(reversed(item))
        elif isinstance(item, dict):
            for k, v in reversed(item.items()):
                todo.append(v)
                if isinstance(k, str) and (len(k) > _OTHER_LENGTH or _bad_char(k)):
                    return text_problem(k, _OTHER_LENGTH)
    return None


def _unreadable(c: _Collector, data: dict[str, Any]) -> bool:
    """Report the values that no output could carry (too long, or holding a character
    XML 1.0 forbids), field names too; ``True`` if there was one.

    This runs before every other check, so that no message or reported value carries
    such a text; a record that has one is refused without further checks. The common
    path is a length test and one regex search per text.
    """
    problems: list[tuple[str, str, str]] = []  # field, label, message
    for name, value in data.items():
        limit = _LIMIT_OF.get(name)
        if limit is None:  # an unknown field (reported later): its name is a text too
            limit = _OTHER_LENGTH
            problem = _nested_problem(name, _OTHER_LENGTH)
            if problem is not None:
                problems.append((name, shown(str(name)), f"the field name {problem}"))
        kind = type(value)
        if kind is str:
            if len(value) <= limit and _bad_char(value) is None:
                continue
        elif kind is list:
            for item in value:
                if type(item) is not str or len(item) > limit or _bad_char(item):
                    break
            else:
                continue
        elif kind is dict:
            for lang, item in value.items():
                if (
                    type(lang) is not str
                    or type(item) is not str
                    or len(item) > limit
                    or _bad_char(item)
                    or len(lang) > _OTHER_LENGTH
                    or _bad_char(lang)
                ):
                    break
            else:
                continue
        elif value is None or kind is bool or kind is int or kind is float:
            continue
        problem = _nested_problem(value, limit)
        if problem is not None:
            label = problems[-1][1] if problems and problems[-1][0] == name else name
            problems.append((name, label, problem))
    if not problems:
        return False
    rid = data.get("id")
    if isinstance(rid, str) and text_problem(rid, LIMITS["id"]) is not None:
        c.record_id = shown(rid.strip())
    for name, label, problem in problems:
        c.error(name, problem, label=label)
    return True


def _texts(c: _Collector, name: str, value: Any) -> tuple[LangString, ...]:
    """A text field: a string (English) or a mapping of language tag to string."""
    items: list[tuple[str, Any]]
    if isinstance(value, str):
        items = [("en", value)]
    elif isinstance(value, Mapping):
        items = [(str(k), v) for k, v in value.items()]
    else:
        c.error(name, "expected a text or a mapping of language tags to texts", value)
        return ()
    out = []
    for lang, text in items:
        if not LANG_TAG_RE.fullmatch(lang):
            c.error(name, f"{lang!r} is not a language tag (e.g. en, fr, es)", lang)
            continue
        if not isinstance(text, str):
            c.error(name, f"expected a text for language {lang!r}", text)
            continue
        cleaned = text.strip()
        if not cleaned:
            c.error(name, "is empty" if lang == "en" else f"is empty for language {lang!r}", text)
            continue
        out.append(LangString(cleaned, lang.lower()))
    return tuple(sorted(out, key=lambda s: (s.lang != "en", s.lang, s.value)))


def _strings(c: _Collector, name: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        c.error(name, "expected a text or a list of texts", value)
        return []
    return [v.strip() for v in value if v.strip()]


def _did_you_mean(name: str | None) -> str:
    return f"; did you mean {name}?" if name else ""


class _Refused(ValueError):
    """A value a field cannot take: the message, and the value to report (the one given
    unless it says otherwise)."""

    def __init__(self, message: str, value: Any = None) -> None:
        super().__init__(message)
        self.value = value


def _parse_id(value: Any, spec: RecordField, vocab: Vocabulary, registry: Registry) -> str:
    if not isinstance(value, str):
        raise _Refused("expected a text")
    record_id = value.strip()
    problem = id_problem(record_id)
    if problem is not None:
        raise _Refused(problem, record_id)
    return record_id


def _parse_date(
    value: Any, spec: RecordField, vocab: Vocabulary, registry: Registry
) -> PartialDate:
    if not isinstance(value, str):
        raise _Refused(f"{value!r} is not a date ({_DATE_HINT})")
    return parse_date(value)


def _parse_type(value: Any, spec: RecordField, vocab: Vocabulary, registry: Registry) -> str:
    if not isinstance(value, str):
        raise _Refused("expected a text")
    try:
        return vocab.types.resolve(value.strip()).id
    except KeyError:
        known = ", ".join(sorted(vocab.types.concepts))
        where = f" of {vocab.types.where}" if vocab.types.files else ""
        raise _Refused(f"unknown resource type {value!r} (known{where}: {known})") from None


def _looked_up(find: Callable[[str], Any], value: str, unknown: Callable[[], str]) -> Any:
    """``find(value)``; :class:`_Refused` with the message *unknown* makes (suggestions
    are looked for only then) if it is not found."""
    try:
        return find(value)
    except KeyError:
        raise _Refused(unknown()) from None


def _parse_topic(value: str, spec: RecordField, vocab: Vocabulary, registry: Registry) -> str:
    return _looked_up(
        vocab.topics.resolve,
        value,
        lambda: (
            f"unknown subject {value!r} (not a topic of {vocab.topics.where}"
            f"{_did_you_mean(vocab.topics.suggest(value))})"
        ),
    ).id


def _parse_country(value: str, spec: RecordField, vocab: Vocabulary, registry: Registry) -> str:
    return _looked_up(
        find_country,
        value,
        lambda: (
            f"unknown country code {value!r} (use ISO 3166-1, e.g. PH or PHL, or the "
            f"country's English name{_did_you_mean(country_suggestion(value))})"
        ),
    ).alpha3


def _parse_language(value: str, spec: RecordField, vocab: Vocabulary, registry: Registry) -> str:
    return _looked_up(
        find_language,
        value,
        lambda: (
            f"unknown language code {value!r} (use ISO 639, e.g. en or eng, or the "
            f"language's English name{_did_you_mean(language_suggestion(value))})"
        ),
    ).code


def _parse_agent(value: str, spec: RecordField, vocab: Vocabulary, registry: Registry) -> str:
    projects = spec.kind == "project"
    agent = registry.get(value)
    if agent is None:
        raise _Refused(
            f"unknown {'project' if projects else 'agent'} {value!r} "
            "(add it to the registry, data/agents.yaml)"
        )
    if (agent.kind == "project") != projects:
        expected = "a project or series" if projects else "an organisation or person"
        article = "an" if agent.kind[0] in "aeiou" else "a"
        raise _Refused(f"{value!r} is {article} {agent.kind}, expected {expected}")
    return agent.id


def _parse_identifier(
    value: str, spec: RecordField, vocab: Vocabulary, registry: Registry
) -> Identifier:
    return parse_identifier(value)


def _parse_url(value: Any, spec: RecordField, vocab: Vocabulary, registry: Registry) -> str:
    what = f"the {spec.label.lower()}'s URL" if spec.label else "a URL"
    if not isinstance(value, str):
        raise _Refused(f"expected {what}")
    try:
        return check_url(value.strip())
    except ValueError as exc:
        raise _Refused(f"{exc}; give {what}") from None


def _parse_status(value: Any, spec: RecordField, vocab: Vocabulary, registry: Registry) -> str:
    if value not in STATUSES:
        raise _Refused(f"{value!r} is not a status (use {' or '.join(STATUSES)})")
    return str(value)


#: How one value of each kind is read: the value, or ValueError saying why not
#: (``texts`` are read by :func:`_texts`, which reports each language's problem).
_PARSERS: dict[str, Any] = {
    "id": _parse_id,
    "date": _parse_date,
    "type": _parse_type,
    "topic": _parse_topic,
    "country": _parse_country,
    "language": _parse_language,
    "agent": _parse_agent,
    "project": _parse_agent,
    "identifier": _parse_identifier,
    "url": _parse_url,
    "status": _parse_status,
}


def _parsed(
    c: _Collector, spec: RecordField, value: Any, vocab: Vocabulary, registry: Registry
) -> Any:
    """One value of *spec* read, or ``None`` once its problem is reported."""
    try:
        return _PARSERS[spec.kind](value, spec, vocab, registry)
    except ValueError as exc:
        shown_value = exc.value if isinstance(exc, _Refused) and exc.value is not None else value
        c.error(spec.name, str(exc), shown_value)
        return None


def _field_value(
    c: _Collector, spec: RecordField, value: Any, vocab: Vocabulary, registry: Registry
) -> Any:
    """The value of *spec* that *value* gives (reporting its problems to *c*)."""
    if spec.kind == "texts":
        return _texts(c, spec.name, value)
    if not spec.multi:
        return _parsed(c, spec, value, vocab, registry)
    found = (_parsed(c, spec, v, vocab, registry) for v in _strings(c, spec.name, value))
    return tuple(dict.fromkeys(v for v in found if v is not None))


def _check_lifecycle(c: _Collector, data: dict[str, Any], values: dict[str, Any]) -> None:
    """The rules between fields: dates in order, and a withdrawn record's date."""
    issued, modified = values.get("issued"), values.get("modified")
    withdrawn, status = values.get("withdrawn"), values.get("status", "active")
    if issued and modified and modified.earliest() < issued.earliest():
        c.error("modified", f"{modified} is before issued ({issued})", modified.text)
    if status == "withdrawn" and withdrawn is None and _is_blank(data.get("withdrawn")):
        c.error(
            "withdrawn",
            "a withdrawn record needs the date it was withdrawn (withdrawn: YYYY-MM-DD)",
        )
    if withdrawn is not None and status != "withdrawn":
        c.error("status", "has a withdrawn date but is not 'status: withdrawn'", data.get("status"))
    if withdrawn and issued and withdrawn.earliest() < issued.earliest():
        c.error("withdrawn", f"{withdrawn} is before issued ({issued})", withdrawn.text)


def build_record(
    raw: RawRecord, vocab: Vocabulary, registry: Registry
) -> tuple[Record | None, list[RecordError]]:
    """Check and normalise *raw*; return the record (or ``None``) and every problem found.

    Each field of :data:`RECORD_FIELDS` is read by its kind, then the rules between
    fields are checked; nothing is built if there was a problem.
    """
    data = raw.data
    rid = data.get("id")
    c = _Collector(raw, rid if isinstance(rid, str) and rid.strip() else None)
    if _unreadable(c, data):
        return None, c.errors

    for name in sorted(set(data) - set(FIELDS)):
        c.error(name, f"unknown field (known fields: {', '.join(FIELDS)})", data[name])
    for name in REQUIRED_FIELDS:
        if name not in data or data[name] is None:
            c.error(name, "is required")
        elif _is_blank(data[name]):
            c.error(name, "is required and must not be empty", data[name])

    values: dict[str, Any] = {}
    for spec in RECORD_FIELDS:
        value = data.get(spec.name)
        if not _is_blank(value):
            parsed = _field_value(c, spec, value, vocab, registry)
            if parsed is not None:
                values[spec.name] = parsed
    _check_lifecycle(c, data, values)

    if c.errors or any(not values.get(name) for name in REQUIRED_FIELDS):
        return None, c.errors
    record = Record(
        **values, location=raw.location, field_lines=tuple(sorted(raw.field_lines.items()))
    )
    return record, []
