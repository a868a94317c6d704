"""What an attached file is and where it lives. A type is allowed only when the file's
extension and its content (its first bytes, or for text the whole of it) agree; files are kept
under PEEKA_ATTACHMENTS_DIR, outside the web root, under random names the server chose."""

from __future__ import annotations

import io
import os
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

from django.conf import settings

from peeka.errors import PeekaError, gettext_noop

MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_NAME_LENGTH = 200

PDF = b"%PDF-"
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"
ZIP = b"PK\x03\x04"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""The compound-file (OLE2) signature of HWP 5 documents (and old Office files)."""
TEXT_ENCODINGS = ("utf-8-sig", "cp949", "gb18030")
"""Text and CSV files as Korean and Chinese offices save them: UTF-8, or the national
encodings spreadsheets still write by default."""
STORED_NAME = re.compile(r"[0-9a-f]{32}")

ALLOWED_EXTENSIONS = (
    "pdf",
    "png",
    "jpg",
    "jpeg",
    "txt",
    "csv",
    "docx",
    "xlsx",
    "pptx",
    "hwp",
    "hwpx",
)


class AttachmentError(PeekaError):
    """A file that may not be attached; nothing of it was kept."""

    code = "attachment_invalid"


def _text(data: bytes) -> bool:
    """Plain text: no NUL or other control bytes a text file never has, in one of
    `TEXT_ENCODINGS`."""
    if b"\x00" in data or re.search(rb"[\x01-\x08\x0e-\x1a\x1c-\x1f\x7f]", data):
        return False
    for encoding in TEXT_ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _office(data: bytes, folder: str) -> bool:
    """An Office Open XML package: a zip with the content-types part and the application's
    folder (`word/`, `xl/`, `ppt/`). Only the zip's directory is read, nothing is unpacked."""
    if not data.startswith(ZIP):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)


def _zip(data: bytes) -> bool:
    if not data.startswith(ZIP):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.namelist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        return False
    return True


TYPES: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "pdf": ("application/pdf", lambda d: d.startswith(PDF)),
    "png": ("image/png", lambda d: d.startswith(PNG)),
    "jpg": ("image/jpeg", lambda d: d.startswith(JPEG)),
    "jpeg": ("image/jpeg", lambda d: d.startswith(JPEG)),
    "txt": ("text/plain", _text),
    "csv": ("text/csv", _text),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        lambda d: _office(d, "word/"),
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        lambda d: _office(d, "xl/"),
    ),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        lambda d: _office(d, "ppt/"),
    ),
    # HWP 5 is an OLE compound file; HWPX (and some tools' .hwp) is a zip package.
    "hwp": ("application/x-hwp", lambda d: d.startswith(OLE) or _zip(d)),
    "hwpx": ("application/hwp+zip", _zip),
}
"""Extension: the type a download is served as, and the check of the content."""


def display_name(name: str) -> str:
    """The user's file name as it is shown and offered on download: without folders (either
    kind of slash), control characters or surrounding spaces, at most `MAX_NAME_LENGTH`
    characters with its extension kept."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    if len(base) > MAX_NAME_LENGTH:
        stem, dot, extension = base.rpartition(".")
        keep = MAX_NAME_LENGTH - len(extension) - 1
        base = f"{stem[:keep]}.{extension}" if dot and keep > 0 else base[:MAX_NAME_LENGTH]
    return base


def content_type(*, name: str, data: bytes) -> str:
    """The type `data` is served as, or `AttachmentError` when its size, its extension or its
    content is not allowed, or the two disagree (an .exe renamed .pdf)."""
    shown = display_name(name)
    if not data:
        raise AttachmentError(
            gettext_noop("%(name)s is empty."), code="attachment_empty", params={"name": shown}
        )
    if len(data) > MAX_FILE_BYTES:
        raise AttachmentError(
            gettext_noop("%(name)s is larger than 10 MB."),
            code="attachment_too_large",
            params={"name": shown},
        )
    extension = shown.rpartition(".")[2].lower() if "." in shown else ""
    if extension not in TYPES:
        raise AttachmentError(
            gettext_noop("%(name)s is not a type that may be attached (%(types)s)."),
            code="attachment_type",
            params={"name": shown, "types": ", ".join(ALLOWED_EXTENSIONS)},
        )
    served, matches = TYPES[extension]
    if not matches(data):
        raise AttachmentError(
            gettext_noop("The content of %(name)s is not what its name says it is."),
            code="attachment_content",
            params={"name": shown},
        )
    return served


def folder() -> Path:
    return Path(settings.PEEKA_ATTACHMENTS_DIR)


def new_name() -> str:
    """A random name for a stored file: 128 bits, nothing of the user's name in it."""
    return secrets.token_hex(16)


def path_of(stored_name: str) -> Path:
    """Where the stored file `stored_name` lives; `ValueError` for anything but a name
    `new_name` makes, so no stored value can point outside the folder."""
    if not STORED_NAME.fullmatch(stored_name):
        raise ValueError("not a stored attachment name")
    return folder() / stored_name


def write(*, stored_name: str, data: bytes) -> Path:
    """Write a new file readable by the server's user only (0600, in a 0700 folder); it must
    not exist yet."""
    path = path_of(stored_name)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def remove(stored_name: str) -> None:
    path_of(stored_name).unlink(missing_ok=True)


def open_stored(stored_name: str) -> BinaryIO | None:
    """The stored file for reading, or None when it is gone."""
    try:
        return path_of(stored_name).open("rb")
    except (FileNotFoundError, ValueError):
        return None
