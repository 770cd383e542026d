"""Temporary folders named after the run that made them, and the removal of those a
killed run left behind.

``build`` and ``publish`` write into a temporary folder beside the output and move it
into place at the end; an error, Ctrl-C or SIGTERM removes it. A run killed outright
(``kill -9``, the out-of-memory killer, a power cut) cannot: its folder stays, named
``.{output}.csec-ld-{purpose}-{pid}-{random}`` (``.dist.csec-ld-tmp-4242-k3j9x_2a``).
The next run writing the same output removes the folders whose process has ended
(``os.kill(pid, 0)``), never those of a run still going, so concurrent runs do not
delete each other's. On Windows, where ``os.kill`` would end the process, leftovers
stay.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = ["deferred_signals", "leftovers", "make_temp_folder", "remove_leftovers"]

_TAIL = re.compile(r"(\d+)-[a-z0-9_]+")  # what follows the prefix: pid, mkdtemp's letters


def _prefix(name: str, purpose: str) -> str:
    return f".{name}.csec-ld-{purpose}-"


def make_temp_folder(parent: Path, name: str, purpose: str) -> Path:
    """A new folder in *parent*, named for output *name*, *purpose* and this process.

    Raises :class:`OSError` as :func:`tempfile.mkdtemp` does.
    """
    return Path(tempfile.mkdtemp(prefix=f"{_prefix(name, purpose)}{os.getpid()}-", dir=parent))


def _alive(pid: int) -> bool:
    if pid <= 0 or os.name == "nt":  # os.kill(0, ...) is the process group; on Windows, a kill
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's process, alive
        return True
    return True


def leftovers(parent: Path, name: str, purpose: str) -> list[Path]:
    """The folders of *parent* that ended runs left for output *name* and *purpose*."""
    prefix = _prefix(name, purpose)
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return []
    found = []
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        match = _TAIL.fullmatch(entry.name[len(prefix) :])
        if match is None or not entry.is_dir(follow_symlinks=False):
            continue
        if not _alive(int(match.group(1))):
            found.append(Path(entry.path))
    return sorted(found)


def remove_leftovers(parent: Path, name: str, *purposes: str) -> list[Path]:
    """Remove what :func:`leftovers` finds for each of *purposes*; the folders removed."""
    removed = []
    for purpose in purposes:
        for path in leftovers(parent, name, purpose):
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                removed.append(path)
    return removed


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is over (a few renames that must not be
    cut in two); then they act as usual. Outside the main thread, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous: dict[int, Any] = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, hold)
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        for number in dict.fromkeys(caught):  # each once, in the order they came
            signal.raise_signal(number)
