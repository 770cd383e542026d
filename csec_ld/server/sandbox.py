"""SPARQL from strangers, run where it can do no harm: worker processes that can be killed.

The public endpoint (``/sparql``) and the named-query API answer from a pool of
worker processes, never from the server's own process:

* **No outbound requests.** Each worker installs a seccomp filter (Linux, through
  libseccomp) that refuses every socket but Unix ones before it runs any query,
  so the engine cannot open a connection: a ``SERVICE`` call, however it is
  spelt or escaped, fails inside the engine, and its error is answered 403. No
  text of the query is matched to decide this. Where seccomp cannot be had
  (another OS), the pool refuses to run queries unless it was created with
  ``network="allow"``.
* **The time limit stops the work.** A query that runs past the time limit gets
  its worker killed (``SIGKILL``): no CPU is burned afterwards. A new worker is
  started for the next query.
* **Bounded memory.** Each worker runs under an address-space limit
  (``RLIMIT_AS``); a query that needs more (``ORDER BY`` over a cross product)
  ends its worker, and the request gets 503.
* **Nothing can kill the server.** A query the engine's parser cannot survive
  (thousands of nested parentheses overflow its stack) kills a worker, not the
  server; :func:`nesting_depth` refuses most of them before they get there.
* **A bounded queue.** At most *workers* queries run at once and at most *queue*
  wait; the next one is refused at once (:class:`Busy`, 503 with
  ``Retry-After``). Workers run at a lower priority (``nice``), so pages stay fast.

Workers open the store read-only: an on-disk pyoxigraph store, either the one
``csec-ld load`` filled, or one made from the site's dump when the server starts.
"""

from __future__ import annotations

import contextlib
import errno
import multiprocessing
import multiprocessing.connection
import os
import pickle
import resource
import shutil
import signal
import socket
import sys
import tempfile
import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from ..errors import (
    Busy,
    CsecLdError,
    ParameterError,
    QueryError,
    Refused,
    StoreError,
    TimeLimit,
    UsageError,
)
from ..nesting import MAX_NESTING, nesting_depth

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_QUEUE",
    "DEFAULT_WORKERS",
    "MAX_NESTING",
    "Answer",
    "Busy",
    "QueryPool",
    "Refused",
    "TimeLimit",
    "nesting_depth",
    "network_sandbox_available",
    "store_from_files",
]

DEFAULT_WORKERS = 2
DEFAULT_QUEUE = 16
DEFAULT_MEMORY_MB = 2048
#: The most a worker sends back for one query (rows are cut there, as at the row limit).
MAX_RESULT_BYTES = 64 * 1024 * 1024
#: Recognisable names for the stores made at start-up; stale ones are removed.
STORE_PREFIX = "csec-ld-serve-store-"


# --------------------------------------------------------------------------- nesting


def check_nesting(sparql: str) -> None:
    """:class:`Refused` (400) if brackets nest deeper than :data:`MAX_NESTING`."""
    depth = nesting_depth(sparql)
    if depth > MAX_NESTING:
        raise Refused(
            400, f"the query nests brackets {depth} deep; at most {MAX_NESTING} are allowed"
        )


# --------------------------------------------------------------------------- the sandbox


def _seccomp() -> Any:
    try:
        import pyseccomp
    except (ImportError, OSError):
        return None
    return pyseccomp


def network_sandbox_available() -> bool:
    """Whether workers can be cut off from the network here (Linux with libseccomp)."""
    return sys.platform.startswith("linux") and _seccomp() is not None


def _deny_network() -> None:
    """Refuse every new socket but Unix ones, for this process and its threads."""
    seccomp = _seccomp()
    if seccomp is None:
        raise OSError("libseccomp is not available")
    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    rules.add_rule(
        seccomp.ERRNO(errno.EACCES), "socket", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX)
    )
    # socketpair and io_uring's socket opcode do not reach the network; connect()
    # needs a socket, which the rule above refuses.
    rules.load()


@dataclass(frozen=True)
class _Limits:
    store: str
    network: str  # "deny" or "allow"
    memory_mb: int
    nice: int


@dataclass
class Answer:
    """What a worker sends back: a SPARQL result or a named query's result."""

    kind: str  # "select", "ask", "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    triples: list[Any] = field(default_factory=list)
    boolean: bool = False
    truncated: bool = False
    result: Any = None  # a store.Result, for named queries


def _worker_main(conn: multiprocessing.connection.Connection, limits: _Limits) -> None:
    """A worker: set its limits, open the store, answer jobs until the pipe closes."""
    from ..pipeline import end_with_parent

    end_with_parent(None)  # die with the fork server, which dies with the server
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(limits.nice)
    if limits.memory_mb:
        cap = limits.memory_mb * 1024 * 1024
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if limits.network == "deny":
        try:
            _deny_network()
        except OSError as exc:
            conn.send(("fatal", f"cannot cut the query worker off the network: {exc}"))
            return
    import pyoxigraph

    from ..store import MemoryEngine

    try:
        store = pyoxigraph.Store.read_only(limits.store)
    except OSError as exc:
        conn.send(("fatal", f"{limits.store}: cannot open the store ({exc})"))
        return
    engine = MemoryEngine(store)  # an engine over any pyoxigraph store
    conn.send(("ready", limits.network))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[Any, ...] = ("ok", _run_job(store, engine, job))
        except Refused as exc:
            reply = ("refused", exc.status, str(exc))
        except MemoryError:
            reply = ("memory",)
        except CsecLdError as exc:
            reply = ("error", type(exc).__name__, str(exc))
        except Exception as exc:  # the engine's own errors, as a message
            reply = ("error", type(exc).__name__, f"{type(exc).__name__}: {exc}")
        try:
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            data = pickle.dumps(("memory",))
        conn.send_bytes(data)
        del reply, data


_SERVICE_ERRORS = (
    "permission denied",
    "variable encoding the service name",
    "failed to lookup address",
    "is not allowed for http",
    "service",
)


def _run_job(store: Any, engine: Any, job: tuple[Any, ...]) -> Answer:
    kind = job[0]
    if kind == "named":
        from ..query import run_query

        _, query, values, row_limit = job
        result = run_query(query, values, source=engine)
        truncated = len(result) > row_limit
        if truncated:
            result.rows = result.rows[:row_limit]
            result.triples = result.triples[:row_limit]
        return Answer(result.kind, result=result, truncated=truncated)
    _, sparql, default_graphs, row_limit = job
    return _run_sparql(store, sparql, default_graphs, row_limit)


def _run_sparql(store: Any, sparql: str, default_graphs: Sequence[str], row_limit: int) -> Answer:
    import pyoxigraph
    from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions

    check_nesting(sparql)
    kwargs: dict[str, Any] = {}
    if default_graphs:
        kwargs["default_graph"] = [NamedNode(g) for g in default_graphs]
    try:
        result = store.query(sparql, **kwargs)
    except SyntaxError as exc:
        if _is_update(sparql):
            raise Refused(403, "this endpoint is read-only: updates are refused") from None
        raise Refused(400, f"SPARQL syntax error: {exc}") from None
    except ValueError as exc:
        raise Refused(400, f"bad request: {exc}") from None
    try:
        if isinstance(result, QueryBoolean):
            return Answer("ask", boolean=bool(result))
        budget = MAX_RESULT_BYTES
        if isinstance(result, QuerySolutions):
            variables = [v.value for v in result.variables]
            rows: list[list[Any]] = []
            truncated = False
            for solution in result:
                if len(rows) >= row_limit or budget <= 0:
                    truncated = True
                    break
                row = [solution[i] for i in range(len(variables))]
                budget -= sum(len(str(t)) for t in row if t is not None) + 16
                rows.append(row)
            return Answer("select", variables=variables, rows=rows, truncated=truncated)
        triples: list[pyoxigraph.Triple] = []
        truncated = False
        for t in result:
            if len(triples) >= row_limit or budget <= 0:
                truncated = True
                break
            budget -= len(str(t))
            triples.append(t)
        return Answer("graph", triples=triples, truncated=truncated)
    except OSError as exc:
        raise _evaluation_error(exc) from None


def _evaluation_error(exc: Exception) -> Refused:
    text = str(exc)
    if any(s in text.lower() for s in _SERVICE_ERRORS):
        return Refused(403, "federated queries (SERVICE) are not allowed on this endpoint")
    return Refused(400, f"the query failed: {text}")


def _is_update(sparql: str) -> bool:
    """Whether *sparql* parses as a SPARQL Update (tried on an empty, private store).

    Only called in a worker, which has no network (``LOAD`` cannot fetch anything)
    and is bounded in time and memory like any query.
    """
    import pyoxigraph

    try:
        pyoxigraph.Store().update(sparql)
    except SyntaxError:
        return False
    except Exception:
        return True  # it parsed; it failed when it ran
    return True


class _Worker:
    def __init__(self, ctx: Any, limits: _Limits, start_timeout: float) -> None:
        parent, child = ctx.Pipe(duplex=True)
        self.conn = parent
        self.process = ctx.Process(
            target=_worker_main, args=(child, limits), daemon=True, name="csec-ld-query"
        )
        self.process.start()
        child.close()
        if not parent.poll(start_timeout):
            self.kill()
            raise StoreError("the query worker did not start in time")
        try:
            hello = parent.recv()
        except (EOFError, OSError):
            self.kill()
            raise StoreError(
                f"the query worker died at start (exit code {self.process.exitcode})"
            ) from None
        if hello[0] != "ready":
            self.kill()
            raise StoreError(hello[1])

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()


class Admission:
    """Admission to a bounded pool: at most *size* jobs at once, at most *queue* more
    waiting, each for at most *timeout* seconds; otherwise :class:`Busy`.

    One class for the sandboxed workers (:class:`QueryPool`) and for the remote store
    (:class:`~csec_ld.server.remote.StorePool`), so both refuse load the same way.
    *where* names the pool's place in the messages ("running", "at the store").
    """

    def __init__(self, size: int, queue: int, timeout: float, *, where: str) -> None:
        self.size = size
        self.queue = queue
        self.timeout = timeout
        self.where = where
        self.running = 0
        self.waiting = 0
        self._slots: anyio.Semaphore | None = None  # made on the event loop that uses it

    @contextlib.asynccontextmanager
    async def slot(self) -> Any:
        """Hold one of the *size* slots for the ``async with`` block."""
        if self._slots is None:
            self._slots = anyio.Semaphore(self.size)
        if self.running >= self.size and self.waiting >= self.queue:
            raise Busy(f"{self.running} queries are {self.where} and {self.waiting} waiting")
        self.waiting += 1
        try:
            with anyio.fail_after(self.timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise Busy("no query slot became free within the time limit") from None
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self._slots.release()


class QueryPool:
    """Worker processes that run queries on a read-only on-disk store, with limits.

    *store* is the store's folder. *timeout* (seconds) bounds each query's run;
    *queue* bounds the queries waiting for a worker; *memory_mb* each worker's
    address space; *network* is ``"deny"`` (the default: seccomp, required) or
    ``"allow"`` (only for platforms without seccomp, at the operator's choice).
    """

    def __init__(
        self,
        store: str | Path,
        *,
        workers: int = DEFAULT_WORKERS,
        queue: int = DEFAULT_QUEUE,
        timeout: float = 10.0,
        memory_mb: int = DEFAULT_MEMORY_MB,
        network: str = "deny",
        owns_store: bool = False,
    ) -> None:
        if workers < 1 or queue < 0:
            raise UsageError("--workers must be at least 1 and --queue at least 0")
        if network not in ("deny", "allow"):
            raise UsageError(f"network must be 'deny' or 'allow', not {network!r}")
        if network == "deny" and not network_sandbox_available():
            raise UsageError(
                "the SPARQL endpoint needs libseccomp (Linux) to keep queries off the "
                "network; install it (Debian: libseccomp2), or serve without it at your "
                "own risk with --allow-network-in-queries"
            )
        self.store = str(store)
        self.size = workers
        self.queue = queue
        self.timeout = timeout
        self.limits = _Limits(self.store, network, memory_mb, 10)
        self._ctx = multiprocessing.get_context("forkserver")
        with contextlib.suppress(Exception):
            self._ctx.set_forkserver_preload(
                [
                    "csec_ld.server.sandbox",
                    "csec_ld.pipeline",
                    "csec_ld.store",
                    "csec_ld.query",
                    "pyoxigraph",
                ]
            )
        self._idle: deque[_Worker] = deque()
        self.admission = Admission(workers, queue, timeout, where="running")
        self._closed = False
        self._finalizer = weakref.finalize(
            self, _shutdown, self._idle, Path(self.store) if owns_store else None
        )
        # Start one worker now: a store or sandbox that cannot work fails at start-up.
        self._idle.append(self._spawn())

    def _spawn(self) -> _Worker:
        return _Worker(self._ctx, self.limits, start_timeout=60)

    @property
    def sandboxed(self) -> bool:
        return self.limits.network == "deny"

    async def run(self, job: tuple[Any, ...]) -> Answer:
        """Run *job* in a worker; :class:`Busy`, :class:`TimeLimit` or :class:`Refused`."""
        if self._closed:
            raise Busy("the server is shutting down")
        async with self.admission.slot():
            return await self._run_on_worker(job)

    async def _run_on_worker(self, job: tuple[Any, ...]) -> Answer:
        worker = self._idle.popleft() if self._idle else None
        if worker is None or not worker.alive():
            if worker is not None:
                worker.kill()
            worker = await anyio.to_thread.run_sync(self._spawn)
        done = False
        try:
            data = pickle.dumps(job)
            worker.conn.send_bytes(data)
            with anyio.fail_after(self.timeout):
                await anyio.wait_readable(worker.conn.fileno())
            try:
                raw = await anyio.to_thread.run_sync(worker.conn.recv_bytes)
            except (EOFError, OSError):
                raise self._death(worker) from None
            reply = pickle.loads(raw)
            done = True
        except TimeoutError:
            raise TimeLimit(
                f"the query ran longer than the time limit ({self.timeout:g} s)"
            ) from None
        finally:
            if done and worker.alive():
                self._idle.append(worker)
            else:
                # Killed, not asked: the query may still be working (or the client left).
                await anyio.to_thread.run_sync(worker.kill)
        status = reply[0]
        if status == "ok":
            answer: Answer = reply[1]
            return answer
        if status == "refused":
            raise Refused(reply[1], reply[2])
        if status == "memory":
            raise TimeLimit(
                f"the query needs more memory than this endpoint allows "
                f"({self.limits.memory_mb} MB)"
            )
        name, message = reply[1], reply[2]
        known = {
            "ParameterError": ParameterError,
            "QueryError": QueryError,
            "UsageError": QueryError,
            "StoreError": StoreError,
        }
        if name in known:
            raise known[name](message)
        raise _evaluation_error(OSError(message))

    def _death(self, worker: _Worker) -> CsecLdError:
        worker.process.join(5)
        code = worker.process.exitcode
        if code in (-signal.SIGSEGV, -signal.SIGBUS):
            return Refused(
                400,
                "the query is too complex for the SPARQL parser (it overflowed "
                "its stack): simplify or un-nest it",
            )
        if code in (-signal.SIGABRT, -signal.SIGKILL):
            return TimeLimit(
                f"the query needs more memory than this endpoint allows "
                f"({self.limits.memory_mb} MB)"
            )
        return StoreError(f"the query worker stopped (exit code {code})")

    def close(self) -> None:
        self._closed = True
        self._finalizer()


def _shutdown(idle: deque[_Worker], owned: Path | None) -> None:
    while idle:
        idle.popleft().kill()
    if owned is not None:
        shutil.rmtree(owned, ignore_errors=True)


# --------------------------------------------------------------------------- stores


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_stores(tmp: Path | None = None) -> list[Path]:
    """Remove start-up stores whose server is gone (named ``csec-ld-serve-store-{pid}-…``)."""
    root = Path(tmp or tempfile.gettempdir())
    removed = []
    for path in root.glob(STORE_PREFIX + "*"):
        pid_text = path.name[len(STORE_PREFIX) :].split("-", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def store_from_files(files: Sequence[tuple[Path, Any]]) -> Path:
    """A fresh on-disk store in the temporary folder, holding *files* (path, RdfFormat)."""
    import pyoxigraph

    remove_stale_stores()
    folder = Path(tempfile.mkdtemp(prefix=f"{STORE_PREFIX}{os.getpid()}-"))
    try:
        store = pyoxigraph.Store(str(folder))
        for path, fmt in files:
            store.bulk_load(path=str(path), format=fmt)
        store.flush()
        store.optimize()
        del store
    except (OSError, SyntaxError, ValueError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise StoreError(f"cannot make the endpoint's store: {exc}") from exc
    return folder
