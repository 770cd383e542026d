"""Import a publication listing (the seed's format) as record YAML files.

The format: a heading, then entries of a numbered title line (``1. Title``; the
numbering may restart), a date line (``14 June 2016``) and an optional
description paragraph. Each entry becomes ``{id}.yaml`` with a slug derived from
the title and year, and a resource type recognised from the title's words
(``report`` when none is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .build import atomic_output
from .errors import DataError, OutputError, RecordError
from .records import parse_day_month_year
from .sources import _read_text
from .vocab import Vocabulary, fold, load_vocabulary

__all__ = ["ListingEntry", "import_listing", "parse_listing", "slugify", "to_yaml"]

_ENTRY_RE = re.compile(r"\s*(\d+)\.\s+(\S.*)")
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
    try:
        day = parse_day_month_year(text)
    except ValueError:
        return None
    return day.isoformat() if day else None


def parse_listing(text: str, path: str = "<listing>") -> list[ListingEntry]:
    """The entries of a listing; :class:`DataError` names every malformed entry."""
    lines = text.splitlines()
    entries: list[ListingEntry] = []
    errors: list[RecordError] = []
    i = 0
    while i < len(lines):
        m = _ENTRY_RE.fullmatch(lines[i])
        if not m:
            i += 1
            continue
        start = i + 1
        title_parts = [m.group(2).strip()]
        i += 1
        issued = None
        # The title may wrap; the first line that is a date ends it.
        while i < len(lines):
            line = lines[i].strip()
            i += 1
            if not line:
                continue
            issued = _date(line)
            if issued is not None:
                break
            if _ENTRY_RE.fullmatch(lines[i - 1]):
                i -= 1
                break
            title_parts.append(line)
        if issued is None:
            errors.append(
                RecordError(
                    "no date line (like '14 June 2016') after the title",
                    path=path,
                    line=start,
                    field="issued",
                )
            )
            continue
        paragraph: list[str] = []
        while i < len(lines) and not _ENTRY_RE.fullmatch(lines[i]):
            if lines[i].strip():
                paragraph.append(lines[i].strip())
            i += 1
        entries.append(
            ListingEntry(" ".join(title_parts), issued, " ".join(paragraph) or None, start)
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
    return "-".join(words)


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


def to_yaml(entry: ListingEntry, record_id: str, rtype: str) -> str:
    data: dict[str, str] = {
        "id": record_id,
        "title": entry.title,
        "issued": entry.issued,
        "type": rtype,
    }
    if entry.description:
        data["description"] = entry.description
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88)


def import_listing(path: str | Path, out_dir: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write one record YAML file per entry of the listing at *path* into *out_dir*.

    Existing files are kept unless *overwrite*; then nothing is written and a
    :class:`~csec_ld.errors.OutputError` names them.
    """
    path, out = Path(path), Path(out_dir)
    try:
        text = _read_text(path)
    except RecordError as exc:
        raise DataError([exc]) from exc
    entries = parse_listing(text, str(path))
    vocab = load_vocabulary()
    named: dict[str, ListingEntry] = {}
    for entry in entries:
        rid = slugify(entry.title, entry.issued[:4])
        n = 2
        while rid in named:
            rid = f"{slugify(entry.title, entry.issued[:4])}-{n}"
            n += 1
        named[rid] = entry
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
            (tmp / f"{rid}.yaml").write_text(
                to_yaml(entry, rid, guess_type(entry.title, vocab)), encoding="utf-8"
            )
            written.append(out / f"{rid}.yaml")
    return written
