"""Safe decoding of untrusted image bytes into RGB arrays.
Checks the pixel count before decoding, honours EXIF orientation and normalises every mode."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from peeka.errors import (
    CorruptImageError,
    EmptyImageError,
    ImageError,
    ImageTooLargeError,
    UnsupportedImageError,
    gettext_noop,
)

RGBImage = npt.NDArray[np.uint8]
"""An image as a contiguous uint8 array of shape (height, width, 3), channels in RGB order."""

# 25 MP covers any phone or webcam photo; a decompression bomb (a few KB that expand to
# gigabytes) is refused from the header alone, before any pixel is decoded.
DEFAULT_MAX_PIXELS = 25_000_000
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
FORMATS = ("JPEG", "PNG", "WEBP", "BMP")
_ALPHA_BACKGROUND = (255, 255, 255)


def load_image(
    source: bytes | str | os.PathLike[str],
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RGBImage:
    """Decode a JPEG, PNG, WebP or BMP file (a path or its bytes) into an upright RGB array.

    Raises an `ImageError` subclass with a message for the user on anything else: an empty
    file, something that is not an image, a truncated file, or more than `max_pixels` pixels
    (messages marked for translation, their numbers in `params`).
    """
    data = _read(source, max_bytes)
    if not data:
        raise EmptyImageError(
            gettext_noop("The image is empty (0 bytes). Send a JPEG or PNG photo.")
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data), formats=FORMATS)
            _check_pixels(opened.size, max_pixels)
            opened.load()
            return _to_rgb(ImageOps.exif_transpose(opened))
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(
            gettext_noop("The image has too many pixels (limit %(limit)s). Send a smaller photo."),
            params={"limit": f"{max_pixels:,}"},
        ) from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedImageError(
            gettext_noop("This is not an image Peeka can read. Send a %(formats)s file."),
            params={"formats": ", ".join(FORMATS)},
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # PIL reports truncated or malformed data as OSError ("image file is truncated"),
        # SyntaxError (broken PNG chunks) or ValueError, depending on the codec.
        raise CorruptImageError(
            gettext_noop("The image file is damaged or incomplete. Take or upload the photo again.")
        ) from exc


def _read(source: bytes | str | os.PathLike[str], max_bytes: int) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise _too_many_bytes(max_bytes)
            data = path.read_bytes()
        except IsADirectoryError as exc:
            raise UnsupportedImageError(f"{path} is a folder, not an image file.") from exc
        except FileNotFoundError as exc:
            raise ImageError(f"No such file: {path}", code="image_not_found") from exc
        except PermissionError as exc:
            raise ImageError(
                f"Cannot read {path}: permission denied.", code="image_unreadable"
            ) from exc
    if len(data) > max_bytes:
        raise _too_many_bytes(max_bytes)
    return data


def _too_many_bytes(max_bytes: int) -> ImageTooLargeError:
    return ImageTooLargeError(
        gettext_noop("The file is larger than %(size)s MB. Send a smaller photo."),
        params={"size": f"{max_bytes / (1024 * 1024):.3g}"},  # "20", "0.25"
    )


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise CorruptImageError(
            gettext_noop("The image has no pixels. Take or upload the photo again.")
        )
    if width * height > max_pixels:
        raise ImageTooLargeError(
            gettext_noop(
                "The image is %(width)dx%(height)d (%(pixels)s pixels); the limit is %(limit)s. "
                "Send a smaller photo."
            ),
            params={
                "width": width,
                "height": height,
                "pixels": f"{width * height:,}",
                "limit": f"{max_pixels:,}",
            },
        )


def _to_rgb(image: Image.Image) -> RGBImage:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # High bit-depth grayscale: Pillow's convert("RGB") clips to 255, which would turn
        # a 16-bit photo white; scale to the image's range instead.
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") else max(float(values.max()), 1.0)
        gray = np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*_ALPHA_BACKGROUND, 255))
        image = Image.alpha_composite(background, rgba)
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))
