"""Hypothesis fuzzing of the two parsers every upload goes through before any face code runs:
the image decoder (arbitrary bytes, mutated real photos, headers that claim huge sizes) must
return an RGB array or raise `ImageError`, and Django's multipart parsing as the API and the
face pages use it (broken boundaries, truncated parts, huge headers, too many files) must end
in a 4xx, with the API's `{"code", "message"}` JSON, never a 5xx, and write no file.
Derandomized and bounded, so CI replays the same inputs."""

from __future__ import annotations

import base64
import io
import json
import os
import struct
import sys
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.api.models import ApiClient
from peeka.biometrics import load_image
from peeka.biometrics.imageio import DEFAULT_MAX_PIXELS
from peeka.errors import ImageError
from peeka.faces.services.matching import Probe
from peeka.faces.services.protection import enrollment_model

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        # The seeds and the API key are built once per test, not per example, on purpose.
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
EXAMPLES: Counter[str] = Counter()
"""Inputs tried per target, so no run passes vacuously."""


def decodes_or_refuses(data: bytes) -> None:
    """The decoder's contract: an upright RGB uint8 array within the pixel limit, or an
    `ImageError` (whose message the user sees); anything else would be a 500."""
    try:
        image = load_image(data)
    except ImageError as exc:
        assert exc.code.startswith("image_") and str(exc)
        return
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8
    assert image.ndim == 3 and image.shape[2] == 3 and image.flags.c_contiguous
    assert 0 < image.shape[0] * image.shape[1] <= DEFAULT_MAX_PIXELS


# --- the image decoder ---------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.fixture
def seeds(faces_dir: Path) -> list[bytes]:
    """A real photo as the camera sends it (JPEG with EXIF), and a thumbnail of it in every
    format and mode the decoder handles: the starting points for mutation."""
    photo = (faces_dir / "obama2.jpg").read_bytes()
    thumb = Image.open(io.BytesIO(photo)).convert("RGB").resize((40, 48))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: exercises the EXIF transpose
    gray16 = Image.fromarray(np.asarray(thumb.convert("L"), dtype=np.uint16) * 257)
    palette = thumb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return [
        photo,
        encode(thumb, "JPEG", quality=80, exif=exif, progressive=True),
        encode(thumb, "PNG"),
        encode(thumb.convert("RGBA"), "PNG"),
        encode(gray16, "PNG"),
        encode(palette, "PNG", transparency=0),
        encode(thumb, "WEBP", quality=70),
        encode(thumb, "BMP"),
    ]


MAGIC = 16
"""Leading bytes (the format's signature) that most edits leave alone: a broken signature
only ever means "unsupported"."""


@st.composite
def mutations(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """One seed with a few byte-level edits, most of them in the first few KB where the
    headers, EXIF, chunk lengths and tables are."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        size = len(data)
        region = draw(st.sampled_from(["head", "head", "head", "anywhere", "signature"]))
        at = draw(
            st.integers(MAGIC, MAGIC + 4096)
            if region == "head"
            else st.integers(0, MAGIC)
            if region == "signature"
            else st.integers(MAGIC, max(size, MAGIC))
        )
        at = min(at, size)
        edit = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "repeat"]))
        if edit == "flip" and at < size:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif edit == "set" and at < size:
            data[at] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0xFF]) | st.integers(0, 255))
        elif edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif edit == "delete":
            del data[at : at + draw(st.integers(1, 256))]
        elif edit == "truncate":
            del data[at:]
        elif edit == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 64))] * draw(st.integers(2, 8))
    return bytes(data)


def png(width: int, height: int, depth: int, color: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def jpeg(width: int, height: int, components: int, tail: bytes) -> bytes:
    frame = struct.pack(">BHHB", 8, height, width, components) + b"".join(
        bytes([i + 1, 0x11, 0]) for i in range(components)
    )
    quant = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes(range(1, 65))
    sof = b"\xff\xc0" + struct.pack(">H", len(frame) + 2) + frame
    return b"\xff\xd8" + quant + sof + tail + b"\xff\xd9"


def bmp(width: int, height: int, bits: int, tail: bytes) -> bytes:
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, 0, 0, 2835, 2835, 0, 0)
    return (
        b"BM" + struct.pack("<IHHI", 14 + len(info) + len(tail), 0, 0, 14 + len(info)) + info + tail
    )


def webp(width: int, height: int, tail: bytes) -> bytes:
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + vp8x + tail
    return b"RIFF" + struct.pack("<I", len(body)) + body


@st.composite
def huge_headers(draw: st.DrawFn) -> bytes:
    """Well-formed headers that claim up to 2^31 pixels a side over a few bytes of data: a
    decompression bomb must be refused from the header, before anything is allocated."""
    side = st.sampled_from([0, 1, 5000, 5001, 65535, 2**24, 2**31 - 1]) | st.integers(0, 2**31 - 1)
    tail = draw(st.binary(max_size=64))
    kind = draw(st.sampled_from(["png", "jpeg", "bmp", "webp"]))
    if kind == "png":
        depth, color = draw(st.sampled_from([(8, 2), (8, 6), (16, 0), (1, 0), (8, 3), (4, 4)]))
        idat = draw(st.just(zlib.compress(b"\x00" * 64)) | st.just(tail))
        return png(draw(side), draw(side), depth, color, idat)
    if kind == "jpeg":
        small = st.integers(0, 65535)
        return jpeg(draw(small), draw(small), draw(st.sampled_from([1, 3, 4])), tail)
    if kind == "bmp":
        signed = st.integers(-(2**31), 2**31 - 1) | st.sampled_from([-(2**31), -1, 0, 65535])
        return bmp(draw(signed), draw(signed), draw(st.sampled_from([1, 8, 24, 32, 0, 7])), tail)
    return webp(draw(st.integers(1, 2**24)), draw(st.integers(1, 2**24)), tail)


SIGNATURES = [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\x00\x01\x00\x00WEBPVP8", b"BM"]


@FUZZ
@given(signature=st.sampled_from(SIGNATURES), data=st.binary(max_size=2048))
def test_arbitrary_bytes_decode_or_raise_an_image_error(signature: bytes, data: bytes) -> None:
    """Random bytes, alone or behind a format's signature so the decoder gets past it."""
    EXAMPLES["load_image: arbitrary bytes"] += 1
    decodes_or_refuses(signature + data)


@FUZZ
@given(data=st.data())
@pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")  # broken EXIF
def test_mutated_real_photos_decode_or_raise_an_image_error(
    seeds: list[bytes], data: st.DataObject
) -> None:
    EXAMPLES["load_image: mutated photos"] += 1
    decodes_or_refuses(data.draw(mutations(seeds)))


@FUZZ
@given(data=huge_headers())
def test_headers_claiming_huge_images_are_refused(data: bytes) -> None:
    EXAMPLES["load_image: huge headers"] += 1
    decodes_or_refuses(data)


def test_the_seeds_themselves_decode(seeds: list[bytes]) -> None:
    for seed in seeds:
        image = load_image(seed)
        assert image.shape[2] == 3


# --- multipart bodies ----------------------------------------------------------------------

BOUNDARY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'()+_,-./:=? "
LATIN1 = st.characters(max_codepoint=255)
FIELDS = ["user", "image", "challenge", "username", "frame", "frames", "purpose", "timestamps"]
VALUES = [b"u-1", b"alice", b"login", b"enroll", b"0,33,66", b"", b"a" * 101, b"\xff\xfe"]


def _tiny_image() -> bytes:
    rng = np.random.default_rng(0)
    return encode(Image.fromarray(rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)), "PNG")


TINY = _tiny_image()


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def parts(draw: st.DrawFn) -> list[bytes]:
    """One part: its headers (a correct Content-Disposition or a broken one, an optional
    Content-Type and transfer encoding, maybe a huge header) and its content, repeated."""
    name = draw(st.sampled_from(FIELDS) | st.text(LATIN1, max_size=12))
    filename = draw(
        st.none()
        | st.sampled_from(["face.jpg", "../../etc/passwd", "", "a\x00b.png", "é.jpg"])
        | st.text(LATIN1, max_size=20)
    )
    disposition = draw(
        st.sampled_from(["form", "form", "form", "rfc2231", "attachment", "none", "bare", "raw"])
    )
    header = f"form-data; name={_quoted(name)}"
    if filename is not None:
        header += f"; filename={_quoted(filename)}"
    if disposition == "rfc2231":
        header = f"form-data; name={_quoted(name)}; filename*=UTF-8''%E2%82%AC%ZZ.jpg"
    elif disposition == "attachment":
        header = header.replace("form-data", "attachment")
    elif disposition == "bare":
        header = f"form-data; name={name}; filename={filename or ''}"
    elif disposition == "raw":
        header = draw(st.text(LATIN1, max_size=40))
    headers = [] if disposition == "none" else [f"Content-Disposition: {header}"]
    content_type = draw(
        st.none()
        | st.sampled_from(
            ["image/jpeg", "image/png", "text/plain; charset=utf-16", "x; charset=nope"]
        )
        | st.text(LATIN1, max_size=20)
    )
    if content_type is not None:
        headers.append(f"Content-Type: {content_type}")
    content = draw(
        st.sampled_from([TINY, TINY[: len(TINY) // 2], *VALUES])
        | st.binary(max_size=256)
        | st.text(max_size=30).map(str.encode)
    )
    if draw(st.booleans()) and draw(st.booleans()):
        headers.append("Content-Transfer-Encoding: base64")
        if draw(st.booleans()):
            content = base64.b64encode(content)
    padding = draw(st.sampled_from([0] * 8 + [1_000, 10_000, 100_000]))
    if padding:
        headers.append("X-Padding: " + "a" * padding)
    encoded = "\r\n".join(headers).encode("latin-1") + b"\r\n\r\n" + content
    # Beyond DATA_UPLOAD_MAX_NUMBER_FILES (100) and DATA_UPLOAD_MAX_NUMBER_FIELDS (1000).
    return [encoded] * draw(st.sampled_from([1] * 12 + [2, 11, 101, 1001]))


def _part(name: str, content: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"Content-Disposition: {disposition}\r\n\r\n".encode() + content


# What the endpoints expect, well formed: with them, clean bodies get past the parser into the
# views (a subject, a username, a frame to decode).
GOOD_PARTS = [
    _part("user", b"u-1"),
    _part("image", TINY, "face.png"),
    _part("username", b"alice"),
    _part("frame", TINY, "frame.png"),
    _part("purpose", b"login"),
    _part("challenge", b"nope"),
]
HOSTILE = "hostile"


@st.composite
def multipart(draw: st.DrawFn) -> tuple[bytes, str]:
    """(body, Content-Type). Most bodies are clean multipart with some of `GOOD_PARTS` and
    `parts`; the rest are damaged (truncated, LF line ends, flipped bytes, no closing
    boundary) or sent under a boundary that is wrong, missing or malformed."""
    mode = draw(st.sampled_from(["clean", "clean", "clean", HOSTILE, HOSTILE]))
    boundary = draw(
        st.text(BOUNDARY_CHARS, min_size=1, max_size=70).filter(lambda b: not b.endswith(" "))
        if mode != HOSTILE
        else st.text(BOUNDARY_CHARS, min_size=1, max_size=70) | st.text(LATIN1, max_size=80)
    )
    separator = b"--" + boundary.encode("latin-1")
    good = draw(st.lists(st.sampled_from(GOOD_PARTS), min_size=1, max_size=4, unique=True))
    fuzzed = [part for copies in draw(st.lists(parts(), max_size=4)) for part in copies]
    chunks = [separator + b"\r\n" + part + b"\r\n" for part in [*good, *fuzzed]]
    body = b"".join(chunks) + separator + b"--\r\n"
    content_type = f"multipart/form-data; boundary={boundary}"
    if mode != HOSTILE:
        return body, content_type
    body = draw(st.binary(max_size=16)) + body
    for damage in draw(st.lists(st.sampled_from(["truncate", "lf", "flip", "no-end"]), max_size=2)):
        at = draw(st.integers(0, max(len(body) - 1, 0)))
        if damage == "truncate":
            body = body[:at]
        elif damage == "lf":
            body = body.replace(b"\r\n", b"\n")
        elif damage == "flip" and body:
            body = body[:at] + bytes([body[at] ^ 0x20]) + body[at + 1 :]
        elif damage == "no-end":
            body = body.removesuffix(separator + b"--\r\n")
    content_type = draw(
        st.sampled_from(
            [
                content_type,
                f"multipart/form-data; boundary={_quoted(boundary)}",
                f"multipart/form-data; boundary={boundary}x",
                "multipart/form-data",
                "multipart/form-data; boundary=",
                f"multipart/mixed; boundary={boundary}",
            ]
        )
        | st.text(LATIN1, max_size=60)
    )
    charset = draw(st.sampled_from(["", "; charset=utf-8", "; charset=utf-16", "; charset=nope"]))
    return body, content_type + charset


WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_writes: list[list[str]] = []
"""While a request runs: the files Python opens for writing, from the `open` audit event
(every `open()`, `os.open()` and so every `tempfile` file, however short-lived)."""


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _writes and event == "open":
        path, _, flags = args
        if isinstance(flags, int) and flags & WRITE_FLAGS and "__pycache__" not in str(path):
            _writes[-1].append(str(path))


sys.addaudithook(_audit)


@pytest.fixture
def fuzzing(db: None, settings: SettingsWrapper) -> str:
    """An API key; rate limits out of the way; face login without liveness, so its frame
    endpoint parses the upload instead of refusing first; the face models already loaded
    (their first use imports libraries that probe the disk, which no upload should)."""
    Probe.from_frame(TINY).embedding(enrollment_model())
    settings.PEEKA_RATE_LIMITS = {**settings.PEEKA_RATE_LIMITS, "api": 10**6, "face": 10**6}
    settings.PEEKA_LIVENESS = False
    return ApiClient.create("fuzz")[1]


def post(
    url: str, upload: tuple[bytes, str], headers: dict[str, str] | None = None
) -> tuple[int, str, bytes]:
    """One request: below 500, and no file written meanwhile (uploads stay in memory)."""
    body, content_type = upload
    _writes.append([])
    try:
        response = Client().generic("POST", url, body, content_type=content_type, headers=headers)
    finally:
        written = _writes.pop()
    assert response.status_code < 500, (response.status_code, response.content[:200])
    assert not written, written
    return response.status_code, response.get("Content-Type", ""), response.content


@FUZZ
@given(upload=multipart())
def test_the_api_answers_any_multipart_body_with_json(
    fuzzing: str, upload: tuple[bytes, str]
) -> None:
    EXAMPLES["multipart: /api/v1/verify"] += 1
    status, content_type, content = post("/api/v1/verify", upload, {"X-API-Key": fuzzing})
    assert content_type.startswith("application/json"), (status, content[:200])
    body = json.loads(content)
    if status == 200:
        assert set(body) == {"match"} and isinstance(body["match"], bool)
    else:
        assert 400 <= status < 500 and set(body) == {"code", "message"}, (status, body)
        assert isinstance(body["code"], str) and isinstance(body["message"], str)


@FUZZ
@given(upload=multipart(), url=st.sampled_from(["/face/login/frame/", "/face/challenge/"]))
def test_the_face_pages_answer_any_multipart_body_below_500(
    fuzzing: str, upload: tuple[bytes, str], url: str
) -> None:
    EXAMPLES[f"multipart: {url}"] += 1
    post(url, upload)


def test_an_upload_over_the_memory_limit_never_reaches_the_disk(
    fuzzing: str, settings: SettingsWrapper
) -> None:
    """With only the in-memory upload handler, a file over FILE_UPLOAD_MAX_MEMORY_SIZE is not
    spilled to a temporary file (`post` checks) but dropped: the API answers a 4xx."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    boundary = "b0undary"
    body = (
        b"".join(
            b"--" + boundary.encode() + b"\r\n" + part + b"\r\n"
            for part in (_part("user", b"u-1"), _part("image", TINY + b"\0" * 5000, "face.png"))
        )
        + f"--{boundary}--\r\n".encode()
    )
    upload = (body, f"multipart/form-data; boundary={boundary}")
    status, _, content = post("/api/v1/verify", upload, {"X-API-Key": fuzzing})
    assert 400 <= status < 500 and set(json.loads(content)) == {"code", "message"}


def test_every_target_was_fuzzed() -> None:
    if not EXAMPLES:
        pytest.skip("the fuzz tests did not run (deselected, or no real photos)")
    print("\nFuzz examples: " + ", ".join(f"{k}: {n}" for k, n in sorted(EXAMPLES.items())))
    # Each target got a real share of its examples (the face pages split theirs in two).
    assert all(n >= 50 for n in EXAMPLES.values()), EXAMPLES
