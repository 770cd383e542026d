"""The fast SHACL engine: the SHACL Core constraints our shapes use, compiled to Python and
SPARQL checks.

:func:`compile_shapes` reads a shapes graph (any shapes, not only ours) and turns
every shape it can into checks over a chunk's triples, grouped by subject and
predicate; SHACL-SPARQL constraints run with pyoxigraph on a small in-memory store
per chunk, with ``$this`` pre-bound for every focus node at once (``VALUES``).
The results are the ones pySHACL gives on the same graph — focus node, path,
component, severity, value and message — and a test holds them to it.

What is compiled: targets ``sh:targetClass`` (with ``rdfs:subClassOf`` in the
data), ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``; node shapes with
``sh:property`` property shapes whose path is one predicate; the components
``minCount``, ``maxCount``, ``nodeKind``, ``datatype`` (ill-typed literals judged
as rdflib judges them), ``pattern`` (+ ``flags``), ``in``, ``equals``,
``uniqueLang``, ``minLength``, ``maxLength``, ``or`` (of node shapes made of
those), and ``sh:sparql`` SELECT constraints. Anything else (other components,
complex paths, ``sh:targetNode``, shapes without ``sh:message``, whose default
messages are pySHACL's own) falls back to pySHACL for that shape
(:attr:`Compiled.fallback` says which and why).

Cross-record constraints (``csh:crossRecord true``) also run per chunk; besides,
each chunk gives *keys* — the values the constraint's query joins a record with
another on — and :class:`CrossIndex` finds the records whose keys collide across
chunks, then runs those constraints once more over the colliding records only.
That assumes what the annotation promises: the query is a join of records on
shared values (monotone: no ``NOT EXISTS`` between records), over the records'
own triples.

The subpackage, by part:

==============  ==========================================================
``terms``       SHACL's vocabulary, term kinds and keys, datatype checks, the
                index of a chunk's triples
``components``  the constraint components, shapes and targets; the generated
                per-target check function
``compiled``    :class:`Compiled` and :func:`compile_shapes`
``sparql``      SHACL-SPARQL constraints: compiled (pre-bound ``$this``, what
                each query reads) and run on a chunk's store
``cross``       :class:`CrossIndex`: cross-record constraints across chunks
``results``     :class:`RawResult`, what pySHACL and the compiled checks both give
==============  ==========================================================

The public names below are imported when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import exports

#: Each public name and the module that defines it.
_EXPORTS: dict[str, str] = {
    "Compiled": "compiled",
    "CrossEntry": "cross",
    "CrossIndex": "cross",
    "RawResult": "results",
    "StreamContext": "components",
    "StreamPlan": "components",
    "compile_shapes": "compiled",
}

#: The same names as the table (tests/test_lazy.py keeps the two equal).
__all__ = [
    "Compiled",
    "CrossEntry",
    "CrossIndex",
    "RawResult",
    "StreamContext",
    "StreamPlan",
    "compile_shapes",
]


__getattr__, __dir__ = exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # what type checkers and editors see
    from .compiled import Compiled, compile_shapes
    from .components import StreamContext, StreamPlan
    from .cross import CrossEntry, CrossIndex
    from .results import RawResult
