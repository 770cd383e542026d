"""csec-ld: a catalogue of resources on the commercial sexual exploitation of children,
published as validated linked data.

>>> from csec_ld import load_records
>>> records = load_records(["data"])
"""

from .__about__ import __version__
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
)
from .listing import import_listing, parse_listing
from .push import PushResult, push
from .query import NamedQuery, Parameter, format_result, get_query, named_queries, run_query
from .records import Identifier, LangString, PartialDate, Record
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
    "push",
    "run_query",
    "upload_catalogue",
    "validate",
]
