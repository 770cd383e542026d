"""The terms of the compiled SHACL checks: SHACL's vocabulary, RDF term kinds and keys,
datatype checks that judge ill-typed literals as rdflib does, and the index of a chunk's
triples by subject and predicate that the checks read."""

from __future__ import annotations

from typing import Any

import pyoxigraph
import rdflib
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import RDFS as _RDFS
from rdflib.namespace import XSD as _XSD

SH = "http://www.w3.org/ns/shacl#"
XSD_STRING = str(_XSD.string)
LANG_STRING = str(_RDF.langString)
RDFS_LITERAL = str(_RDFS.Literal)
RDFS_DATATYPE = str(_RDFS.Datatype)
RDF_TYPE = str(_RDF.type)
SUBCLASS_OF = str(_RDFS.subClassOf)
CROSS_RECORD = rdflib.URIRef("https://w3id.org/csec-ld/shapes#crossRecord")

#: The SHACL Core / SPARQL constraint parameters the compiled checks leave to pySHACL
#: (a shape with one of them falls back; :data:`~csec_ld.shacl.components.COMPILED_PARAMS`
#: are the others).
NOT_COMPILED_PARAMS = {
    "class",
    "node",
    "property",
    "not",
    "and",
    "xone",
    "hasValue",
    "lessThan",
    "lessThanOrEquals",
    "disjoint",
    "languageIn",
    "minInclusive",
    "maxInclusive",
    "minExclusive",
    "maxExclusive",
    "closed",
    "qualifiedValueShape",
    "qualifiedMinCount",
    "qualifiedMaxCount",
    "expression",
    "rule",
}

NODE_KINDS = {
    SH + "IRI": "I",
    SH + "BlankNode": "B",
    SH + "Literal": "L",
    SH + "BlankNodeOrIRI": "BI",
    SH + "BlankNodeOrLiteral": "BL",
    SH + "IRIOrLiteral": "IL",
}


RANKS = {SH + "Violation": 3, SH + "Warning": 2, SH + "Info": 1}
UNSET = object()


def component_iri(name: str) -> str:
    return f"{SH}{name}ConstraintComponent"


# --------------------------------------------------------------------------- terms


def term_kind(term: Any) -> str:
    if isinstance(term, pyoxigraph.NamedNode):
        return "I"
    if isinstance(term, pyoxigraph.BlankNode):
        return "B"
    return "L"


_TYPED: dict[tuple[str, str], rdflib.Literal] = {}


def _typed(lex: str, datatype: str) -> rdflib.Literal:
    """The rdflib literal pySHACL sees for a typed literal (its lexical form normalised)."""
    key = (lex, datatype)
    lit = _TYPED.get(key)
    if lit is None:
        if len(_TYPED) > 100_000:
            _TYPED.clear()
        lit = _TYPED[key] = rdflib.Literal(lex, datatype=datatype)
    return lit


def _is_plain(lit: Any) -> bool:
    return bool(lit.language) or lit.datatype.value == XSD_STRING


def string_value(term: Any) -> str | None:
    """``str()`` of the value as pySHACL's string-based constraints take it (None: blank)."""
    if isinstance(term, pyoxigraph.NamedNode):
        return term.value
    if isinstance(term, pyoxigraph.BlankNode):
        return None
    if _is_plain(term):
        return term.value
    return str(_typed(term.value, term.datatype.value))


def term_key(term: Any) -> Any:
    """A key equal for terms rdflib holds equal (typed literals normalised as rdflib does)."""
    if isinstance(term, pyoxigraph.Literal) and not _is_plain(term):
        dt = term.datatype.value
        lex = str(_typed(term.value, dt))
        if lex != term.value:
            return pyoxigraph.Literal(lex, datatype=pyoxigraph.NamedNode(dt))
    return term


def from_rdflib(term: Any) -> Any:
    if isinstance(term, rdflib.URIRef):
        return pyoxigraph.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return pyoxigraph.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return pyoxigraph.Literal(str(term), language=term.language)
        dt = str(term.datatype) if term.datatype else XSD_STRING
        return pyoxigraph.Literal(str(term), datatype=pyoxigraph.NamedNode(dt))
    raise TypeError(f"unsupported term {term!r}")


_DT_OK: dict[tuple[str, str, str], bool] = {}


def _python_types() -> dict[str, Any]:
    import datetime
    from decimal import Decimal

    return {
        XSD_STRING: (str, bytes),
        LANG_STRING: (str, bytes),
        str(_XSD.integer): int,
        str(_XSD.float): float,
        str(_XSD.decimal): Decimal,
        str(_XSD.boolean): bool,
        str(_XSD.date): datetime.date,
        str(_XSD.time): datetime.time,
        str(_XSD.dateTime): datetime.datetime,
    }


#: The Python type pySHACL wants a literal's value to have, per datatype.
_PYTHON_TYPES = _python_types()


def _actual_datatype(lit: rdflib.Literal, rule: str) -> bool:
    """pySHACL's check that a literal's value has the Python type of its datatype."""
    wanted = _PYTHON_TYPES.get(rule)
    return True if wanted is None else isinstance(lit.value, wanted)


def datatype_ok(term: Any, rule: str) -> bool:
    """pySHACL's DatatypeConstraintComponent verdict for one value node."""
    if not isinstance(term, pyoxigraph.Literal):
        return False
    if term.language:  # rdflib: datatype None, a language
        return rule in (LANG_STRING, RDFS_LITERAL)
    dt = term.datatype.value
    if dt == XSD_STRING:  # rdflib: datatype None, no language
        return rule in (XSD_STRING, RDFS_LITERAL)
    key = (term.value, dt, rule)
    ok = _DT_OK.get(key)
    if ok is None:
        if dt == rule:
            lit = _typed(term.value, dt)
            ok = False if getattr(lit, "ill_typed", None) is True else _actual_datatype(lit, rule)
        else:
            ok = rule in (RDFS_LITERAL, RDFS_DATATYPE)
        if len(_DT_OK) > 100_000:
            _DT_OK.clear()
        _DT_OK[key] = ok
    return ok


# --------------------------------------------------------------------------- indexing

EMPTY: dict[str, dict[Any, None]] = {}
NO_VALUES: dict[Any, None] = {}


def node_key(term: Any) -> str:
    """A focus node as a string: the IRI, ``_:id`` for a blank node, N-Triples for a literal."""
    if isinstance(term, pyoxigraph.NamedNode):
        return term.value
    if isinstance(term, pyoxigraph.BlankNode):
        return "_:" + term.value
    return str(term)


def index_triples(
    triples: list[Any],
) -> tuple[dict[str, dict[str, dict[Any, None]]], dict[str, Any]]:
    """Objects by subject and predicate (ordered sets), and the subject nodes by key."""
    index: dict[str, dict[str, dict[Any, None]]] = {}
    nodes: dict[str, Any] = {}
    names: dict[Any, str] = {}
    last = None
    props: dict[str, dict[Any, None]] = {}
    for s, p, o in triples:
        if s != last:
            last = s
            skey = node_key(s)
            props = index.get(skey)  # type: ignore[assignment]
            if props is None:
                props = index[skey] = {}
                nodes[skey] = s
        name = names.get(p)
        if name is None:
            name = names[p] = p.value
        objects = props.get(name)
        if objects is None:
            props[name] = {o: None}
        else:
            objects[o] = None
    return index, nodes
