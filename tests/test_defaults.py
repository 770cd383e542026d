"""The CLI's defaults are the library's: each option shows and passes the value the
library function would use without it (csec_ld.defaults holds them once)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from csec_ld.cli import main


def _option_default(command: str, name: str) -> Any:
    cmd = main.commands[command]
    (param,) = [p for p in cmd.params if p.name == name]
    return param.default


def _argument_default(fn: Any, name: str) -> Any:
    return inspect.signature(fn).parameters[name].default


@pytest.mark.parametrize(
    ("command", "option", "module", "function", "argument"),
    [
        ("build", "out_dir", "csec_ld.build", "build", "out_dir"),
        ("publish", "out_dir", "csec_ld.site.publish", "publish", "out_dir"),
        ("serve", "host", "csec_ld.server", "serve", "host"),
        ("serve", "port", "csec_ld.server", "serve", "port"),
        ("serve", "timeout", "csec_ld.server", "serve", "timeout"),
        ("serve", "row_limit", "csec_ld.server", "serve", "row_limit"),
        ("serve", "max_query_length", "csec_ld.server", "serve", "max_query_length"),
        ("push", "swap", "csec_ld.push", "push", "swap"),
        ("push", "chunk_lines", "csec_ld.push", "push", "lines_per_chunk"),
        ("push", "retries", "csec_ld.push", "push", "retries"),
        ("push", "timeout", "csec_ld.push", "push", "timeout"),
    ],
)
def test_cli_defaults_are_the_librarys(
    command: str, option: str, module: str, function: str, argument: str
) -> None:
    import importlib

    fn = getattr(importlib.import_module(module), function)
    shown = _option_default(command, option)
    expected = _argument_default(fn, argument)
    assert expected is not inspect.Parameter.empty
    assert (Path(shown) if isinstance(expected, Path) else shown) == (
        Path(expected) if isinstance(shown, Path) else expected
    )


def test_build_formats_and_profiles_default_to_the_librarys() -> None:
    from csec_ld.build import build
    from csec_ld.mapping import DEFAULT_PROFILES

    formats = _option_default("build", "formats")
    assert tuple(formats.split(",")) == _argument_default(build, "formats")
    (profile,) = [p for p in main.commands["build"].params if p.name == "profiles"]
    assert ",".join(DEFAULT_PROFILES) in (profile.help or "")
    from csec_ld.push import SWAPS

    (swap,) = [p for p in main.commands["push"].params if p.name == "swap"]
    assert tuple(swap.type.choices) == SWAPS  # type: ignore[attr-defined]
