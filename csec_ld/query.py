"""Named SPARQL queries with typed, injection-safe parameters, and their result formats.

A named query is a ``.rq`` file in ``csec_ld/queries/`` whose header comment
documents it::

    # summary: Resources about one or more countries
    # description:
    #   Every resource whose coverage (dcterms:spatial) is one of the given countries...
    # param country: country, required, multi-valued — ISO 3166-1 code, name or IRI
    # param since: year, optional — only resources issued in or after this year
    # example: csec-ld query by-country -p country=PHL

A parameter line reads ``param NAME: TYPE, required|optional[, multi-valued][,
default=VALUE] — help``. Types: ``iri``, ``string``, ``integer``, ``date``,
``year``, ``country``, ``concept`` (``concept:type`` / ``concept:topic`` for one
scheme) and ``language``.

**Safe binding.** Each value is checked against its type and turned into an RDF
term (:func:`to_term`); the terms enter the query only as a generated ``VALUES``
block, one per parameter, placed at the start of the query's outer ``WHERE``
group. An optional parameter left out is ``VALUES ?name { UNDEF }``. No text a
user gives is ever pasted into a query: a string is a literal, whatever it holds.

>>> result = run_query("by-country", country="PHL")
>>> [row["resource"].value.rsplit("/", 1)[1] for row in result][:1]
['2009-pilot-survey-children-youth-scy-2010']
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import re
import shlex
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyoxigraph import BlankNode, NamedNode, Triple
from pyoxigraph import Literal as RdfLiteral

from .errors import ParameterError, QueryError, UsageError
from .namespaces import (
    COUNTRY_BASE,
    LANGUAGE_BASE,
    PREFIXES,
    RDFS,
    SKOS,
    VOCAB_BASE,
    XSD,
    compactor,
)
from .serialize import FORMATS
from .store import Engine, Result, Term, check_query, open_engine
from .vocab import Vocabulary

__all__ = [
    "GRAPH_FORMATS",
    "MAX_STRING_LENGTH",
    "PARAMETER_TYPES",
    "QUERIES_DIR",
    "TABLE_FORMATS",
    "NamedQuery",
    "Parameter",
    "Result",
    "bind",
    "example_parameters",
    "format_result",
    "get_query",
    "load_queries_dir",
    "load_query_file",
    "named_queries",
    "parse_query_text",
    "queries_with",
    "run_query",
    "sparql_term",
    "to_term",
]

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
PARAMETER_TYPES = ("iri", "string", "integer", "date", "year", "country", "concept", "language")
TABLE_FORMATS = ("table", "csv", "tsv", "json", "md")
GRAPH_FORMATS = tuple(FORMATS)  # the written RDF formats
#: Longer strings are rejected rather than sent to a store.
MAX_STRING_LENGTH = 10_000

_XSD_INTEGER = NamedNode(XSD + "integer")
_XSD_DATE = NamedNode(XSD + "date")
_XSD_STRING = XSD + "string"
#: The datatype a typed-literal parameter is bound as (what a query compares it with).
BOUND_DATATYPES = {"year": "xsd:integer"}
#: Prefixes accepted in ``iri`` values and used to show IRIs; ``resource:`` is ours.
DISPLAY_PREFIXES: dict[str, str] = {**PREFIXES, "resource": VOCAB_BASE + "resource/"}


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a named query."""

    name: str
    type: str
    required: bool = False
    multi: bool = False
    default: tuple[str, ...] = ()
    help: str = ""
    scheme: str | None = None  # for ``concept``: "type", "topic" or None (either)

    @property
    def type_label(self) -> str:
        return f"concept:{self.scheme}" if self.scheme else self.type

    def describe(self) -> str:
        """``country (country, required, multi-valued)``-style summary; typed literals
        name the datatype they are bound as (``since (year as xsd:integer, optional)``)."""
        bound = BOUND_DATATYPES.get(self.type)
        label = f"{self.type_label} as {bound}" if bound else self.type_label
        bits = [label, "required" if self.required else "optional"]
        if self.multi:
            bits.append("multi-valued")
        if self.default:
            bits.append("default " + "|".join(self.default))
        return f"{self.name} ({', '.join(bits)})"


@dataclass(frozen=True)
class NamedQuery:
    """A SPARQL query with its documentation and declared parameters."""

    name: str
    text: str
    summary: str = ""
    description: str = ""
    parameters: tuple[Parameter, ...] = ()
    examples: tuple[str, ...] = ()
    path: Path | None = field(default=None, compare=False)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise ParameterError(f"{self.name}: unknown parameter {name!r} ({self._allowed()})")

    def _allowed(self) -> str:
        if not self.parameters:
            if self.path is not None:  # a user's own file: show how to declare one
                return (
                    f"{self.path} declares no parameters: declare each in its header "
                    "comment, before the query, as `# param NAME: TYPE[, required]"
                    "[, multi] — help`, with TYPE one of "
                    f"{', '.join(PARAMETER_TYPES)} (e.g. `# param country: country, "
                    "required`); the query uses it as ?NAME"
                )
            return "this query takes no parameters"
        return "allowed: " + ", ".join(p.describe() for p in self.parameters)

    def bind(
        self, values: Mapping[str, Any] | None = None, vocabulary: Vocabulary | None = None
    ) -> str:
        """The query text with *values* bound (see :func:`bind`)."""
        return bind(self, values or {}, vocabulary)

    @property
    def takes_concepts(self) -> bool:
        """Whether a parameter names a concept: checking it needs the data's vocabulary
        (see :meth:`~csec_ld.store.Engine.vocabulary`)."""
        return any(p.type == "concept" for p in self.parameters)


# --------------------------------------------------------------------------- headers

_HEADER_KEY = re.compile(r"^(summary|description|example|param)(?:\s+([A-Za-z_]\w*))?\s*:\s?(.*)$")
_VARNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _header_lines(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:].removeprefix(" ") if line.startswith("# ") else line[1:])
    return lines


def _parse_param(name: str, spec: str, where: str) -> Parameter:
    spec_part, help_text = _split_help(spec)
    bits = [b.strip() for b in spec_part.split(",") if b.strip()]
    if not bits:
        raise QueryError(f"{where}: parameter {name!r} has no type")
    type_name, _, scheme = bits[0].partition(":")
    if type_name not in PARAMETER_TYPES or (
        scheme and (type_name != "concept" or scheme not in ("type", "topic"))
    ):
        raise QueryError(
            f"{where}: parameter {name!r}: unknown type {bits[0]!r} "
            f"(known: {', '.join(PARAMETER_TYPES)})"
        )
    required, multi = False, False
    default: tuple[str, ...] = ()
    for bit in bits[1:]:
        if bit in ("required", "optional"):
            required = bit == "required"
        elif bit in ("multi", "multi-valued"):
            multi = True
        elif bit.startswith("default="):
            default = tuple(v for v in bit[len("default=") :].split("|") if v)
        else:
            raise QueryError(f"{where}: parameter {name!r}: cannot read {bit!r}")
    return Parameter(name, type_name, required, multi, default, help_text.strip(), scheme or None)


def _split_help(spec: str) -> tuple[str, str]:
    for sep in (" — ", " -- "):
        if sep in spec:
            head, tail = spec.split(sep, 1)
            return head, tail
    return spec, ""


def parse_query_text(text: str, name: str, path: Path | None = None) -> NamedQuery:
    """A :class:`NamedQuery` from ``.rq`` text: its header comment and its SPARQL."""
    where = str(path) if path else name
    fields: dict[str, list[str]] = {"summary": [], "description": [], "example": []}
    params: list[Parameter] = []
    current: list[str] | None = None
    for lineno, line in enumerate(_header_lines(text), 1):
        match = _HEADER_KEY.match(line)
        if match:
            key, pname, rest = match.groups()
            at = f"{where}:{lineno}" if path else where  # a file's errors name their line
            if key == "param":
                if not pname:
                    raise QueryError(f"{at}: 'param' needs a name: # param NAME: TYPE, ...")
                if any(p.name == pname for p in params):
                    raise QueryError(f"{at}: parameter {pname!r} is declared twice")
                params.append(_parse_param(pname, rest, at))
                current = None
            elif key == "example":
                fields["example"].append(rest.strip())
                current = None
            else:
                current = fields[key]
                if rest.strip():
                    current.append(rest.strip())
        elif current is not None and line.strip():
            current.append(line.strip())
        elif current is not None and current and current[-1] != "":
            current.append("")
    return NamedQuery(
        name=name,
        text=text,
        summary=" ".join(fields["summary"]).strip(),
        description=_paragraphs(fields["description"]),
        parameters=tuple(params),
        examples=tuple(fields["example"]),
        path=path,
    )


def _paragraphs(lines: list[str]) -> str:
    """Lines joined into paragraphs; an empty line separates paragraphs."""
    text = "\n".join(lines).strip()
    return "\n\n".join(" ".join(p.split("\n")) for p in re.split(r"\n\n+", text) if p)


@functools.lru_cache(maxsize=1)
def _load_named() -> dict[str, NamedQuery]:
    return {
        p.stem: parse_query_text(p.read_text(encoding="utf-8"), p.stem, p)
        for p in sorted(QUERIES_DIR.glob("*.rq"))
    }


def named_queries() -> dict[str, NamedQuery]:
    """The shipped named queries, by name.

    >>> "by-country" in named_queries()
    True
    """
    return dict(_load_named())


def get_query(name: str) -> NamedQuery:
    """The named query *name*; :class:`QueryError` listing the names if there is none."""
    queries = _load_named()
    if name not in queries:
        raise QueryError(
            f"unknown query {name!r} (known: {', '.join(queries)}; see `csec-ld query --list`)"
        )
    return queries[name]


def load_query_file(path: str | Path) -> NamedQuery:
    """A query from a ``.rq`` file, documented like the shipped ones (or not at all)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the query: {exc}") from exc
    return parse_query_text(text, path.stem, path)


_QUERY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def load_queries_dir(directory: str | Path) -> dict[str, NamedQuery]:
    """The documented ``.rq`` files of a user's *directory*, checked, by name (the file's stem).

    Each file needs a ``# summary:`` line, valid headers and a valid, read-only
    query whose declared parameters appear in it as variables; a name must not be a
    shipped query's. Anything wrong raises :class:`UsageError` as ``file:line: message``.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise UsageError(f"--queries: {folder}: no such folder")
    paths = sorted(folder.glob("*.rq"))
    if not paths:
        raise UsageError(f"--queries: {folder}: no .rq files in this folder")
    builtin = _load_named()
    out: dict[str, NamedQuery] = {}
    for path in paths:
        name = path.stem
        if not _QUERY_NAME.fullmatch(name):
            raise UsageError(
                f"{path}:1: {name!r} cannot be a query name (use letters, digits, '-' and '_')"
            )
        if name in builtin:
            raise UsageError(f"{path}:1: {name!r} is the name of a shipped query; rename the file")
        try:
            text = path.read_text(encoding="utf-8")
            query = parse_query_text(text, name, path)
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}:1: cannot read the query: {exc}") from exc
        except QueryError as exc:
            raise UsageError(str(exc)) from exc
        _check_user_query(query, text, path)
        out[name] = query
    return out


def _check_user_query(query: NamedQuery, text: str, path: Path) -> None:
    header = len(_header_lines(text))
    if not query.summary:
        raise UsageError(
            f"{path}:1: no '# summary: ...' line: document the query in its header comment"
        )
    try:
        check_query(text)
    except QueryError as exc:
        message = str(exc)
        found = re.search(r"at line (\d+), column \d+", message)
        raise UsageError(f"{path}:{found.group(1) if found else header + 1}: {message}") from exc
    for p in query.parameters:
        line = next(
            (
                i
                for i, h in enumerate(_header_lines(text), 1)
                if re.match(rf"param\s+{re.escape(p.name)}\s*:", h)
            ),
            1,
        )
        if not _VARNAME.match(p.name):
            raise UsageError(f"{path}:{line}: {p.name!r} cannot be a SPARQL variable name")
        if not re.search(rf"[?$]{re.escape(p.name)}\b", "\n".join(text.splitlines()[header:])):
            raise UsageError(
                f"{path}:{line}: parameter {p.name!r} is not used in the query (no ?{p.name})"
            )
    if query.parameters and _insertion_point(text) is None:
        raise UsageError(
            f"{path}:{header + 1}: a query with parameters needs a WHERE {{ ... }} "
            "group to bind them in"
        )


def queries_with(directory: str | Path | None = None) -> dict[str, NamedQuery]:
    """The shipped named queries, and those of the user's *directory* if given (checked)."""
    queries = named_queries()
    if directory is not None:
        queries.update(load_queries_dir(directory))
    return queries


# --------------------------------------------------------------------------- terms


def _short(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _reject(param: Parameter, value: str, expected: str) -> ParameterError:
    return ParameterError(f"parameter {param.name!r}: {_short(value)} is not {expected}")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_BAD_IRI_CHARS = re.compile(r'[\s<>"{}|^`\\\x00-\x1f]')


def _iri(value: str) -> str | None:
    """*value* as an absolute IRI (``<…>``, ``prefix:local`` or plain), or ``None``."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    prefix, colon, local = value.partition(":")
    if colon and prefix in DISPLAY_PREFIXES and not local.startswith("//"):
        value = DISPLAY_PREFIXES[prefix] + local
    if not _SCHEME.match(value) or _BAD_IRI_CHARS.search(value):
        return None
    try:
        return NamedNode(value).value
    except ValueError:
        return None


def _convert(param: Parameter, value: str, vocabulary: Vocabulary | None = None) -> Term:
    kind = param.type
    if kind == "string":
        if _CONTROL.search(value):
            raise _reject(param, value, "a text (control characters are not allowed)")
        if len(value) > MAX_STRING_LENGTH:
            raise ParameterError(
                f"parameter {param.name!r}: the text is {len(value)} "
                f"characters long (at most {MAX_STRING_LENGTH})"
            )
        if not value.strip():
            raise ParameterError(f"parameter {param.name!r}: the text is empty")
        return RdfLiteral(value)
    if _CONTROL.search(value) or len(value) > 2000:
        raise _reject(param, value, _EXPECTED[kind])
    text = value.strip()
    if kind == "iri":
        iri = _iri(text)
        if iri is None:
            raise _reject(param, value, _EXPECTED[kind])
        return NamedNode(iri)
    if kind == "integer":
        if not re.fullmatch(r"[+-]?[0-9]{1,18}", text):
            raise _reject(param, value, _EXPECTED[kind])
        return RdfLiteral(str(int(text)), datatype=_XSD_INTEGER)
    if kind == "year":
        if not re.fullmatch(r"[0-9]{4}", text) or text == "0000":
            raise _reject(param, value, _EXPECTED[kind])
        return RdfLiteral(str(int(text)), datatype=_XSD_INTEGER)
    if kind == "date":
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
                raise ValueError(text)
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise _reject(param, value, _EXPECTED[kind]) from None
        return RdfLiteral(day.isoformat(), datatype=_XSD_DATE)
    if kind == "country":
        return NamedNode(_country_iri(param, text))
    if kind == "language":
        return NamedNode(_language_iri(param, text))
    if kind == "concept":
        return NamedNode(_concept_iri(param, text, vocabulary))
    raise AssertionError(kind)


_EXPECTED = {
    "iri": "an absolute IRI (https://..., or prefix:local with a known prefix such as "
    "resource:, topic:, type:, country:)",
    "integer": "an integer",
    "year": "a year (YYYY)",
    "date": "a date (YYYY-MM-DD)",
    "country": "an ISO 3166-1 country code (PH or PHL), a country name or a country IRI",
    "language": "an ISO 639 language code (en, fre, spa...), a language name or a language IRI",
    "concept": "a concept of our vocabularies (id, label or IRI)",
}


def _country_iri(param: Parameter, text: str) -> str:
    from .vocab import find_country  # the one resolver; records read countries so too

    if text.startswith(COUNTRY_BASE) or text.startswith("country:"):
        text = text.rsplit("/", 1)[-1].removeprefix("country:")
    try:
        return find_country(text).iri
    except KeyError:
        raise _reject(param, text, _EXPECTED["country"]) from None


def _language_iri(param: Parameter, text: str) -> str:
    from .vocab import find_language  # the one resolver; records read languages so too

    if text.startswith(LANGUAGE_BASE) or text.startswith("lang:"):
        text = text.rsplit("/", 1)[-1].removeprefix("lang:")
    try:
        return find_language(text).iri
    except KeyError:
        raise _reject(param, text, _EXPECTED["language"]) from None


def _concept_iri(param: Parameter, text: str, vocabulary: Vocabulary | None) -> str:
    from .vocab import load_vocabulary

    vocab = vocabulary or load_vocabulary()
    schemes = {"type": vocab.types, "topic": vocab.topics}
    wanted = [param.scheme] if param.scheme else ["topic", "type"]
    for key in wanted:
        scheme = schemes[key]
        candidate = text
        iri = _iri(text) if ":" in text else None
        if iri is not None:
            if not iri.startswith(scheme.iri + "/"):
                continue
            candidate = iri[len(scheme.iri) + 1 :]
        try:
            return scheme.resolve(candidate).iri
        except KeyError:
            continue
    known = sorted(c.id for key in wanted for c in schemes[key])
    what = {"type": "a resource type", "topic": "a topic"}.get(
        param.scheme or "", "a topic or resource type"
    )
    raise ParameterError(
        f"parameter {param.name!r}: {_short(text)} is not {what} of our vocabularies "
        f"(id, label or IRI; known ids: {', '.join(known)})"
    )


def to_term(param: Parameter, value: Any, vocabulary: Vocabulary | None = None) -> Term:
    """*value* checked against *param*'s type, as an RDF term; :class:`ParameterError` if not.

    A concept is looked up in *vocabulary* (the data's: the catalogue's own concepts
    included, see :meth:`~csec_ld.store.Engine.vocabulary`), else in the shipped one.

    >>> to_term(Parameter("country", "country"), "PH")
    <NamedNode value=http://publications.europa.eu/resource/authority/country/PHL>
    """
    if isinstance(value, NamedNode | RdfLiteral) and param.type in ("iri", "string"):
        value = value.value
    if isinstance(value, bool) or not isinstance(value, str | int | dt.date):
        raise ParameterError(
            f"parameter {param.name!r}: expected a text, not {type(value).__name__}"
        )
    if isinstance(value, dt.datetime):
        value = value.date()
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return _convert(param, text, vocabulary)


def sparql_term(term: Term) -> str:
    """*term* in SPARQL syntax, escaped so that no value can end the term early.

    IRIs were checked by pyoxigraph and :func:`to_term`; literals are written with
    every quote, backslash and control character escaped, and a ``u`` after a
    backslash written as ``\\u0075`` so that endpoints which decode ``\\uXXXX``
    before parsing (as the SPARQL grammar allows) still read the same text.

    >>> sparql_term(RdfLiteral('PHL" } #'))
    '"PHL\\\\" } #"'
    """
    if isinstance(term, NamedNode):
        return str(term)
    if not isinstance(term, RdfLiteral):
        raise ParameterError(f"cannot bind {type(term).__name__} values")
    out = ['"']
    previous = ""
    for ch in term.value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif (ch in "uU" and previous == "\\") or ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
        previous = ch
    out.append('"')
    if term.language:
        if not re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", term.language):
            raise ParameterError(f"invalid language tag {term.language!r}")
        out.append("@" + term.language)
    elif term.datatype.value != _XSD_STRING:
        out.append("^^" + str(term.datatype))
    return "".join(out)


# --------------------------------------------------------------------------- binding

_SCAN = re.compile(
    r"#[^\n]*"  # comment
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'  # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'  # strings
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\s]*>'  # IRIs
    r"|(?P<where>\bWHERE\s*\{)",
    re.I | re.S,
)


def _insertion_point(text: str) -> int | None:
    """Just after the ``{`` of the outer ``WHERE`` (outside comments, strings and IRIs)."""
    for match in _SCAN.finditer(text):
        if match.group("where"):
            return match.end()
    return None


def _values(params: Mapping[str, Sequence[Term]], query: NamedQuery) -> str:
    blocks = []
    for p in query.parameters:
        terms = params.get(p.name) or ()
        body = " ".join(sparql_term(t) for t in terms) if terms else "UNDEF"
        blocks.append(f"VALUES ?{p.name} {{ {body} }}")
    return " " + " ".join(blocks) + " "


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return [value]


def bind(query: NamedQuery, values: Mapping[str, Any], vocabulary: Vocabulary | None = None) -> str:
    """The text of *query* with *values* (name → value or list of values) bound as terms
    (concepts looked up in *vocabulary*, see :func:`to_term`).

    Unknown names, missing required parameters, several values for a single-valued
    parameter and values that do not fit their type raise :class:`ParameterError`.

    >>> q = parse_query_text("# param n: integer, required\\nSELECT ?n WHERE {}", "n")
    >>> bind(q, {"n": "7"}).splitlines()[1]
    'SELECT ?n WHERE { VALUES ?n { "7"^^<http://www.w3.org/2001/XMLSchema#integer> } }'
    """
    for name in values:
        query.parameter(name)  # raises on unknown names, listing the allowed ones
    bound: dict[str, list[Term]] = {}
    for p in query.parameters:
        if not _VARNAME.match(p.name):
            raise QueryError(f"{query.name}: {p.name!r} cannot be a SPARQL variable name")
        raw = values.get(p.name)
        given = [v for v in _as_list(raw) if v is not None and v != ""] if raw is not None else []
        if not given and p.default:
            given = list(p.default)
        if not given:
            if p.required:
                raise ParameterError(
                    f"{query.name}: missing required parameter {p.name!r} "
                    f"(give it with -p {p.name}=VALUE; {query._allowed()})"
                )
            continue
        if len(given) > 1 and not p.multi:
            raise ParameterError(
                f"{query.name}: parameter {p.name!r} takes one value, got {len(given)}"
            )
        bound[p.name] = list(dict.fromkeys(to_term(p, v, vocabulary) for v in given))
    if not query.parameters:
        return query.text
    at = _insertion_point(query.text)
    if at is None:
        raise QueryError(
            f"{query.name}: a query with parameters needs a WHERE {{ ... }} group to bind them in"
        )
    return query.text[:at] + _values(bound, query) + query.text[at:]


# --------------------------------------------------------------------------- running


def _engine_for(source: Any, timeout: float | None) -> tuple[Engine, bool]:
    """An engine for *source*, and whether we opened it (and must close it)."""
    if isinstance(source, Engine):
        return source, False
    kwargs: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    if source is None:
        return open_engine(**kwargs), True
    if isinstance(source, str) and re.match(r"^https?://", source):
        return open_engine(endpoint=source, **kwargs), True
    if isinstance(source, str | Path):
        return open_engine(data=[source]), True
    return open_engine(data=list(source)), True


def run_query(
    query: str | NamedQuery,
    params: Mapping[str, Any] | None = None,
    *,
    source: Engine | str | Path | Sequence[str | Path] | None = None,
    timeout: float | None = None,
    **kwargs: Any,
) -> Result:
    """Run a named query (or a :class:`NamedQuery`, or SPARQL text) and return its result.

    *query* is a shipped query's name, a ``.rq`` path, or SPARQL text (which takes
    no parameters). Parameters come from *params* and/or keyword arguments; a
    multi-valued parameter takes a list. *source* is an :class:`~csec_ld.store.Engine`,
    an endpoint URL, or record/RDF paths (default ``data/``).

    >>> run_query("count-by-country", min=2).rows[0]["resources"].value
    '2'
    """
    values = {**(params or {}), **kwargs}
    named = resolve_query(query)
    sparql = None if named.takes_concepts else named.bind(values)  # bad values fail first
    engine, opened = _engine_for(source, timeout)
    try:
        if sparql is None:  # concepts are the data's: a catalogue may have its own
            sparql = named.bind(values, engine.vocabulary())
        return engine.query(sparql)
    finally:
        if opened:
            engine.close()


def resolve_query(query: str | NamedQuery) -> NamedQuery:
    """A :class:`NamedQuery` for a name, a ``.rq`` path or SPARQL text."""
    if isinstance(query, NamedQuery):
        return query
    if re.fullmatch(r"[A-Za-z0-9_-]+", query):
        return get_query(query)
    if query.endswith(".rq") and "\n" not in query:
        return load_query_file(query)
    check_query(query)
    return parse_query_text(query, "query")


# --------------------------------------------------------------------------- labels


#: ``prefix:local`` for an IRI in :data:`DISPLAY_PREFIXES`, else the IRI itself
#: (:func:`~csec_ld.namespaces.compactor`: the writers' rule).
compact = compactor(DISPLAY_PREFIXES)


_LABEL_QUERY = f"""SELECT ?iri ?label WHERE {{
  VALUES ?iri {{ %s }}
  ?iri <{SKOS}prefLabel>|<{RDFS}label> ?label .
  FILTER(LANG(?label) = "" || LANGMATCHES(LANG(?label), "en"))
}}"""


def label_queries(iris: Iterable[str], chunk: int = 200) -> list[str]:
    """The SELECT queries (``?iri ?label``) that read the labels of *iris*, *chunk* at a time.

    Resources are left out (their title is a column of its own). A server runs them
    through its query pool; :func:`labels` runs them on an engine.
    """
    wanted = sorted({i for i in iris if not i.startswith(DISPLAY_PREFIXES["resource"])})
    return [
        _LABEL_QUERY % " ".join(sparql_term(NamedNode(i)) for i in wanted[at : at + chunk])
        for at in range(0, len(wanted), chunk)
    ]


def labels(engine: Engine, iris: Iterable[str]) -> dict[str, str]:
    """English (or untagged) labels of *iris* from the engine's store.

    Resources are not labelled (their title is a column of its own).
    """
    found: dict[str, str] = {}
    for text in label_queries(iris):
        for row in engine.query(text):
            iri, label = row.get("iri"), row.get("label")  # an endpoint may answer anything
            if isinstance(iri, NamedNode) and isinstance(label, RdfLiteral):
                key = iri.value
                found[key] = min(found.get(key, label.value), label.value)
    return found


# --------------------------------------------------------------------------- formats


def _display(term: Term | None, names: Mapping[str, str]) -> str:
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        return names.get(term.value) or compact(term.value)
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, RdfLiteral):
        return " ".join(term.value.split())
    return str(term)


def _width(text: str) -> int:
    return sum(
        2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1
        for c in text
    )


def _clip(text: str, width: int) -> str:
    if _width(text) <= width:
        return text + " " * (width - _width(text))
    out, used = [], 0
    for ch in text:
        w = _width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…" + " " * (width - used - 1)


def _fit(widths: list[int], total: int) -> list[int]:
    """Shrink the widest columns until the row (with separators) fits *total*."""
    widths = list(widths)
    budget = total - 3 * (len(widths) - 1)
    while sum(widths) > budget:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= 6:
            break
        widths[widest] -= 1
    return widths


def _table(result: Result, names: Mapping[str, str], width: int | None) -> str:
    if result.kind == "ask":
        return ("yes" if result.boolean else "no") + "\n"
    header = result.variables
    cells = [[_display(row.get(v), names) for v in header] for row in result.rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(header)]
    if width is not None:  # no width: the whole of every cell (a pipe, a file)
        widths = _fit(widths, width)
    lines = [
        " │ ".join(_clip(h, w) for h, w in zip(header, widths, strict=True)).rstrip(),
        "─┼─".join("─" * w for w in widths),
    ]
    lines += [
        " │ ".join(_clip(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
    ]
    n = len(result.rows)
    lines.append(f"({n} row{'s' if n != 1 else ''})")
    return "\n".join(lines) + "\n"


def _markdown(result: Result, names: Mapping[str, str]) -> str:
    if result.kind == "ask":
        return ("yes" if result.boolean else "no") + "\n"

    def cell(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|") or " "

    lines = [
        "| " + " | ".join(result.variables) + " |",
        "|" + "|".join("---" for _ in result.variables) + "|",
    ]
    for row in result.rows:
        lines.append(
            "| " + " | ".join(cell(_display(row.get(v), names)) for v in result.variables) + " |"
        )
    return "\n".join(lines) + "\n"


def with_labels(result: Result, names: Mapping[str, str]) -> Result:
    """*result* with a ``{var}Label`` column after each column whose IRIs have labels
    in *names* (as the table shows them beside the IRIs); other results as they are.

    >>> from pyoxigraph import NamedNode as N
    >>> r = Result("select", ["c"], [{"c": N("http://x/PH")}, {"c": None}])
    >>> labelled = with_labels(r, {"http://x/PH": "Philippines"})
    >>> labelled.variables, labelled.rows[0]["cLabel"].value, labelled.rows[1]["cLabel"]
    (['c', 'cLabel'], 'Philippines', None)
    """
    if result.kind != "select":
        return result
    taken = set(result.variables)
    variables: list[str] = []
    added: dict[str, str] = {}
    for v in result.variables:
        variables.append(v)
        label = f"{v}Label"
        if label not in taken and any(
            isinstance(t := row.get(v), NamedNode) and t.value in names for row in result.rows
        ):
            variables.append(label)
            added[v] = label
    if not added:
        return result
    rows = []
    for row in result.rows:
        out = dict(row)
        for v, label in added.items():
            t = row.get(v)
            name = names.get(t.value) if isinstance(t, NamedNode) else None
            out[label] = RdfLiteral(name) if name is not None else None
        rows.append(out)
    return Result("select", variables, rows)


def _csv(result: Result) -> str:
    """SPARQL 1.1 Query Results CSV: lexical forms only, CRLF, RFC 4180 quoting."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if result.kind == "ask":
        writer.writerow(["boolean"])
        writer.writerow(["true" if result.boolean else "false"])
        return out.getvalue()
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_csv_value(row.get(v)) for v in result.variables])
    return out.getvalue()


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    return term.value if isinstance(term, NamedNode | RdfLiteral) else str(term)


def _tsv(result: Result) -> str:
    """SPARQL 1.1 Query Results TSV: terms in SPARQL/N-Triples syntax, ``?var`` header."""
    if result.kind == "ask":
        return "?boolean\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join("?" + v for v in result.variables)]
    for row in result.rows:
        lines.append("\t".join(_tsv_value(row.get(v)) for v in result.variables))
    return "\n".join(lines) + "\n"


def _tsv_value(term: Term | None) -> str:
    if term is None:
        return ""
    return str(term)  # N-Triples form: tabs and newlines in literals are escaped


def json_term(term: Term) -> dict[str, Any]:
    """A term as SPARQL 1.1 Query Results JSON (and SPARQL-star's ``triple``) writes it."""
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, RdfLiteral):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, Triple):
        return {
            "type": "triple",
            "value": {
                "subject": json_term(term.subject),
                "predicate": json_term(term.predicate),
                "object": json_term(term.object),
            },
        }
    raise QueryError(f"cannot write {type(term).__name__} values as SPARQL JSON")


def _json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON."""
    if result.kind == "ask":
        doc: dict[str, Any] = {"head": {}, "boolean": bool(result.boolean)}
    else:
        doc = {
            "head": {"vars": result.variables},
            "results": {
                "bindings": [
                    {k: json_term(v) for k, v in row.items() if v is not None}
                    for row in result.rows
                ]
            },
        }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _graph(result: Result, fmt: str) -> str:

    by_subject: dict[str, list[Triple]] = {}
    for t in sorted(
        set(result.triples),
        key=lambda t: (
            str(t.subject),
            t.predicate.value != PREFIXES["rdf"] + "type",
            str(t.predicate),
            str(t.object),
        ),
    ):
        by_subject.setdefault(str(t.subject), []).append(t)
    out = io.BytesIO()
    FORMATS[fmt](out).write_all(by_subject[k] for k in sorted(by_subject))
    return out.getvalue().decode("utf-8")


def format_result(
    result: Result,
    fmt: str | None = None,
    *,
    engine: Engine | None = None,
    width: int | None = None,
) -> str:
    """*result* as text: ``table`` (labels, fits *width*), ``csv``, ``tsv``, ``json``, ``md``
    for SELECT and ASK; ``ttl``, ``nt``, ``jsonld`` for CONSTRUCT and DESCRIBE.

    ``table`` and ``md`` show labels of the IRIs, read through *engine*; ``csv``,
    ``tsv`` and ``json`` add them as ``{var}Label`` columns (:func:`with_labels`). The
    table fits *width* columns, cutting the widest cells; ``None`` cuts nothing.
    """
    fmt = fmt or ("ttl" if result.kind == "graph" else "table")
    if result.kind == "graph":
        if fmt not in GRAPH_FORMATS:
            raise UsageError(
                f"a CONSTRUCT or DESCRIBE result is a graph: use -f "
                f"{'|'.join(GRAPH_FORMATS)}, not {fmt!r}"
            )
        return _graph(result, fmt)
    if fmt not in TABLE_FORMATS:
        raise UsageError(
            f"a SELECT or ASK result is a table: use -f {'|'.join(TABLE_FORMATS)}, not {fmt!r}"
        )
    iris = [t.value for row in result.rows for t in row.values() if isinstance(t, NamedNode)]
    names = labels(engine, iris) if engine is not None and iris else {}
    if fmt in ("table", "md"):
        return _table(result, names, width) if fmt == "table" else _markdown(result, names)
    return {"csv": _csv, "tsv": _tsv, "json": _json}[fmt](with_labels(result, names))


def query_and_format(
    query: str | NamedQuery,
    params: Mapping[str, Any],
    engine: Engine,
    fmt: str | None = None,
    width: int | None = None,
    on_empty: Callable[[], None] | None = None,
) -> str:
    """Bind, run on *engine* and format: what ``csec-ld query`` prints (*on_empty* is
    called when a SELECT or CONSTRUCT finds nothing)."""
    named = resolve_query(query)
    sparql = named.bind(params, engine.vocabulary() if named.takes_concepts else None)
    form = check_query(sparql)
    if fmt is not None:
        allowed = GRAPH_FORMATS if form == "graph" else TABLE_FORMATS
        if fmt not in allowed:
            kind = "CONSTRUCT/DESCRIBE" if form == "graph" else "SELECT/ASK"
            raise UsageError(
                f"-f {fmt} does not fit a {kind} query (use one of {', '.join(allowed)})"
            )
    result = engine.query(sparql)
    if not len(result) and on_empty is not None:
        on_empty()
    return format_result(result, fmt, engine=engine, width=width)


def example_parameters(
    example: str, name: str, format_param: str = "format"
) -> list[tuple[str, str]] | None:
    """The parameters of a ``csec-ld query NAME -p k=v ... [-f FMT]`` example (``-f`` as
    *format_param*), or None if the example is not written so.

    >>> example_parameters("csec-ld query by-country -p country=PHL", "by-country")
    [('country', 'PHL')]
    """
    try:
        words = shlex.split(example)
    except ValueError:
        return None
    if words[:3] != ["csec-ld", "query", name]:
        return None
    pairs: list[tuple[str, str]] = []
    it = iter(words[3:])
    for word in it:
        value = next(it, None)
        if value is None:
            return None
        if word in ("-p", "--param"):
            key, eq, val = value.partition("=")
            if not eq:
                return None
            pairs.append((key, val))
        elif word in ("-f", "--format"):
            pairs.append((format_param, value))
        else:
            return None
    return pairs
