"""The public API: ``csec_ld.__all__`` is true, documented and imported lazily."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

import csec_ld
from csec_ld import errors


def test_all_names_exactly_the_exported_table() -> None:
    assert csec_ld.__all__ == sorted(csec_ld.__all__)
    assert set(csec_ld.__all__) == {"__version__", *csec_ld._EXPORTS}


@pytest.mark.parametrize("name", sorted(csec_ld._EXPORTS))
def test_every_public_name_resolves_to_a_documented_object(name: str) -> None:
    value = getattr(csec_ld, name)
    module = importlib.import_module(f"csec_ld.{csec_ld._EXPORTS[name]}")
    assert value is getattr(module, name)
    assert name in getattr(module, "__all__", [name]), f"{module.__name__} does not export it"
    assert (inspect.getdoc(value) or "").strip(), f"{name} has no docstring"
    assert name in dir(csec_ld)


def test_public_names_win_over_submodules_of_the_same_name() -> None:
    importlib.import_module("csec_ld.build")
    importlib.import_module("csec_ld.site.publish")
    assert callable(csec_ld.build) and callable(csec_ld.publish)
    assert not isinstance(csec_ld.push, type(csec_ld))
    from csec_ld import build, publish

    assert build.__module__ == "csec_ld.build" and publish.__module__ == "csec_ld.site.publish"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = csec_ld.no_such_thing  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = (
        "import sys, csec_ld; "
        "print(sorted(m for m in ('rdflib', 'pyshacl', 'pyoxigraph', 'csec_ld.build') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_error_the_package_defines_is_in_the_one_tree() -> None:
    """No exception class outside errors.py derives from Exception directly and is public."""
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.CsecLdError)
        assert name in (errors.__doc__ or ""), f"{name} missing from the tree in errors.py"
    publish = importlib.import_module("csec_ld.site.publish")
    sandbox = importlib.import_module("csec_ld.server.sandbox")
    # the classes the server and publish raise come from the tree, not their own modules
    for module, name in [
        (publish, "ValidationFailedError"),
        (sandbox, "Refused"),
        (sandbox, "TimeLimit"),
        (sandbox, "Busy"),
    ]:
        assert getattr(module, name) is getattr(errors, name)
