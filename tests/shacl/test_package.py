"""The fast SHACL engine's package: its public names, imported lazily."""

from __future__ import annotations

import subprocess
import sys

import csec_ld.shacl as shacl


def test_importing_the_package_loads_no_engine() -> None:
    """The engine (rdflib, pyoxigraph) loads when a name is first used, not before."""
    code = (
        "import sys, csec_ld.shacl; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rdflib', 'pyoxigraph')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_cross_index_needs_no_compiled_module() -> None:
    """cross.py reads the compiled shapes through a protocol: no import cycle with
    compiled.py, which makes the index's entries."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(shacl.__file__).parent / "cross.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert "compiled" not in imported
