"""Real servers for the tests, on free ports of 127.0.0.1: ``oxigraph serve``, and
our own ASGI app under uvicorn in a thread.

Started and stopped by the tests themselves; nothing else is contacted.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn


def _oxigraph_bin() -> str | None:
    candidate = Path(sys.prefix) / "bin" / "oxigraph"
    if candidate.is_file():
        return str(candidate)
    return shutil.which("oxigraph")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OxigraphServer:
    """``oxigraph serve`` on 127.0.0.1, started and stopped by the tests."""

    def __init__(self, location: Path, port: int | None = None) -> None:
        binary = _oxigraph_bin()
        if binary is None:
            pytest.skip("the oxigraph server (pip install oxigraph) is not installed")
        self.location = location
        self.port = port or _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"oxigraph exited: {self.process.stderr.read()!r}")  # type: ignore[union-attr]
            try:
                httpx.get(self.base + "/query", params={"query": "ASK {}"}, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("oxigraph did not start within 20 s")

    @property
    def update_url(self) -> str:
        return self.base + "/update"

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    @property
    def store_url(self) -> str:
        return self.base + "/store"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


def free_port() -> int:
    """A port of 127.0.0.1 that is free now (for an app that must know its URL first)."""
    return _free_port()


class Server:
    """uvicorn on 127.0.0.1 and a free port (or *port*), in a thread."""

    def __init__(self, app: object, port: int | None = None) -> None:
        self.port = port or _free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
