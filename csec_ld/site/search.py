"""The site's search: a Pagefind index, a search page with filters, and a ``file://`` fallback.

:func:`build_search` runs inside ``publish`` on the temporary site folder, before it is
swapped in (so a failure leaves the previous site as it was). It writes:

``search.html``
    the search page: a text box and one labelled filter per :data:`FILTERS` (its
    options are the values the records have). Without JavaScript it says so and links
    to the browse pages.
``pagefind/``
    the `Pagefind <https://pagefind.app>`_ index of the record pages (only records are
    results: the binary is pointed at ``resource/*/index.html`` and reads the
    ``data-pagefind-*`` attributes of ``record.html``). Pagefind's own UI bundles are
    left out: the search page has its own.
``search/records-{n}.js``
    a small index the page uses where Pagefind cannot run: a browser refuses
    ``fetch()`` and module scripts to pages opened from ``file://``, and Pagefind needs
    both. The page loads these files with a classic ``<script>`` (which ``file://``
    allows) and searches it itself: each record's title, filter values and the words of
    its titles, descriptions, filter values and agents' names (what Pagefind reads of its
    page). Written for catalogues of up to :data:`FILE_SEARCH_LIMIT` records; past that,
    the page opened from a file says to serve the folder over HTTP.

Pagefind's binary comes from PyPI (``pagefind[bin]``, a dependency) or
``PAGEFIND_BINARY_PATH``. Its output is not deterministic (the filter files list values
in hash-map order, and the files are named after their bytes): :func:`canonicalize`
sorts them and names the files after the sorted bytes, so that the same records give
the same site, byte for byte.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import OutputError
from ..sources import Catalogue
from ..vocab import country, language

__all__ = [
    "FILE_SEARCH_LIMIT",
    "FILTERS",
    "PAGEFIND_FOLDER",
    "SearchIndex",
    "build_search",
    "canonicalize",
    "pagefind_binary",
]

#: The search filters: the name Pagefind indexes (``data-pagefind-filter``) → its label.
FILTERS: dict[str, str] = {
    "type": "Type",
    "country": "Country",
    "topic": "Topic",
    "year": "Year",
    "language": "Language",
}
#: The folder of the Pagefind index, in the site.
PAGEFIND_FOLDER = "pagefind"
#: The pages Pagefind indexes: the record pages (tombstones have no ``data-pagefind-body``
#: and are left out by Pagefind itself).
PAGEFIND_GLOB = "resource/*/index.html"
#: The folder of the ``file://`` fallback index (``records-{n}.js``), in the site.
FALLBACK_FOLDER = "search"
#: Records up to which the ``file://`` fallback index is written (about 500 bytes a record).
FILE_SEARCH_LIMIT = 25_000
#: Bytes of one file of the fallback index, at most (but for one huge record): no file
#: of the site but the dumps grows with the catalogue.
FALLBACK_FILE_BYTES = 500_000
#: What the page needs of Pagefind's bundle (its UI bundles are not used).
_UNUSED = re.compile(r"pagefind-(?:component-ui|modular-ui|ui|highlight)\.(?:js|css)")
_WORD = re.compile(r"\w+")
_AGENT_FIELDS = ("publishers", "creators", "contributors", "is_part_of")
_PREFIX = b"pagefind_dcd"


@dataclass
class SearchIndex:
    """What :func:`build_search` did: records indexed, the index's size and time."""

    pages: int = 0
    words: int = 0
    index_bytes: int = 0
    index_files: int = 0
    fallback_bytes: int = 0
    seconds: float = 0.0
    filters: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def pagefind_binary() -> Path:
    """The Pagefind executable: ``PAGEFIND_BINARY_PATH``, else ``pagefind_bin``'s.

    Raises :class:`~csec_ld.errors.OutputError` (one line) when there is none.
    """
    env = os.environ.get("PAGEFIND_BINARY_PATH")
    found: Path | None = Path(env) if env else None
    if found is None:
        try:
            from pagefind_bin import get_executable

            found = Path(get_executable())
        except (ImportError, OSError, RuntimeError):
            which = shutil.which("pagefind")
            found = Path(which) if which else None
    if found is None or not found.is_file() or not os.access(found, os.X_OK):
        where = f" ({found})" if found else ""
        raise OutputError(
            f"search index: the Pagefind binary was not found{where}; "
            "install it with `pip install 'pagefind[bin]'` or set PAGEFIND_BINARY_PATH"
        )
    return found


class SitePages(Protocol):
    """What the search needs of the site being published: its catalogue, and its pages."""

    catalogue: Catalogue

    def render(self, template: str, rel: Sequence[str], **context: Any) -> None: ...


def build_search(
    site: SitePages, root: Path, records_file: Path, *, binary: Path | None = None
) -> SearchIndex:
    """Write ``search.html``, ``search/records.js`` and the Pagefind index into *root*.

    *site* is the publish run's; *records_file* the site's normalised records (JSON
    Lines, ``source/records.jsonl``: the records are read back from it). Raises
    :class:`~csec_ld.errors.OutputError` when Pagefind is missing or fails.
    """
    binary = binary or pagefind_binary()
    started = time.perf_counter()
    for stale in (root / PAGEFIND_FOLDER, root / FALLBACK_FOLDER):
        shutil.rmtree(stale, ignore_errors=True)  # a site copied from a previous run
    result = SearchIndex()
    records = list(_records(site, records_file))
    result.filters = _filter_values(records)
    fallback: list[str] = []
    if len(records) <= FILE_SEARCH_LIMIT:
        fallback = _write_fallback(root, records)
        result.fallback_bytes = sum((root / f).stat().st_size for f in fallback)
    site.render(
        "search.html",
        ["search.html"],
        filters=result.filters,
        labels=FILTERS,
        fallback=fallback,
        count=len(records),
    )
    result.pages, result.words = _run_pagefind(binary, root)
    out = root / PAGEFIND_FOLDER
    canonicalize(out)
    for path in sorted(out.rglob("*")):
        if path.is_file():
            result.index_files += 1
            result.index_bytes += path.stat().st_size
    result.seconds = time.perf_counter() - started
    return result


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class _Hit:
    path: str
    title: str
    title_lang: str
    values: dict[str, list[str]]
    words: str


def _texts(value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, str):
        return [("en", value)]
    return [(str(k), str(v)) for k, v in dict(value).items()]


def _records(site: SitePages, records_file: Path) -> Iterator[_Hit]:
    """The records of the site (tombstones left out), from its ``source/records.jsonl``."""
    vocab = site.catalogue.vocab
    registry = site.catalogue.registry
    with open(records_file, encoding="utf-8") as lines:
        for line in lines:
            rec = json.loads(line)
            if rec.get("status") == "withdrawn":
                continue
            titles = _texts(rec["title"])
            descriptions = _texts(rec.get("description"))
            values = {
                "type": [vocab.types.concepts[rec["type"]].label],
                "country": [country(c).name for c in rec.get("countries", [])],
                "topic": [vocab.topics.concepts[s].label for s in rec.get("subjects", [])],
                "year": [rec["issued"][:4]],
                "language": [language(x).name for x in rec.get("languages", [])],
            }
            # what Pagefind reads of a record page: its texts, filter values and agents
            agents = [
                registry.agents[a].name
                for role in _AGENT_FIELDS
                for a in rec.get(role, [])
                if a in registry.agents
            ]
            texts = [t for _, t in titles + descriptions]
            texts += [v for vs in values.values() for v in vs] + agents
            words = dict.fromkeys(w.casefold() for text in texts for w in _WORD.findall(text))
            yield _Hit(
                f"resource/{rec['id']}/", titles[0][1], titles[0][0], values, " ".join(words)
            )


def _filter_values(records: list[_Hit]) -> dict[str, list[tuple[str, int]]]:
    """Each filter's values (sorted; years newest first) with their numbers of records."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in FILTERS}
    for hit in records:
        for name, values in hit.values.items():
            counts[name].update(set(values))
    out = {}
    for name, counter in counts.items():
        if name == "year":
            keys = sorted(counter, reverse=True)
        else:
            keys = sorted(counter, key=lambda v: (v.casefold(), v))
        out[name] = [(k, counter[k]) for k in keys]
    return out


def _write_fallback(root: Path, records: list[_Hit]) -> list[str]:
    """``search/records-{n}.js``, each ``csecSearch.push(...records)`` (on
    ``window.csecSearch = []``) and at most :data:`FALLBACK_FILE_BYTES`: for pages opened
    from a file, which load them with classic scripts. Returns their site paths."""
    folder = root / FALLBACK_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    rows: list[str] = []
    size = 0

    def flush() -> None:
        name = f"{FALLBACK_FOLDER}/records-{len(names) + 1}.js"
        text = (
            "window.csecSearch = window.csecSearch || [];\n"
            "window.csecSearch.push(\n" + ",\n".join(rows) + "\n);\n"
        )
        (root / name).write_text(text, encoding="utf-8")
        names.append(name)

    for h in records:
        row = json.dumps(
            [h.path, h.title, h.title_lang, [h.values[f] for f in FILTERS], h.words],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        if rows and size + len(row) > FALLBACK_FILE_BYTES:
            flush()
            rows, size = [], 0
        rows.append(row)
        size += len(row.encode("utf-8")) + 2
    if rows or not names:
        flush()
    return names


# --------------------------------------------------------------------------- Pagefind


_INDEXED = re.compile(r"Indexed (\d[\d,]*) (pages?|words?)")


def _run_pagefind(binary: Path, root: Path) -> tuple[int, int]:
    """Run Pagefind on the record pages of *root*; (pages, words) it indexed."""
    command = [
        str(binary),
        "--site",
        str(root),
        "--glob",
        PAGEFIND_GLOB,
        "--output-subdir",
        PAGEFIND_FOLDER,
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
        )
    except OSError as exc:
        raise OutputError(f"search index: cannot run {binary} ({exc.strerror})") from exc
    if done.returncode < 0:  # a signal: the last line it printed says nothing of why
        name = signal.Signals(-done.returncode).name
        why = (
            ", most often the kernel's out-of-memory killer: Pagefind holds the whole index"
            " in memory (about 50 KB a record)"
            if -done.returncode == signal.SIGKILL
            else ""
        )
        raise OutputError(f"search index: Pagefind was killed ({name}){why}")
    if done.returncode != 0:
        lines = [x.strip() for x in (done.stderr + done.stdout).splitlines() if x.strip()]
        last = lines[-1] if lines else f"exit status {done.returncode}"
        raise OutputError(f"search index: Pagefind failed: {last}")
    found = {kind.rstrip("s"): int(n.replace(",", "")) for n, kind in _INDEXED.findall(done.stdout)}
    for path in (root / PAGEFIND_FOLDER).iterdir():
        if _UNUSED.fullmatch(path.name):
            path.unlink()
    return found.get("page", 0), found.get("word", 0)


def canonicalize(folder: Path) -> None:
    """Make a Pagefind bundle deterministic: sorted filter values, files named after
    their sorted bytes.

    Pagefind (1.x) writes each filter's values, and the filters of the metadata file, in
    the order of a Rust hash map, which changes from run to run; the files are named
    after a hash of their bytes, and the metadata file and ``pagefind-entry.json`` name
    them. The other files (index chunks, fragments, the wasm) come out the same each
    run. Everything is gzip with a ``pagefind_dcd`` prefix around CBOR.
    """
    entry_path = folder / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for lang, info in sorted(entry.get("languages", {}).items()):
        meta_path = folder / f"pagefind.{info['hash']}.pf_meta"
        meta = _decode_file(meta_path)
        filters = meta[3]
        renamed = []
        for name, file_hash in filters:
            path = folder / "filter" / f"{file_hash}.pf_filter"
            filter_name, values = _decode_file(path)
            canonical = [filter_name, sorted(values, key=lambda v: v[0])]
            new_hash = _name(lang, canonical, 7)
            path.unlink()
            _encode_file(folder / "filter" / f"{new_hash}.pf_filter", canonical)
            renamed.append([name, new_hash])
        meta[3] = sorted(renamed, key=lambda f: f[0])
        new_meta = _name(lang, meta, 10)
        meta_path.unlink()
        _encode_file(folder / f"pagefind.{new_meta}.pf_meta", meta)
        info["hash"] = new_meta
    entry_path.write_text(
        json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )


def _name(lang: str, value: Any, digits: int) -> str:
    return f"{lang}_{hashlib.sha256(_cbor(value)).hexdigest()[:digits]}"


def _decode_file(path: Path) -> Any:
    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as exc:
        raise OutputError(f"search index: {path}: cannot read it ({exc})") from exc
    if not data.startswith(_PREFIX):
        raise OutputError(f"search index: {path}: not a Pagefind file")
    value, end = _uncbor(data, len(_PREFIX))
    if end != len(data):
        raise OutputError(f"search index: {path}: unexpected bytes after its data")
    return value


def _encode_file(path: Path, value: Any) -> None:
    path.write_bytes(gzip.compress(_PREFIX + _cbor(value), compresslevel=9, mtime=0))


# A CBOR subset (RFC 8949): what Pagefind's files hold — integers, text, bytes, arrays,
# maps, booleans, null — encoded in the shortest form, as Pagefind encodes them.


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | extra]) + n.to_bytes(size, "big")
    raise OutputError("search index: a number too large for its file")


def _cbor(value: Any) -> bytes:
    if value is False or value is True or value is None:
        return {False: b"\xf4", True: b"\xf5", None: b"\xf6"}[value]
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(_cbor(v) for v in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(_cbor(k) + _cbor(v) for k, v in value.items())
    raise OutputError(f"search index: cannot encode {type(value).__name__}")


def _uncbor(data: bytes, pos: int) -> tuple[Any, int]:
    first = data[pos]
    major, info = first >> 5, first & 31
    pos += 1
    if major == 7:
        simple = {20: False, 21: True, 22: None}
        if info not in simple:
            raise OutputError(f"search index: unexpected CBOR value {first:#x}")
        return simple[info], pos
    if info < 24:
        n = info
    elif info <= 27:
        size = 1 << (info - 24)
        n = int.from_bytes(data[pos : pos + size], "big")
        pos += size
    else:
        raise OutputError(f"search index: unexpected CBOR length {first:#x}")
    if major == 0:
        return n, pos
    if major == 1:
        return -1 - n, pos
    if major in (2, 3):
        raw = data[pos : pos + n]
        return (bytes(raw) if major == 2 else raw.decode("utf-8")), pos + n
    if major == 4:
        items = []
        for _ in range(n):
            item, pos = _uncbor(data, pos)
            items.append(item)
        return items, pos
    if major == 5:
        out = {}
        for _ in range(n):
            key, pos = _uncbor(data, pos)
            out[key], pos = _uncbor(data, pos)
        return out, pos
    raise OutputError(f"search index: unexpected CBOR type {major}")
