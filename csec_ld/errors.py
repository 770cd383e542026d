"""The one exception tree of csec-ld.

::

    CsecLdError                    anything csec-ld reports to a user
    ├── UsageError                 bad options or arguments (CLI exit code 2)
    │   └── SourceNotFoundError    a source path that does not exist
    ├── DataError                  one or more problems in the records (exit code 1)
    │   └── RecordError            one problem: file, line, record id, field
    ├── ShapesError                SHACL shapes that cannot be read (exit code 2)
    ├── QueryError                 a query that cannot be prepared or run
    │   └── ParameterError         a query parameter that does not fit its type
    ├── StoreError                 an embedded store or a remote endpoint failed
    ├── OutputError                an output that cannot be written
    ├── ValidationFailedError      records that violate the shapes: nothing published
    ├── RequestError               an HTTP request the server refuses (its status code)
    │   └── ProblemError           the same, answered as an RFC 9457 problem document
    ├── Refused                    a query the endpoint will not run (400, 403)
    ├── TimeLimit                  a query over its time or memory limit
    └── Busy                       every query worker busy, the queue full

Third-party exceptions are wrapped where they enter (``raise ... from exc``), so
callers catch :class:`CsecLdError` and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "Busy",
    "CsecLdError",
    "DataError",
    "OutputError",
    "ParameterError",
    "ProblemError",
    "QueryError",
    "RecordError",
    "Refused",
    "RequestError",
    "ShapesError",
    "SourceNotFoundError",
    "StoreError",
    "TimeLimit",
    "UsageError",
    "ValidationFailedError",
]


class CsecLdError(Exception):
    """Root of every error csec-ld raises on purpose."""

    exit_code = 1


class UsageError(CsecLdError):
    """Options or arguments that cannot be used."""

    exit_code = 2


class SourceNotFoundError(UsageError):
    """A source path that does not exist."""


class RecordError(CsecLdError):
    """One problem in one record, located by file, line, record id and field.

    >>> str(RecordError("bad date", path="data/records/x.yaml", line=4, record="x", field="issued"))
    'data/records/x.yaml:4: x: issued: bad date'
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        record: str | None = None,
        field: str | None = None,
        value: object = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.record = record
        self.field = field
        self.value = value
        super().__init__(self.format())

    def format(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        parts = [where]
        if self.record:
            parts.append(self.record)
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


class DataError(CsecLdError):
    """Every problem found in a run of the loaders (never only the first)."""

    def __init__(self, errors: Iterable[RecordError]) -> None:
        self.errors: list[RecordError] = list(errors)
        n = len(self.errors)
        head = f"{n} problem{'s' if n != 1 else ''} in the records"
        super().__init__(head + "".join(f"\n{e}" for e in self.errors))


class ShapesError(CsecLdError):
    """SHACL shapes that cannot be read or used."""

    exit_code = 2


class QueryError(CsecLdError):
    """A query that cannot be prepared or run."""


class ParameterError(QueryError):
    """A query parameter value that does not fit its declared type."""

    exit_code = 2


class StoreError(CsecLdError):
    """An embedded store or remote SPARQL endpoint that failed."""


class OutputError(CsecLdError):
    """An output that cannot be written."""


class RequestError(CsecLdError):
    """An HTTP request that the server refuses: the status code to answer, and the
    headers the answer carries (``Retry-After``, ``Vary``, CORS). The server's views
    raise it; one handler writes the answer (a line of text).

    >>> exc = RequestError(503, "busy", headers={"Retry-After": "5"})
    >>> exc.status, str(exc), exc.headers
    (503, 'busy', {'Retry-After': '5'})
    """

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers: dict[str, str] = dict(headers or {})


class ProblemError(RequestError):
    """A refused request of the JSON API, answered as an RFC 9457 problem document:
    its *title*, and *members* the client can act on (``parameter``, ``allowed``...)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **members: object,
    ) -> None:
        super().__init__(status, detail, headers=headers)
        self.title = title
        self.members = members


class ValidationFailedError(CsecLdError):
    """The records violate the SHACL shapes: nothing was published."""


class Refused(CsecLdError):
    """A query the endpoint will not run; ``status`` is the HTTP answer (400, 403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class TimeLimit(CsecLdError):
    """The query ran longer than the time limit, or needed more memory than allowed."""


class Busy(CsecLdError):
    """Every worker is busy and the queue is full: try again later."""
