"""The record model: what a catalogue entry is, and how raw fields become one.

A :class:`Record` is a frozen dataclass that remembers where it came from (file,
line, and the line of each field). Loaders (``csec_ld.sources``) read YAML, CSV,
JSON and JSON Lines into :class:`RawRecord` values; :func:`build_record` checks
and normalises them, collecting *every* problem as a :class:`RecordError`.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pyoxigraph
from stdnum import isbn as _isbn
from stdnum import issn as _issn

from .errors import RecordError
from .namespaces import XSD
from .vocab import Registry, Vocabulary, country, language

__all__ = [
    "FIELDS",
    "REQUIRED_FIELDS",
    "Identifier",
    "LangString",
    "Location",
    "PartialDate",
    "RawRecord",
    "Record",
    "build_record",
    "parse_date",
    "parse_day_month_year",
    "parse_identifier",
    "record_to_dict",
    "texts_value",
]

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LANG_TAG_RE = re.compile(r"[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*")

#: Every field a record may have, in the order they are written.
FIELDS: tuple[str, ...] = (
    "id",
    "title",
    "issued",
    "type",
    "description",
    "countries",
    "subjects",
    "publishers",
    "creators",
    "contributors",
    "languages",
    "identifiers",
    "is_part_of",
    "license",
    "modified",
    "status",
    "withdrawn",
)
#: A record's life: ``active``, or ``withdrawn`` (a tombstone, kept so that
#: harvesters learn of the deletion).
STATUSES: tuple[str, ...] = ("active", "withdrawn")
REQUIRED_FIELDS: tuple[str, ...] = ("id", "title", "issued", "type")
LIST_FIELDS = frozenset(
    {
        "countries",
        "subjects",
        "publishers",
        "creators",
        "contributors",
        "languages",
        "identifiers",
        "is_part_of",
    }
)
TEXT_FIELDS = frozenset({"title", "description"})


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
_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_HUMAN_DATE_RE = re.compile(r"(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})")
_MONTHS = {
    m.lower(): i
    for i, m in enumerate(
        [
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
        ],
        start=1,
    )
}


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
        raise ValueError(f"{text!r} is not a date ({_DATE_HINT})")
    year, month, day = m.group(1), m.group(2), m.group(3)
    try:
        # Also for YYYY and YYYY-MM: year 0000 or month 13 must not get through.
        _dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date ({exc}; {_DATE_HINT})") from None
    precision: Precision = "day" if day else "month" if month else "year"
    return PartialDate(text, precision)


IdentifierScheme = Literal["url", "doi", "isbn", "issn", "handle"]
_DOI_RE = re.compile(r"10\.\d{4,9}/\S+")
_HANDLE_RE = re.compile(r"\d+(?:\.\d+)*/\S+")


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


def _check_url(url: str) -> str:
    if not re.match(r"https?://[^/\s]+", url):
        raise ValueError(f"{url!r} is not an http(s) URL")
    try:
        pyoxigraph.NamedNode(url)
    except ValueError as exc:
        raise ValueError(f"{url!r} is not a valid URL ({exc})") from None
    return url


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
            if not _DOI_RE.fullmatch(doi):
                raise ValueError(f"{raw!r} is not a DOI (expected 10.NNNN/suffix)")
            return Identifier("doi", doi)
    for prefix in ("https://hdl.handle.net/", "http://hdl.handle.net/", "hdl:", "handle:"):
        if low.startswith(prefix):
            handle = raw[len(prefix) :].strip()
            if not _HANDLE_RE.fullmatch(handle):
                raise ValueError(f"{raw!r} is not a handle (expected prefix/suffix)")
            return Identifier("handle", handle)
    m = re.match(r"(isbn|issn)[:\s]\s*(.+)", raw, re.IGNORECASE)
    if m:
        scheme, number = m.group(1).lower(), m.group(2).strip()
        module = _isbn if scheme == "isbn" else _issn
        if not module.is_valid(number):
            raise ValueError(f"{raw!r} is not a valid {scheme.upper()} (check digit or length)")
        formatted = module.format(number)
        return Identifier("isbn" if scheme == "isbn" else "issn", formatted)
    if _DOI_RE.fullmatch(raw):
        return Identifier("doi", raw)
    if low.startswith(("http://", "https://")):
        return Identifier("url", _check_url(raw))
    raise ValueError(
        f"{raw!r} is not a recognised identifier (use a URL, doi:, isbn:, issn: or hdl:)"
    )


@dataclass(frozen=True)
class Location:
    """Where something was read: a file and, where the format has lines, a line."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Record:
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

    def line_of(self, field_name: str) -> int | None:
        """The line where *field_name* was written (the record's line if unknown)."""
        for name, line in self.field_lines:
            if name == field_name:
                return line
        return self.location.line

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

    out: dict[str, Any] = {
        "id": record.id,
        "title": texts_value(record.title),
        "issued": record.issued.text,
        "type": record.type,
    }
    if record.description:
        out["description"] = texts_value(record.description)
    for name in (
        "countries",
        "subjects",
        "publishers",
        "creators",
        "contributors",
        "languages",
        "is_part_of",
    ):
        if getattr(record, name):
            out[name] = list(getattr(record, name))
    if record.identifiers:
        out["identifiers"] = [str(i) for i in record.identifiers]
    if record.license:
        out["license"] = record.license
    if record.modified:
        out["modified"] = record.modified.text
    if record.is_withdrawn:
        out["status"] = record.status
        if record.withdrawn:
            out["withdrawn"] = record.withdrawn.text
    order = {name: i for i, name in enumerate(FIELDS)}
    return dict(sorted(out.items(), key=lambda kv: order[kv[0]]))


@dataclass
class RawRecord:
    """A record as a loader read it: field values as text, lists or language maps."""

    data: dict[str, Any]
    location: Location
    field_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, name: str) -> int | None:
        return self.field_lines.get(name, self.location.line)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


class _Collector:
    def __init__(self, raw: RawRecord, record_id: str | None) -> None:
        self.raw = raw
        self.record_id = record_id
        self.errors: list[RecordError] = []

    def error(self, name: str, message: str, value: Any = None) -> None:
        self.errors.append(
            RecordError(
                message,
                path=self.raw.location.path,
                line=self.raw.line_of(name),
                record=self.record_id,
                field=name,
                value=value,
            )
        )


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
        if not _LANG_TAG_RE.fullmatch(lang):
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


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def build_record(
    raw: RawRecord, vocab: Vocabulary, registry: Registry
) -> tuple[Record | None, list[RecordError]]:
    """Check and normalise *raw*; return the record (or ``None``) and every problem found."""
    data = raw.data
    rid = data.get("id")
    c = _Collector(raw, rid if isinstance(rid, str) and rid.strip() else None)

    for name in sorted(set(data) - set(FIELDS)):
        c.error(name, f"unknown field (known fields: {', '.join(FIELDS)})", data[name])
    for name in REQUIRED_FIELDS:
        if name not in data or data[name] is None:
            c.error(name, "is required")
        elif _is_blank(data[name]):
            c.error(name, "is required and must not be empty", data[name])

    record_id = ""
    if isinstance(rid, str) and rid.strip():
        record_id = rid.strip()
        if not SLUG_RE.fullmatch(record_id):
            c.error(
                "id",
                f"{record_id!r} is not a valid id (lower-case letters, digits and single "
                "hyphens, e.g. tracer-study-paraguay)",
                record_id,
            )
    elif rid is not None and not isinstance(rid, str):
        c.error("id", "expected a text", rid)

    title = _texts(c, "title", data["title"]) if not _is_blank(data.get("title")) else ()
    description = (
        _texts(c, "description", data["description"])
        if not _is_blank(data.get("description"))
        else ()
    )

    def date_field(name: str) -> PartialDate | None:
        value = data.get(name)
        if _is_blank(value):
            return None
        if not isinstance(value, str):
            c.error(name, f"{value!r} is not a date ({_DATE_HINT})", value)
            return None
        try:
            return parse_date(value)
        except ValueError as exc:
            c.error(name, str(exc), value)
            return None

    issued = date_field("issued")
    modified = date_field("modified")
    if issued and modified and modified.earliest() < issued.earliest():
        c.error("modified", f"{modified} is before issued ({issued})", modified.text)
    withdrawn = date_field("withdrawn")
    status = "active"
    if not _is_blank(data.get("status")):
        if data["status"] not in STATUSES:
            c.error(
                "status",
                f"{data['status']!r} is not a status (use active or withdrawn)",
                data["status"],
            )
        else:
            status = data["status"]
    if status == "withdrawn" and withdrawn is None and _is_blank(data.get("withdrawn")):
        c.error(
            "withdrawn",
            "a withdrawn record needs the date it was withdrawn (withdrawn: YYYY-MM-DD)",
        )
    if withdrawn is not None and status != "withdrawn":
        c.error("status", "has a withdrawn date but is not 'status: withdrawn'", data.get("status"))
    if withdrawn and issued and withdrawn.earliest() < issued.earliest():
        c.error("withdrawn", f"{withdrawn} is before issued ({issued})", withdrawn.text)

    rtype = ""
    if isinstance(data.get("type"), str) and data["type"].strip():
        try:
            rtype = vocab.types.resolve(data["type"].strip()).id
        except KeyError:
            known = ", ".join(sorted(vocab.types.concepts))
            c.error(
                "type", f"unknown resource type {data['type']!r} (known: {known})", data["type"]
            )
    elif not _is_blank(data.get("type")):
        c.error("type", "expected a text", data["type"])

    def listed(name: str) -> list[str]:
        return _strings(c, name, data[name]) if not _is_blank(data.get(name)) else []

    countries = []
    for code in listed("countries"):
        try:
            countries.append(country(code).alpha3)
        except KeyError:
            c.error(
                "countries",
                f"unknown country code {code!r} (use ISO 3166-1 alpha-2 or alpha-3)",
                code,
            )

    subjects = []
    for s in listed("subjects"):
        try:
            subjects.append(vocab.topics.resolve(s).id)
        except KeyError:
            c.error(
                "subjects", f"unknown subject {s!r} (see ontology/topics.ttl for the topics)", s
            )

    def agents(name: str, *, projects: bool) -> list[str]:
        out = []
        for a in listed(name):
            agent = registry.get(a)
            if agent is None:
                c.error(
                    name,
                    f"unknown {'project' if projects else 'agent'} {a!r} "
                    "(add it to the registry, data/agents.yaml)",
                    a,
                )
            elif (agent.kind == "project") != projects:
                expected = "a project or series" if projects else "an organisation or person"
                article = "an" if agent.kind[0] in "aeiou" else "a"
                c.error(name, f"{a!r} is {article} {agent.kind}, expected {expected}", a)
            else:
                out.append(agent.id)
        return out

    publishers = agents("publishers", projects=False)
    creators = agents("creators", projects=False)
    contributors = agents("contributors", projects=False)
    is_part_of = agents("is_part_of", projects=True)

    languages = []
    for code in listed("languages"):
        try:
            languages.append(language(code).code)
        except KeyError:
            c.error(
                "languages", f"unknown language code {code!r} (use ISO 639, e.g. en or eng)", code
            )

    identifiers = []
    for text in listed("identifiers"):
        try:
            identifiers.append(parse_identifier(text))
        except ValueError as exc:
            c.error("identifiers", str(exc), text)

    license_iri = None
    if not _is_blank(data.get("license")):
        if not isinstance(data["license"], str):
            c.error("license", "expected the licence's URL", data["license"])
        else:
            try:
                license_iri = _check_url(data["license"].strip())
            except ValueError as exc:
                c.error("license", f"{exc}; give the licence's URL", data["license"])

    if c.errors or issued is None or not title or not record_id or not rtype:
        return None, c.errors
    record = Record(
        id=record_id,
        title=title,
        issued=issued,
        type=rtype,
        description=description,
        countries=_unique(countries),
        subjects=_unique(subjects),
        publishers=_unique(publishers),
        creators=_unique(creators),
        contributors=_unique(contributors),
        languages=_unique(languages),
        identifiers=tuple(dict.fromkeys(identifiers)),
        is_part_of=_unique(is_part_of),
        license=license_iri,
        modified=modified,
        status=status,
        withdrawn=withdrawn,
        location=raw.location,
        field_lines=tuple(sorted(raw.field_lines.items())),
    )
    return record, []
