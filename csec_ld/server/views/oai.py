"""``/oai``: OAI-PMH over the records the site carries in ``source/`` (tombstones too).

The repository's ``baseURL`` is the configured public URL's, never one a ``Host``
header made up. It is opened on the first request (reading ``source/`` takes a while
on a large site) and kept.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from ...errors import RequestError
from ...site.oai import OaiRepository, oai_endpoint
from ...site.publish import SOURCE_FOLDER
from ...sources import open_catalog

__all__ = ["OaiView"]


class OaiView:
    """``GET``/``POST /oai``."""

    def __init__(self, root: Path, public: str, page_size: int) -> None:
        self.sources = root / SOURCE_FOLDER
        self.base_url = public + "oai"
        self.page_size = page_size
        self._lock = threading.Lock()
        self._endpoint: Any = None

    def _opened(self) -> Any:
        with self._lock:
            if self._endpoint is None:
                repo = OaiRepository(
                    open_catalog([self.sources]), self.base_url, page_size=self.page_size
                )
                self._endpoint = oai_endpoint(repo)
            return self._endpoint

    async def endpoint(self, request: Request) -> Response:
        if not (self.sources / "records.jsonl").is_file():
            raise RequestError(404, "this site carries no records for OAI-PMH (publish it again)")
        endpoint = await anyio.to_thread.run_sync(self._opened)
        response: Response = await endpoint(request)
        return response
