"""A SHACL result as plain strings: what both validation engines give.

pySHACL's reports and the compiled checks (:mod:`csec_ld.shacl`) both end as
:class:`RawResult` values, which cross process boundaries cheaply and compare equal
when the engines agree; :mod:`csec_ld.validation` turns them into located results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyoxigraph
import rdflib

from ..namespaces import XSD

__all__ = ["RawResult", "nt_text", "rdflib_term"]

_XSD_STRING = XSD + "string"


@dataclass(frozen=True, slots=True)
class RawResult:
    """One SHACL result as plain strings (it crosses process boundaries)."""

    focus: str
    path: str | None
    value: str | None
    term: str | None
    severity: str | None
    shape: str | None  # IRI, or None for an anonymous shape
    component: str | None
    message: str | None


def rdflib_term(term: Any) -> Any:
    """A pyoxigraph term as rdflib's (what pySHACL reports hold, and compare with)."""
    if isinstance(term, pyoxigraph.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return rdflib.Literal(term.value, datatype=None if datatype == _XSD_STRING else datatype)
    raise TypeError(f"unsupported RDF term {term!r}")


def nt_text(term: Any) -> str:
    """An rdflib term in N-Triples form."""
    return str(term.n3())
