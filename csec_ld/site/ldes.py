"""The change feed as a Linked Data Event Stream (LDES, on the TREE specification).

An aggregator that follows the stream reads ``ldes/index.ttl`` and the pages it
links to, and processes each member it has not seen before::

    ldes/index.ttl     the ldes:EventStream, its retention policy, and its view: the
                       root tree:Node, with one tree:GreaterThanOrEqualToRelation per page
    ldes/page-1.ttl    a tree:Node with the oldest members (tree:member)
    ldes/page-N.ttl    ... the newest members last

**Members** are version objects of the records, made from the same change entries as
the Activity Streams feed (:mod:`csec_ld.site.changes`). Each names the record it is a
version of (``ldes:versionOfPath dcterms:isVersionOf``) and when it was made
(``ldes:timestampPath dcterms:modified``: the day of the activity at midnight UTC),
and is typed with the activity: ``as:Create``, ``as:Update`` or, for a withdrawal,
``as:Delete`` (also an ``as:Tombstone``, as the LDES specification suggests for a
deletion in a stream of versions). Its IRI is the record's, with a fragment of the
day and the record's content hash (``…/resource/x#2024-05-01-0123456789abcdef``): the
same in every publish of the same record, and a new one for any change of it, so a
member never changes once published.

**Retention.** Only the latest version of each record is kept
(``ldes:LatestVersionSubset``, ``ldes:amount 1``): csec-ld knows a record as it is
now, not as it was, so an older version could not be published unchanged. A client
that read the stream before sees, when it reads it again, one new member for each
record created, updated or withdrawn since; the older versions are gone.

Pages are numbered from the oldest member and are mutable (a record updated moves
to the end); a client tells what is new by the member IRIs. Output is deterministic.

>>> from csec_ld.site.changes import record_changes
>>> from csec_ld.sources import open_catalog
>>> catalogue = open_catalog(["data"])
>>> stream = EventStream(catalogue.catalog, "https://example.org/", page_size=4)
>>> for record in catalogue.records():
...     stream.add_changes(record_changes(record))
>>> sorted(stream.documents())
['index.ttl', 'page-1.ttl', 'page-2.ttl', 'page-3.ttl']
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from ..sources import Catalog
from .changes import Change, PagedFeed, write_pages

__all__ = ["DEFAULT_PAGE_SIZE", "FOLDER", "LDES_MEDIA_TYPE", "EventStream", "write_event_stream"]

FOLDER = "ldes"
DEFAULT_PAGE_SIZE = 500
LDES_MEDIA_TYPE = "text/turtle"
_XSD_DATETIME = NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
_PREFIXES = """\
@prefix as: <https://www.w3.org/ns/activitystreams#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ldes: <https://w3id.org/ldes#> .
@prefix tree: <https://w3id.org/tree#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def _iri(value: str) -> str:
    return str(NamedNode(value))


def _timestamp(change: Change) -> str:
    return str(Literal(change.published, datatype=_XSD_DATETIME))


class EventStream(PagedFeed):
    """Collect change entries, then write the stream's Turtle documents.

    *base_url* is where the site is served (default: the catalogue's base IRI); the
    stream lives at ``{base_url}ldes/``.
    """

    folder = FOLDER

    def __init__(
        self, catalog: Catalog, base_url: str | None = None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> None:
        super().__init__(catalog, base_url, page_size=page_size)
        self._latest: dict[str, Change] = {}

    def add_changes(self, changes: Iterable[Change]) -> None:
        """Change entries (:func:`~csec_ld.site.changes.record_changes`); the latest stays."""
        for change in changes:
            known = self._latest.get(change.record_id)
            if known is None or (change.date, change.order) > (known.date, known.order):
                self._latest[change.record_id] = change

    @property
    def stream_iri(self) -> str:
        return self.url("index.ttl") + "#stream"

    def member_iri(self, change: Change) -> str:
        """The version's IRI: the record's, with the day and the content hash."""
        return f"{self.catalog.record_iri(change.record_id)}#{change.date}-{change.digest}"

    def members(self) -> list[Change]:
        """The latest change of each record, oldest first (ties by member IRI)."""
        return sorted(self._latest.values(), key=lambda c: (c.date, self.member_iri(c)))

    def _member(self, change: Change) -> str:
        types = "as:Delete, as:Tombstone" if change.kind == "Delete" else f"as:{change.kind}"
        record = _iri(self.catalog.record_iri(change.record_id))
        return (
            f"{_iri(self.member_iri(change))} a {types} ;\n"
            f"  dcterms:isVersionOf {record} ;\n"
            f"  dcterms:modified {_timestamp(change)} ;\n"
            f"  dcterms:title {Literal(change.title)} ;\n"
            f"  as:object {record} .\n"
        )

    def documents(self) -> dict[str, str]:
        """The stream's documents by file name: ``index.ttl`` and ``page-{n}.ttl``."""
        members = self.members()
        pages = [members[i : i + self.page_size] for i in range(0, len(members), self.page_size)]
        stream, root = _iri(self.stream_iri), _iri(self.url("index.ttl"))
        policy = _iri(self.url("index.ttl") + "#latest-version")
        title = next((t.value for t in self.catalog.title if t.lang == "en"), "the catalogue")
        index = [
            _PREFIXES,
            f"{stream} a ldes:EventStream ;\n"
            f"  dcterms:title {Literal(f'Changes to {title}: records created, updated and withdrawn', language='en')} ;\n"  # noqa: E501
            "  ldes:timestampPath dcterms:modified ;\n"
            "  ldes:versionOfPath dcterms:isVersionOf ;\n"
            f"  tree:view {root} .\n",
            f"{root} a tree:Node ;\n"
            f"  ldes:retentionPolicy {policy}"
            + "".join(
                " ;\n  tree:relation [\n    a tree:GreaterThanOrEqualToRelation ;\n"
                f"    tree:node {_iri(self.url(f'page-{n}.ttl'))} ;\n"
                "    tree:path dcterms:modified ;\n"
                f"    tree:value {_timestamp(page[0])}\n  ]"
                for n, page in enumerate(pages, start=1)
            )
            + " .\n",
            f"{policy} a ldes:LatestVersionSubset ;\n  ldes:amount 1 ;\n"
            "  ldes:versionKey ( dcterms:isVersionOf ) .\n",
        ]
        docs = {"index.ttl": "\n".join(index)}
        for n, page in enumerate(pages, start=1):
            node = _iri(self.url(f"page-{n}.ttl"))
            parts = [_PREFIXES, f"{node} a tree:Node .\n"]
            if n < len(pages):
                parts[-1] = (
                    f"{node} a tree:Node ;\n  tree:relation [\n"
                    "    a tree:GreaterThanOrEqualToRelation ;\n"
                    f"    tree:node {_iri(self.url(f'page-{n + 1}.ttl'))} ;\n"
                    "    tree:path dcterms:modified ;\n"
                    f"    tree:value {_timestamp(pages[n][0])}\n  ] .\n"
                )
            parts.append(
                f"{stream} tree:member "
                + ", ".join(_iri(self.member_iri(c)) for c in page)
                + " .\n"
            )
            parts.extend(self._member(c) for c in page)
            docs[f"page-{n}.ttl"] = "\n".join(parts)
        return docs

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write the documents into ``{out_dir}/ldes/``; the files written, in order.

        Pages left from an earlier, longer stream are removed.
        """
        return write_pages(
            Path(out_dir) / FOLDER, self.documents(), "page-*.ttl", "the event stream"
        )


def write_event_stream(
    changes: Iterable[Change],
    catalog: Catalog,
    out_dir: str | Path,
    base_url: str | None = None,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> list[Path]:
    """Write the event stream of *changes* into ``{out_dir}/ldes/``; the files written.

    >>> import tempfile
    >>> from csec_ld.site.changes import record_changes
    >>> from csec_ld.sources import open_catalog
    >>> catalogue = open_catalog(["data"])
    >>> changes = [c for r in catalogue.records() for c in record_changes(r)]
    >>> [p.name for p in write_event_stream(changes, catalogue.catalog, tempfile.mkdtemp())]
    ['index.ttl', 'page-1.ttl']
    """
    stream = EventStream(catalog, base_url, page_size=page_size)
    stream.add_changes(changes)
    return stream.write(out_dir)
