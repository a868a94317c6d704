"""Framing hints for the camera page (`POST /face/framing/`): real photos through the real
detector, the checks' order on synthetic detections, and the endpoint's limits."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.biometrics.framing import Framing, framing
from peeka.biometrics.types import Box, Face

pytestmark = pytest.mark.django_db


def jpeg(image: Image.Image, quality: int = 80) -> SimpleUploadedFile:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return SimpleUploadedFile("frame.jpg", out.getvalue(), content_type="image/jpeg")


def preview(photo: Path, brightness: float = 1.0, face: list[float] | None = None) -> Image.Image:
    """The photo as the camera page sends it, fitted into 320x240 on a grey background; with
    `face` (a box from an earlier answer), first cropped to frame that face as a webcam does."""
    picture = Image.open(photo).convert("RGB")
    if face is not None:  # from the uncropped preview's fractions back to the photo's pixels
        width, height = picture.size
        scale = min(320 / width, 240 / height, 1.0)
        ox, oy = (320 - width * scale) / 2, (240 - height * scale) / 2
        cx = ((face[0] + face[2]) / 2 * 320 - ox) / scale
        cy = ((face[1] + face[3]) / 2 * 240 - oy) / scale
        half = (face[2] - face[0]) * 320 / scale * 1.2
        picture = picture.crop((cx - half, cy - half * 0.75, cx + half, cy + half * 0.75))
    picture.thumbnail((320, 240))
    canvas = Image.new("RGB", (320, 240), (120, 120, 120))
    canvas.paste(picture, ((320 - picture.width) // 2, (240 - picture.height) // 2))
    if brightness != 1.0:
        pixels = np.asarray(canvas, dtype=np.float32) * brightness
        canvas = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
    return canvas


def ask(image: Image.Image | SimpleUploadedFile) -> tuple[int, dict[str, object]]:
    upload = image if isinstance(image, SimpleUploadedFile) else jpeg(image)
    response = Client().post("/face/framing/", {"frame": upload})
    return response.status_code, response.json()


def test_a_real_face_is_found_boxed_and_judged(faces_dir: Path) -> None:
    """The whole photo: a face too small in the frame. Cropped as a webcam frames a face: fine.
    The same crop at a fifth of its light: too dark."""
    status, body = ask(preview(faces_dir / "obama.jpg"))
    assert status == 200 and body["check"] == "far", body
    box = body["box"]
    assert isinstance(box, list) and 0 <= box[0] < box[2] <= 1 and 0 <= box[1] < box[3] <= 1
    status, body = ask(preview(faces_dir / "obama.jpg", face=box))
    assert status == 200 and body["check"] == "ok", body
    status, body = ask(preview(faces_dir / "obama.jpg", brightness=0.2, face=box))
    assert status == 200 and body["check"] == "dark", body
    assert ask(Image.new("RGB", (320, 240), (120, 120, 120)))[1]["check"] == "no_face"


def test_the_hint_follows_the_callers_language() -> None:
    grey = jpeg(Image.new("RGB", (320, 240), (120, 120, 120)))
    response = Client().post("/face/framing/", {"frame": grey}, HTTP_ACCEPT_LANGUAGE="ko")
    assert response.json()["check"] == "no_face"
    assert response.json()["hint"] == "얼굴이 보이지 않습니다. 카메라를 정면으로 바라봐 주세요."


@pytest.mark.parametrize(
    ("faces", "check"),
    [
        ([], "no_face"),
        ([Box(130, 70, 190, 150), Box(20, 70, 70, 130)], "several"),
        ([Box(130, 70, 190, 150), Box(20, 70, 40, 90)], "ok"),  # a small face far behind
        ([Box(150, 100, 170, 125)], "far"),
        ([Box(20, 0, 300, 240)], "near"),
        ([Box(0, 80, 70, 160)], "off_centre"),
    ],
)
def test_checks_on_detections(faces: list[Box], check: str) -> None:
    image = np.full((240, 320, 3), 128, np.uint8)
    found = framing(image, [Face(box, 0.9, "test") for box in faces])
    assert found.check == check and found.hint


def test_light_is_measured_inside_the_face_box() -> None:
    image = np.full((240, 320, 3), 128, np.uint8)
    face = Face(Box(130, 70, 190, 150), 0.9, "test")
    image[70:150, 130:190] = 20
    assert framing(image, [face]) == Framing("dark", framing(image, [face]).box)
    image[70:150, 130:190] = 240
    assert framing(image, [face]).check == "bright"
    image[:] = 250  # a bright background around a face in usable light is fine
    image[70:150, 130:190] = 140
    assert framing(image, [face]).check == "ok"


def test_bad_frames_are_refused_before_decoding(faces_dir: Path) -> None:
    status, body = ask(SimpleUploadedFile("x.jpg", b"not a picture"))
    assert status == 400 and body["code"] == "image_unsupported" and body["message"]
    status, body = ask(Image.new("RGB", (1280, 720), (120, 120, 120)))
    assert status == 400 and body["code"] == "image_too_large"
    big = SimpleUploadedFile("x.jpg", b"\xff" * (256 * 1024 + 1))
    status, body = ask(big)
    assert status == 400 and body["code"] == "invalid_frame"
    response = Client().post("/face/framing/", {})
    assert response.status_code == 400 and response.json()["code"] == "invalid_frame"
    assert Client().get("/face/framing/").status_code == 405


def test_hints_are_rate_limited_per_address(settings: SettingsWrapper) -> None:
    settings.PEEKA_RATE_LIMITS = {**settings.PEEKA_RATE_LIMITS, "framing": 2}
    grey = Image.new("RGB", (320, 240), (120, 120, 120))
    assert [ask(grey)[0] for _ in range(2)] == [200, 200]
    response = Client().post("/face/framing/", {"frame": jpeg(grey)})
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
