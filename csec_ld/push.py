"""``push``: put the catalogue into an existing triple store, atomically.

The SPARQL 1.1 Graph Store HTTP Protocol carries the data; readers must never
see a half-loaded catalogue, so the upload goes to a fresh *staging* graph in
chunks (each retried on transient errors), and one SPARQL 1.1 Update
``MOVE`` then replaces the target graph with it — a single operation, which
the store applies as a whole. If anything fails before the move, the staging
graph is dropped (best effort) and the published graph is untouched.

Stores and their endpoints (``--endpoint`` is the Graph Store, ``--update-endpoint``
the SPARQL Update service):

=============  ================================  ==============================
Oxigraph       ``http://host:7878/store``        ``http://host:7878/update``
Fuseki         ``http://host:3030/ds/data``      ``http://host:3030/ds/update``
GraphDB        ``…/repositories/R/rdf-graphs/service``  ``…/repositories/R/statements``
Virtuoso       ``http://host:8890/sparql-graph-crud-auth``  ``http://host:8890/sparql-auth``
QLever         ``http://host:7001/`` (Graph Store)   ``http://host:7001/`` (update)
=============  ================================  ==============================

The update endpoint is derived for Oxigraph and Fuseki; give it for the others.
QLever has no ``MOVE``: use ``--swap insert`` there (``DROP``, ``INSERT ... WHERE``
and ``DROP`` in one update request). ``--swap put`` sends everything in one
Graph Store ``PUT`` (atomic, no update endpoint, but one large request).
"""

from __future__ import annotations

import contextlib
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph
from pyoxigraph import NamedNode, RdfFormat

from .build import build
from .errors import StoreError, UsageError
from .store import (
    DEFAULT_TIMEOUT,
    _client,
    _credentials,
    _html_summary,
    _http_error,
    _looks_like_html,
    _ontology_triples,
)

__all__ = ["SWAPS", "PushResult", "push", "update_endpoint_for"]

#: Answers worth trying again: the store is busy or restarting.
_TRANSIENT = frozenset({408, 429, 502, 503, 504})
NT = "application/n-triples"


@dataclass(frozen=True)
class PushResult:
    endpoint: str
    graph: str | None
    records: int
    triples: int
    chunks: int


def update_endpoint_for(endpoint: str) -> str:
    """The SPARQL Update URL beside a Graph Store URL (Oxigraph and Fuseki layouts)."""
    head, _, last = endpoint.rstrip("/").rpartition("/")
    if last in ("store", "data"):
        return f"{head}/update"
    raise UsageError(
        f"--update-endpoint: cannot derive the SPARQL Update URL from {endpoint!r}; give it"
    )


def _chunks(path: Path, lines_per_chunk: int) -> Iterator[bytes]:
    """N-Triples is one triple per line, so any run of whole lines is valid N-Triples."""
    batch: list[bytes] = []
    with path.open("rb") as handle:
        for line in handle:
            batch.append(line)
            if len(batch) >= lines_per_chunk:
                yield b"".join(batch)
                batch = []
    if batch:
        yield b"".join(batch)


def _ontology_ntriples() -> bytes:
    return pyoxigraph.serialize(_ontology_triples(), format=RdfFormat.N_TRIPLES) or b""


def _answer_error(url: str, response: httpx.Response) -> StoreError:
    if response.status_code in (401, 403):
        return StoreError(
            f"{url}: HTTP {response.status_code}: the store wants credentials "
            "(set CSEC_LD_ENDPOINT_TOKEN, or CSEC_LD_ENDPOINT_USER and CSEC_LD_ENDPOINT_PASSWORD)"
        )
    detail = (
        f" with an HTML page{_html_summary(response)}"
        if _looks_like_html(response)
        else ": " + " ".join(response.text.split())[:300]
    )
    return StoreError(f"{url}: the store answered HTTP {response.status_code}{detail}")


def _send(
    client: httpx.Client, method: str, url: str, *, retries: int, timeout: float, **kwargs: object
) -> httpx.Response:
    delay = 0.5
    for attempt in range(retries + 1):
        try:
            response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except (
            httpx.ConnectError,
            httpx.ReadError,
            httpx.WriteError,
            httpx.RemoteProtocolError,
            httpx.TimeoutException,
        ) as exc:
            if attempt == retries:
                raise _http_error(url, exc, timeout) from exc
        else:
            if response.status_code not in _TRANSIENT or attempt == retries:
                if response.status_code >= 400:
                    raise _answer_error(url, response)
                return response
        time.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")


#: How the uploaded catalogue replaces the target graph.
SWAPS = ("move", "insert", "put")


def _swap_update(swap: str, staging: str, graph: str | None) -> str:
    """The one SPARQL Update request that replaces the target graph with the staging graph."""
    stage = str(NamedNode(staging))
    if swap == "move":
        return f"MOVE SILENT GRAPH {stage} TO {f'GRAPH {graph}' if graph else 'DEFAULT'}"
    # For stores without MOVE (QLever): drop, copy, drop the staging graph.
    drop = f"DROP SILENT GRAPH {graph}" if graph else "DROP SILENT DEFAULT"
    insert = f"GRAPH {graph} {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
    return (
        f"{drop} ;\nINSERT {{ {insert} }} WHERE {{ GRAPH {stage} {{ ?s ?p ?o }} }} ;\n"
        f"DROP SILENT GRAPH {stage}"
    )


def push(
    sources: Sequence[str | Path],
    endpoint: str,
    *,
    graph: str | None = None,
    update_endpoint: str | None = None,
    swap: str = "move",
    base: str | None = None,
    lines_per_chunk: int = 50_000,
    retries: int = 3,
    timeout: float = DEFAULT_TIMEOUT,
    validate: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> PushResult:
    """Replace *graph* (default: the default graph) at *endpoint* with the catalogue.

    The catalogue is built (and validated) first, so a catalogue with problems
    sends nothing; the ontology goes along so queries can walk the SKOS schemes.
    *swap* says how the target is replaced: ``move`` (upload to a staging graph
    in chunks, then one ``MOVE``), ``insert`` (the same, then one
    ``DROP``/``INSERT``/``DROP`` request, for stores without ``MOVE``) or ``put``
    (one Graph Store ``PUT`` of everything: no update endpoint, no chunks).
    """
    if swap not in SWAPS:
        raise UsageError(f"--swap: {swap!r} is not one of {', '.join(SWAPS)}")
    try:
        target = str(NamedNode(graph)) if graph else None
    except ValueError as exc:
        raise UsageError(f"--graph: {graph!r} is not an IRI ({exc})") from None
    update_url = None if swap == "put" else (update_endpoint or update_endpoint_for(endpoint))
    staging = f"urn:csec-ld:staging:{uuid.uuid4()}"
    with tempfile.TemporaryDirectory(prefix="csec-ld-push-") as tmp:
        built = build(sources, Path(tmp) / "dist", formats=["nt"], base=base, validate=validate)
        nt_file = built.files["nt"]
        auth = _credentials()
        sent = chunks = 0
        with _client(timeout, auth) as client:
            if swap == "put":
                data = nt_file.read_bytes() + _ontology_ntriples()
                params = {"graph": graph} if graph else {"default": ""}
                _send(
                    client,
                    "PUT",
                    endpoint,
                    params=params,
                    content=data,
                    headers={"Content-Type": NT},
                    retries=retries,
                    timeout=timeout,
                )
                n = data.count(b"\n")
                if on_progress:
                    on_progress(n)
                return PushResult(endpoint, graph, built.records, n, 1)
            assert update_url is not None
            try:
                for chunk in [*_chunks(nt_file, lines_per_chunk), _ontology_ntriples()]:
                    _send(
                        client,
                        "POST",
                        endpoint,
                        params={"graph": staging},
                        content=chunk,
                        headers={"Content-Type": NT},
                        retries=retries,
                        timeout=timeout,
                    )
                    chunks += 1
                    n = chunk.count(b"\n")
                    sent += n
                    if on_progress:
                        on_progress(n)
                _send(
                    client,
                    "POST",
                    update_url,
                    content=_swap_update(swap, staging, target).encode(),
                    headers={"Content-Type": "application/sparql-update"},
                    retries=retries,
                    timeout=timeout,
                )
            except StoreError:
                # Leave no staging graph behind; the published graph was never touched.
                with contextlib.suppress(httpx.HTTPError):
                    client.post(
                        update_url,
                        content=f"DROP SILENT GRAPH <{staging}>".encode(),
                        headers={"Content-Type": "application/sparql-update"},
                    )
                raise
    return PushResult(endpoint, graph, built.records, sent, chunks)
