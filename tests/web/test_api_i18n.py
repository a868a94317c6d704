"""Every error answer of the API speaks the caller's language (Accept-Language) while its code
stays the same: django-ninja's validation errors, our own refusals, and the image decoding
errors made below the web layer (marked there, translated here, their numbers kept)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from peeka.api.models import ApiClient
from peeka.biometrics.imageio import load_image
from peeka.errors import ImageError, ImageTooLargeError
from peeka.security.wording import localized

TEXT = b"name,score\nalice,0.3\n"


@pytest.fixture
def key(db: None) -> str:
    return ApiClient.create("i18n")[1]


def _in(language: str, message: str) -> str:
    with translation.override(language):
        translated = gettext(message)
    assert translated != message, f"{message!r} has no {language} translation"
    return translated


def call(
    key: str, path: str, data: dict[str, Any], language: str, method: str = "post"
) -> tuple[int, dict[str, Any]]:
    headers = {"Accept-Language": language}
    if key:
        headers["X-API-Key"] = key
    response = getattr(Client(), method)(path, data, headers=headers)
    assert response["Content-Type"].startswith("application/json")
    return response.status_code, dict(response.json())


def in_both(key: str, path: str, data: dict[str, Any]) -> tuple[int, str, str, str]:
    """(status, code, English message, Korean message); the code is the same in both."""
    status, english = call(key, path, data, "en")
    status_ko, korean = call(key, path, data, "ko")
    assert (status, english["code"]) == (status_ko, korean["code"])
    assert english["message"] != korean["message"]
    return status, english["code"], english["message"], korean["message"]


def picture(size: tuple[int, int], fmt: str = "PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("1", size).save(buffer, fmt)
    return SimpleUploadedFile(f"p.{fmt.lower()}", buffer.getvalue(), f"image/{fmt.lower()}")


def test_a_missing_field_is_named_in_the_callers_language(key: str) -> None:
    status, code, english, korean = in_both(key, "/api/v1/verify", {})
    assert (status, code) == (422, "invalid_request")
    assert english == "user is required."
    assert korean == _in("ko", "%(field)s is required.") % {"field": "user"}
    status, code, english, korean = in_both(key, "/api/v1/enrollments", {"user": "p1"})
    assert (status, code) == (422, "invalid_request")
    assert english == "images is required."


def test_our_own_refusals_speak_the_callers_language(key: str) -> None:
    status, code, english, korean = in_both(key, "/api/v1/verify", {"user": "p1"})
    assert (status, code) == (422, "invalid_request")
    assert english == "Send an image, a passed challenge, or both."
    assert korean == _in("ko", "Send an image, a passed challenge, or both.")
    status, code, _, korean = in_both(key, "/api/v1/verify", {"user": "no/such"})
    assert (status, code) == (422, "invalid_user")
    status, code, english, korean = in_both("", "/api/v1/identify", {})
    assert (status, code) == (401, "unauthorized")
    assert english == "Send a valid API key in the X-API-Key header."
    assert korean == _in("ko", "Send a valid API key in the X-API-Key header.")
    status, body = call(key, "/api/v1/enrollments/nobody", {}, "ko", method="delete")
    assert (status, body["code"]) == (404, "user_not_found")
    assert body["message"] == _in("ko", "No subject %(user)s is enrolled by this client.") % {
        "user": "'nobody'"
    }


def test_an_image_that_is_not_a_picture_is_named_in_the_callers_language(key: str) -> None:
    text = SimpleUploadedFile("photo.jpg", TEXT, "image/jpeg")
    status, english = call(key, "/api/v1/identify", {"image": text}, "en")
    text.seek(0)
    _, korean = call(key, "/api/v1/identify", {"image": text}, "ko")
    assert status == 400
    assert english["code"] == korean["code"] == "image_unsupported"
    assert english["message"] == (
        "This is not an image Peeka can read. Send a JPEG, PNG, WEBP, BMP file."
    )
    assert korean["message"] == _in(
        "ko", "This is not an image Peeka can read. Send a %(formats)s file."
    ) % {"formats": "JPEG, PNG, WEBP, BMP"}
    empty = SimpleUploadedFile("photo.jpg", b"", "image/jpeg")
    _, body = call(key, "/api/v1/identify", {"image": empty}, "ko")
    assert body["code"] == "image_empty"
    assert body["message"] == _in("ko", "The image is empty (0 bytes). Send a JPEG or PNG photo.")


def test_a_picture_with_too_many_pixels_keeps_its_numbers_in_every_language(key: str) -> None:
    # 6000x5000 one-bit pixels: a few KB of PNG, refused from its header before decoding.
    status, english = call(key, "/api/v1/identify", {"image": picture((6000, 5000))}, "en")
    _, chinese = call(key, "/api/v1/identify", {"image": picture((6000, 5000))}, "zh-CN")
    assert status == 400
    assert english["code"] == chinese["code"] == "image_too_large"
    assert english["message"] == (
        "The image is 6000x5000 (30,000,000 pixels); the limit is 25,000,000. Send a smaller photo."
    )
    assert "30,000,000" in chinese["message"] and "25,000,000" in chinese["message"]
    assert chinese["message"] != english["message"]


def test_decoding_errors_are_marked_below_the_web_layer() -> None:
    with pytest.raises(ImageTooLargeError) as info:
        load_image(b"x" * 300_000, max_bytes=256 * 1024)
    assert info.value.message == "The file is larger than 0.25 MB. Send a smaller photo."
    assert info.value.params == {"size": "0.25"}
    with translation.override("ko"):
        assert localized(info.value) == _in(
            "ko", "The file is larger than %(size)s MB. Send a smaller photo."
        ) % {"size": "0.25"}


def test_an_error_inside_another_errors_message_is_translated_too() -> None:
    inner = ImageError(
        "The image file is damaged or incomplete. Take or upload the photo again.",
        code="image_corrupt",
    )
    outer = ImageError("Image %(number)d: %(problem)s", params={"number": 2, "problem": inner})
    assert outer.message == (
        "Image 2: The image file is damaged or incomplete. Take or upload the photo again."
    )
    with translation.override("ko"):
        text = localized(outer)
    assert _in("ko", inner.template) in text and "damaged" not in text
