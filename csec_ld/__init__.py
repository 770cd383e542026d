"""csec-ld: a catalogue of resources on the commercial sexual exploitation of children,
published as validated linked data.

The public API is what ``__all__`` names, imported when first used (``import csec_ld``
loads none of rdflib, pyshacl or pyoxigraph), so a command or a script pays only for
what it uses.

>>> from csec_ld import load_records
>>> records = load_records(["data"])
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from .__about__ import __version__
from .lazy import exports

#: Each public name and the module that defines it.
_EXPORTS: dict[str, str] = {
    # records and catalogues
    "Catalog": "sources",
    "Catalogue": "sources",
    "Identifier": "records",
    "LangString": "records",
    "PartialDate": "records",
    "Record": "records",
    "load_records": "sources",
    "open_catalog": "sources",
    "import_listing": "listing",
    "parse_listing": "listing",
    # the arrows of the data flow
    "BuildResult": "build",
    "build": "build",
    "Severity": "validation",
    "ValidationReport": "validation",
    "ValidationResult": "validation",
    "validate": "validation",
    "PublishResult": "site.publish",
    "publish": "site.publish",
    "PushResult": "push",
    "push": "push",
    # queries and stores
    "NamedQuery": "query",
    "Parameter": "query",
    "format_result": "query",
    "get_query": "query",
    "named_queries": "query",
    "run_query": "query",
    "EmbeddedEngine": "store",
    "Engine": "store",
    "MemoryEngine": "store",
    "RemoteEngine": "store",
    "Result": "store",
    "load_store": "store",
    "open_engine": "store",
    "upload_catalogue": "store",
    # the one exception tree
    "CsecLdError": "errors",
    "DataError": "errors",
    "OutputError": "errors",
    "ParameterError": "errors",
    "QueryError": "errors",
    "RecordError": "errors",
    "ShapesError": "errors",
    "SourceNotFoundError": "errors",
    "StoreError": "errors",
    "UsageError": "errors",
    "ValidationFailedError": "errors",
}

#: The same names as the table (tests/test_init.py and tests/test_lazy.py keep the two equal).
__all__ = [
    "BuildResult",
    "Catalog",
    "Catalogue",
    "CsecLdError",
    "DataError",
    "EmbeddedEngine",
    "Engine",
    "Identifier",
    "LangString",
    "MemoryEngine",
    "NamedQuery",
    "OutputError",
    "Parameter",
    "ParameterError",
    "PartialDate",
    "PublishResult",
    "PushResult",
    "QueryError",
    "Record",
    "RecordError",
    "RemoteEngine",
    "Result",
    "Severity",
    "ShapesError",
    "SourceNotFoundError",
    "StoreError",
    "UsageError",
    "ValidationFailedError",
    "ValidationReport",
    "ValidationResult",
    "__version__",
    "build",
    "format_result",
    "get_query",
    "import_listing",
    "load_records",
    "load_store",
    "named_queries",
    "open_catalog",
    "open_engine",
    "parse_listing",
    "publish",
    "push",
    "run_query",
    "upload_catalogue",
    "validate",
]


__getattr__, __dir__ = exports(__name__, _EXPORTS)


class _Package(types.ModuleType):
    """The package, whose public names win over its submodules of the same name.

    Importing a submodule sets it as an attribute of its package: once anything had
    imported ``csec_ld.build``, ``csec_ld.build`` would be that module and no longer the
    function. The modules stay in ``sys.modules`` (``importlib.import_module``).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


if TYPE_CHECKING:  # what type checkers and editors see
    from .build import BuildResult, build
    from .errors import (
        CsecLdError,
        DataError,
        OutputError,
        ParameterError,
        QueryError,
        RecordError,
        ShapesError,
        SourceNotFoundError,
        StoreError,
        UsageError,
        ValidationFailedError,
    )
    from .listing import import_listing, parse_listing
    from .push import PushResult, push
    from .query import NamedQuery, Parameter, format_result, get_query, named_queries, run_query
    from .records import Identifier, LangString, PartialDate, Record
    from .site.publish import PublishResult, publish
    from .sources import Catalog, Catalogue, load_records, open_catalog
    from .store import (
        EmbeddedEngine,
        Engine,
        MemoryEngine,
        RemoteEngine,
        Result,
        load_store,
        open_engine,
        upload_catalogue,
    )
    from .validation import Severity, ValidationReport, ValidationResult, validate
