"""The packages' lazy public names (csec_ld.lazy): each table is ``__all__``, and every
name resolves to the object its submodule defines."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("package", ["csec_ld", "csec_ld.server", "csec_ld.shacl"])
def test_all_is_the_export_table_and_every_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    table = module._EXPORTS
    eager = {"__version__"}  # defined in the package itself
    assert sorted(set(module.__all__) - eager) == sorted(table)
    for name, where in table.items():
        defining = importlib.import_module(f"{package}.{where}")
        assert getattr(module, name) is getattr(defining, name), name
        assert name in dir(module)
    with pytest.raises(AttributeError, match="no_such_name"):
        module.no_such_name  # noqa: B018
