"""Incremental republish: publishing into an existing site rewrites only what changed.

A site written by :func:`csec_ld.site.publish.publish` keeps, in ``.csec-ld/manifest.jsonl``
(a dotfile folder: ``serve``, nginx and Apache never serve it), a *fingerprint* of
everything a record's outputs depend on besides the record itself — the package's
code, templates, ontology and shapes, the catalogue description and registry, the
publish options — and one line per record, in source order: a hash of the record as
its file has it, the files its worker wrote (whatever they are: they are noted as
they are opened, see :func:`noting_writes`), where its bytes are in the dumps and in
``source/records.jsonl``, and what the merge needs of it (listing entry, change
entries, what it names, its cross-record keys).

Publishing again into that site with the same fingerprint reads the sources, hashes
each record, and sends only the records whose hash is new through the pipeline;
every other record's files are hard-linked from the previous site into the new
one (copied where links cannot be made), its dump pieces are copied from the
previous dumps by the kernel, and its cached share feeds the merge. What is global
(the dumps as files, listings, Hydra pages, sitemaps, void, the change feed, web
configurations, search index...) is always regenerated, from the same inputs, so
the site is byte-identical to a full publish of the same sources. The new site is
still built beside the old one and swapped in whole.

Anything the incremental path cannot vouch for falls back to a full publish
(:class:`Fallback`): no manifest or another fingerprint, more than
:data:`MAX_CHANGED` of the records changed, a record that does not load or
violates the shapes (a full run then reports it exactly as always), a reused id, a
cross-record key shared with another record, a damaged previous site.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import os
import re
import shutil
import stat
import sys
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from ..__about__ import __version__
from ..mapping.base import Used
from ..pipeline import CHUNK_SIZE, Chunk, PipelineSpec, run_chunks
from ..records import LIMITS, PartialDate, RawRecord
from ..resources import shapes_dir
from ..serialize import Writer
from ..sources import JSONL_SUFFIXES, Catalogue, parse_jsonl, read_raw
from .changes import Change

__all__ = [
    "CACHE_FOLDER",
    "MANIFEST",
    "MAX_CHANGED",
    "Fallback",
    "IncrementalRun",
    "fingerprint",
    "noting_writes",
    "scan",
]

#: The site's hidden folder of what the next publish can reuse.
CACHE_FOLDER = ".csec-ld"
MANIFEST = f"{CACHE_FOLDER}/manifest.jsonl"
#: Bytes per file of the manifest, at most (then ``manifest-2.jsonl``, ...).
PART_BYTES = 900_000
_FORMAT = 1
#: Past this share of records changed (or added), a full publish is as fast.
MAX_CHANGED = 0.1
#: The dumps and the mirror whose bytes the manifest points into.
_DUMP_FILES = ("catalog.ttl", "catalog.jsonld", "catalog.nt", "source/records.jsonl")
_SAFE_PATH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*")
_PACKAGE = Path(__file__).resolve().parent.parent


class Fallback(Exception):
    """The previous site cannot be reused for this run: a full publish follows."""


# --------------------------------------------------------------------------- fingerprint


def _hash_tree(h: Any, path: Path | None) -> None:
    if path is None or not path.exists():
        h.update(b"-\0")
        return
    files = (
        [path]
        if path.is_file()
        else sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    )
    for p in files:
        h.update(p.relative_to(path).as_posix().encode() + b"\0")
        h.update(p.read_bytes() + b"\0")


def fingerprint(
    catalogue: Catalogue, spec: PipelineSpec, shapes: str | Path | None, **options: Any
) -> str:
    """A hash of everything a record's outputs depend on but the record: a change of
    any of it makes the previous site's files unusable."""
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{_FORMAT}\0{__version__}\0".encode())
    _hash_tree(h, _PACKAGE)  # code and templates: another build of csec-ld is another site
    for path in catalogue.vocab.files:  # the shipped ontology and the catalogue's own SKOS
        h.update(path.name.encode() + b"\0")
        _hash_tree(h, path)
    try:
        _hash_tree(h, Path(shapes) if shapes else shapes_dir())
    except FileNotFoundError:
        _hash_tree(h, None)
    kept = dataclasses.replace(spec, sources=(), site=None, catalog=None)
    h.update(repr((catalogue.catalog, catalogue.registry, kept, sorted(options.items()))).encode())
    return h.hexdigest()


# --------------------------------------------------------------------------- sources


#: A record of the sources: its hash, and the record as read (or, for JSON Lines, its
#: line: (path, number, bytes), parsed only if the record changed).
Item = tuple[str, RawRecord | tuple[Path, int, bytes]]


def scan(catalogue: Catalogue) -> list[Item] | None:
    """Every record of the sources in source order, with its hash; ``None`` if a file
    cannot be read as it is (a full publish then says why)."""
    items: list[Item] = []
    try:
        for path in catalogue.files:
            if path.suffix.lower() in JSONL_SUFFIXES:
                if not _scan_jsonl(path, items):
                    return None
                continue
            for raw in read_raw(path):
                if not isinstance(raw, RawRecord):
                    return None
                items.append((_digest(b"r" + repr(raw.data).encode()), raw))
    except Exception:  # any problem: the full publish reports it
        return None
    return items


def _scan_jsonl(path: Path, items: list[Item]) -> bool:
    """The lines of a JSON Lines file as :func:`~csec_ld.sources.parse_jsonl` takes them:
    a blank line is no record; a line it would refuse makes the scan fail."""
    limit = LIMITS["JSON Lines line"]
    content = False
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if len(line) > limit:
                return False
            text = line.decode("utf-8").rstrip("\r\n")  # not UTF-8: raises, scan fails
            if not text.strip():
                continue
            content = True
            body = text.encode()
            items.append((_digest(b"j" + body), (path, number, body)))
    return content


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _raw(source: RawRecord | tuple[Path, int, bytes]) -> RawRecord:
    if isinstance(source, RawRecord):
        return source
    path, number, line = source
    parsed = list(parse_jsonl(path, number, [line]))
    if len(parsed) != 1 or not isinstance(parsed[0], RawRecord):
        raise Fallback(f"{path}:{number}: does not load")
    return parsed[0]


# --------------------------------------------------------------------------- files written


_NOTED: list[str] | None = None
_HOOKED = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or _NOTED is None:
        return
    path, mode, flags = args
    if isinstance(path, int):
        return
    if (mode is not None and any(c in mode for c in "wax+")) or (
        mode is None and flags & (os.O_WRONLY | os.O_RDWR)
    ):
        _NOTED.append(os.fsdecode(path))


@contextlib.contextmanager
def noting_writes() -> Iterator[list[str]]:
    """The paths of the files this thread's code opens for writing meanwhile.

    A record's files are whatever its worker writes while it adds the record: the
    page, the data files, citation files, whatever comes next; nothing has to be
    declared. (An audit hook, installed once; it does nothing outside this block.)
    """
    global _NOTED, _HOOKED
    if not _HOOKED:
        sys.addaudithook(_audit)
        _HOOKED = True
    previous, _NOTED = _NOTED, []
    try:
        yield _NOTED
    finally:
        _NOTED = previous


def relative_files(paths: Iterable[str], root: str) -> list[str]:
    """The *paths* inside *root*, relative to it, once each, in the order written (the
    order a folder lists its entries in may follow it, and Pagefind reads them so)."""
    out: dict[str, None] = {}
    prefix = root.rstrip(os.sep) + os.sep
    for p in paths:
        rel = p[len(prefix) :] if p.startswith(prefix) else ""
        if not rel or rel[0] in (".", os.sep) or f"{os.sep}." in rel or os.sep * 2 in rel:
            # not plainly under root (the pages' own paths are): normalised in full
            rel = os.path.relpath(os.path.abspath(p), root)
        if not rel.startswith(".."):
            out[rel.replace(os.sep, "/")] = None
    return list(out)


# --------------------------------------------------------------------------- manifest values


def _enc(value: Any) -> Any:
    if isinstance(value, PartialDate):
        return {"date": [value.text, value.precision]}
    if isinstance(value, (list, tuple)):
        return [_enc(v) for v in value]
    return value


def _dec(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_dec(v) for v in value)
    if isinstance(value, dict) and value.keys() == {"date"}:
        return PartialDate(*value["date"])
    return value


def _fields(obj: Any) -> list[Any]:
    return [_enc(getattr(obj, f.name)) for f in dataclasses.fields(obj)]


def _used(value: Used) -> dict[str, list[str]]:
    return {f.name: sorted(getattr(value, f.name)) for f in dataclasses.fields(value)}


def _unused(value: dict[str, list[str]]) -> Used:
    return Used(**{k: set(v) for k, v in value.items()})


# --------------------------------------------------------------------------- the run


class IncrementalRun:
    """One publish's dealings with the previous site: the chunks to merge (fresh from
    the pipeline, or reused), and the new manifest.

    *previous* is the site being replaced; *root* the folder the new one is built in.
    With *reuse* false (or no usable manifest), :meth:`chunks` is the pipeline's.
    """

    def __init__(
        self,
        catalogue: Catalogue,
        spec: PipelineSpec,
        previous: Path,
        root: Path,
        *,
        reuse: bool,
        workers: int | None,
        spool: str | Path,
        fingerprint: str,
        site_chunk: Callable[..., Any],
        entry: Callable[..., Any],
    ) -> None:
        self.catalogue, self.spec, self.root = catalogue, spec, root
        self.previous, self.workers, self.spool = previous, workers, spool
        self.fingerprint = fingerprint
        self.site_chunk = site_chunk  # publish.SiteChunk
        self.entry = entry  # publish.Entry
        self.items = scan(catalogue)
        self.cache: dict[str, dict[str, Any]] | None = None
        if reuse and self.items is not None:
            self.cache = self._load()
        self.reused = 0
        self._lines: list[bytes] = []
        self._src = 0
        self._ok = self.items is not None
        self._made: set[str] = set()
        self.staging = root / f"{CACHE_FOLDER}-fresh"  # the changed records' files, at first

    # -- the manifest of the previous site

    def _load(self) -> dict[str, dict[str, Any]] | None:
        path = self.previous / MANIFEST
        try:
            with path.open("rb") as handle:
                head = orjson.loads(handle.readline())
                if head.get("fingerprint") != self.fingerprint:
                    return None
                sizes = head["sizes"]
                for name in _DUMP_FILES:
                    if (self.previous / name).stat().st_size != sizes[name]:
                        return None  # the dumps were changed since: not to be trusted
                cache: dict[str, dict[str, Any]] = {}
                dumps = set(_DUMP_FILES[:3])
                parts = int(head["parts"])
                for line in itertools.chain(
                    handle, *(_lines(self.previous / _part_name(n)) for n in range(2, parts + 1))
                ):
                    entry = orjson.loads(line)
                    if not all(
                        isinstance(f, str) and _SAFE_PATH.fullmatch(f) for f in entry["files"]
                    ):
                        return None
                    ranges = dict(entry["pieces"], **{"source/records.jsonl": entry["src"]})
                    if set(entry["pieces"]) != (dumps if entry["active"] else set()):
                        return None
                    for name, (offset, length) in ranges.items():
                        if not (
                            isinstance(offset, int)
                            and isinstance(length, int)
                            and 0 <= offset <= offset + length <= sizes[name]
                        ):
                            return None
                    cache[entry["key"]] = entry
                return cache
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    # -- the chunks

    def chunks(self) -> Generator[Any, None, None]:
        """The chunks for the merge, in source order."""
        if self.cache is None:
            return run_chunks(self.catalogue, self.spec, workers=self.workers, spool=self.spool)
        return self._reuse(self.cache)

    def _reuse(self, cache: dict[str, dict[str, Any]]) -> Generator[Any, None, None]:
        assert self.items is not None
        plan = [cache.get(key) for key, _ in self.items]
        changed = [_raw(src) for (_, src), e in zip(self.items, plan, strict=True) if e is None]
        if len(changed) > max(1, MAX_CHANGED * len(plan)):
            raise Fallback("too many records changed")
        fresh = self._fresh(changed)
        self._check(plan, fresh)
        self.catalogue.count = len(plan)
        old = {name: stack_open(self.previous / name) for name in _DUMP_FILES}
        try:
            run: list[dict[str, Any]] = []
            feed = iter(fresh)
            for entry in plan:
                if entry is not None:
                    run.append(entry)
                    if len(run) < CHUNK_SIZE:
                        continue
                if run:
                    yield self._reused(run, old)
                    run = []
                if entry is None:
                    share = next(feed)
                    for rel in share["rec"]["files"]:  # in its place, as a full run makes them
                        self._place(self.staging / rel, rel, os.replace)
                    yield _Part.of_fresh(share, self.site_chunk)
            if run:
                yield self._reused(run, old)
        finally:
            for handle in old.values():
                handle.close()
            shutil.rmtree(self.staging, ignore_errors=True)

    def _fresh(self, raws: list[RawRecord]) -> list[dict[str, Any]]:
        """The changed records through the pipeline: each one's share, on its own."""
        if not raws:
            return []
        work = [raws[i : i + CHUNK_SIZE] for i in range(0, len(raws), CHUNK_SIZE)]
        workers = 1 if len(work) < 2 else self.workers
        out: list[dict[str, Any]] = []
        # Written aside, and moved into the site in source order with the reused files.
        (self.staging / "resource").mkdir(parents=True)
        spec = dataclasses.replace(self.spec, site=str(self.staging))
        for chunk in run_chunks(self.catalogue, spec, workers=workers, spool=self.spool, work=work):
            if self.catalogue.errors or (chunk.validation is not None and chunk.validation.results):
                raise Fallback("a changed record has a problem")
            out.extend(_split(chunk))
        if len(out) != len(raws):
            raise Fallback("a changed record gave no output")
        return out

    def _check(self, plan: list[dict[str, Any] | None], fresh: list[dict[str, Any]]) -> None:
        """What the pipeline checks across records, for the records it did not see: ids
        used once, and no cross-record key of a changed record shared with another."""
        ids: set[str] = set()
        keys: set[int] = set()
        feed = iter(fresh)
        new: list[int] = []
        for entry in plan:
            if entry is None:
                share = next(feed)
                rid, cross = share["rec"]["id"], share["cross"]
                new.extend(cross)
            else:
                rid, cross = entry["id"], entry["cross"]
                keys.update(cross)
            if rid in ids:
                raise Fallback(f"id {rid!r} used twice")
            ids.add(rid)
        for k in new:
            if k in keys:
                raise Fallback("a cross-record key is shared")
            keys.add(k)

    def _reused(self, run: list[dict[str, Any]], old: dict[str, IO[bytes]]) -> _Part:
        """A chunk of unchanged records: their files linked, their share from the cache."""
        for entry in run:
            for rel in entry["files"]:
                self._link(rel)
        try:
            part = _Part.of_cache(run, old, self.site_chunk, self.entry)
        except (KeyError, TypeError, ValueError) as exc:  # a manifest edited by hand
            raise Fallback(f"the manifest cannot be read ({exc})") from exc
        self.reused += len(run)
        return part

    def _link(self, rel: str) -> None:
        src = self.previous / rel
        try:
            if not stat.S_ISREG(os.lstat(src).st_mode):
                raise Fallback(f"{rel}: not a file in the previous site")
        except OSError as exc:
            raise Fallback(f"{rel}: cannot reuse it ({exc.strerror})") from exc
        self._place(src, rel, _link_or_copy)

    def _place(self, src: Path, rel: str, how: Callable[[Path, Path], Any]) -> None:
        """*src* at *rel* in the new site, by *how* (its folders made first)."""
        dst = self.root / rel
        try:
            parent = os.path.dirname(dst)
            if parent not in self._made:
                os.makedirs(parent, exist_ok=True)
                self._made.add(parent)
            how(src, dst)
        except OSError as exc:
            raise Fallback(f"{rel}: cannot place it ({exc.strerror})") from exc

    # -- the new manifest

    def write(self, chunk: Any, writers: dict[str, Writer]) -> None:
        """``chunk.write_to(writers)``, noting where each record's bytes went."""
        chunk.write_to(writers)
        if not self._ok:
            return
        site = chunk.site
        records = site.records
        active = [r for r in records if r["active"]]
        offsets: dict[str, list[int]] = {}
        for fmt, writer in writers.items():
            sep = len(type(writer).join([b"", b""]))
            lengths = [r["lengths"][fmt] for r in active]
            at = writer.out.tell() - (sum(lengths) + sep * max(0, len(lengths) - 1))
            offsets[fmt] = []
            for length in lengths:
                offsets[fmt].append(at)
                at += length + sep
        cross = _cross(chunk)
        entries, nodes, changes = iter(site.entries), iter(site.nodes), iter(site.changes)
        n_active = 0
        for number, rec in enumerate(records):
            line: dict[str, Any] = {
                "id": rec["id"],
                "files": rec["files"],
                "triples": rec["triples"],
                "src": [self._src, rec["src"]],
                "active": rec["active"],
                "changes": [_fields(next(changes)) for _ in range(rec["changes"])],
                "cross": rec["cross"] if "cross" in rec else cross.get(number, []),
                "pieces": {},
            }
            self._src += rec["src"]
            if rec["active"]:
                for fmt in writers:
                    line["pieces"][f"catalog.{fmt}"] = [offsets[fmt][n_active], rec["lengths"][fmt]]
                n_active += 1
                line["entry"] = _fields(next(entries))
                line["used"] = _used(next(nodes)[2])
            else:
                line["withdrawn"] = site.withdrawn[rec["id"]]
            self._lines.append(orjson.dumps(line, option=orjson.OPT_SORT_KEYS))

    def finish(self) -> None:
        """Write the new manifest (the files it points into must be complete)."""
        if not self._ok or self.items is None or len(self.items) != len(self._lines):
            return
        sizes = {name: (self.root / name).stat().st_size for name in _DUMP_FILES}
        head = {"format": _FORMAT, "fingerprint": self.fingerprint, "sizes": sizes}
        parts: list[list[bytes]] = [[]]
        size = 0
        for (key, _), line in zip(self.items, self._lines, strict=True):
            line = b'{"key":"' + key.encode() + b'",' + line[1:] + b"\n"
            if parts[-1] and size + len(line) > PART_BYTES:  # no file but the dumps grows
                parts.append([])
                size = 0
            parts[-1].append(line)
            size += len(line)
        head["parts"] = len(parts)
        parts[0].insert(0, orjson.dumps(head, option=orjson.OPT_SORT_KEYS) + b"\n")
        (self.root / CACHE_FOLDER).mkdir(exist_ok=True)
        for n, lines in enumerate(parts, start=1):
            (self.root / _part_name(n)).write_bytes(b"".join(lines))


def _part_name(n: int) -> str:
    """``manifest.jsonl``, then ``manifest-2.jsonl``, ..."""
    return MANIFEST if n == 1 else MANIFEST.replace(".jsonl", f"-{n}.jsonl")


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from handle


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:  # another file system, or no hard links there
        shutil.copyfile(src, dst, follow_symlinks=False)


def stack_open(path: Path) -> IO[bytes]:
    try:
        return open(path, "rb")  # closed by the caller
    except OSError as exc:
        raise Fallback(f"{path}: cannot read it") from exc


def _cross(chunk: Chunk) -> dict[int, list[int]]:
    """Each record's cross-record keys (by its number in the chunk)."""
    out: dict[int, list[int]] = {}
    validation = chunk.validation
    if validation is not None:
        for owner, keys in zip(validation.entry_owners, validation.keys, strict=True):
            out.setdefault(owner, []).extend(keys)
    return out


def _split(chunk: Chunk) -> Iterator[dict[str, Any]]:
    """A pipeline chunk as each record's share: its bytes in each format, its source
    line, entries, changes and keys."""
    pieces = chunk.pieces
    if chunk.spooled is not None:
        path, lengths = chunk.spooled
        with open(path, "rb") as spooled:
            pieces = {fmt: spooled.read(length) for fmt, length in lengths.items()}
        os.unlink(path)
        chunk.spooled = None
    site = chunk.site
    source = site.source.encode()
    cross = _cross(chunk)
    at = dict.fromkeys(pieces, 0)
    src = 0
    entries, nodes, changes = iter(site.entries), iter(site.nodes), iter(site.changes)
    from ..serialize import FORMATS

    for number, rec in enumerate(site.records):
        share: dict[str, Any] = {
            "rec": dict(rec, cross=cross.get(number, [])),
            "cross": cross.get(number, []),
            "source": source[src : src + rec["src"]].decode(),
            "changes": [next(changes) for _ in range(rec["changes"])],
            "pieces": {},
        }
        src += rec["src"]
        if rec["active"]:
            for fmt in pieces:
                length = rec["lengths"][fmt]
                share["pieces"][fmt] = pieces[fmt][at[fmt] : at[fmt] + length]
                at[fmt] += length + len(FORMATS[fmt].join([b"", b""]))
            share["entry"] = next(entries)
            share["node"] = next(nodes)
        else:
            share["withdrawn"] = site.withdrawn[rec["id"]]
        yield share


@dataclasses.dataclass
class _Part:
    """A chunk for the merge made of the records the pipeline did not see (or of one
    record it did, in its place): what :class:`~csec_ld.pipeline.Chunk` gives the merge."""

    site: Any  # publish.SiteChunk
    records: int
    triples: int
    #: per format: (file, offset, length) ranges of the previous dumps, or bytes
    pieces: dict[str, list[tuple[IO[bytes], int, int] | bytes]]
    validation: Any = None
    duplicates: list[int] = dataclasses.field(default_factory=list)

    def write_to(self, writers: dict[str, Writer]) -> None:
        for fmt, writer in writers.items():
            for piece in self.pieces.get(fmt, []):
                if isinstance(piece, bytes):
                    writer.write_piece(piece)
                else:
                    writer.copy_piece(*piece)

    def merge_into(self, mapper: Any) -> None:
        for record_id, _node, used in self.site.nodes:
            mapper.used.merge(used)
            mapper.record_ids.append(record_id)

    @classmethod
    def of_fresh(cls, share: dict[str, Any], site_chunk: Callable[..., Any]) -> _Part:
        rec = share["rec"]
        site = site_chunk(source=share["source"], changes=share["changes"], records=[rec])
        if rec["active"]:
            site.entries.append(share["entry"])
            site.nodes.append(share["node"])
        else:
            site.withdrawn[rec["id"]] = share["withdrawn"]
        return cls(site, 1, rec["triples"], {f: [p] for f, p in share["pieces"].items()})

    @classmethod
    def of_cache(
        cls,
        run: list[dict[str, Any]],
        old: dict[str, IO[bytes]],
        site_chunk: Callable[..., Any],
        entry_type: Callable[..., Any],
    ) -> _Part:
        src = old["source/records.jsonl"]
        first, last = run[0]["src"], run[-1]["src"]
        if first[0] + sum(e["src"][1] for e in run) == last[0] + last[1]:
            source = os.pread(src.fileno(), last[0] + last[1] - first[0], first[0]).decode()
        else:
            source = "".join(os.pread(src.fileno(), e["src"][1], e["src"][0]).decode() for e in run)
        site = site_chunk(source=source, records=[])
        pieces: dict[str, list[Any]] = {}
        jsonld = old["catalog.jsonld"]
        from ..serialize import FORMATS

        seps = {fmt: len(cls.join([b"", b""])) for fmt, cls in FORMATS.items()}
        for entry in run:
            site.changes.extend(Change(*_dec(c)) for c in entry["changes"])
            rec = {
                "id": entry["id"],
                "files": entry["files"],
                "triples": entry["triples"],
                "src": entry["src"][1],
                "active": entry["active"],
                "changes": len(entry["changes"]),
                "cross": entry["cross"],
                "lengths": {},
            }
            site.records.append(rec)
            if not entry["active"]:
                site.withdrawn[entry["id"]] = entry["withdrawn"]
                continue
            site.entries.append(entry_type(*_dec(entry["entry"])))
            for name, (offset, length) in entry["pieces"].items():
                fmt = name.rpartition(".")[2]
                rec["lengths"][fmt] = length
                ranges = pieces.setdefault(fmt, [])
                previous = ranges[-1] if ranges else None
                if previous is not None and offset == previous[1] + previous[2] + seps[fmt]:
                    # the next one in the previous dump too: one copy for both
                    ranges[-1] = (previous[0], previous[1], offset + length - previous[1])
                else:
                    ranges.append((old[name], offset, length))
            offset, length = entry["pieces"]["catalog.jsonld"]
            node = orjson.loads(os.pread(jsonld.fileno(), length, offset))
            site.nodes.append((entry["id"], node, _unused(entry["used"])))
        return cls(site, len(run), sum(e["triples"] for e in run), pieces)
