"""The face flows: web pages and the API reach verify, identify and challenge answers through
the same flow functions, and every attempt on every path writes exactly one audit row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.api.models import ApiClient
from peeka.evaluation.liveness import stamps
from peeka.faces import flows
from peeka.security.models import AuditEvent
from tests.webapp import burst, enroll, reauthenticated

T = TypeVar("T")
FLOWS = ("face_verify", "face_identify", "challenge_answer")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """(flow, channel) of each call of the three flows; the real flows run."""
    seen: list[tuple[str, str]] = []

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(**kwargs: Any) -> Any:
            channel = kwargs.get("channel") or ("api" if kwargs.get("api_client_id") else "web")
            seen.append((name, str(channel)))
            return real(**kwargs)

        return wrapper

    for name in FLOWS:
        monkeypatch.setattr(flows, name, spy(name, getattr(flows, name)))
    yield seen


def one_row(attempt: Callable[..., T], *args: Any) -> T:
    """Run one attempt and check it wrote exactly one audit row."""
    before = AuditEvent.objects.count()
    result = attempt(*args)
    assert AuditEvent.objects.count() == before + 1, result
    return result


def _file(data: bytes, name: str = "f.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "image/jpeg")


def test_web_and_api_checks_go_through_the_same_flows_with_one_audit_row_each(
    alice: User,
    frames: dict[str, bytes],
    settings: SettingsWrapper,
    calls: list[tuple[str, str]],
) -> None:
    settings.PEEKA_LIVENESS = False
    settings.PEEKA_FACE_ONLY_LOGIN = True
    assert enroll(reauthenticated(alice), burst(frames["obama"]), "iom")["ok"] is True
    key = ApiClient.create("app")[1]
    api = {"X-API-Key": key}

    def web_frame(photo: bytes, username: str) -> dict[str, Any]:
        client = Client()
        client.get("/face/login/")
        response = client.post("/face/login/frame/", {"frame": _file(photo), "username": username})
        return dict(response.json())

    def api_post(path: str, data: dict[str, Any]) -> dict[str, Any]:
        return dict(Client().post(path, data, headers=api).json())

    enrolled = api_post("/api/v1/enrollments", {"user": "p1", "images": [_file(frames["obama"])]})
    assert enrolled["templates"] == 1
    for photo, passed in ((frames["obama2"], True), (frames["biden"], False)):
        assert one_row(web_frame, photo, "alice")["passed"] is passed
        assert one_row(web_frame, photo, "")["passed"] is passed
        verified = one_row(api_post, "/api/v1/verify", {"user": "p1", "image": _file(photo)})
        assert verified == {"match": passed}
        found = one_row(api_post, "/api/v1/identify", {"image": _file(photo)})
        assert found == {"user": "p1" if passed else None}
    assert one_row(web_frame, frames["obama2"], "nobody")["passed"] is False

    # Challenge answers: a photo cannot pass, and the attempt is audited once either way.
    settings.PEEKA_LIVENESS = True
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink"]
    still = burst(frames["obama2"], 12)
    timestamps = ",".join(map(str, stamps(len(still))))
    client = Client()
    web_id = client.post("/face/challenge/", {"username": "alice"}).json()["id"]
    data = {"challenge": web_id, "frames": [_file(f) for f in still], "timestamps": timestamps}
    assert one_row(client.post, "/face/login/frames/", data).json()["passed"] is False
    api_id = api_post("/api/v1/liveness/challenges", {"user": "p1"})["id"]
    data = {"frames": [_file(f) for f in still], "timestamps": timestamps}
    answered = one_row(api_post, f"/api/v1/liveness/challenges/{api_id}/frames", data)
    assert (answered["passed"], answered["user"], answered["done"]) == (False, None, True)

    assert sorted(set(calls)) == [
        ("challenge_answer", "api"),
        ("challenge_answer", "web"),
        ("face_identify", "api"),
        ("face_identify", "web"),
        ("face_verify", "api"),
        ("face_verify", "web"),
    ]
    events = set(AuditEvent.objects.values_list("event", flat=True))
    assert {"face_login", "face_login_1n", "api_verify", "api_identify"} <= events
    assert {"liveness_login", "liveness_api"} <= events


def test_a_throttled_attempt_is_audited_too(
    alice: User, frames: dict[str, bytes], settings: SettingsWrapper, clock: object
) -> None:
    settings.PEEKA_LIVENESS = False
    assert enroll(reauthenticated(alice), burst(frames["obama"]), "iom")["ok"] is True
    for _ in range(6):
        client = Client()
        client.get("/face/login/")
        data = {"frame": _file(frames["biden"]), "username": "alice"}
        response = one_row(client.post, "/face/login/frame/", data)
    assert response.status_code == 429
    last = AuditEvent.objects.order_by("-pk").first()
    assert last is not None and (last.event, last.success, last.reason) == (
        "face_login",
        False,
        "throttled",
    )
