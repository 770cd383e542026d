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
from .records import Identifier, LangString, PartialDate, Record
from .sources import Catalog, Catalogue, load_records, open_catalog

__all__ = [
    "BuildResult",
    "Catalog",
    "Catalogue",
    "CsecLdError",
    "DataError",
    "Identifier",
    "LangString",
    "OutputError",
    "ParameterError",
    "PartialDate",
    "QueryError",
    "Record",
    "RecordError",
    "ShapesError",
    "SourceNotFoundError",
    "StoreError",
    "UsageError",
    "__version__",
    "build",
    "import_listing",
    "load_records",
    "open_catalog",
    "parse_listing",
]
