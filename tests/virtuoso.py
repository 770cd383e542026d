"""A throwaway Virtuoso (Debian's ``virtuoso-opensource``) on free ports of 127.0.0.1.

Its database lives in a temporary folder and starts empty, with the stock ``dba``
account (password ``dba``); it is started by the tests that need it and stopped by
them. Virtuoso's endpoints: ``/sparql`` (read-only, anonymous), ``/sparql-auth``
(SPARQL Update, Digest authentication) and ``/sparql-graph-crud-auth`` (Graph Store,
Digest authentication).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

USER = "dba"
PASSWORD = "dba"
#: A fresh database is created at the first start: about 20 s on a busy machine.
START_TIMEOUT = 90

_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 8
CheckpointInterval = 0
CaseMode = 2
DirsAllowed = .
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
ThreadsPerQuery = 2
TransactionAfterImageLimit = {after_image}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
MaxClientConnections = 8
ServerThreads = 8
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = {query_time}
"""


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t")


class VirtuosoServer:
    """``virtuoso-t +foreground`` with its own ``virtuoso.ini`` in *folder*."""

    def __init__(
        self,
        folder: Path,
        *,
        buffers: int = 10_000,
        after_image: int = 50_000_000,
        query_time: int = 60,
    ) -> None:
        """*buffers*: Virtuoso's ``NumberOfBuffers`` (8 KB pages); *after_image*: its
        ``TransactionAfterImageLimit`` (bytes; Virtuoso's default, 50 MB, refuses a
        ``MOVE`` of a few hundred thousand triples: ``SR325``); *query_time*: its
        ``MaxQueryExecutionTime`` (seconds, 0: none; a longer ``MOVE`` fails with
        ``SR171``). The benchmark of a million records needs more of each than the
        tests' small stores."""
        binary = virtuoso_binary()
        if binary is None:
            pytest.skip("Virtuoso (Debian package virtuoso-opensource) is not installed")
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        ini = folder / "virtuoso.ini"
        ini.write_text(
            _INI.format(
                d=folder,
                sql_port=free_port(),
                http_port=self.port,
                buffers=buffers,
                dirty=buffers * 3 // 5,
                after_image=after_image,
                query_time=query_time,
            )
        )
        started = time.monotonic()
        self._log = (folder / "stdout.log").open("wb")
        self.process = subprocess.Popen(
            [binary, "+foreground", "+configfile", str(ini)],
            cwd=folder,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        while time.monotonic() - started < START_TIMEOUT:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"virtuoso-t exited: {self.log()[-2000:]}")
            try:
                answer = httpx.get(self.query_url, params={"query": "ASK {}"}, timeout=2)
                if answer.status_code == 200:
                    self.start_seconds = time.monotonic() - started
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"Virtuoso did not start within {START_TIMEOUT} s: {self.log()[-2000:]}")

    def log(self) -> str:
        path = self.folder / "stdout.log"
        return path.read_text(errors="replace") if path.is_file() else ""

    @property
    def query_url(self) -> str:
        return self.base + "/sparql"

    @property
    def update_url(self) -> str:
        return self.base + "/sparql-auth"

    @property
    def store_url(self) -> str:
        return self.base + "/sparql-graph-crud-auth"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
