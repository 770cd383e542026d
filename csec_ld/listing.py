"""Import a publication listing (the seed's format) as record YAML files.

The format: a heading, then entries of a numbered title line (``1. Title``; the
numbering may restart), a date line (``14 June 2016``) and an optional
description paragraph. Each entry becomes ``{id}.yaml`` with a slug derived from
the title and year, a resource type recognised from the title's words (``report``
when none is), and the countries its title names (else its description), as
pycountry knows their names (``Tracer Study - PARAGUAY``: ``PRY``).

The files go to the catalogue's records folder: ``records/`` beside its catalog.yaml
(``--catalog``, else the one found as every command finds it), unless ``-o`` names
another. ``update=True`` adds only the entries that are not there yet (a listing that
grew), and leaves every file that is there alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .build import atomic_output
from .errors import DataError, OutputError, RecordError, UsageError
from .records import LIMITS, ascii_digits, parse_day_month_year, text_problem
from .sources import CATALOG_FILE, find_catalog_file, find_config, read_bounded_text, read_catalog
from .vocab import Vocabulary, countries_named, fold, load_vocabulary

__all__ = [
    "ListingEntry",
    "import_listing",
    "parse_listing",
    "records_folder",
    "slugify",
    "to_yaml",
]

#: The folder, beside catalog.yaml, that import-listing writes into.
RECORDS_FOLDER = "records"

_ENTRY_RE = re.compile(r"\s*(\d+)\.\s+(\S.*)")
#: A date line written with other digits than 0-9 ("١٤ June 2016"): refused, not read as 2016.
_OTHER_DIGITS_DATE_RE = re.compile(r"\s*\d{1,2}\s+[A-Za-z]+\s+\d{4}\s*")
#: Line breaks as editors count them (str.splitlines also breaks at \x0c, \x1c, U+2028...).
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
    ]
)


@dataclass(frozen=True)
class ListingEntry:
    """One publication of the listing, as written there."""

    title: str
    issued: str  # ISO date
    description: str | None
    line: int


def _date(text: str) -> str | None:
    """The ISO form of a date line (``14 June 2016``); ``None`` if the line is not one.

    ``ValueError`` for a date line written with digits other than 0-9.
    """
    try:
        day = parse_day_month_year(text)
    except ValueError:
        return None
    if day is None and _OTHER_DIGITS_DATE_RE.fullmatch(text):
        fixed = ascii_digits(text.strip())
        if fixed is not None and _date(fixed) is not None:
            raise ValueError(
                f"{text.strip()!r} is written with digits other than 0-9: write {fixed!r}"
            )
    return day.isoformat() if day else None


def parse_listing(text: str, path: str = "<listing>") -> list[ListingEntry]:
    """The entries of a listing; :class:`DataError` names every malformed entry."""
    lines = _LINE_BREAK_RE.split(text)
    entries: list[ListingEntry] = []
    errors: list[RecordError] = []

    def check(field: str, parts: list[tuple[int, str]], limit: int) -> bool:
        """Whether the title's or description's lines can be published (errors if not)."""
        ok = True
        for number, part in parts:
            problem = text_problem(part, limit)
            if problem is not None:
                errors.append(RecordError(problem, path=path, line=number, field=field))
                ok = False
        joined = " ".join(part for _, part in parts)
        if ok and len(joined) > limit:
            errors.append(
                RecordError(
                    f"is {len(joined):,} characters long; at most {limit:,} are allowed",
                    path=path,
                    line=parts[0][0],
                    field=field,
                )
            )
            ok = False
        return ok

    i = 0
    while i < len(lines):
        m = _ENTRY_RE.fullmatch(lines[i])
        if not m:
            i += 1
            continue
        start = i + 1
        title_parts = [(start, m.group(2).strip())]
        i += 1
        issued = None
        bad_date = False
        # The title may wrap; the first line that is a date ends it.
        while i < len(lines):
            line = lines[i].strip()
            i += 1
            if not line:
                continue
            try:
                issued = _date(line)
            except ValueError as exc:
                errors.append(RecordError(str(exc), path=path, line=i, field="issued"))
                bad_date = True
                break
            if issued is not None:
                break
            if _ENTRY_RE.fullmatch(lines[i - 1]):
                i -= 1
                break
            title_parts.append((i, line))
        if issued is None and not bad_date:
            errors.append(
                RecordError(
                    "no date line (like '14 June 2016') after the title",
                    path=path,
                    line=start,
                    field="issued",
                )
            )
            continue
        paragraph: list[tuple[int, str]] = []
        while i < len(lines) and not _ENTRY_RE.fullmatch(lines[i]):
            if lines[i].strip():
                paragraph.append((i + 1, lines[i].strip()))
            i += 1
        title_ok = check("title", title_parts, LIMITS["title"])
        description_ok = check("description", paragraph, LIMITS["description"])
        if issued is None or not title_ok or not description_ok:
            continue
        entries.append(
            ListingEntry(
                " ".join(part for _, part in title_parts),
                issued,
                " ".join(part for _, part in paragraph) or None,
                start,
            )
        )
    if errors:
        raise DataError(errors)
    if not entries:
        raise DataError(
            [RecordError("no entries found (expected lines like '1. Title')", path=path)]
        )
    return entries


def slugify(title: str, year: str, max_words: int = 6) -> str:
    """A record id from a title: its first content words and the year.

    >>> slugify("Tracer Study - PARAGUAY", "2012")
    'tracer-study-paraguay-2012'
    """
    words = [w for w in re.split(r"[^a-z0-9]+", fold(title)) if w and w not in _STOPWORDS]
    words = words[:max_words]
    if year not in words:
        words.append(year)
    slug = "-".join(words)
    # An id is a file name of the site: room for the year and a "-NN" to tell twins apart.
    room = LIMITS["id"] - 10
    if len(slug) > room:
        slug = "-".join(w for w in slug[: room - len(year) - 1].split("-") if w) + "-" + year
    return slug


def guess_type(title: str, vocab: Vocabulary) -> str:
    """The resource type whose label (or alternative label) the title contains.

    The longest label wins; between equally long ones, the narrower concept
    ("survey" under "report" in "Pilot Survey - Final Report").
    """
    folded = f" {' '.join(re.split(r'[^a-z0-9]+', fold(title)))} "
    best, best_score = "report", (0, 0)
    for concept in vocab.types:
        depth = len(concept.broader)
        for label in (*concept.labels.values(), *concept.alt_labels):
            key = " ".join(re.split(r"[^a-z0-9]+", fold(label))).strip()
            # "guidelines" also matches "guideline"; plural/singular is enough here.
            for v in {key, key.rstrip("s")}:
                score = (len(v), depth)
                if v and f" {v} " in folded and score > best_score:
                    best, best_score = concept.id, score
    return best


def guess_countries(entry: ListingEntry) -> list[str]:
    """The countries (alpha-3) the entry's title names, else those its description names.

    The title says what a publication is about; a description also names the
    countries it compares with or was funded from, so it is read only when the
    title names none.
    """
    return countries_named(entry.title) or countries_named(entry.description or "")


def to_yaml(
    entry: ListingEntry, record_id: str, rtype: str, countries: list[str] | None = None
) -> str:
    data: dict[str, Any] = {
        "id": record_id,
        "title": entry.title,
        "issued": entry.issued,
        "type": rtype,
    }
    if entry.description:
        data["description"] = entry.description
    if countries:
        data["countries"] = countries
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88)


def records_folder(catalog: str | Path | None = None) -> Path:
    """The catalogue's records folder: ``records/`` beside *catalog* (a catalog.yaml),
    else beside the catalog.yaml that commands without SOURCES read (in ``data/``,
    the current folder or the two above it).

    :class:`UsageError` when there is none: a ``data/`` folder without a catalog.yaml
    is nobody's records folder.

    >>> records_folder("data/catalog.yaml").as_posix()
    'data/records'
    """
    found = (
        find_catalog_file(["data"], [], catalog) if catalog is not None else find_config(["data"])
    )
    if found is None:
        raise UsageError(
            f"no {CATALOG_FILE} found in data/, the current folder or the two above it: "
            "give --catalog FILE (its records/ folder is written to), or -o FOLDER"
        )
    folder = found.parent.resolve() / RECORDS_FOLDER
    here = Path.cwd().resolve()
    return folder.relative_to(here) if folder.is_relative_to(here) else folder


def _catalogue_vocabulary(catalog: str | Path | None) -> Vocabulary:
    """The resource types of the catalogue written into (its own ``vocabularies:`` too),
    which the listing's entries are matched against; the shipped ones without one."""
    found = (
        find_catalog_file(["data"], [], catalog) if catalog is not None else find_config(["data"])
    )
    if found is None:
        return load_vocabulary()
    try:
        description, _ = read_catalog(found)
        return load_vocabulary(
            extra=description.vocabularies, replace=description.replace_vocabularies
        )
    except RecordError as exc:
        raise DataError([exc]) from exc


def _known(out: Path) -> set[tuple[str, str]]:
    """(folded title, issued) of the records in *out* (files that do not read are skipped)."""
    known: set[tuple[str, str]] = set()
    for file in sorted(out.glob("*.y*ml")) if out.is_dir() else []:
        try:
            data = yaml.safe_load(read_bounded_text(file, LIMITS["YAML file or listing"], "record"))
        except (RecordError, yaml.YAMLError):
            continue
        for item in data if isinstance(data, list) else [data]:
            if not isinstance(item, dict):
                continue
            title, issued = item.get("title"), item.get("issued")
            if isinstance(title, dict):
                title = title.get("en")
            if isinstance(title, str) and issued is not None:
                known.add((fold(title), str(issued)))
    return known


def import_listing(
    path: str | Path,
    out_dir: str | Path | None = None,
    *,
    overwrite: bool = False,
    update: bool = False,
    catalog: str | Path | None = None,
) -> list[Path]:
    """Write one record YAML file per entry of the listing at *path* into *out_dir*
    (default: the catalogue's records folder, see :func:`records_folder`).

    Existing files are kept unless *overwrite*; then nothing is written and a
    :class:`~csec_ld.errors.OutputError` names them. With *update*, the entries
    already there (a file of their id, or a record of the same title and date) are
    left out and the others written: the new entries of a listing that grew.
    Returns the files written.
    """
    if overwrite and update:
        raise UsageError("--update adds new entries and keeps every file: not with --overwrite")
    path = Path(path)
    out = Path(out_dir) if out_dir is not None else records_folder(catalog)
    try:
        text = read_bounded_text(path, LIMITS["YAML file or listing"], "listing")
    except RecordError as exc:
        raise DataError([exc]) from exc
    entries = parse_listing(text, str(path))
    vocab = _catalogue_vocabulary(catalog)
    named: dict[str, ListingEntry] = {}
    for entry in entries:
        rid = slugify(entry.title, entry.issued[:4])
        n = 2
        while rid in named:
            rid = f"{slugify(entry.title, entry.issued[:4])}-{n}"
            n += 1
        named[rid] = entry
    if update:
        known = _known(out)
        named = {
            rid: e
            for rid, e in named.items()
            if not (out / f"{rid}.yaml").exists() and (fold(e.title), e.issued) not in known
        }
        if not named:
            return []
    existing = sorted(rid for rid in named if (out / f"{rid}.yaml").exists())
    if existing and not overwrite:
        raise OutputError(
            f"{out}: would overwrite {len(existing)} file(s) "
            f"({', '.join(e + '.yaml' for e in existing[:3])}"
            f"{', ...' if len(existing) > 3 else ''}); use --overwrite to replace them"
        )
    written = []
    with atomic_output(out) as tmp:
        for rid, entry in named.items():
            text = to_yaml(entry, rid, guess_type(entry.title, vocab), guess_countries(entry))
            (tmp / f"{rid}.yaml").write_text(text, encoding="utf-8")
            written.append(out / f"{rid}.yaml")
    return written
