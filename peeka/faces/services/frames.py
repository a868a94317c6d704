"""Decoding uploads within a budget: camera frames are refused from their header above
1280x720 and kept at camera size, photos are kept at a size a face needs. Each is decoded on
its own and only the reduced copy is kept, so a request holds one full picture at a time."""

from __future__ import annotations

import numpy as np
from PIL import Image

from peeka.biometrics import RGBImage, load_image

CAMERA_MAX_PIXELS = 1280 * 720
"""The most a webcam frame may have; a bigger one is refused before any pixel is decoded."""
CAMERA_SIZE = (640, 480)
"""What the liveness check looks at (the camera page records at this size)."""
PREVIEW_MAX_PIXELS = 640 * 480
PREVIEW_MAX_BYTES = 256 * 1024
"""The framing hints' frame (the camera page sends 320x240): anything bigger is refused."""
PHOTO_SIZE = (1280, 1280)
"""What an enrollment photo is kept at: a face in it is still far larger than the 150-pixel
chip the network sees."""


def camera_frame(data: bytes) -> RGBImage:
    """A liveness frame: at most 1280x720 (else `ImageTooLargeError` from the header), kept
    within 640x480."""
    return fit(load_image(data, max_pixels=CAMERA_MAX_PIXELS), CAMERA_SIZE)


def preview_frame(data: bytes) -> RGBImage:
    """A frame for the framing hints: at most 640x480 and 256 KiB, else an `ImageError`."""
    return load_image(data, max_pixels=PREVIEW_MAX_PIXELS, max_bytes=PREVIEW_MAX_BYTES)


def kept_photo(data: bytes) -> RGBImage:
    """A photo to keep while others are decoded (enrollment), within 1280x1280."""
    return fit(load_image(data), PHOTO_SIZE)


def fit(image: RGBImage, box: tuple[int, int]) -> RGBImage:
    """`image` scaled down (never up) to fit `box` in either orientation."""
    height, width = image.shape[:2]
    long_side, short_side = max(box), min(box)
    scale = min(1.0, long_side / max(width, height), short_side / min(width, height))
    if scale >= 1.0:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    reduced = Image.fromarray(image).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.ascontiguousarray(np.asarray(reduced, dtype=np.uint8))
