"""Public names of a package imported when first used (PEP 562).

A package declares a table of its public names and the submodule that defines each;
:func:`exports` gives it the module ``__getattr__`` and ``__dir__`` that import a
submodule only when one of its names is first asked for, so ``import csec_ld`` (or
``csec_ld.server``, ``csec_ld.shacl``) loads none of the heavy libraries.

>>> getattr_, dir_ = exports("csec_ld", {"build": "build"})
>>> "build" in dir_()
True
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["exports"]


def exports(
    package: str, table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for *package*, whose public names *table* maps to the
    submodules (relative to the package) that define them."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        vars(sys.modules[package])[name] = value  # the next lookup is a plain one
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *table})

    return __getattr__, __dir__
