"""Uploads stay in memory, within one budget on every endpoint: a request of more than 40 MB
(PEEKA_MAX_REQUEST_BYTES) is refused from its Content-Length before any byte is read, and a
file of more than 20 MB (FILE_UPLOAD_MAX_MEMORY_SIZE) as soon as it grows past that. Nothing
is ever written to a temporary file. (Django's own memory handler steps aside for any request
over the per-file size, so many small frames adding up to 25 MB would have been refused.)"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import MemoryFileUploadHandler


class InMemoryUploads(MemoryFileUploadHandler):
    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        limit = settings.PEEKA_MAX_REQUEST_BYTES
        if content_length > limit:
            raise RequestDataTooBig(f"The request is larger than {limit // 2**20} MB.")
        self.activated = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        limit = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        if start + len(raw_data) > limit:
            raise RequestDataTooBig(f"A file is larger than {limit // 2**20} MB.")
        return super().receive_data_chunk(raw_data, start)
