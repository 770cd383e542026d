"""The change feed: an Activity Streams 2.0 ``OrderedCollection`` of what changed, when.

A linked-data harvester reads ``changes/index.json``, then walks the pages from
``last`` backwards until it reaches activities it has already seen, and fetches
only the records named there (or forgets them, for a ``Delete``)::

    changes/index.json     OrderedCollection: totalItems, first, last
    changes/page-1.json    OrderedCollectionPage: the oldest activities
    changes/page-N.json    ... the newest activities last

Each record gives a ``Create`` (published = issued), an ``Update`` when it was
modified after it was issued (published = modified; only the last modification is
known), and a ``Delete`` of a ``Tombstone`` when it was withdrawn (published =
withdrawn). Dates known only to the year or month count from their first day.
Activities are ordered by date, then Create/Update/Delete, then record id.

**Stable ids.** Every activity has an ``id`` that is the same in every publish of the
same record: ``{feed}index.json#{kind}-{record id}-{day}``, and for an ``Update`` or a
``Delete`` also ``-{content hash}`` (:attr:`Change.digest`, the first 16 hex digits of
the SHA-256 of the record as the loaders read it). So two updates of one record on
one day, published in between, are two activities; a ``Create`` keeps its id when the
record is updated later (its content is not the content it was created with).

**Context.** The documents use the Activity Streams context
(``https://www.w3.org/ns/activitystreams``), not the site's ``context.jsonld``: AS2
consumers recognise that context by its URI (AS2 Core, section 2.1) and need not
process JSON-LD, and the activities use only Activity Streams terms. The records'
own terms are on their pages, and in the event stream (:mod:`csec_ld.site.ldes`).

Pages are numbered from the oldest, so a full page never changes as long as new
changes are dated no earlier than the last one (the usual case: ``modified`` and
``withdrawn`` are set when the edit is made). A record added later with an old
``issued`` date is placed at its date, which shifts the pages after it.

Output is deterministic: the same records give the same bytes.

>>> from csec_ld.sources import open_catalog
>>> feed = ChangeFeed(open_catalog(["data"]).catalog, "https://example.org/", page_size=4)
>>> for record in open_catalog(["data"]).records():
...     feed.add(record)
>>> sorted(feed.documents())
['index.json', 'page-1.json', 'page-2.json', 'page-3.json']
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..records import PartialDate, Record, record_to_dict
from ..sources import Catalog, Catalogue

__all__ = [
    "AS_CONTEXT",
    "AS_MEDIA_TYPE",
    "DEFAULT_PAGE_SIZE",
    "Change",
    "ChangeFeed",
    "record_changes",
    "record_digest",
    "write_change_feed",
]

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
#: The media type to serve the feed with.
AS_MEDIA_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
DEFAULT_PAGE_SIZE = 100
FOLDER = "changes"
_ORDER = {"Create": 0, "Update": 1, "Delete": 2}


@dataclass(frozen=True, order=True)
class Change:
    """One activity: what happened to which record, and when (a day).

    *digest* is :func:`record_digest` of the record as it is now.
    """

    date: str  # YYYY-MM-DD
    order: int
    record_id: str
    kind: str  # Create, Update or Delete
    title: str
    digest: str

    @property
    def published(self) -> str:
        return self.date + "T00:00:00Z"

    @property
    def key(self) -> str:
        """What makes the activity's id: kind, record, day, and the content but for a Create.

        >>> Change("2024-05-01", 1, "x-2020", "Update", "X", "0123456789abcdef").key
        'update-x-2020-2024-05-01-0123456789abcdef'
        """
        key = f"{self.kind.lower()}-{self.record_id}-{self.date}"
        return key if self.kind == "Create" else f"{key}-{self.digest}"


def _day(date: PartialDate) -> str:
    return date.earliest().isoformat()


def record_digest(record: Record) -> str:
    """A hash of the record's content: 16 hex digits of the SHA-256 of its canonical JSON."""
    text = json.dumps(
        record_to_dict(record), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def record_changes(record: Record) -> list[Change]:
    """The activities of one record, oldest first."""
    title = record.primary_title
    digest = record_digest(record)
    out = [Change(_day(record.issued), 0, record.id, "Create", title, digest)]
    if record.modified and record.modified.earliest() > record.issued.earliest():
        out.append(Change(_day(record.modified), 1, record.id, "Update", title, digest))
    if record.is_withdrawn and record.withdrawn is not None:
        out.append(Change(_day(record.withdrawn), 2, record.id, "Delete", title, digest))
    return out


class PagedFeed:
    """What the change feed and the event stream share: the catalogue, where the feed's
    folder (:attr:`folder`) is served, and the size of its pages."""

    folder = FOLDER

    def __init__(
        self, catalog: Catalog, base_url: str | None = None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.catalog = catalog
        self.base_url = base_url or catalog.base
        if not self.base_url.endswith("/"):
            self.base_url += "/"
        self.page_size = page_size

    def url(self, name: str) -> str:
        return f"{self.base_url}{self.folder}/{name}"


class ChangeFeed(PagedFeed):
    """Collect records' changes, then write the feed's documents.

    *base_url* is where the site is served (default: the catalogue's base IRI);
    the feed lives at ``{base_url}changes/``.
    """

    def __init__(
        self, catalog: Catalog, base_url: str | None = None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> None:
        super().__init__(catalog, base_url, page_size=page_size)
        self.changes: list[Change] = []

    def add(self, record: Record) -> None:
        self.changes.extend(record_changes(record))

    def add_changes(self, changes: Iterable[Change]) -> None:
        """Activities found elsewhere (by :func:`record_changes`, in a worker process)."""
        self.changes.extend(changes)

    def _activity(self, change: Change) -> dict[str, Any]:
        iri = self.catalog.record_iri(change.record_id)
        obj: dict[str, Any]
        if change.kind == "Delete":
            # formerType is IRI-valued in the AS2 context: a bare "Document" would be a
            # relative IRI, so the term is written as the compact IRI as:Document.
            obj = {
                "id": iri,
                "type": "Tombstone",
                "formerType": "as:Document",
                "name": change.title,
                "deleted": change.published,
            }
        else:
            obj = {"id": iri, "type": "Document", "name": change.title}
        return {
            "id": f"{self.url('index.json')}#{change.key}",
            "type": change.kind,
            "published": change.published,
            "object": obj,
        }

    def documents(self) -> dict[str, dict[str, Any]]:
        """The feed's documents by file name: ``index.json`` and ``page-{n}.json``."""
        changes = sorted(self.changes)
        pages = [changes[i : i + self.page_size] for i in range(0, len(changes), self.page_size)]
        docs = {"index.json": self.index_document(len(changes))}
        for n, page in enumerate(pages, start=1):
            docs[f"page-{n}.json"] = self.page_document(n, len(changes), page)
        return docs

    def page_count(self, total: int) -> int:
        """How many pages a feed of *total* activities has (none when it is empty)."""
        return -(-total // self.page_size)

    def index_document(self, total: int) -> dict[str, Any]:
        """``index.json`` of a feed of *total* activities."""
        pages = self.page_count(total)
        title = next((t.value for t in self.catalog.title if t.lang == "en"), "the catalogue")
        index: dict[str, Any] = {
            "@context": AS_CONTEXT,
            "id": self.url("index.json"),
            "type": "OrderedCollection",
            "summary": f"Changes to {title}: records created, updated and withdrawn",
            "totalItems": total,
        }
        if pages:
            index["first"] = {"id": self.url("page-1.json"), "type": "OrderedCollectionPage"}
            index["last"] = {
                "id": self.url(f"page-{pages}.json"),
                "type": "OrderedCollectionPage",
            }
        return index

    def page_document(self, n: int, total: int, page: Sequence[Change]) -> dict[str, Any]:
        """``page-{n}.json`` (from 1) of a feed of *total* activities: *page* holds its
        activities, in the feed's order."""
        pages = self.page_count(total)
        doc: dict[str, Any] = {
            "@context": AS_CONTEXT,
            "id": self.url(f"page-{n}.json"),
            "type": "OrderedCollectionPage",
            "partOf": self.url("index.json"),
            "startIndex": (n - 1) * self.page_size,
            "totalItems": len(page),
        }
        if n > 1:
            doc["prev"] = self.url(f"page-{n - 1}.json")
        if n < pages:
            doc["next"] = self.url(f"page-{n + 1}.json")
        doc["orderedItems"] = [self._activity(c) for c in page]
        return doc

    @staticmethod
    def text(doc: dict[str, Any]) -> str:
        """A document as the feed's files hold it."""
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write the documents into ``{out_dir}/changes/``; the files written, in order.

        Pages left from an earlier, longer feed are removed.
        """
        texts = {name: self.text(doc) for name, doc in self.documents().items()}
        return write_pages(Path(out_dir) / FOLDER, texts, "page-*.json", "the change feed")


def write_pages(folder: Path, texts: dict[str, str], stale: str, what: str) -> list[Path]:
    """Write *texts* (file name → text) into *folder*, removing the files matching
    *stale* that are not among them (pages of an earlier, longer feed); the files
    written, in order. A failure is an :class:`OutputError` naming *what*."""
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in sorted(folder.glob(stale)):
            if old.name not in texts:
                old.unlink()
        for name, text in texts.items():
            path = folder / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write {what} ({exc.strerror})") from exc
    return written


def write_change_feed(
    catalogue: Catalogue,
    out_dir: str | Path,
    base_url: str | None = None,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    records: Iterable[Record] | None = None,
) -> list[Path]:
    """Write the change feed of *catalogue* (tombstones included) into ``{out_dir}/changes/``.

    *records* defaults to a pass over the catalogue's records, which must be free of
    problems (:class:`~csec_ld.errors.DataError` otherwise).

    >>> import tempfile
    >>> from csec_ld.sources import open_catalog
    >>> files = write_change_feed(open_catalog(["data"]), tempfile.mkdtemp(), page_size=4)
    >>> [p.name for p in files]
    ['index.json', 'page-1.json', 'page-2.json', 'page-3.json']
    """
    feed = ChangeFeed(catalogue.catalog, base_url, page_size=page_size)
    if records is None:
        for record in catalogue.records():
            feed.add(record)
        catalogue.check()
    else:
        for record in records:
            feed.add(record)
    return feed.write(out_dir)
