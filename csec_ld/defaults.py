"""The defaults of the library's options, defined once.

The library's functions take their default arguments from here, and the command line
shows and passes the same values (``csec_ld.cli`` imports this module, not the heavier
ones that use the values). Defaults that belong to one engine stay with it and are
imported from there: the query workers' (:mod:`csec_ld.server.sandbox`), the remote
store's time limit (:mod:`csec_ld.store`), the dumps' formats
(:data:`csec_ld.serialize.DUMP_FORMATS`).
"""

from __future__ import annotations

from typing import Final

#: Where ``build`` writes the dumps, and ``publish`` the site.
BUILD_OUTPUT: Final = "dist"
SITE_OUTPUT: Final = "site"
#: The mapping profiles used when none are named (each writes one vocabulary).
PROFILES: Final[tuple[str, ...]] = ("dcterms", "schemaorg")

#: ``serve``: where it listens, and the limits on each SPARQL query.
SERVE_HOST: Final = "127.0.0.1"
SERVE_PORT: Final = 8000
SERVE_TIMEOUT: Final = 10.0  # seconds
ROW_LIMIT: Final = 10_000  # rows, or triples
MAX_QUERY_LENGTH: Final = 16_384  # bytes of query string or request body

#: ``push``: how the target graph is replaced, triples per request, and tries again.
PUSH_SWAPS: Final[tuple[str, ...]] = ("move", "insert", "put")
PUSH_SWAP: Final = "move"
PUSH_CHUNK_LINES: Final = 50_000
PUSH_RETRIES: Final = 3
