"""How deep a SPARQL query's brackets nest, measured on its text before any parser reads it.

pyoxigraph's SPARQL parser recurses per bracket and overflows its stack (a crash, not
an error) somewhere past 2,500 levels: :func:`csec_ld.store.check_query` and the
query workers (:mod:`csec_ld.server.sandbox`) refuse deeper queries first.
"""

from __future__ import annotations

import re

__all__ = ["MAX_NESTING", "nesting_depth"]

#: Brackets nested deeper than this are refused before parsing (the engine's parser
#: recurses per bracket and overflows its stack somewhere past 2,500).
MAX_NESTING = 256

_OPENERS = frozenset("({[")
# Strings, IRIs and comments: closing brackets inside them do not count. Opening
# brackets are counted wherever they are, so a quirk of this scan can only make it
# refuse a query, never let a deeper one through.
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|'
    r"'''(?:[^'\\]|\\.|'(?!''))*'''|"
    r'"(?:[^"\\\n\r]|\\.)*"|'
    r"'(?:[^'\\\n\r]|\\.)*'|"
    r'<[^<>"{}|^`\\\x00-\x20]*>|#[^\n\r]*',
    re.S,
)


def nesting_depth(sparql: str) -> int:
    """How deep brackets nest in *sparql* (an upper bound: strings' openers count too).

    >>> nesting_depth('SELECT * { FILTER((1)) }')
    3
    >>> nesting_depth('SELECT * { ?s ?p ")))" }')
    1
    """
    depth = deepest = 0
    pos = 0
    for match in _OPAQUE.finditer(sparql):
        depth, deepest = _scan(sparql[pos : match.start()], depth, deepest, closers=True)
        depth, deepest = _scan(match.group(), depth, deepest, closers=False)
        pos = match.end()
    depth, deepest = _scan(sparql[pos:], depth, deepest, closers=True)
    return deepest


def _scan(text: str, depth: int, deepest: int, *, closers: bool) -> tuple[int, int]:
    if not any(c in text for c in "({[)}]"):
        return depth, deepest
    for ch in text:
        if ch in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif closers and ch in ")}]" and depth > 0:
            depth -= 1
    return depth, deepest
