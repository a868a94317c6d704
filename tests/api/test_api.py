"""The JSON API on real photos: every endpoint, API-key access control, client namespaces, 4xx
JSON errors with stable codes, and every response validated against the published OpenAPI
schema (openapi-core)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import MULTIPART_CONTENT
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.api.models import ApiClient
from peeka.faces.models import FaceTemplate, UserKey
from peeka.security.models import AuditEvent
from tests.webapp import PASSWORD


@pytest.fixture
def schema(db: None) -> OpenAPI:
    spec = Client().get("/api/v1/openapi.json").json()
    return OpenAPI.from_dict(spec)


@pytest.fixture
def key(db: None) -> str:
    return ApiClient.create("app-one")[1]


@pytest.fixture
def other_key(db: None) -> str:
    return ApiClient.create("app-two")[1]


def call(
    schema: OpenAPI, method: str, path: str, key: str | None, data: dict[str, Any] | None = None
) -> tuple[int, Any]:
    """One request, its response checked against the schema; (status, JSON body or None)."""
    headers = {"X-API-Key": key} if key is not None else {}
    client = Client()
    if method == "post":
        response = client.post(path, data or {}, headers=headers)
    else:
        response = client.delete(path, headers=headers)
    # The request side is multipart, which Django has consumed; only method and path matter
    # for finding the response's schema.
    request = MockRequest("http://testserver", method, path)
    schema.validate_response(
        request,
        MockResponse(
            response.content,
            status_code=response.status_code,
            content_type=response.get("Content-Type", "application/json"),
        ),
    )
    assert response.status_code < 500
    body = response.json() if response.content else None
    return response.status_code, body


def image(data: bytes, name: str = "face.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "image/jpeg")


def enroll(schema: OpenAPI, key: str, user: str, *photos: bytes, **extra: str) -> tuple[int, Any]:
    data = {"user": user, "images": [image(p) for p in photos], **extra}
    return call(schema, "post", "/api/v1/enrollments", key, data)


def verify(schema: OpenAPI, key: str | None, user: str, photo: bytes) -> tuple[int, Any]:
    return call(schema, "post", "/api/v1/verify", key, {"user": user, "image": image(photo)})


def identify(schema: OpenAPI, key: str | None, photo: bytes) -> tuple[int, Any]:
    return call(schema, "post", "/api/v1/identify", key, {"image": image(photo)})


def test_the_schema_and_docs_are_served_without_a_cdn(db: None) -> None:
    spec = Client().get("/api/v1/openapi.json").json()
    assert set(spec["paths"]) == {
        "/api/v1/enrollments", "/api/v1/verify", "/api/v1/identify", "/api/v1/enrollments/{user}",
        "/api/v1/liveness/challenges", "/api/v1/liveness/challenges/{challenge_id}/frames",
        # The workplace's kiosk devices (their own X-Device-Key).
        "/api/v1/workplace/challenges", "/api/v1/workplace/challenges/{challenge_id}/frames",
        "/api/v1/workplace/punch",
        # A user's own wallet (a personal access token: Authorization: Bearer).
        "/api/v1/wallet/balance", "/api/v1/wallet/requests", "/api/v1/wallet/payments",
        "/api/v1/wallet/transactions", "/api/v1/wallet/challenges",
        "/api/v1/wallet/challenges/{challenge_id}/frames",
    }  # fmt: skip
    schemes = spec["components"]["securitySchemes"]
    headers = {s["name"] for s in schemes.values() if s["type"] == "apiKey"}
    assert headers == {"X-API-Key", "X-Device-Key"}
    assert {(s["type"], s.get("scheme")) for s in schemes.values()} >= {("http", "bearer")}
    docs = Client().get("/api/v1/docs").text
    assert "swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert "https://" not in docs.split("<body")[0]


def test_enroll_verify_identify_and_delete(
    schema: OpenAPI, key: str, frames: dict[str, bytes]
) -> None:
    assert enroll(schema, key, "u-1", frames["obama"]) == (
        201, {"user": "u-1", "scheme": "ckks", "templates": 1}
    )  # fmt: skip
    assert enroll(schema, key, "u-2", frames["biden"], scheme="iom") == (
        201, {"user": "u-2", "scheme": "iom", "templates": 1}
    )  # fmt: skip

    assert verify(schema, key, "u-1", frames["obama2"]) == (200, {"match": True})
    assert verify(schema, key, "u-1", frames["biden"]) == (200, {"match": False})
    assert verify(schema, key, "nobody", frames["obama2"]) == (200, {"match": False})

    assert identify(schema, key, frames["obama3"]) == (200, {"user": "u-1"})
    assert identify(schema, key, frames["biden"]) == (200, {"user": "u-2"})

    assert call(schema, "delete", "/api/v1/enrollments/u-1", key) == (204, None)
    assert identify(schema, key, frames["obama3"]) == (200, {"user": None})
    status, body = call(schema, "delete", "/api/v1/enrollments/u-1", key)
    assert status == 404 and body["code"] == "user_not_found"
    assert FaceTemplate.objects.count() == 1 and UserKey.objects.count() == 1
    assert AuditEvent.objects.filter(event="api_verify").count() == 3


def test_re_enrolling_replaces_the_template(
    schema: OpenAPI, key: str, frames: dict[str, bytes]
) -> None:
    for _ in range(2):
        assert enroll(schema, key, "u-1", frames["obama"], frames["obama2"])[0] == 201
    assert FaceTemplate.objects.count() == 1 and UserKey.objects.count() == 1


def test_keys_are_required_and_clients_see_only_their_own_subjects(
    schema: OpenAPI, key: str, other_key: str, frames: dict[str, bytes], db: None
) -> None:
    web_user = User.objects.create_user("alice", password=PASSWORD)
    for bad in (None, "", "pk_wrong"):
        status, body = identify(schema, bad, frames["obama"])
        assert status == 401 and body["code"] == "unauthorized"
    assert enroll(schema, key, "alice", frames["obama"])[0] == 201
    # The client's "alice" is its own subject, not the web account.
    assert not FaceTemplate.objects.filter(user=web_user).exists()
    assert verify(schema, other_key, "alice", frames["obama2"])[1] == {"match": False}
    assert identify(schema, other_key, frames["obama2"])[1] == {"user": None}
    assert call(schema, "delete", "/api/v1/enrollments/alice", other_key)[0] == 404
    ApiClient.objects.filter(name="app-one").update(active=False)
    assert identify(schema, key, frames["obama2"])[0] == 401


def test_bad_input_gets_a_4xx_json_error_and_stores_nothing(
    schema: OpenAPI, key: str, frames: dict[str, bytes], settings: SettingsWrapper
) -> None:
    enroll = "/api/v1/enrollments"
    blank = io.BytesIO()
    Image.new("RGB", (320, 240), "white").save(blank, "PNG")
    cases = [
        ({"user": "u-1"}, 422, "invalid_request"),
        ({"images": [image(frames["obama"])]}, 422, "invalid_request"),
        ({"user": "no spaces", "images": [image(frames["obama"])]}, 422, "invalid_user"),
        ({"user": "u-1", "images": [image(b"")]}, 400, "image_empty"),
        ({"user": "u-1", "images": [image(b"GIF89a....")]}, 400, "image_unsupported"),
        ({"user": "u-1", "images": [image(frames["obama"]), image(b"\xff\xd8\xff\xe0junk")]},
         400, "image_corrupt"),
        ({"user": "u-1", "images": [image(blank.getvalue())]}, 400, "enrollment_failed"),
        ({"user": "u-1", "images": [image(frames["obama"])], "scheme": "rot13"}, 400,
         "enrollment_failed"),
        ({"user": "u-1", "images": [image(frames["obama"])] * 11}, 413, "too_many_files"),
    ]  # fmt: skip
    for data, status, code in cases:
        assert isinstance(data, dict)
        got, body = call(schema, "post", enroll, key, data)
        assert (got, body["code"]) == (status, code), (data, body)
        assert body["message"]
    assert not User.objects.filter(api_client__isnull=False).exists()
    assert not FaceTemplate.objects.exists() and not UserKey.objects.exists()
    # Each refused enrollment that reached the flow left its audit row.
    reasons = AuditEvent.objects.filter(event="api_enroll", success=False)
    assert list(reasons.order_by("pk").values_list("reason", flat=True)) == [
        "image_empty", "image_unsupported", "image_corrupt", "enrollment_failed",
        "enrollment_failed",
    ]  # fmt: skip

    status, body = call(schema, "post", "/api/v1/verify", key, {"user": "u-1"})
    assert status == 422 and body["code"] == "invalid_request"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = Client().post(
        "/api/v1/verify",
        data=b"x" * 5000,
        content_type="application/x-www-form-urlencoded",
        headers={"X-API-Key": key},
    )
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"
    assert MULTIPART_CONTENT.startswith("multipart/")
    # A file too big to keep in memory is refused, not silently dropped.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 40 * 2**20
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    status, body = call(schema, "post", "/api/v1/verify", key,
                        {"user": "u-1", "image": image(frames["obama"])})  # fmt: skip
    assert (status, body["code"]) == (413, "request_too_large"), body


def test_the_schema_check_would_catch_a_response_that_breaks_the_contract(schema: OpenAPI) -> None:
    request = MockRequest("http://testserver", "post", "/api/v1/verify")
    schema.validate_response(request, MockResponse(b'{"match": true}'))
    for wrong in (b'{"match": "yes"}', b'{"score": 0.3}'):
        with pytest.raises(Exception, match=r"validat|invalid|required|type"):
            schema.validate_response(request, MockResponse(wrong))
