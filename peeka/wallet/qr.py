"""QR codes for the wallet: draw a payment code (inline SVG for the page, PNG for a download) and
read one back from a camera frame or an uploaded picture. Nothing here touches the disk.

Reading is tuned for a phone screen held up to a webcam: small, tilted, blurred, badly lit.
Cheap readers run first and the costly one only when a cheaper one has seen a code it could not
read, so a frame without a code (most frames of a scan) costs a few tens of milliseconds.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterator

import cv2
import numpy as np
import numpy.typing as npt
import segno

from peeka.biometrics.imageio import load_image

GreyImage = npt.NDArray[np.uint8]

ERROR_CORRECTION = "m"  # 15 % of the code may be lost: a scuffed screen or a glare spot
QUIET_ZONE = 4  # modules of light border, as ISO/IEC 18004 requires
SVG_SIZE = 240  # pixels the inline SVG is drawn at, give or take a module

# An upload is refused from its size and header alone (peeka.biometrics.imageio) before a pixel
# is decoded: more bytes than any phone photo, or more pixels than a 25-megapixel camera.
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 25_000_000

# The detectors' cost grows with the pixel count (about 1 s for the plain detector on a
# 12-megapixel photo without a code, several seconds for the WeChat one), so a large picture is
# read from a copy this long first, then from one at most MAX_SIDE long, never at full size.
WORKING_SIDE = 1000
MAX_SIDE = 2000
# A tight crop of a code (a screenshot) is enlarged to this and given a light border, since
# every detector needs a few pixels a module and a quiet zone around the finder patterns.
MIN_SIDE = 400


def qr_svg(payload: str, *, title: str) -> str:
    """An inline `<svg role="img">` of `payload`, about SVG_SIZE pixels wide, labelled `title`
    for screen readers. Dark modules on a white square, so it scans on a dark theme too; no
    `style` attribute (the page's Content Security Policy forbids inline styles)."""
    code = _encode(payload)
    scale = max(1, round(SVG_SIZE / code.symbol_size(border=QUIET_ZONE)[0]))
    buffer = io.BytesIO()
    code.save(
        buffer,
        kind="svg",
        scale=scale,
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        xmldecl=False,
        svgclass="qr-code",
        lineclass=None,
    )
    svg = buffer.getvalue().decode("utf-8")
    label = html.escape(title, quote=True)
    # A viewBox as well as the size, so a narrow screen's CSS (max-width: 100%) shrinks the
    # whole code instead of cropping it.
    side = code.symbol_size(scale=scale, border=QUIET_ZONE)[0]
    return svg.replace(
        "<svg ", f'<svg role="img" aria-label="{label}" viewBox="0 0 {side} {side}" ', 1
    )


def qr_png(payload: str, *, scale: int = 8) -> bytes:
    """`payload` as a black-and-white PNG, `scale` pixels a module, with the quiet zone."""
    buffer = io.BytesIO()
    _encode(payload).save(buffer, kind="png", scale=scale, border=QUIET_ZONE)
    return buffer.getvalue()


def qr_decode(data: bytes) -> str | None:
    """The text of the first QR code found in a JPEG, PNG, WebP or BMP picture, or None when it
    holds no readable code.

    Raises `peeka.errors.ImageError` (codes image_empty, image_unsupported, image_corrupt,
    image_too_large) for anything that is not a picture, or one over MAX_BYTES bytes or
    MAX_PIXELS pixels; the size checks read only the header.
    """
    rgb = load_image(data, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    grey = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), np.uint8)
    del rgb  # a 25-megapixel picture is 75 MB in colour
    for view in _views(grey):
        text = _read(view)
        if text is not None:
            return text
    return None


def _encode(payload: str) -> segno.QRCode:
    # Never a Micro QR: phone cameras and most readers cannot read one.
    return segno.make(payload, error=ERROR_CORRECTION, micro=False)


def _views(grey: GreyImage) -> Iterator[GreyImage]:
    """The picture at the sizes worth reading, cheapest first; each made only when needed."""
    height, width = grey.shape
    side = max(height, width)
    if side < MIN_SIDE:
        factor = -(-MIN_SIDE // side)  # whole multiples keep modules square and sharp
        size = (width * factor, height * factor)
        enlarged = np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_NEAREST), np.uint8)
        border = MIN_SIDE // 10
        yield np.pad(enlarged, border, constant_values=255)
        return
    if side > WORKING_SIDE * 3 // 2:  # a 1280x720 frame is read once, at its own size
        yield _shrink(grey, WORKING_SIDE)
    yield grey if side <= MAX_SIDE else _shrink(grey, MAX_SIDE)


def _shrink(grey: GreyImage, side: int) -> GreyImage:
    height, width = grey.shape
    factor = side / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), np.uint8)


def _read(grey: GreyImage) -> str | None:
    """One view through the readers: OpenCV's plain detector, then the ArUco-based one (finds
    small and tilted codes the plain one misses), on the picture and on a contrast-equalised copy
    (a dim room, a glaring screen). Only when one of them located a code it could not read does
    the WeChat reader run: the most forgiving of blur and the slowest (used without its CNN
    models, which Peeka does not ship)."""
    text, located = _detect_and_decode(grey)
    if text is not None:
        return text
    if located and (text := _wechat(grey)) is not None:
        return text
    equalised = _equalise(grey)
    text, located_after = _detect_and_decode(equalised)
    if text is not None or not located_after:
        return text
    if not located and (text := _wechat(grey)) is not None:
        return text
    return _wechat(equalised)


def _detect_and_decode(grey: GreyImage) -> tuple[str | None, bool]:
    """(the text or None, whether the ArUco-based detector located a code). The plain
    detector's own "located" is ignored: it fires on textures where there is no code, and
    never located one the ArUco detector missed in our trials."""
    # New detectors each time: they cost microseconds to make, hold state, and requests run
    # in threads.
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(grey)
    if text:
        return str(text), True
    text, points, _ = cv2.QRCodeDetectorAruco().detectAndDecode(grey)
    if text:
        return str(text), True
    return None, points is not None


def _wechat(grey: GreyImage) -> str | None:
    texts, _ = cv2.wechat_qrcode.WeChatQRCode().detectAndDecode(grey)
    return next((str(text) for text in texts if text), None)


def _equalise(grey: GreyImage) -> GreyImage:
    # Local histogram equalisation: lifts a dim or washed-out code without blowing out the
    # bright screen next to a dark room, as one global stretch would.
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
    return np.asarray(clahe.apply(grey), np.uint8)
