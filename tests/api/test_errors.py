"""What an integrator gets back for a broken upload and for requests no endpoint takes: a 400
with the image's own code (still counted and audited on verify), and JSON `{"code",
"message"}` for every answer under /api/."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.api.models import ApiClient
from peeka.security.models import AuditEvent
from peeka.security.selectors import lockout_failures
from peeka.security.services import FACE

TEXT = b"name,score\nalice,0.3\n"


@pytest.fixture
def key(db: None) -> str:
    return ApiClient.create("app")[1]


def post(key: str, path: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = Client().post(path, data, headers={"X-API-Key": key})
    assert response["Content-Type"].startswith("application/json")
    return response.status_code, dict(response.json())


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "image/jpeg")


def test_a_text_file_sent_as_the_image_is_named_not_answered_as_a_stranger(
    key: str, frames: dict[str, bytes]
) -> None:
    status, _ = post(
        key, "/api/v1/enrollments", {"user": "p1", "images": [upload(frames["obama"])]}
    )
    assert status == 201
    subject = User.objects.get(api_subject="p1")
    for data, code in ((TEXT, "image_unsupported"), (b"", "image_empty"),
                       (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image_corrupt")):  # fmt: skip
        status, body = post(key, "/api/v1/verify", {"user": "p1", "image": upload(data)})
        assert (status, body["code"]) == (400, code), body
        assert body["message"]
        status, body = post(key, "/api/v1/identify", {"image": upload(data)})
        assert (status, body["code"]) == (400, code), body
    # Each broken verify still counted toward the subject's lockout and was audited.
    assert lockout_failures(user=subject, rule=FACE) == 3
    verifies = AuditEvent.objects.filter(event="api_verify", user=subject)
    assert sorted(verifies.values_list("reason", flat=True)) == [
        "image_corrupt", "image_empty", "image_unsupported"
    ]  # fmt: skip
    assert AuditEvent.objects.filter(event="api_identify", success=False).count() == 3
    # A good picture of a stranger is still an ordinary no-match.
    assert post(key, "/api/v1/verify", {"user": "p1", "image": upload(frames["biden"])}) == (
        200,
        {"match": False},
    )


def test_an_unknown_subject_with_a_broken_image_gets_the_same_image_error(key: str) -> None:
    status, body = post(key, "/api/v1/verify", {"user": "nobody", "image": upload(TEXT)})
    assert (status, body["code"]) == (400, "image_unsupported")
    audited = AuditEvent.objects.get(event="api_verify")
    assert (audited.username, audited.success, audited.reason) == ("nobody", False, "unknown_user")


def test_every_answer_under_the_api_is_json(key: str, settings: SettingsWrapper) -> None:
    client = Client()
    unknown = client.get("/api/v1/no-such-endpoint", headers={"X-API-Key": key})
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    outside = client.get("/api/v2/verify")
    assert outside.status_code == 404 and outside.json()["code"] == "not_found"
    wrong = client.get("/api/v1/verify", headers={"X-API-Key": key})
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
    assert "POST" in wrong["Allow"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = client.post(
        "/api/v1/identify",
        data=b"x" * 5000,
        content_type="application/octet-stream",
        headers={"X-API-Key": key},
    )
    assert 400 <= big.status_code < 500
    assert set(big.json()) == {"code", "message"}
    # Pages outside the API keep their HTML.
    assert Client().get("/no-such-page/").status_code == 404
    assert "application/json" not in Client().get("/no-such-page/")["Content-Type"]
