"""Payment QR codes drawn and read back: clean, from a phone screen held up to a webcam (small,
tilted, blurred, badly lit, JPEG-compressed, in front of a real photo), from an uploaded phone
photo and a screenshot; photos without a code (faces among them) read as nothing; and pictures
that are not pictures, or claim 900 million pixels, refused from their header at once."""

from __future__ import annotations

import base64
import io
import math
import re
import struct
import time
import zlib
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from peeka.biometrics import RGBImage
from peeka.errors import (
    EmptyImageError,
    ImageError,
    ImageTooLargeError,
    UnsupportedImageError,
)
from peeka.wallet.qr import MAX_BYTES, qr_decode, qr_png, qr_svg

SVG_NS = "{http://www.w3.org/2000/svg}"


def payment_payload(seed: int) -> str:
    """What a receive code holds: our prefix and a signed token, 120 characters of base64url."""
    token = base64.urlsafe_b64encode(np.random.default_rng(seed).bytes(90)).decode()
    assert len(token) == 120
    return f"PEEKA-PAY:{token}"


def jpeg(image: npt.NDArray[Any], quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def png(image: npt.NDArray[Any]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def code_picture(payload: str, side: int, mode: str = "L") -> npt.NDArray[np.uint8]:
    """The code (quiet zone included) as a picture `side` pixels square."""
    code = Image.open(io.BytesIO(qr_png(payload))).convert(mode)
    return np.asarray(code.resize((side, side), Image.Resampling.BOX), np.uint8)


def phone_screen_at_a_webcam(
    payload: str,
    background: RGBImage,
    *,
    angle: float,
    side: int = 200,
    blur: float = 1.0,
    gain: float = 1.0,
    offset: float = 0.0,
    seed: int = 0,
) -> bytes:
    """A 640x480 webcam frame (JPEG, quality 70) of a phone showing the code: the code `side`
    pixels across, turned `angle` degrees, its top edge tilted away (a perspective warp),
    pasted on `background`, then blurred (out of focus) and brightened or darkened."""
    rng = np.random.default_rng(seed)
    code = code_picture(payload, side)
    photo = Image.fromarray(background).resize((640, 480), Image.Resampling.BOX)
    frame = np.asarray(photo, np.float32)
    centre = np.array([320 + rng.uniform(-60, 60), 240 + rng.uniform(-40, 40)])
    turn = math.radians(angle)
    rotation = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    half = side / 2
    corners = np.array([[-half, -half], [half, -half], [half, half], [-half, half]])
    target = corners @ rotation.T + centre
    target[0] += (0.06 * side, 0.04 * side)  # the top edge is further from the camera
    target[1] += (-0.06 * side, 0.04 * side)
    square = np.array([[0, 0], [side, 0], [side, side], [0, side]], np.float32)
    warp = cv2.getPerspectiveTransform(square, target.astype(np.float32))
    screen = np.asarray(cv2.warpPerspective(code, warp, (640, 480)), np.float32)
    mask = np.asarray(cv2.warpPerspective(np.full_like(code, 255), warp, (640, 480))) / 255.0
    tint = np.array([0.93, 0.97, 1.0])  # a phone screen is a little blue
    frame = frame * (1 - mask[..., None]) + screen[..., None] * tint * mask[..., None]
    frame = np.asarray(cv2.GaussianBlur(frame, (0, 0), blur))
    return jpeg(np.clip(frame * gain + offset, 0, 255), quality=70)


def test_a_clean_png_reads_back_exactly() -> None:
    payload = payment_payload(1)
    data = qr_png(payload)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    # 130 characters need a version 8 symbol at level M: 49 modules and a 4-module quiet zone.
    assert Image.open(io.BytesIO(data)).size == (57 * 8, 57 * 8)
    assert qr_decode(data) == payload
    assert qr_decode(qr_png(payload, scale=3)) == payload


@pytest.mark.parametrize(
    ("angle", "blur", "gain", "offset", "seed"),
    [
        (10.0, 1.0, 1.0, 0.0, 1),  # an office
        (12.5, 1.1, 0.8, -20.0, 2),  # a darker room
        (15.0, 0.9, 1.25, 15.0, 3),  # a window behind
        (11.5, 1.1, 0.3, 0.0, 35),  # a dim room: found only in the contrast-equalised copy
        (13.5, 1.1, 0.45, 110.0, 27),  # glare, out of focus: read by the WeChat reader
        (11.0, 1.1, 0.25, 0.0, 36),  # darker: the WeChat reader, from the equalised copy
    ],
)
def test_a_phone_screen_held_up_to_a_webcam_reads_back_exactly(
    astronaut: RGBImage, angle: float, blur: float, gain: float, offset: float, seed: int
) -> None:
    payload = payment_payload(seed)
    frame = phone_screen_at_a_webcam(
        payload, astronaut, angle=angle, blur=blur, gain=gain, offset=offset, seed=seed
    )
    assert Image.open(io.BytesIO(frame)).size == (640, 480)
    assert qr_decode(frame) == payload


def test_a_phone_screen_in_front_of_a_real_photo_reads_back_exactly(faces_dir: Path) -> None:
    background = np.asarray(Image.open(faces_dir / "obama.jpg").convert("RGB"))
    payload = payment_payload(5)
    frame = phone_screen_at_a_webcam(payload, background, angle=-11.0, blur=1.0, seed=5)
    assert qr_decode(frame) == payload


def test_an_uploaded_phone_photo_reads_back_exactly(astronaut: RGBImage) -> None:
    """A 7-megapixel photo, read from a smaller copy: never at full size."""
    payload = payment_payload(6)
    photo = np.array(Image.fromarray(astronaut).resize((3072, 2304), Image.Resampling.BILINEAR))
    photo[1200:1800, 1800:2400] = code_picture(payload, 600, "RGB")
    started = time.perf_counter()
    assert qr_decode(jpeg(photo)) == payload
    assert time.perf_counter() - started < 3


def test_a_screenshot_cropped_to_the_code_reads_back_exactly() -> None:
    payload = payment_payload(7)
    code = np.asarray(Image.open(io.BytesIO(qr_png(payload, scale=2))).convert("L"))
    cropped = code[8:-8, 8:-8]  # the quiet zone cut away: 98x98 pixels
    assert qr_decode(png(cropped)) == payload


def rasterise(svg: str) -> npt.NDArray[np.uint8]:
    """The dark modules of segno's SVG path (`M x y`, `m dx dy`, `h dx` at half-module heights)
    drawn as a greyscale picture, 8 pixels a module, on white."""
    root = ElementTree.fromstring(svg)
    dark = next(path for path in root.iter(f"{SVG_NS}path") if path.get("stroke"))
    x = y = 0.0
    cells: set[tuple[int, int]] = set()
    commands = re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", dark.get("d", ""))
    for command, first, second in commands:
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            cells.update((math.floor(y), math.floor(x) + i) for i in range(int(first)))
            x += float(first)
    size = max(max(row, column) for row, column in cells) + 1 + 4
    modules = np.full((size, size), 255, np.uint8)
    for row, column in cells:
        modules[row, column] = 0
    return np.kron(modules, np.ones((8, 8), np.uint8))


def test_the_inline_svg_is_labelled_has_no_style_and_reads_back() -> None:
    payload = payment_payload(8)
    title = 'Pay Kim "Café" <3 & co'
    svg = qr_svg(payload, title=title)
    assert "style" not in svg.lower()  # neither a style attribute nor a <style> element
    assert "<script" not in svg.lower()
    root = ElementTree.fromstring(svg)  # well-formed, the title escaped
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == title
    width, height = int(root.get("width", "0")), int(root.get("height", "0"))
    assert width == height and 200 <= width <= 280
    assert root.get("viewBox") == f"0 0 {width} {height}"
    assert qr_decode(png(rasterise(svg))) == payload


def test_a_photo_without_a_code_reads_as_nothing(astronaut: RGBImage) -> None:
    frame = Image.fromarray(astronaut).resize((640, 480), Image.Resampling.BOX)
    assert qr_decode(jpeg(np.asarray(frame), quality=85)) is None
    assert qr_decode(png(np.full((480, 640), 255, np.uint8))) is None


def test_face_photos_are_not_mistaken_for_a_code(faces_dir: Path) -> None:
    photos = sorted(faces_dir.glob("*.jpg"))
    assert len(photos) >= 4
    for photo in photos:
        assert qr_decode(photo.read_bytes()) is None, photo.name
        # and as a webcam would send them: 640x480, compressed
        frame = np.asarray(Image.open(photo).convert("RGB").resize((640, 480)))
        assert qr_decode(jpeg(frame, quality=70)) is None, photo.name


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` pixels, followed by one tiny data chunk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + checksum

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int, astronaut: RGBImage) -> bytes:
    """A real small JPEG whose frame header (SOF0) is rewritten to claim `width` x `height`."""
    data = bytearray(jpeg(astronaut[:64, :64]))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def refused_quickly(data: bytes) -> ImageError:
    started = time.perf_counter()
    with pytest.raises(ImageError) as raised:
        qr_decode(data)
    assert time.perf_counter() - started < 1.0, "decoded (or allocated) before refusing"
    return raised.value


def test_a_header_claiming_30000_by_30000_pixels_is_refused_before_decoding(
    astronaut: RGBImage,
) -> None:
    for data in (png_claiming(30_000, 30_000), jpeg_claiming(30_000, 30_000, astronaut)):
        assert len(data) < 10_000
        error = refused_quickly(data)
        assert isinstance(error, ImageTooLargeError)
        assert error.code == "image_too_large"


def test_a_file_over_the_byte_limit_is_refused_unread() -> None:
    error = refused_quickly(b"\xff\xd8\xff" + bytes(MAX_BYTES))
    assert isinstance(error, ImageTooLargeError)
    assert "10 MB" in error.message


def test_garbage_and_empty_uploads_are_refused_with_a_code() -> None:
    garbage = np.random.default_rng(9).bytes(50_000)
    error = refused_quickly(garbage)
    assert isinstance(error, UnsupportedImageError)
    assert error.code == "image_unsupported"
    assert isinstance(refused_quickly(b""), EmptyImageError)
    # A real JPEG cut off halfway: damaged, not "no code".
    truncated = jpeg(np.zeros((480, 640, 3), np.uint8) + 128)[:300]
    assert refused_quickly(truncated).code in {"image_corrupt", "image_unsupported"}
