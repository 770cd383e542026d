"""The ``csec-ld`` command line: a thin layer over the library API.

Each command turns options into one library call and prints the result; every
:class:`~csec_ld.errors.CsecLdError` becomes a clean message on stderr and its
exit code (1 for data problems, 2 for usage problems). This package is the only place
that imports click: this module holds the group, the shared options and the
error handling; each further module adds the commands of one concern
(``validate``, ``query``, ``publish``...) and is imported at the bottom.
"""

from __future__ import annotations

# Each module adds the commands of one concern to the group (importing it from .app).
from . import build, publish, push, query, validate  # noqa: F401
from .app import main

__all__ = ["main"]
