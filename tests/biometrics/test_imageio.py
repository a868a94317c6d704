from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from peeka.biometrics import FaceEngine, RGBImage, load_image
from peeka.errors import (
    CorruptImageError,
    EmptyImageError,
    ImageError,
    ImageTooLargeError,
    MultipleFacesError,
    NoFaceError,
    UnsupportedImageError,
)
from tests.conftest import encode


def test_it_rejects_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(EmptyImageError, match="empty"):
        load_image(empty)
    with pytest.raises(EmptyImageError):
        load_image(b"")


def test_it_rejects_something_that_is_not_an_image() -> None:
    with pytest.raises(UnsupportedImageError, match="not an image"):
        load_image(b"%PDF-1.4 this is a document, not a photo")


def test_it_rejects_a_format_outside_the_allowed_list(astronaut: RGBImage) -> None:
    with pytest.raises(UnsupportedImageError):
        load_image(encode(astronaut, "TIFF"))


def test_it_rejects_a_truncated_jpeg(astronaut: RGBImage) -> None:
    jpeg = encode(astronaut)
    with pytest.raises(CorruptImageError, match="damaged or incomplete"):
        load_image(jpeg[: len(jpeg) // 2])


def test_it_refuses_a_decompression_bomb_before_decoding() -> None:
    # 7,072 x 7,072 = 50 megapixels that compress to a few kilobytes.
    bomb = encode(Image.new("1", (7072, 7072)), "PNG")
    assert len(bomb) < 100_000
    with pytest.raises(ImageTooLargeError, match="pixels"):
        load_image(bomb)


def test_it_refuses_a_file_over_the_byte_limit(astronaut: RGBImage) -> None:
    with pytest.raises(ImageTooLargeError, match="MB"):
        load_image(encode(astronaut), max_bytes=1000)


def test_it_flattens_a_png_with_alpha_onto_white(astronaut: RGBImage) -> None:
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    rgba[:10, :10, 3] = 0  # a transparent corner
    image = load_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert image.shape == (512, 512, 3) and image.dtype == np.uint8
    assert (image[:10, :10] == 255).all()
    assert (image[100:110, 100:110] == astronaut[100:110, 100:110]).all()


def test_it_reads_grayscale_as_three_equal_channels(astronaut: RGBImage) -> None:
    image = load_image(encode(Image.fromarray(astronaut).convert("L"), "PNG"))
    assert image.shape == (512, 512, 3)
    assert (image[..., 0] == image[..., 1]).all() and (image[..., 1] == image[..., 2]).all()


def test_it_converts_cmyk_to_rgb(astronaut: RGBImage) -> None:
    image = load_image(encode(Image.fromarray(astronaut).convert("CMYK"), "JPEG", quality=95))
    assert image.shape == (512, 512, 3)
    assert np.abs(image.astype(int) - astronaut.astype(int)).mean() < 12


def test_it_scales_a_16_bit_grayscale_png_instead_of_clipping(astronaut: RGBImage) -> None:
    grey = np.asarray(Image.fromarray(astronaut).convert("L"), dtype=np.uint16) * 257
    image = load_image(encode(Image.fromarray(grey), "PNG"))
    assert image.shape == (512, 512, 3)
    expected = np.asarray(Image.fromarray(astronaut).convert("L"))
    assert np.abs(image[..., 0].astype(int) - expected.astype(int)).max() <= 1


def test_it_turns_an_exif_rotated_photo_upright(astronaut: RGBImage, engine: FaceEngine) -> None:
    # Stored sideways (as a phone does) with EXIF orientation 6: "rotate 90 degrees clockwise".
    sideways = Image.fromarray(astronaut).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    image = load_image(encode(sideways, "JPEG", exif=exif.tobytes(), quality=95))
    assert image.shape == astronaut.shape
    assert np.abs(image.astype(int) - astronaut.astype(int)).mean() < 6
    upright, found = engine.locate(astronaut).box.center, engine.locate(image).box.center
    assert np.hypot(upright[0] - found[0], upright[1] - found[1]) < 10


def test_it_says_which_file_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="No such file") as info:
        load_image(tmp_path / "nope.jpg")
    assert info.value.code == "image_not_found"


def test_a_photo_without_a_face_is_a_clear_error(engine: FaceEngine) -> None:
    from skimage import data

    with pytest.raises(NoFaceError, match="No face was found"):
        engine.probe(load_image(encode(data.chelsea())))


def test_a_photo_with_several_faces_is_a_clear_error(
    astronaut: RGBImage, engine: FaceEngine
) -> None:
    group = np.hstack([astronaut, astronaut[:, ::-1]])
    with pytest.raises(MultipleFacesError, match="2 faces") as info:
        engine.probe(load_image(encode(group)))
    assert info.value.code == "multiple_faces"


def test_every_image_error_has_a_stable_code() -> None:
    for payload in (b"", b"GIF89a", b"\xff\xd8\xff\xe0"):
        with pytest.raises(ImageError) as info:
            load_image(io.BytesIO(payload).getvalue())
        assert info.value.code.startswith("image_")
