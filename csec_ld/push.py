"""``push``: put the catalogue into an existing triple store; the published graph is never lost.

Readers must never see a half-loaded catalogue, and no failure may leave the
published graph empty or partial. So a push goes like this:

1. The catalogue is built (and validated): a catalogue with problems sends nothing.
2. Staging graphs left by an interrupted push are removed (see *Staging graphs*).
3. The catalogue and the ontology go, in chunks, to a fresh staging graph (SPARQL 1.1
   Graph Store HTTP Protocol ``POST``).
4. The store counts the staging graph: it must hold every distinct triple sent
   (:attr:`PushResult.triples`), or push stops and the target is not touched.
5. One SPARQL 1.1 Update replaces the target graph with the staging graph: ``MOVE``,
   a single operation the store applies as a whole, or, with ``--swap insert`` for
   stores without ``MOVE`` (QLever), ``DROP`` + ``INSERT … WHERE`` + ``DROP`` in one request.
   ``--swap put`` instead sends everything in one Graph Store ``PUT`` (atomic, no staging
   graph, no update or query endpoint, but one large request).

**Retries and the swap.** Chunk uploads are retried on transient errors (connection
lost, timeout, 408, 429, 502-504). The swap never is, blindly: had the store applied
a ``MOVE`` whose answer a proxy lost, sending it again would move a graph that no
longer exists. When the swap's answer is lost (a 5xx, a dropped connection, a
timeout) push asks the store what happened, through its SPARQL query endpoint:

* the staging graph is gone and the target holds the number of triples pushed: the
  swap was applied, and push succeeds (with a warning that says how it knows);
* the staging graph still holds all its triples and the target what it held before
  (or already the new count): the store has not applied it. A ``MOVE`` is then sent
  once more (at most *retries* times, each after the same check). It is sent without
  ``SILENT``, so a store fails it when the staging graph is gone: even a first
  ``MOVE`` still on its way cannot make a second one empty the target. A
  ``DROP``/``INSERT`` swap is not sent twice (its ``DROP`` would empty the target if
  the first request were still running): push fails;
* anything else: push fails, with the counts.

Whenever push cannot prove the outcome it fails (exit code 1) naming the staging
graph, which it leaves in place (a swap still on its way needs it); a later push
removes it. A store that refuses the swap outright (HTTP 4xx, or a 5xx whose error
says it is final, :data:`_FINAL_ERRORS`: Virtuoso's transaction-size limit) applied
nothing: its staging graph is dropped, and the swap is not sent again.

**Staging graphs** are named :data:`STAGING_PREFIX` + ``{UTC time}:{uuid4}``, e.g.
``urn:csec-ld:staging:20240131T120501Z:6f1c…``. Before uploading, push lists the
graphs with that prefix. Those older than :data:`STALE_AFTER` (one hour) by their
name's time were left by an interrupted push (the store crashed, push was killed)
and are dropped (:attr:`PushResult.removed_staging`). Younger ones may belong to a
push running right now, perhaps someone else's: they are left, with a warning
(:attr:`PushResult.kept_staging`), as are names without a time (csec-ld before
staging names had one), whose age cannot be told. A push that spends more than an
hour uploading can have its staging graph removed by another push: its count check
(step 4) then fails and its target is not touched. ``--swap put`` uses no staging
graph and does not look for any.

**Counting.** ``SELECT (COUNT(*) AS ?n) { GRAPH <g> { ?s ?p ?o } }``; for the default
graph, without ``GRAPH``. That reads the query service's default graph: right for
Oxigraph (unless it runs with ``--union-default-graph``) and Fuseki as installed,
but where the default graph is the union of all graphs (GraphDB, Virtuoso) the
count is not the default graph's; push then cannot prove a lost swap's outcome and
fails rather than guess. Push to a named graph (``--graph``) there.

Stores and their endpoints: Graph Store (``--graph-store``), SPARQL Update
(``--update-endpoint``), SPARQL query (``--endpoint``, as ``query`` and ``serve`` name it):

* Oxigraph: ``http://host:7878/store``, ``…/update``, ``…/query``
* Fuseki: ``http://host:3030/ds/data``, ``…/ds/update``, ``…/ds/sparql``
* GraphDB: ``…/repositories/R/rdf-graphs/service``, ``…/repositories/R/statements``,
  ``…/repositories/R``
* Virtuoso: ``http://host:8890/sparql-graph-crud-auth``, ``…/sparql-auth``, ``…/sparql``
* QLever: ``http://host:7001/`` for all three

The update and query endpoints are derived for Oxigraph and Fuseki; give them for
the others.

**Credentials** come from ``CSEC_LD_ENDPOINT_TOKEN`` (bearer, sent with every
request) or ``CSEC_LD_ENDPOINT_USER`` and ``CSEC_LD_ENDPOINT_PASSWORD``, or from the
URLs themselves (``http://user:password@host/…``) when the environment gives none.
A user and password go as HTTP Basic or Digest authentication, whichever the
store's ``401`` challenge asks for (:class:`csec_ld.http.ChallengeAuth`; Virtuoso's
``/sparql-graph-crud-auth`` and ``/sparql-auth`` ask for Digest); another scheme is
an error that names it. Every message and :class:`PushResult` shows URLs with the
password masked (:func:`csec_ld.urls.redact`).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyoxigraph
from pyoxigraph import NamedNode, RdfFormat, Triple

from . import defaults
from .build import build
from .errors import StoreError, UsageError
from .http import ChallengeAuth
from .store import (
    DEFAULT_TIMEOUT,
    ENV_PASSWORD,
    ENV_TOKEN,
    ENV_USER,
    catalogue_ontology,
    endpoint_credentials,
    endpoint_error,
    html_summary,
    http_client,
    looks_like_html,
    ontology_triples,
)
from .urls import redact

__all__ = [
    "STAGING_PREFIX",
    "STALE_AFTER",
    "SWAPS",
    "PushResult",
    "push",
    "query_endpoint_for",
    "staging_graph_name",
    "update_endpoint_for",
]

#: Answers worth trying again: the store is busy or restarting.
_TRANSIENT = frozenset({408, 429, 502, 503, 504})
_TRANSPORT_ERRORS = (
    httpx.ConnectError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.TimeoutException,
)
NT = "application/n-triples"
SPARQL_UPDATE = "application/sparql-update"
SPARQL_JSON = "application/sparql-results+json"

#: Every staging graph's name starts so; the rest is ``{UTC time}:{uuid4}``.
STAGING_PREFIX = "urn:csec-ld:staging:"
#: A staging graph older than this was left by an interrupted push; a younger one may
#: belong to a push still running.
STALE_AFTER = timedelta(hours=1)
_STAMP = "%Y%m%dT%H%M%SZ"
_STAGING_TIME = re.compile(re.escape(STAGING_PREFIX) + r"(\d{8}T\d{6}Z):")

#: How the uploaded catalogue replaces the target graph.
SWAPS = defaults.PUSH_SWAPS


@dataclass(frozen=True)
class PushResult:
    """What :func:`push` did; ``endpoint`` is shown with its password masked.

    ``triples`` is the number of distinct triples the target holds now (the
    catalogue's, and the ontology's that the catalogue does not already hold);
    ``chunks`` the number of upload requests. ``removed_staging`` lists the staging
    graphs of interrupted pushes that were dropped, ``kept_staging`` those that were
    left because a push may still be using them; ``warnings`` says what the user
    should know (staging graphs left, a lost answer to the swap and how push found
    out that it was applied).
    """

    endpoint: str
    graph: str | None
    records: int
    triples: int
    chunks: int
    removed_staging: tuple[str, ...] = ()
    kept_staging: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


# --------------------------------------------------------------------------- endpoints


def _beside(endpoint: str, option: str, what: str, names: dict[str, str]) -> str:
    head, _, last = endpoint.rstrip("/").rpartition("/")
    if last in names:
        return f"{head}/{names[last]}"
    raise UsageError(f"{option}: cannot derive the {what} URL from {redact(endpoint)!r}; give it")


def update_endpoint_for(endpoint: str) -> str:
    """The SPARQL Update URL beside a Graph Store URL (Oxigraph and Fuseki layouts).

    >>> update_endpoint_for("http://127.0.0.1:7878/store")
    'http://127.0.0.1:7878/update'
    """
    return _beside(
        endpoint, "--update-endpoint", "SPARQL Update", {"store": "update", "data": "update"}
    )


def query_endpoint_for(endpoint: str) -> str:
    """The SPARQL query URL beside a Graph Store URL (Oxigraph and Fuseki layouts).

    >>> query_endpoint_for("http://127.0.0.1:3030/ds/data")
    'http://127.0.0.1:3030/ds/sparql'
    """
    return _beside(endpoint, "--endpoint", "SPARQL query", {"store": "query", "data": "sparql"})


def check_url(option: str, url: str) -> None:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UsageError(f"{option}: {redact(url)!r} is not a URL ({redact(str(exc))})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UsageError(f"{option}: {redact(url)!r} is not an http(s) URL")


# --------------------------------------------------------------------------- staging graphs


def staging_graph_name(now: datetime | None = None) -> str:
    """A fresh staging graph's name: the prefix, the UTC time and a random UUID.

    >>> staging_graph_name(datetime(2024, 1, 31, 12, 5, 1, tzinfo=UTC))[:37]
    'urn:csec-ld:staging:20240131T120501Z:'
    """
    now = now or datetime.now(UTC)
    return f"{STAGING_PREFIX}{now.astimezone(UTC):{_STAMP}}:{uuid.uuid4()}"


def _staging_age(name: str, now: datetime) -> timedelta | None:
    """How long ago the staging graph *name* was made; None if its name has no time."""
    match = _STAGING_TIME.match(name)
    if not match:
        return None
    try:
        made = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None
    return now - made


def _is_stale(name: str, now: datetime) -> bool:
    age = _staging_age(name, now)
    return age is not None and age > STALE_AFTER


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


# --------------------------------------------------------------------------- HTTP


def _auth() -> httpx.Auth | None:
    """A bearer token from the environment, else a user and password (the environment's
    or the URL's) sent as the store's challenge asks: Basic or Digest."""
    if os.environ.get(ENV_TOKEN):
        return endpoint_credentials()
    return ChallengeAuth(os.environ.get(ENV_USER), os.environ.get(ENV_PASSWORD, ""))


def _answer_error(url: str, response: httpx.Response) -> StoreError:
    if response.status_code in (401, 403) and "authorization" in response.request.headers:
        return StoreError(
            redact(
                f"{url}: HTTP {response.status_code}: the store refused the credentials "
                "(check CSEC_LD_ENDPOINT_USER and CSEC_LD_ENDPOINT_PASSWORD, the token, or "
                "those in the URL, and that the user may write)"
            )
        )
    if response.status_code in (401, 403):
        return StoreError(
            redact(
                f"{url}: HTTP {response.status_code}: the store wants credentials "
                "(set CSEC_LD_ENDPOINT_TOKEN, or CSEC_LD_ENDPOINT_USER and "
                "CSEC_LD_ENDPOINT_PASSWORD, or give them in the URL)"
            )
        )
    detail = (
        f" with an HTML page{html_summary(response)}"
        if looks_like_html(response)
        else ": " + " ".join(response.text.split())[:300]
    )
    # The answer's text too: an error page may quote the URL it was asked for.
    return StoreError(redact(f"{url}: the store answered HTTP {response.status_code}{detail}"))


def _request(
    client: httpx.Client, method: str, url: str, *, timeout: float, **kwargs: object
) -> httpx.Response:
    """One request; a :class:`StoreError` (URLs masked) if no answer came back."""
    try:
        return client.request(method, url, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        # An httpx message names no URL, but the store's helper adds ours.
        raise StoreError(redact(str(endpoint_error(url, exc, timeout)))) from exc
    except httpx.InvalidURL as exc:
        raise UsageError(f"{redact(url)!r} is not a URL ({redact(str(exc))})") from exc


def _send(
    client: httpx.Client, method: str, url: str, *, retries: int, timeout: float, **kwargs: object
) -> httpx.Response:
    """*method* on *url*, tried again (*retries* times) after a transient error.

    Only for requests that may be applied twice: queries, uploads to a staging graph,
    ``DROP SILENT`` of a staging graph, a ``PUT`` (never the swap, see :func:`_swap`).
    """
    delay = 0.5
    for attempt in range(retries + 1):
        try:
            response = _request(client, method, url, timeout=timeout, **kwargs)
        except StoreError as exc:
            transient = isinstance(exc.__cause__, _TRANSPORT_ERRORS)
            if not transient or attempt == retries:
                raise
        else:
            if response.status_code not in _TRANSIENT or attempt == retries:
                if response.status_code >= 400:
                    raise _answer_error(url, response)
                return response
        time.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")


@dataclass
class _Store:
    """The three endpoints of one store, behind one client."""

    client: httpx.Client
    graph_store: str
    update_url: str
    query_url: str
    retries: int
    timeout: float

    def post_chunk(self, staging: str, chunk: bytes) -> None:
        # A POST whose answer was lost may have been applied; sending it again adds the
        # same triples to the same graph, which changes nothing (an RDF graph is a set),
        # so chunks are retried freely. (Not so for blank nodes, which a second POST
        # would make afresh: the build writes none, and the count check would catch them.)
        _send(
            self.client,
            "POST",
            self.graph_store,
            params={"graph": staging},
            content=chunk,
            headers={"Content-Type": NT},
            retries=self.retries,
            timeout=self.timeout,
        )

    def update(self, sparql: str) -> None:
        """An idempotent update (``DROP SILENT``), retried like any other request."""
        _send(
            self.client,
            "POST",
            self.update_url,
            content=sparql.encode(),
            headers={"Content-Type": SPARQL_UPDATE},
            retries=self.retries,
            timeout=self.timeout,
        )

    def select(self, sparql: str) -> list[dict[str, str]]:
        """The rows of a SELECT query, each variable's value as text."""
        response = _send(
            self.client,
            "POST",
            self.query_url,
            data={"query": sparql},
            headers={"Accept": SPARQL_JSON},
            retries=self.retries,
            timeout=self.timeout,
        )
        try:
            bindings = response.json()["results"]["bindings"]
            return [{k: str(v["value"]) for k, v in row.items()} for row in bindings]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            what = (
                f"an HTML page{html_summary(response)}"
                if looks_like_html(response)
                else response.headers.get("content-type") or "no content type"
            )
            raise StoreError(
                redact(
                    f"{self.query_url}: the query endpoint answered {what}, not SPARQL "
                    "JSON results; is this the store's SPARQL query URL (--endpoint)?"
                )
            ) from exc

    def count(self, graph: str | None) -> int:
        """The number of triples in *graph* (an IRI in ``<>``; None: the default graph)."""
        where = f"GRAPH {graph} {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
        try:
            return int(rows[0]["n"])
        except (IndexError, KeyError, ValueError) as exc:
            raise StoreError(
                redact(f"{self.query_url}: the store did not count the triples: {rows!r:.200}")
            ) from exc

    def staging_graphs(self) -> list[str]:
        rows = self.select(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { } "
            f'FILTER(STRSTARTS(STR(?g), "{STAGING_PREFIX}")) }}'
        )
        return sorted({row["g"] for row in rows if "g" in row})

    def drop(self, graphs: Sequence[str]) -> None:
        if graphs:
            self.update(" ;\n".join(f"DROP SILENT GRAPH {NamedNode(g)}" for g in graphs))


# --------------------------------------------------------------------------- what is sent


class _Ontology:
    """The ontology's triples that the catalogue does not hold already.

    The build's N-Triples lines are distinct (one block per subject, each a set), but
    the catalogue describes the concepts it uses, and the ontology does too: those
    triples are sent once, so the lines sent are distinct triples and their number is
    what the store must hold. Only lines about an ontology subject are parsed.
    """

    def __init__(self, files: Sequence[Path] | None = None) -> None:
        self.triples: set[Triple] = set(ontology_triples(files))
        self.subjects = {
            str(t.subject).encode() for t in self.triples if isinstance(t.subject, NamedNode)
        }

    def see(self, line: bytes) -> None:
        if line[: line.find(b" ")] in self.subjects:
            for quad in pyoxigraph.parse(line, format=RdfFormat.N_TRIPLES):
                self.triples.discard(quad.triple)

    def ntriples(self) -> bytes:
        ordered = sorted(self.triples, key=str)
        return pyoxigraph.serialize(ordered, format=RdfFormat.N_TRIPLES) or b""


def _chunks(path: Path, lines_per_chunk: int, ontology: _Ontology) -> Iterator[tuple[bytes, int]]:
    """Runs of whole lines (valid N-Triples, one triple a line), then the ontology's rest."""
    batch: list[bytes] = []
    with path.open("rb") as handle:
        for line in handle:
            ontology.see(line)
            batch.append(line)
            if len(batch) >= lines_per_chunk:
                yield b"".join(batch), len(batch)
                batch = []
    if batch:
        yield b"".join(batch), len(batch)
    rest = ontology.ntriples()
    if rest:
        yield rest, len(ontology.triples)


# --------------------------------------------------------------------------- the swap


def _swap_update(swap: str, staging: str, graph: str | None) -> str:
    """The one SPARQL Update request that replaces the target graph with the staging graph.

    ``MOVE`` has no ``SILENT``: should the staging graph be gone, the store fails the
    request instead of emptying the target.
    """
    stage = str(NamedNode(staging))
    if swap == "move":
        return f"MOVE GRAPH {stage} TO {f'GRAPH {graph}' if graph else 'DEFAULT'}"
    # For stores without MOVE (QLever): drop, copy, drop the staging graph.
    drop = f"DROP SILENT GRAPH {graph}" if graph else "DROP SILENT DEFAULT"
    insert = f"GRAPH {graph} {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
    return (
        f"{drop} ;\nINSERT {{ {insert} }} WHERE {{ GRAPH {stage} {{ ?s ?p ?o }} }} ;\n"
        f"DROP SILENT GRAPH {stage}"
    )


#: Store errors that say the swap was refused for good, though the status is a 5xx
#: (sending it again would fail the same way, after as much work): marker → what to do.
_FINAL_ERRORS = {
    "SR325": (
        "Virtuoso runs the swap as one transaction, and this one outgrew its "
        "TransactionAfterImageLimit (virtuoso.ini, [Parameters]; 50 MB by default, which "
        "holds a few hundred thousand triples; at most 2147483647 in Virtuoso 7.2, enough "
        "for 26.6 million): raise it, restart Virtuoso and push again"
    ),
    "SR171": (
        "Virtuoso stopped the swap at its time limit (MaxQueryExecutionTime in "
        "virtuoso.ini's [SPARQL] section; 0 is none): raise it, restart Virtuoso and push again"
    ),
}


def _final_error(response: httpx.Response) -> str | None:
    """What to do about a store error that resending cannot mend, or None."""
    try:
        text = response.text[:4096]
    except (UnicodeDecodeError, httpx.ResponseNotRead):
        return None
    return next((hint for marker, hint in _FINAL_ERRORS.items() if marker in text), None)


class _Refused(StoreError):
    """The store refused the swap (HTTP 4xx): it applied nothing."""


class _Unresolved(StoreError):
    """The swap's answer was lost and its outcome not proven: its staging graph stays."""


def _swap(
    store: _Store, swap: str, staging: str, target: str | None, *, staged: int, before: int
) -> str | None:
    """Replace *target* with *staging*; a warning if the answer was lost but the swap proven.

    *staged* is the staging graph's count and *before* the target's, both just read.
    Raises :class:`_Refused` when the store refused the swap (the caller drops the
    staging graph) and :class:`_Unresolved` when the outcome cannot be proven.
    """
    update = _swap_update(swap, staging, target).encode()
    where = f"graph {target}" if target else "the default graph"
    first: StoreError | None = None
    sent = 0
    delay = 0.5
    while True:
        sent += 1
        try:
            response = _request(
                store.client,
                "POST",
                store.update_url,
                timeout=store.timeout,
                content=update,
                headers={"Content-Type": SPARQL_UPDATE},
            )
        except StoreError as exc:
            failure = exc
        else:
            if response.status_code < 400:
                if first is None:
                    return None
                return (
                    f"{first} (the answer to the swap); the store showed it had not applied "
                    "it (the staging graph still held all its triples), so it was sent "
                    "again, and applied"
                )
            status = response.status_code
            failure = _answer_error(store.update_url, response)
            hint = _final_error(response)
            if hint is not None:
                failure = StoreError(f"{failure} ({hint})")
            if sent == 1 and (hint is not None or (status < 500 and status not in _TRANSIENT)):
                raise _Refused(str(failure)) from failure.__cause__
        first = first or failure
        lost = f"{failure} (the answer to the swap)"
        try:
            left, now = store.count(str(NamedNode(staging))), store.count(target)
        except StoreError as exc:
            raise _Unresolved(
                f"{lost}; then the store could not say whether it was applied ({exc}): "
                f"check {where}; the staging graph <{staging}> is left in place"
            ) from exc
        if left == 0 and now == staged:
            return (
                f"{lost}; the store shows the swap was applied: the staging graph is gone "
                f"and {where} holds the {staged} triples pushed"
            )
        intact = left == staged and now in (before, staged)
        if intact and swap == "move" and sent <= store.retries:
            time.sleep(delay)
            delay *= 2
            continue
        if intact:
            why = (
                "a DROP/INSERT swap is not sent twice, as its DROP would empty the target "
                "were the first request still on its way"
                if swap == "insert"
                else f"the MOVE was sent {_plural(sent, 'time')}"
            )
            raise _Unresolved(
                f"{lost}; when asked, the store had not applied it: the staging graph "
                f"<{staging}> holds all {staged} triples and {where} holds {now} (it held "
                f"{before}); {why}; the staging graph is left in place (a request still on "
                "its way may need it): push again"
            )
        raise _Unresolved(
            f"{lost}; the store shows neither the swap applied nor the graphs as they were: "
            f"the staging graph <{staging}> holds {left} of the {staged} triples pushed and "
            f"{where} holds {now} (it held {before}); check {where}, and drop the staging graph "
            "once no push is running"
        )


@contextlib.contextmanager
def _redacted() -> Iterator[None]:
    """Every error leaves with the passwords of its URLs masked.

    Messages are masked where they are made; this catches any other. The masked
    error is chained to the original's cause, not to the original: a logged
    traceback would show the original's message, password and all.
    """
    try:
        yield
    except (StoreError, UsageError) as exc:
        text = str(exc)
        if redact(text) == text:
            raise
        cls = StoreError if isinstance(exc, StoreError) else UsageError
        raise cls(redact(text)) from exc.__cause__


# --------------------------------------------------------------------------- push


def push(
    sources: Sequence[str | Path],
    endpoint: str,
    *,
    graph: str | None = None,
    update_endpoint: str | None = None,
    query_endpoint: str | None = None,
    swap: str = defaults.PUSH_SWAP,
    base: str | None = None,
    lines_per_chunk: int = defaults.PUSH_CHUNK_LINES,
    retries: int = defaults.PUSH_RETRIES,
    timeout: float = DEFAULT_TIMEOUT,
    validate: bool = True,
    on_progress: Callable[[int], None] | None = None,
    catalog: str | Path | None = None,
) -> PushResult:
    """Replace *graph* (default: the default graph) at *endpoint* with the catalogue.

    The catalogue is built (and validated) first, so a catalogue with problems
    sends nothing; the ontology goes along so queries can walk the SKOS schemes.
    *swap* says how the target is replaced: ``move`` (upload to a staging graph
    in chunks, then one ``MOVE``), ``insert`` (the same, then one
    ``DROP``/``INSERT``/``DROP`` request, for stores without ``MOVE``) or ``put``
    (one Graph Store ``PUT`` of everything: no update endpoint, no chunks).
    *update_endpoint* and *query_endpoint* are derived from *endpoint* for
    Oxigraph and Fuseki. Raises :class:`~csec_ld.errors.StoreError` whenever the
    target cannot be shown to hold the new catalogue (the module docstring says
    what push checks).

    For example, with an Oxigraph server on its default port (tests/test_push.py runs
    this against a real one)::

        push(["data"], "http://127.0.0.1:7878/store").triples  # the triples it holds now
    """
    with _redacted():
        return _push(
            sources,
            endpoint,
            graph=graph,
            update_endpoint=update_endpoint,
            query_endpoint=query_endpoint,
            swap=swap,
            base=base,
            lines_per_chunk=lines_per_chunk,
            retries=retries,
            timeout=timeout,
            validate=validate,
            on_progress=on_progress,
            catalog=catalog,
        )


def _push(
    sources: Sequence[str | Path],
    endpoint: str,
    *,
    graph: str | None,
    update_endpoint: str | None,
    query_endpoint: str | None,
    swap: str,
    base: str | None,
    lines_per_chunk: int,
    retries: int,
    timeout: float,
    validate: bool,
    on_progress: Callable[[int], None] | None,
    catalog: str | Path | None,
) -> PushResult:
    if swap not in SWAPS:
        raise UsageError(f"--swap: {swap!r} is not one of {', '.join(SWAPS)}")
    if timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    if lines_per_chunk < 1:
        raise UsageError("--chunk-lines must be at least 1")
    try:
        target = str(NamedNode(graph)) if graph else None
    except ValueError as exc:
        raise UsageError(f"--graph: {redact(graph or '')!r} is not an IRI ({exc})") from None
    check_url("--graph-store", endpoint)
    if swap != "put":
        update_endpoint = update_endpoint or update_endpoint_for(endpoint)
        query_endpoint = query_endpoint or query_endpoint_for(endpoint)
        check_url("--update-endpoint", update_endpoint)
        check_url("--endpoint", query_endpoint)
    shown = redact(endpoint)
    with tempfile.TemporaryDirectory(prefix="csec-ld-push-") as tmp:
        built = build(
            sources,
            Path(tmp) / "dist",
            formats=["nt"],
            base=base,
            validate=validate,
            catalog=catalog,
        )
        nt_file = built.files["nt"]
        # the shipped ontology and the catalogue's own concepts (vocabularies:)
        ontology = _Ontology(catalogue_ontology(sources, catalog))
        with http_client(timeout, _auth()) as client:
            if swap == "put":
                # PUT replaces the graph: sent twice, it leaves the same graph, so it is
                # retried like the uploads.
                data = nt_file.read_bytes()
                for line in data.splitlines(keepends=True):
                    ontology.see(line)
                data += ontology.ntriples()
                n = data.count(b"\n")
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
                if on_progress:
                    on_progress(n)
                return PushResult(shown, graph, built.records, n, 1)
            assert update_endpoint is not None and query_endpoint is not None
            store = _Store(client, endpoint, update_endpoint, query_endpoint, retries, timeout)
            removed, kept = _clear_staging(store)
            warnings = []
            if kept:
                warnings.append(
                    f"left {_plural(len(kept), 'staging graph')} that a push still running "
                    f"may be using (younger than {STALE_AFTER.total_seconds() / 3600:g} h, "
                    f"or of unknown age): {', '.join(kept)}"
                )
            staging = staging_graph_name()
            sent = chunks = 0
            try:
                for chunk, n in _chunks(nt_file, lines_per_chunk, ontology):
                    store.post_chunk(staging, chunk)
                    chunks += 1
                    sent += n
                    if on_progress:
                        on_progress(n)
                staged = store.count(str(NamedNode(staging)))
                if staged != sent:
                    raise StoreError(
                        f"the staging graph <{staging}> holds {staged} triples, not the "
                        f"{sent} sent; {'graph ' + target if target else 'the default graph'} "
                        "was not touched"
                    )
                before = store.count(target)
                note = _swap(store, swap, staging, target, staged=staged, before=before)
            except _Unresolved:
                raise
            except StoreError:
                # Nothing is on its way to the store: the published graph was never touched.
                _drop_quietly(store, staging)
                raise
            if note:
                warnings.append(note)
    return PushResult(
        shown, graph, built.records, sent, chunks, tuple(removed), tuple(kept), tuple(warnings)
    )


def _clear_staging(store: _Store) -> tuple[list[str], list[str]]:
    """Drop the staging graphs of interrupted pushes; those that may be in use, left."""
    now = datetime.now(UTC)
    found = store.staging_graphs()
    stale = [g for g in found if _is_stale(g, now)]
    store.drop(stale)
    return stale, [g for g in found if g not in stale]


def _drop_quietly(store: _Store, staging: str) -> None:
    """Leave no staging graph behind, if the store lets us (best effort, no retries)."""
    with contextlib.suppress(httpx.HTTPError, StoreError):
        _request(
            store.client,
            "POST",
            store.update_url,
            timeout=store.timeout,
            content=f"DROP SILENT GRAPH {NamedNode(staging)}".encode(),
            headers={"Content-Type": SPARQL_UPDATE},
        )
