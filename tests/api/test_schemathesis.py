"""Schemathesis against the served `/api/v1/openapi.json`: generated requests, valid and
invalid, go through the real WSGI stack with a real API key, after a real photo enrolled a
subject. Every response must be no 5xx, a documented status code and content type, and a body
that matches the published schema. Seeded and bounded, so CI replays the same cases.

The schema is loaded at import and parametrized directly: Schemathesis's fixture loader
(`schemathesis.pytest.from_fixture`) reads `Node._nodeid`, which pytest 9.2 removed."""

from __future__ import annotations

import copy
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from hypothesis import HealthCheck, settings
from pytest_django.fixtures import Settings as SettingsWrapper
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.transport.serialization import Binary

from peeka.api.models import ApiClient
from peeka.web.wsgi import application

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase

SEED = 6
MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPERATIONS = {
    "POST /api/v1/enrollments", "DELETE /api/v1/enrollments/{user}", "POST /api/v1/verify",
    "POST /api/v1/identify", "POST /api/v1/liveness/challenges",
    "POST /api/v1/liveness/challenges/{challenge_id}/frames",
}  # fmt: skip

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    }
)


def optional_files_as_files(spec: dict[str, Any]) -> dict[str, Any]:
    """django-ninja publishes an optional upload (`image` of verify and identify) as
    `anyOf: [{format: binary}, {type: null}]`; Schemathesis sends a part as a file only when
    the property itself is `format: binary`, so it would send those images as plain fields,
    which Django never puts in `request.FILES`. The property stays optional; `null` has no
    multipart form anyway."""
    for methods in spec["paths"].values():
        for operation in methods.values():
            form = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
            for prop in (form or {}).get("schema", {}).get("properties", {}).values():
                options = prop.get("anyOf", [])
                files = [o for o in options if o.get("format") == "binary"]
                if files and all(o in (files[0], {"type": "null"}) for o in options):
                    del prop["anyOf"]
                    prop.update(files[0])
    return spec


# Schemathesis's WSGI client sends `Host: localhost`.
with override_settings(ALLOWED_HOSTS=[*django_settings.ALLOWED_HOSTS, "localhost"]):
    served = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)
schema = schemathesis.openapi.from_dict(
    optional_files_as_files(copy.deepcopy(served.raw_schema)), config=CONFIG
)
schema.app = application

CASES: Counter[str] = Counter()
"""Generated cases per operation ("POST /api/v1/verify"), so no run passes vacuously."""
RAN: list[str] = []
"""The operations whose generated test ran (all of them, unless some were deselected)."""


@pytest.fixture
def api_key(transactional_db: None, settings: SettingsWrapper, frames: dict[str, bytes]) -> str:
    """A client's key, with subject "u-1" enrolled from a real photo.

    Schemathesis calls the app through Django's own WSGI handler, which closes the database
    connection at the end of every request (`close_old_connections`): inside the `db`
    fixture's transaction that would throw the test data away, so this data is committed
    (`transactional_db`) and flushed after the test instead.
    """
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    # Hundreds of calls in seconds: the per-key limit would turn most of them into 429s.
    settings.PEEKA_RATE_LIMITS = {**settings.PEEKA_RATE_LIMITS, "api": 1_000_000}
    key = ApiClient.create("fuzz")[1]
    photo = SimpleUploadedFile("face.jpg", frames["obama"], "image/jpeg")
    response = Client().post(
        "/api/v1/enrollments", {"user": "u-1", "images": [photo]}, headers={"X-API-Key": key}
    )
    assert response.status_code == 201, response.content
    return key


def call(case: OpenApiCase, key: str) -> Response:
    return case.call_and_validate(headers={"X-API-Key": key}, checks=CHECKS)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # One enrolled subject and key serve every generated case of an operation.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_its_published_contract(
    case: OpenApiCase, api_key: str, request: pytest.FixtureRequest
) -> None:
    if not RAN or RAN[-1] != request.node.name:
        RAN.append(request.node.name)
    CASES[case.operation.label] += 1
    call(case, api_key)


def test_real_photos_keep_the_contract_too(api_key: str, frames: dict[str, bytes]) -> None:
    """The paths random bytes never reach: a match, a 1:N hit, a deletion."""
    multipart = "multipart/form-data"
    verify = schema["/api/v1/verify"]["POST"]
    identify = schema["/api/v1/identify"]["POST"]
    delete = schema["/api/v1/enrollments/{user}"]["DELETE"]
    photo = frames["obama2"]
    match = verify.Case(body={"user": "u-1", "image": Binary(photo)}, media_type=multipart)
    assert call(match, api_key).json() == {"match": True}
    other = verify.Case(
        body={"user": "u-1", "image": Binary(frames["biden"])}, media_type=multipart
    )
    assert call(other, api_key).json() == {"match": False}
    hit = identify.Case(body={"image": Binary(photo)}, media_type=multipart)
    assert call(hit, api_key).json() == {"user": "u-1"}
    assert call(delete.Case(path_parameters={"user": "u-1"}), api_key).status_code == 204
    assert call(delete.Case(path_parameters={"user": "u-1"}), api_key).status_code == 404


def test_every_operation_got_generated_cases() -> None:
    if not RAN:
        pytest.skip("the generated tests did not run (deselected, or no real photos)")
    summary = ", ".join(f"{op}: {n}" for op, n in sorted(CASES.items()))
    print(f"\nSchemathesis: {sum(CASES.values())} generated cases ({summary})")
    if len(RAN) == len(OPERATIONS):
        assert set(CASES) == OPERATIONS
    assert all(CASES[name.partition("[")[2].rstrip("]")] > 0 for name in RAN), (RAN, CASES)
