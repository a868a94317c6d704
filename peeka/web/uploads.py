"""Uploads stay in memory. Django's memory handler steps aside for a file larger than
FILE_UPLOAD_MAX_MEMORY_SIZE, and with no handler after it the file would vanish silently (the
view would then say "send an image"); this last handler refuses the request instead."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class RefuseLargeFiles(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        raise RequestDataTooBig(
            f"A file is larger than {settings.FILE_UPLOAD_MAX_MEMORY_SIZE // 2**20} MB."
        )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
