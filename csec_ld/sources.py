"""Read records and the catalogue's own description from files.

One small reader per format, each yielding :class:`~csec_ld.records.RawRecord`
values with their file and line:

* YAML (``.yaml``/``.yml``): one record per file, or a list of records;
* CSV (``.csv``): UTF-8 with or without BOM, comma or semicolon, any line ending;
  multi-valued cells split on ``|``; ``title@fr`` columns for translations;
* JSON (``.json``): a list of records (or one record);
* JSON Lines (``.jsonl``/``.ndjson``): one record per line.

:func:`open_catalog` finds the catalogue description (``catalog.yaml``) and the
registry of agents (``agents.yaml``) next to the sources; :meth:`Catalogue.records`
streams checked records and collects every problem rather than stopping at the first.
Readers refuse, with the file and line, what :data:`~csec_ld.records.LIMITS` bounds
(file and line sizes, nesting) and a file that holds no record; :func:`discover`
follows symbolic links, each file once.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import DataError, RecordError, SourceNotFoundError, UsageError
from .namespaces import VOCAB_BASE
from .records import (
    FIELDS,
    LANG_TAG_RE,
    LIMITS,
    LIST_FIELDS,
    REQUIRED_FIELDS,
    TEXT_FIELDS,
    LangString,
    Location,
    RawRecord,
    Record,
    Salvage,
    build_record,
    check_url,
    id_problem,
    quoted,
    salvage,
    shown,
    text_problem,
)
from .serialize import READ_FORMATS
from .vocab import Agent, Registry, Vocabulary, load_vocabulary

__all__ = [
    "CATALOG_FILE",
    "JSONL_SUFFIXES",
    "RDF_SUFFIXES",
    "RECORD_SUFFIXES",
    "REGISTRY_FILE",
    "Catalog",
    "Catalogue",
    "discover",
    "load_records",
    "open_catalog",
    "read_raw",
]

CATALOG_FILE = "catalog.yaml"
REGISTRY_FILE = "agents.yaml"
RDF_SUFFIXES = frozenset(READ_FORMATS)
_CONFIG_FILES = frozenset({CATALOG_FILE, REGISTRY_FILE})
DEFAULT_TITLE = "Resources on commercial sexual exploitation of children"


# --------------------------------------------------------------------------- text


def _check_regular(path: Path) -> None:
    """:class:`RecordError` unless *path* is a regular file (a FIFO would block the read)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise RecordError(f"cannot read the file: {exc.strerror}", path=path) from exc
    if not stat.S_ISREG(mode):
        raise RecordError("cannot read the file: it is not a regular file", path=path)


def read_bounded_text(path: Path, limit: int | None = None, what: str = "YAML file") -> str:
    """The file's text, decoded as strict UTF-8 (a BOM is dropped), at most *limit* bytes
    (by default ``LIMITS["YAML file or listing"]``)."""
    if limit is None:
        limit = LIMITS["YAML file or listing"]
    _check_regular(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise RecordError(f"cannot read the file: {exc.strerror}", path=path) from exc
    if len(data) > limit:
        raise RecordError(
            f"the file is larger than {limit:,} bytes, the most a {what} may hold: split it"
            + (" or write JSON Lines (read a line at a time)" if "JSON" in what else ""),
            path=path,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RecordError(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8",
            path=path,
            line=line,
        ) from exc
    if not text.strip():
        raise RecordError("the file is empty", path=path)
    return text


_NESTING = LIMITS["nesting"]
_TOO_DEEP = f"lists and mappings are nested more than {_NESTING} deep (a record needs 2)"


# --------------------------------------------------------------------------- YAML

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


def _yaml_value(node: yaml.Node, path: Path) -> Any:
    if node.tag not in _PLAIN_TAGS:
        raise RecordError(
            f"YAML tag {node.tag!r} is not allowed (records hold plain text, lists and mappings)",
            path=path,
            line=node.start_mark.line + 1,
        )
    if isinstance(node, yaml.ScalarNode):
        if node.style is None and node.value in _NULLS:
            return None
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_yaml_value(n, path) for n in node.value]
    assert isinstance(node, yaml.MappingNode)
    return _yaml_mapping(node, path)[0]


def _yaml_mapping(node: yaml.MappingNode, path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    out: dict[str, Any] = {}
    lines: dict[str, int] = {}
    # The record id, if there is a plain one, so that errors in other fields name it.
    rid = next(
        (
            v.value
            for k, v in node.value
            if isinstance(k, yaml.ScalarNode)
            and k.value == "id"
            and isinstance(v, yaml.ScalarNode)
            and v.tag in _PLAIN_TAGS
            and v.value
        ),
        None,
    )
    for key_node, value_node in node.value:
        key = _yaml_value(key_node, path)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise RecordError("a mapping key must be a text", path=path, line=line, record=rid)
        if key in out:
            raise RecordError(
                f"{key!r} is given twice", path=path, line=line, record=rid, field=key
            )
        try:
            out[key] = _yaml_value(value_node, path)
        except RecordError as exc:
            # Name the field at this level (a tag nested in a title map is the title's).
            raise RecordError(
                exc.message, path=path, line=exc.line, record=rid or exc.record, field=key
            ) from exc
        lines[key] = line
    return out, lines


class _TooDeep(yaml.composer.ComposerError):
    """Collections nested deeper than ``LIMITS["nesting"]``, in the field *field*."""

    def __init__(self, mark: Any, field: str | None) -> None:
        super().__init__(None, None, _TOO_DEEP, mark)
        self.field = field


class _RecordLoader(yaml.BaseLoader):
    """BaseLoader (no implicit types) that refuses aliases and deep nesting.

    Records hold plain text; an alias (``*name``) is never needed, and nested
    aliases expand exponentially when read (the "billion laughs"). The composer
    recurses once per level, so ``[[[[...]]]]`` 100,000 deep would exhaust the
    stack: collections are counted and refused beyond ``LIMITS["nesting"]``.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._open: list[Any] = []  # the index (key node or position) of each open collection

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in records", mark
            )
        if not self.check_event(yaml.CollectionStartEvent):
            return super().compose_node(parent, index)
        if len(self._open) >= _NESTING:
            # The field: the first mapping key on the way down (the record's own field).
            keys = (i for i in (*self._open, index) if isinstance(i, yaml.ScalarNode))
            key = next(keys, None)
            raise _TooDeep(self.peek_event().start_mark, None if key is None else key.value)
        self._open.append(index)
        try:
            return super().compose_node(parent, index)
        finally:
            self._open.pop()


def _is_empty_document(node: yaml.Node | None) -> bool:
    """A document with nothing in it (``---`` alone)."""
    return node is None or (
        isinstance(node, yaml.ScalarNode) and node.style is None and node.value == ""
    )


def _yaml_documents(path: Path) -> list[yaml.Node]:
    text = read_bounded_text(path)
    try:
        # BaseLoader resolves no implicit types: every scalar stays text, so
        # "2010-06-01" is not turned into a date nor "no" into False.
        return [
            d for d in yaml.compose_all(text, Loader=_RecordLoader) if not _is_empty_document(d)
        ]
    except _TooDeep as exc:
        mark = exc.problem_mark
        raise RecordError(
            _TOO_DEEP,
            path=path,
            line=mark.line + 1 if mark else None,
            field=None if exc.field is None else shown(exc.field),
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        raise RecordError(f"malformed YAML: {problem}", path=path, line=line) from exc
    except yaml.reader.ReaderError as exc:
        # A character YAML does not allow, raw in the file (a control character, U+FFFE...).
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else None
        what = f"U+{code:04X}" if code is not None else "a character"
        raise RecordError(
            f"holds {what}, a character YAML does not allow (nor, for most of them, XML): "
            "remove it",
            path=path,
            line=line,
        ) from None
    except yaml.YAMLError as exc:
        raise RecordError(f"malformed YAML: {exc}", path=path) from exc


def read_yaml(path: Path) -> Iterator[RawRecord | RecordError]:
    """Records from a YAML file: one mapping, or a list of mappings.

    A record that cannot be read is yielded as its error, and reading goes on.
    """
    found = 0
    for doc in _yaml_documents(path):
        nodes = doc.value if isinstance(doc, yaml.SequenceNode) else [doc]
        for node in nodes:
            found += 1
            line = node.start_mark.line + 1
            try:
                if not isinstance(node, yaml.MappingNode) or node.tag not in _PLAIN_TAGS:
                    if node.tag not in _PLAIN_TAGS:
                        _yaml_value(node, path)  # raises the tag error
                    raise RecordError(
                        "expected a record (a mapping of fields)", path=path, line=line
                    )
                data, lines = _yaml_mapping(node, path)
            except RecordError as exc:
                yield exc
                continue
            yield RawRecord(data, Location(str(path), line), lines)
    if not found:
        raise RecordError(
            "the file holds no record (nothing but comments, empty documents or an empty list)",
            path=path,
        )


# --------------------------------------------------------------------------- CSV


def _csv_dialect(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _csv_column(name: str) -> tuple[str, str | None]:
    base, _, lang = name.partition("@")
    return base.strip(), (lang.strip() or None) if lang else None


def read_csv(path: Path) -> Iterator[RawRecord | RecordError]:
    """Records from a CSV file, one per row after the header."""
    text = read_bounded_text(path, LIMITS["CSV or JSON file"], "CSV file")
    delimiter = _csv_dialect(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise RecordError(f"malformed CSV header: {exc}", path=path, line=1) from exc
    columns = [_csv_column(h) for h in header]
    problems = []
    seen: set[tuple[str, str | None]] = set()
    for (name, lang), raw_name in zip(columns, header, strict=True):
        if name not in FIELDS or (lang and name not in TEXT_FIELDS):
            problems.append(f"unknown column {raw_name!r}")
        # "title" is "title@en", and "title@FR" is "title@fr": one cell would overwrite the other.
        key = (name, (lang or "en").lower()) if name in TEXT_FIELDS else (name, lang)
        if key in seen:
            problems.append(f"column {raw_name!r} is given twice")
        seen.add(key)
    missing = [f for f in REQUIRED_FIELDS if not any(name == f for name, _ in seen)]
    if missing or problems:
        msgs = problems + [f"missing required column {m!r}" for m in missing]
        field_name = missing[0] if missing else None
        raise RecordError("; ".join(msgs), path=path, line=1, field=field_name)
    end = reader.line_num
    found = False
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            if not found:
                raise RecordError(
                    "the file holds no record (nothing but the header)", path=path
                ) from None
            return
        except csv.Error as exc:
            raise RecordError(f"malformed CSV: {exc}", path=path, line=reader.line_num) from exc
        end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        found = True
        if len(row) != len(columns):
            yield RecordError(
                f"row has {len(row)} cells, the header has {len(columns)}", path=path, line=start
            )
            continue
        data: dict[str, Any] = {}
        for (name, lang), cell in zip(columns, row, strict=True):
            cell = cell.strip()
            if not cell:
                continue
            if name in TEXT_FIELDS:
                data.setdefault(name, {})[lang or "en"] = cell
            elif name in LIST_FIELDS:
                data[name] = [v.strip() for v in cell.split("|") if v.strip()]
            else:
                data[name] = cell
        for name in REQUIRED_FIELDS:
            data.setdefault(name, None)
        yield RawRecord(data, Location(str(path), start), {})


# --------------------------------------------------------------------------- JSON


class _Nested(Exception):
    """Collections nested deeper than ``LIMITS["nesting"]`` in a parsed JSON value."""


def _json_scalar(value: Any, depth: int) -> Any:
    """A parsed JSON value with its integers as text ("issued": 2010 is as good as
    "2010"). Most values are strings, let through at the first test (the json module
    gives exact types: bool before int, which it subclasses). *depth* is the value's
    level of nesting: deeper than ``LIMITS["nesting"]`` raises :class:`_Nested`."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return str(value)
    if kind is list:
        if depth > _NESTING:
            raise _Nested
        return [v if type(v) is str else _json_scalar(v, depth + 1) for v in value]
    if kind is dict:
        if depth > _NESTING:
            raise _Nested
        return {k: v if type(v) is str else _json_scalar(v, depth + 1) for k, v in value.items()}
    return value


def _json_record(value: Any, path: Path, line: int, depth: int = 1) -> RawRecord | RecordError:
    if type(value) is not dict:
        return RecordError("expected a record (a JSON object of fields)", path=path, line=line)
    try:
        data = {k: v if type(v) is str else _json_scalar(v, depth + 1) for k, v in value.items()}
    except _Nested:
        field_name = None
        for k, v in value.items():
            try:
                _json_scalar(v, depth + 1)
            except _Nested:
                field_name = k
                break
        return RecordError(
            _TOO_DEEP, path=path, line=line, field=None if field_name is None else shown(field_name)
        )
    return RawRecord(data, Location(str(path), line), {})


_JSON_TOKEN_RE = re.compile(r'"(?:[^"\\]|\\.)*"(?:\s*:)?|[\[\]{}]')


def _json_too_deep(text: str, path: Path, first_line: int = 1) -> RecordError:
    """The error for JSON too deeply nested for the parser (its ``RecursionError``): the
    line where the nesting passes ``LIMITS["nesting"]``, and the field it is in."""
    depth, pos = 0, 0
    keys: list[str | None] = []  # the last key seen in each open container
    for m in _JSON_TOKEN_RE.finditer(text):
        token = m.group()
        if token[0] == '"':
            if token[-1] == ":" and keys:
                keys[-1] = token[:-1].rstrip()
        elif token in "[{":
            depth += 1
            if depth > _NESTING:
                pos = m.start()
                break
            keys.append(None)
        else:
            depth -= 1
            if keys:
                keys.pop()
    key = next((k for k in keys if k is not None), None)
    field_name = None
    if key is not None:
        try:
            field_name = shown(json.loads(key))
        except ValueError:
            field_name = shown(key)
    return RecordError(
        _TOO_DEEP, path=path, line=first_line + text.count("\n", 0, pos), field=field_name
    )


def _json_error(exc: json.JSONDecodeError, path: Path, line_offset: int = 0) -> RecordError:
    return RecordError(
        f"malformed JSON: {exc.msg} (column {exc.colno})", path=path, line=exc.lineno + line_offset
    )


def read_json(path: Path) -> Iterator[RawRecord | RecordError]:
    """Records from a JSON file holding a list of records (or one record)."""
    text = read_bounded_text(path, LIMITS["CSV or JSON file"], "JSON file")
    decoder = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys)
    try:
        doc = decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise _json_error(exc, path) from exc
    except RecursionError:
        raise _json_too_deep(text, path) from None
    except ValueError as exc:
        raise RecordError(f"malformed JSON: {exc}", path=path) from exc
    if isinstance(doc, dict):
        yield _json_record(doc, path, 1)
        return
    if not isinstance(doc, list):
        raise RecordError("expected a list of records", path=path, line=1)
    if not doc:
        raise RecordError("the file holds no record (an empty list)", path=path, line=1)
    # Find where each element starts, so that errors name its line.
    pos = text.index("[") + 1
    for item in doc:
        while text[pos] in " \t\r\n,":
            pos += 1
        _, end = decoder.raw_decode(text, pos)
        yield _json_record(item, path, text.count("\n", 0, pos) + 1, depth=2)
        pos = end


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"key {k!r} is given twice")
        out[k] = v
    return out


_BOM = b"\xef\xbb\xbf"


def jsonl_batches(path: Path, size: int = 2000) -> Iterator[tuple[int, int, int]]:
    """Batches of lines of a JSON Lines file: (number of the first line, byte offset,
    byte length) each, for :func:`read_lines`.

    The file is streamed, never read whole: JSON Lines is the format for large
    catalogues, and worker processes read and parse the batches (so the lines do
    not travel from one process to another). A line longer than
    ``LIMITS["JSON Lines line"]`` is never held whole: its first bytes make a batch of
    their own, which :func:`parse_jsonl` reports, and reading goes on after it.
    """
    limit = LIMITS["JSON Lines line"]
    _check_regular(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise RecordError(f"cannot read the file: {exc.strerror}", path=path) from exc
    with handle:
        read = handle.readline
        offset = 3 if handle.read(3) == _BOM else 0  # the batches start after a BOM
        handle.seek(offset)
        first, start, count, number = 1, offset, 0, 0
        seen_content = False
        while True:
            line = read(limit + 1)
            if not line:
                break
            number += 1
            if not seen_content:
                seen_content = bool(line.strip())
            if len(line) > limit and line[-1:] != b"\n":
                if count:
                    yield first, start, offset - start
                yield number, offset, len(line)
                offset += len(line)
                while line[-1:] != b"\n":  # skip the rest of the line, a block at a time
                    line = read(1 << 20)
                    if not line:
                        break
                    offset += len(line)
                first, start, count = number + 1, offset, 0
                continue
            offset += len(line)
            count += 1
            if count >= size:
                yield first, start, offset - start
                first, start, count = number + 1, offset, 0
        if count:
            yield first, start, offset - start
        if not seen_content:
            raise RecordError("the file is empty", path=path)


def read_lines(path: Path, first: int, start: int, length: int) -> list[bytes]:
    """The lines of a batch from :func:`jsonl_batches` (without a byte order mark)."""
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read(length)
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()  # the batch ends with a line break
    if first == 1 and start == 0 and lines and lines[0].startswith(_BOM):
        lines[0] = lines[0][3:]
    return lines


def parse_jsonl(path: Path, first: int, lines: list[bytes]) -> Iterator[RawRecord | RecordError]:
    """Raw records from a batch of JSON Lines (see :func:`jsonl_batches`)."""
    decoder = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys)
    limit = LIMITS["JSON Lines line"]
    for number, raw in enumerate(lines, start=first):
        if len(raw) > limit:
            yield RecordError(
                f"the line is longer than {limit:,} bytes, the most a record may take",
                path=path,
                line=number,
            )
            continue
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            yield RecordError(
                f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
                path=path,
                line=number,
            )
            continue
        if not line.strip():
            continue
        try:
            value = decoder.decode(line)
        except json.JSONDecodeError as exc:
            yield _json_error(exc, path, number - 1)
            continue
        except RecursionError:
            yield _json_too_deep(line, path, number)
            continue
        except ValueError as exc:
            yield RecordError(f"malformed JSON: {exc}", path=path, line=number)
            continue
        yield _json_record(value, path, number)


def read_jsonl_batch(
    path: Path, first: int, start: int, length: int
) -> Iterator[RawRecord | RecordError]:
    """The records of one batch from :func:`jsonl_batches` (in a worker process, say)."""
    return parse_jsonl(path, first, read_lines(path, first, start, length))


def read_jsonl(path: Path) -> Iterator[RawRecord | RecordError]:
    """Records from a JSON Lines file, one object per line (streamed)."""
    for batch in jsonl_batches(path):
        yield from read_jsonl_batch(path, *batch)


_READERS = {
    ".yaml": read_yaml,
    ".yml": read_yaml,
    ".csv": read_csv,
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
}
#: The record files, by suffix: one reader each (see :func:`read_raw`).
RECORD_SUFFIXES = frozenset(_READERS)
#: Those read line by line, in batches the pipeline's workers parse (JSON Lines).
JSONL_SUFFIXES = frozenset(suffix for suffix, read in _READERS.items() if read is read_jsonl)


def read_raw(path: Path) -> Iterator[RawRecord | RecordError]:
    """Raw records from one file, by its suffix.

    Problems that spoil one record are yielded in its place (reading goes on);
    problems that spoil the file (not UTF-8, malformed YAML) are raised.
    """
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise UsageError(
            f"{path}: not a record file (expected one of {', '.join(sorted(_READERS))})"
        )
    return reader(path)


# --------------------------------------------------------------------------- discovery


def discover(sources: Sequence[str | Path], *, rdf: bool = False) -> list[Path]:
    """The record files named by *sources* (files, or folders searched recursively).

    With ``rdf=True``, RDF files (Turtle, N-Triples, JSON-LD, ...) are accepted too.
    A path that does not exist raises :class:`SourceNotFoundError`. Symbolic links are
    followed, to files and to folders; each file is read once, however many links
    lead to it, and a link back to a folder being searched (a loop) adds nothing. A
    link that leads nowhere is kept, so that reading it reports the problem.
    """
    suffixes = RECORD_SUFFIXES | (RDF_SUFFIXES if rdf else frozenset())
    found: dict[str, Path] = {}  # real path: the first path that leads to it
    for source in sources:
        path = Path(source)
        if not path.exists():
            raise SourceNotFoundError(f"{path}: no such file or folder")
        if path.is_dir():
            for file, real in _walk(path, suffixes):
                found.setdefault(real, file)
        elif path.name in _CONFIG_FILES:
            what, give = (
                ("description", "give it with --catalog")
                if path.name == CATALOG_FILE
                else ("registry of agents", f"give the {CATALOG_FILE} that names it with --catalog")
            )
            raise UsageError(
                f"{path}: {path.name} is the catalogue's {what}, not a record file: {give}"
            )
        elif path.suffix.lower() in suffixes:
            found.setdefault(os.path.realpath(path), path)
        else:
            raise UsageError(
                f"{path}: unsupported file type (expected {', '.join(sorted(suffixes))})"
            )
    return list(found.values())


def _walk(root: Path, suffixes: frozenset[str]) -> list[tuple[Path, str]]:
    """(path, real path) of every file under *root* with one of *suffixes*, in path
    order; hidden files and folders (``.git``) and the configuration files are left out.

    Folders are searched once each by real path, so symbolic links that loop end.
    """
    real_root = os.path.realpath(root)
    seen = {real_root}
    todo = [(root, real_root)]
    out: list[tuple[Path, str]] = []
    while todo:
        folder, real = todo.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            raise UsageError(f"{folder}: cannot read the folder ({exc.strerror})") from exc
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = folder / entry.name
            link = entry.is_symlink()
            target = os.path.realpath(path) if link else os.path.join(real, entry.name)
            try:
                is_dir = entry.is_dir()  # follows a link
            except OSError:
                is_dir = False
            if is_dir:
                if target not in seen:
                    seen.add(target)
                    subfolders.append((path, target))
                continue
            if Path(entry.name).suffix.lower() not in suffixes or entry.name in _CONFIG_FILES:
                continue
            try:
                is_file = entry.is_file()
            except OSError:
                is_file = False
            if not is_file and not (link and not os.path.exists(path)):
                raise UsageError(f"{path}: not a regular file (a pipe, socket or device)")
            out.append((path, target))
        todo.extend(reversed(subfolders))
    out.sort(key=lambda item: item[0])
    return out


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Catalog:
    """The catalogue's own description, from ``catalog.yaml``."""

    title: tuple[LangString, ...] = (LangString(DEFAULT_TITLE),)
    description: tuple[LangString, ...] = ()
    base: str = VOCAB_BASE
    publisher: str | None = None
    license: str | None = None
    #: Who answers for the catalogue (``contact_email:``); OAI-PMH's Identify announces
    #: it as adminEmail, which the protocol requires: without it there is no OAI-PMH.
    contact_email: str | None = None
    #: The catalogue's own SKOS files (``vocabularies:``, relative to catalog.yaml): their
    #: concepts extend the shipped resource types and topics, or replace the schemes
    #: named in ``replace_vocabularies:`` (``types``, ``topics``).
    vocabularies: tuple[str, ...] = ()
    replace_vocabularies: tuple[str, ...] = ()
    location: Location | None = field(default=None, compare=False)

    @property
    def iri(self) -> str:
        return self.base + "catalog"

    def record_iri(self, record_id: str) -> str:
        return f"{self.base}resource/{record_id}"


def find_config(sources: Sequence[str | Path]) -> Path | None:
    """The first catalog.yaml next to a source or in one of the two folders above it."""
    for source in sources:
        path = Path(source).resolve()
        start = path if path.is_dir() else path.parent
        for folder in (start, start.parent, start.parent.parent):
            candidate = folder / CATALOG_FILE
            if candidate.is_file():
                return candidate
    return None


def _mapping_node(path: Path) -> yaml.MappingNode:
    docs = _yaml_documents(path)
    if len(docs) != 1 or not isinstance(docs[0], yaml.MappingNode):
        raise RecordError("expected one mapping", path=path, line=1)
    return docs[0]


def _mapping_file(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    return _yaml_mapping(_mapping_node(path), path)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing" if value is None else "a text"


def _config_text(
    value: Any, path: Path, line: int | None, key: str, limit: int, record: str | None = None
) -> str:
    """A text of catalog.yaml or agents.yaml, stripped; :class:`RecordError` unless it is
    a text that can be published (short enough, no character XML 1.0 forbids)."""
    if not isinstance(value, str):
        raise RecordError(
            f"expected a text, not {_kind(value)}", path=path, line=line, record=record, field=key
        )
    problem = text_problem(value, limit)
    if problem is not None:
        raise RecordError(problem, path=path, line=line, record=record, field=key)
    return value.strip()


def _config_texts(
    value: Any, path: Path, line: int | None, key: str, limit: int
) -> tuple[LangString, ...]:
    """A language-tagged text of catalog.yaml: a text (English) or a mapping of tags to texts."""
    if isinstance(value, str):
        return (LangString(_config_text(value, path, line, key, limit)),)
    if not isinstance(value, dict):
        raise RecordError(
            f"expected a text or a mapping of language tags to texts, not {_kind(value)}",
            path=path,
            line=line,
            field=key,
        )
    out = []
    for lang, text in value.items():
        if not LANG_TAG_RE.fullmatch(lang):
            raise RecordError(
                f"{quoted(lang)} is not a language tag (e.g. en, fr, es)",
                path=path,
                line=line,
                field=key,
            )
        out.append(LangString(_config_text(text, path, line, key, limit), lang.lower()))
    return tuple(sorted(out))


def _check_base(base: str, where: Location | None, field_name: str = "base") -> str:
    try:
        check_url(base)
    except ValueError as exc:
        raise RecordError(
            str(exc),
            path=where.path if where else None,
            line=where.line if where else None,
            field=field_name,
        ) from None
    if not base.endswith(("/", "#")):
        raise RecordError(
            f"{base!r} must end with '/' (record IRIs are {{base}}resource/{{id}})",
            path=where.path if where else None,
            line=where.line if where else None,
            field=field_name,
        )
    return base


#: An address as OAI-PMH's schema takes it (``\S+@(\S+\.)+\S+``), one "@", and as
#: long as RFC 5321 allows.
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_EMAIL_LENGTH = 254


def _listed(data: dict[str, Any], key: str) -> list[Any]:
    """A catalog.yaml value that is a text or a list of them, as a list."""
    value = data.get(key)
    return [] if value is None else value if isinstance(value, list) else [value]


def read_catalog(path: Path) -> tuple[Catalog, Path]:
    """The catalogue description and the path of its registry; :class:`DataError` lists
    every problem of the file."""
    data, lines = _mapping_file(path)
    allowed = {
        "title",
        "description",
        "base",
        "publisher",
        "license",
        "registry",
        "contact_email",
        "vocabularies",
        "replace_vocabularies",
    }
    errors: list[RecordError] = [
        RecordError(
            f"unknown field (known: {', '.join(sorted(allowed))})",
            path=path,
            line=lines[key],
            field=shown(key),
        )
        for key in sorted(set(data) - allowed)
    ]

    def checked(key: str, check: Any, *args: Any) -> Any:
        if data.get(key) is None:
            return None
        try:
            return check(data[key], path, lines.get(key), key, *args)
        except RecordError as exc:
            errors.append(exc)
            return None

    title = checked("title", _config_texts, LIMITS["title"]) or (LangString(DEFAULT_TITLE),)
    description = checked("description", _config_texts, LIMITS["description"]) or ()
    url_length = LIMITS["identifiers"]
    base = checked("base", _config_text, url_length)
    if base:
        try:
            _check_base(base, Location(str(path), lines.get("base")))
        except RecordError as exc:
            errors.append(exc)
    license_iri = checked("license", _config_text, url_length)
    if license_iri:
        try:
            check_url(license_iri)
        except ValueError as exc:
            errors.append(RecordError(str(exc), path=path, line=lines["license"], field="license"))
    publisher = checked("publisher", _config_text, LIMITS["id"])
    contact_email = checked("contact_email", _config_text, _EMAIL_LENGTH)
    if contact_email and not _EMAIL_RE.fullmatch(contact_email):
        errors.append(
            RecordError(
                f"{quoted(contact_email)} is not an email address (e.g. catalogue@example.org)",
                path=path,
                line=lines["contact_email"],
                field="contact_email",
            )
        )
    vocabularies: list[str] = []
    for value in _listed(data, "vocabularies"):
        try:
            name = _config_text(value, path, lines.get("vocabularies"), "vocabularies", url_length)
        except RecordError as exc:
            errors.append(exc)
            continue
        file = path.parent / name
        if not file.is_file():
            problem = "is a folder" if file.is_dir() else "does not exist"
            errors.append(
                RecordError(
                    f"{quoted(str(file), 200)} {problem}: name a SKOS file (Turtle) of "
                    "resource types or topics, relative to catalog.yaml",
                    path=path,
                    line=lines["vocabularies"],
                    field="vocabularies",
                )
            )
        here = Path.cwd()
        vocabularies.append(str(file.relative_to(here) if file.is_relative_to(here) else file))
    replace = []
    for value in _listed(data, "replace_vocabularies"):
        if value not in ("types", "topics"):
            errors.append(
                RecordError(
                    f"{quoted(str(value))} is not a scheme (use types or topics)",
                    path=path,
                    line=lines["replace_vocabularies"],
                    field="replace_vocabularies",
                )
            )
        else:
            replace.append(value)
    if replace and not vocabularies:
        errors.append(
            RecordError(
                "replaces the shipped schemes, but vocabularies: names no file to replace "
                "them with",
                path=path,
                line=lines["replace_vocabularies"],
                field="replace_vocabularies",
            )
        )
    registry = checked("registry", _config_text, url_length)
    registry_path = path.parent / (registry or REGISTRY_FILE)
    if registry and not registry_path.is_file():
        problem = "is a folder" if registry_path.is_dir() else "does not exist"
        errors.append(
            RecordError(
                f"{quoted(str(registry_path), 200)} {problem}: name the registry's YAML file "
                "(agents.yaml)",
                path=path,
                line=lines["registry"],
                field="registry",
            )
        )
    if errors:
        raise DataError(errors)
    catalog = Catalog(
        title=title,
        description=description,
        base=base or VOCAB_BASE,
        publisher=publisher or None,
        license=license_iri or None,
        contact_email=contact_email or None,
        vocabularies=tuple(vocabularies),
        replace_vocabularies=tuple(sorted(set(replace))),
        location=Location(str(path), 1),
    )
    return catalog, registry_path


_AGENT_SECTIONS = {"organizations": "organization", "people": "person", "projects": "project"}
_AGENT_FIELDS = ("id", "name", "alt_names", "url", "part_of", "description")


def read_registry(path: Path) -> Registry:
    """The agents and projects of ``agents.yaml``; :class:`DataError` lists every problem.

    A registry that does not exist is empty (a catalogue need not name agents).
    """
    if path.is_dir():
        raise RecordError("is a folder; the registry is a YAML file (agents.yaml)", path=path)
    if not path.exists() and not path.is_symlink():
        return Registry({})
    root = _mapping_node(path)
    _yaml_mapping(root, path)  # keys are texts, none given twice, no tags
    agents: dict[str, Agent] = {}
    where: dict[str, dict[str, int]] = {}  # agent id: the line of each key
    errors: list[RecordError] = []
    for key_node, value_node in root.value:
        section = key_node.value
        section_line = key_node.start_mark.line + 1
        kind = _AGENT_SECTIONS.get(section)
        if kind is None:
            errors.append(
                RecordError(
                    f"unknown section (known: {', '.join(_AGENT_SECTIONS)})",
                    path=path,
                    line=section_line,
                    field=shown(section),
                )
            )
            continue
        if _is_empty_document(value_node) or (
            isinstance(value_node, yaml.ScalarNode)
            and value_node.value in _NULLS
            and value_node.style is None
        ):
            continue
        if not isinstance(value_node, yaml.SequenceNode):
            errors.append(
                RecordError(
                    f"expected a list of entries (each with id and name), not "
                    f"{'a mapping' if isinstance(value_node, yaml.MappingNode) else 'a text'}",
                    path=path,
                    line=section_line,
                    field=section,
                )
            )
            continue
        for node in value_node.value:
            line = node.start_mark.line + 1
            if not isinstance(node, yaml.MappingNode):
                errors.append(
                    RecordError(
                        "expected an entry with id and name", path=path, line=line, field=section
                    )
                )
                continue
            try:
                entry, lines = _yaml_mapping(node, path)
            except RecordError as exc:
                errors.append(exc)
                continue
            agent = _agent(entry, lines, line, kind, path, errors)
            if agent is None:
                continue
            if agent.id in agents:
                errors.append(
                    RecordError(
                        "id is given twice",
                        path=path,
                        line=lines.get("id", line),
                        record=agent.id,
                        field="id",
                    )
                )
                continue
            agents[agent.id] = agent
            where[agent.id] = lines
    # An entry refused above is not "unknown" to the entries that name it.
    refused = {e.record for e in errors if e.record}
    for agent in agents.values():
        if agent.part_of and agent.part_of not in agents and agent.part_of not in refused:
            errors.append(
                RecordError(
                    f"part_of names unknown id {quoted(agent.part_of)}",
                    path=path,
                    line=where[agent.id].get("part_of"),
                    record=agent.id,
                    field="part_of",
                )
            )
    if errors:
        raise DataError(errors)
    return Registry(agents)


def _agent(
    entry: dict[str, Any],
    lines: dict[str, int],
    line: int,
    kind: str,
    path: Path,
    errors: list[RecordError],
) -> Agent | None:
    """One entry of agents.yaml, checked; its problems go to *errors*."""
    aid = entry.get("id")
    record = aid if isinstance(aid, str) and id_problem(aid) is None else None
    before = len(errors)

    def fail(key: str, message: str) -> None:
        errors.append(
            RecordError(message, path=path, line=lines.get(key, line), record=record, field=key)
        )

    for key in entry:
        if key not in _AGENT_FIELDS:
            fail(shown(key), f"unknown field (known: {', '.join(_AGENT_FIELDS)})")
    if not isinstance(aid, str):
        fail("id", "id is required" if aid is None else f"expected a text, not {_kind(aid)}")
    else:
        problem = id_problem(aid)
        if problem is not None:
            fail("id", problem)

    def text(key: str, limit: int) -> str | None:
        value = entry.get(key)
        if value is None:
            return None
        try:
            return _config_text(value, path, lines.get(key, line), key, limit, record)
        except RecordError as exc:
            errors.append(exc)
            return None

    name = text("name", LIMITS["title"])
    if not name and "name" not in {e.field for e in errors[before:]}:
        fail("name", "name is required")
    alt = entry.get("alt_names") or []
    alt_names: list[str] = []
    for value in alt if isinstance(alt, list) else [alt]:
        try:
            alt_names.append(
                _config_text(
                    value, path, lines.get("alt_names", line), "alt_names", LIMITS["title"], record
                )
            )
        except RecordError as exc:
            errors.append(exc)
    url = text("url", LIMITS["identifiers"])
    if url:
        try:
            check_url(url)
        except ValueError as exc:
            fail("url", str(exc))
    part_of = text("part_of", LIMITS["id"])
    description = text("description", LIMITS["description"])
    if len(errors) > before or record is None or not name:
        return None
    return Agent(
        id=record,
        kind=kind,  # type: ignore[arg-type]
        name=name,
        alt_names=tuple(alt_names),
        url=url or None,
        part_of=part_of or None,
        description=description or None,
    )


@dataclass
class Catalogue:
    """A catalogue ready to read: its description, registry, vocabularies and files."""

    catalog: Catalog
    registry: Registry
    vocab: Vocabulary
    files: list[Path]
    errors: list[RecordError] = field(default_factory=list)
    count: int = 0
    #: What could be read of the records that failed to load, with a valid id not used
    #: before: they take part in the cross-record checks (see :class:`Salvage`).
    broken: list[Salvage] = field(default_factory=list)

    def records(self) -> Iterator[Record]:
        """Stream the checked records; problems go to :attr:`errors`, not exceptions.

        Ids must be unique across every file, also those of records that fail to load;
        the second use of an id is an error that names the first. What can be read
        of a record that fails to load goes to :attr:`broken`.
        """
        seen: dict[str, Location] = {}
        self.errors.clear()
        self.broken.clear()
        self.count = 0
        for path in self.files:
            try:
                for raw in read_raw(path):
                    if isinstance(raw, RecordError):
                        self.errors.append(raw)
                        continue
                    record, problems = build_record(raw, self.vocab, self.registry)
                    self.errors.extend(problems)
                    if record is None:
                        part = salvage(raw)
                        if part.id is not None:
                            first = seen.get(part.id)
                            if first is not None:
                                self.errors.append(duplicate_id(part.id, str(first), raw))
                            else:
                                seen[part.id] = raw.location
                                self.broken.append(part)
                        continue
                    first = seen.get(record.id)
                    if first is not None:
                        self.errors.append(duplicate_id(record.id, str(first), raw))
                        continue
                    seen[record.id] = record.location
                    self.count += 1
                    yield record
            except RecordError as exc:
                self.errors.append(exc)

    def check(self) -> None:
        """Raise :class:`DataError` if the last pass over :meth:`records` found problems."""
        if self.errors:
            raise DataError(self.errors)


def duplicate_id(record_id: str, first: str, raw: RawRecord | Salvage) -> RecordError:
    """The error of a record reusing *record_id*, first used at *first* (file:line)."""
    return RecordError(
        f"duplicate id {record_id!r} (first used at {first})",
        path=raw.location.path,
        line=raw.line_of("id"),
        record=record_id,
        field="id",
        value=record_id,
    )


def find_catalog_file(
    sources: Sequence[str | Path], files: Sequence[Path], catalog: str | Path | None
) -> Path | None:
    """The catalog.yaml to read: *catalog*, else the one found next to *sources*; None
    only when every file is RDF (RDF carries its own description).

    :class:`UsageError` when none is found for record files: never a made-up title,
    no publisher, no licence.
    """
    if catalog is not None:
        path = Path(catalog)
        if path.is_dir():
            raise UsageError(f"--catalog {path}: is a folder; give its {CATALOG_FILE} file")
        if not path.is_file():
            raise UsageError(f"--catalog {path}: no such file")
        if path.name == REGISTRY_FILE:
            raise UsageError(
                f"--catalog {path}: {REGISTRY_FILE} is the registry of agents; give the "
                f"{CATALOG_FILE} that names it (its registry: field)"
            )
        return path
    found = find_config(sources)
    if found is None and (not files or any(f.suffix.lower() not in RDF_SUFFIXES for f in files)):
        shown_sources = " ".join(str(s) for s in sources[:3]) + (" ..." if len(sources) > 3 else "")
        raise UsageError(
            f"no {CATALOG_FILE} found next to {shown_sources} or in its parent folders: "
            "give --catalog FILE"
        )
    return found


def open_catalog(
    sources: Sequence[str | Path] = ("data",),
    *,
    base: str | None = None,
    catalog: str | Path | None = None,
    rdf: bool = False,
    catalog_file: str | Path | None = None,
) -> Catalogue:
    """Find the record files, the catalogue description and the registry for *sources*.

    *catalog* is the ``catalog.yaml`` to use (its ``registry:`` names ``agents.yaml``,
    relative to it); by default the one next to the sources or in the two folders
    above them. Record files without a catalogue raise :class:`UsageError`; RDF files
    alone need none. *catalog_file* is an older name of *catalog*.

    >>> cat = open_catalog(["data"])
    >>> sorted(r.id for r in cat.records())[:1]
    ['2009-pilot-survey-children-youth-scy-2010']
    """
    files = discover(sources, rdf=rdf)
    config = find_catalog_file(sources, files, catalog if catalog is not None else catalog_file)
    try:
        if config is not None:
            description, registry_path = read_catalog(config)
            registry = read_registry(registry_path)
        else:
            description, registry = Catalog(), Registry({})
    except RecordError as exc:
        raise DataError([exc]) from exc
    if base is not None:
        try:
            _check_base(base, None, "--base")
        except RecordError as exc:
            raise UsageError(f"--base: {exc.message}") from exc
        description = dataclasses.replace(description, base=base)
    if description.publisher and description.publisher not in registry:
        raise DataError(
            [
                RecordError(
                    f"unknown agent {description.publisher!r} (add it to {registry_path})",
                    path=config,
                    field="publisher",
                )
            ]
        )
    try:
        vocab = load_vocabulary(
            extra=description.vocabularies, replace=description.replace_vocabularies
        )
    except RecordError as exc:
        if exc.path is None:  # about the catalogue's keys, not one of its files
            exc = RecordError(exc.message, path=config, field=exc.field)
        raise DataError([exc]) from exc
    return Catalogue(description, registry, vocab, files)


def load_records(sources: Sequence[str | Path] = ("data",), **kwargs: Any) -> list[Record]:
    """Every record of *sources*, checked; :class:`DataError` lists every problem.

    >>> len(load_records(["data"]))
    10
    """
    catalogue = open_catalog(sources, **kwargs)
    records = list(catalogue.records())
    catalogue.check()
    return records
