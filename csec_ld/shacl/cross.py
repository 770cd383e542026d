"""Cross-record constraints across chunks: each chunk's records give keys (the values
the constraint's query joins records on); :class:`CrossIndex` finds the records whose
keys collide and re-checks those only."""

from __future__ import annotations

import bisect
import pickle
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import pyoxigraph


class CrossChecks(Protocol):
    """What the index needs of the compiled shapes (:class:`~csec_ld.shacl.compiled.Compiled`)
    to re-check the colliding records."""

    cross: list[tuple[Any, Any]]

    def store(self, triples: Iterable[Any], predicates: set[str] | None) -> pyoxigraph.Store: ...

    def run_query(self, store: pyoxigraph.Store, shape: Any, sparql: Any, focus: Any) -> Any: ...


@dataclass
class CrossEntry:
    """What the cross-record pass needs to know of one record (its triples the rules
    read travel with its chunk's): its IRI, its rules, where it comes from."""

    iri: str
    constraints: tuple[int, ...]  # the cross-record constraints it is a focus node of
    info: Any = None


class CrossIndex:
    """Cross-record keys of every chunk; the records whose keys collide; their re-check.

    Keys are 64-bit hashes (a hash collision only adds a record to re-check). Each
    chunk's entries spill to a temporary file, so memory holds a dict of hashes, not
    the records.
    """

    def __init__(self) -> None:
        self.owner: dict[int, int] = {}  # key hash -> first record number
        self.colliding: set[int] = set()  # record numbers
        # (first record number, records, offset, length) per chunk in the file
        self.chunks: list[tuple[int, int, int, int]] = []
        self.count = 0
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the index)

    @staticmethod
    def pack(entries: list[CrossEntry], ntriples: bytes) -> bytes:
        """A chunk's entries and the triples of theirs the rules read, as the index files them."""
        return pickle.dumps((entries, ntriples), protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def unpack(packed: bytes) -> tuple[list[CrossEntry], bytes]:
        entries, ntriples = pickle.loads(packed)
        return entries, ntriples

    def add(self, entries: list[CrossEntry], keys: list[list[int]], ntriples: bytes) -> None:
        """A chunk's entries, their keys, and the triples of theirs the rules read."""
        self.add_packed(self.pack(entries, ntriples) if entries else b"", keys)

    def add_packed(self, packed: bytes, keys: list[list[int]]) -> None:
        """:meth:`add` of entries already packed (:meth:`pack`); *keys* per entry."""
        first = self.count
        for n, record_keys in enumerate(keys, start=first):
            for k in record_keys:
                owner = self.owner.setdefault(k, n)
                if owner != n:
                    self.colliding.add(owner)
                    self.colliding.add(n)
        self.count += len(keys)
        if keys:
            offset = self._file.seek(0, 2)
            self._file.write(packed)
            self.chunks.append((first, len(keys), offset, len(packed)))

    def entries(self) -> tuple[list[CrossEntry], list[Any]]:
        """The colliding records' entries, and their triples."""
        out: list[CrossEntry] = []
        triples: list[Any] = []
        if not self.colliding:
            return out, triples
        numbers = sorted(self.colliding)
        for first, count, offset, length in self.chunks:
            at = bisect.bisect_left(numbers, first)
            if at == len(numbers) or numbers[at] >= first + count:
                continue  # no colliding record in this chunk
            self._file.seek(offset)
            entries, ntriples = self.unpack(self._file.read(length))
            chosen = [e for n, e in enumerate(entries, start=first) if n in self.colliding]
            if not chosen:
                continue
            out.extend(chosen)
            iris = {e.iri for e in chosen}
            triples += [
                q.triple
                for q in pyoxigraph.parse(ntriples, format=pyoxigraph.RdfFormat.N_TRIPLES)
                if q.subject.value in iris
            ]
        return out, triples

    def check(self, compiled: CrossChecks, min_rank: int = 0) -> tuple[list[Any], list[CrossEntry]]:
        """The cross-record results over the colliding records, and their entries."""
        entries, triples = self.entries()
        if not entries:
            return [], []
        store = compiled.store(triples, None)
        out = []
        for n, (shape, q) in enumerate(compiled.cross):
            if shape.rank < min_rank:
                continue
            focus = [pyoxigraph.NamedNode(e.iri) for e in entries if n in e.constraints]
            out.extend(compiled.run_query(store, shape, q, focus))
        return out, entries

    def close(self) -> None:
        self._file.close()
