"""Locate the files shipped with csec-ld: the ontology and the SHACL shapes.

In a wheel they live in ``csec_ld/_resources/``; in a source checkout (or an
editable install) they are the top-level ``ontology/`` and ``shapes/`` folders.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ontology_dir", "shapes_dir"]

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / "_resources" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"csec-ld is installed without its {name}/ folder")


def ontology_dir() -> Path:
    """The folder holding ``csec.ttl``, ``resource-types.ttl`` and ``topics.ttl``."""
    return _find("ontology")


def shapes_dir() -> Path:
    """The folder holding the shipped SHACL shapes."""
    return _find("shapes")
