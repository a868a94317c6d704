"""Face enrollment, face login and "My face data" through the views, on real photos: the
step-up before enrolling, the frame rules, replacement of only the user's own templates, pass/fail
without scores, the same path for every kind of failure, and the audit log."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import LoginPolicy, User
from peeka.faces.models import FaceTemplate, UserKey
from peeka.security.models import AuditEvent
from tests.webapp import PASSWORD, burst, enroll, logged_in, reauthenticated


@pytest.fixture(autouse=True)
def without_liveness(settings: SettingsWrapper) -> None:
    """These tests cover enrollment and matching; a deployment may turn liveness off, and
    tests/web/test_liveness.py covers it on."""
    settings.PEEKA_LIVENESS = False


def login_frame(client: Client, frame: bytes, username: str) -> dict[str, object]:
    response = client.post(
        "/face/login/frame/",
        {"frame": SimpleUploadedFile("f.jpg", frame, "image/jpeg"), "username": username},
    )
    body: dict[str, object] = response.json()
    body["status"] = response.status_code
    return body


def test_enrollment_needs_a_login_and_a_fresh_password_check(
    alice: User, frames: dict[str, bytes]
) -> None:
    response = Client().get("/face/enroll/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client = logged_in(alice)
    response = client.get("/face/enroll/")
    assert response["Location"] == "/accounts/step-up/?next=%2Fface%2Fenroll%2F"
    page = client.get(response["Location"])
    assert 'id="id_password"' in page.text and 'id="video"' not in page.text  # no face yet
    refused = enroll(client, burst(frames["obama"]))
    assert refused["status"] == 403 and not FaceTemplate.objects.exists()
    wrong = client.post("/accounts/step-up/", {"password": "not it", "next": "/face/enroll/"})
    assert wrong.status_code == 400 and "not your current password" in wrong.text
    client = reauthenticated(alice)
    assert 'id="video"' in client.get("/face/enroll/").text


def test_enrollment_stores_only_a_sealed_template_and_its_wrapped_key(
    alice: User, frames: dict[str, bytes]
) -> None:
    client = reauthenticated(alice)
    before = _files()
    body = enroll(client, burst(frames["obama"]))
    assert body["status"] == 200 and body["ok"] is True, body
    template = FaceTemplate.objects.get(user=alice)
    assert template.scheme == "ckks" and template.frames_used == 4
    assert bytes(template.data).startswith(b"PKT1")
    key = UserKey.objects.get(user=alice)
    assert template.key_id.endswith(key.key_id) and bytes(key.wrapped).startswith(b"PKW1")
    # No frame reached the disk: no new file anywhere but the key vault's CKKS key.
    assert {p for p in _files() - before if "/keys/" not in p} == set()
    assert AuditEvent.objects.filter(event="enroll", success=True, user=alice).count() == 1


@pytest.mark.parametrize("scheme", ["iom", "ndb"])
def test_enrollment_uses_the_scheme_the_user_picks(
    scheme: str, alice: User, frames: dict[str, bytes]
) -> None:
    body = enroll(reauthenticated(alice), burst(frames["obama"]), scheme)
    assert body["ok"] is True, body
    assert FaceTemplate.objects.get(user=alice).scheme == scheme


def test_too_few_good_frames_says_what_to_change(alice: User, frames: dict[str, bytes]) -> None:
    client = reauthenticated(alice)
    blank = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 90)).save(blank, "JPEG")
    body = enroll(client, [blank.getvalue()] * 3 + burst(frames["obama"], 2))
    assert body["status"] == 400 and body["ok"] is False
    assert "Only 2 of 5 pictures were usable" in str(body["message"])
    assert "look straight at the camera" in str(body["message"])
    body = enroll(client, [b"not a jpeg"] * 4)
    assert body["status"] == 400 and "Only 0 of 4" in str(body["message"])
    assert enroll(client, burst(frames["obama"], 2))["status"] == 400  # fewer than 3 frames
    assert not FaceTemplate.objects.exists() and not UserKey.objects.exists()


def test_frames_of_two_people_do_not_make_one_template(
    alice: User, frames: dict[str, bytes]
) -> None:
    body = enroll(reauthenticated(alice), burst(frames["obama"], 2) + burst(frames["biden"], 2))
    assert body["status"] == 400 and "same person" in str(body["message"])


def test_re_enrolling_replaces_only_the_users_own_template(
    alice: User, bob: User, frames: dict[str, bytes]
) -> None:
    assert enroll(reauthenticated(bob), burst(frames["biden"]), "iom")["ok"] is True
    bob_template = FaceTemplate.objects.get(user=bob)
    client = reauthenticated(alice)
    assert enroll(client, burst(frames["obama"]), "iom")["ok"] is True
    first = FaceTemplate.objects.get(user=alice)
    assert enroll(client, burst(frames["obama"]), "iom")["ok"] is True
    second = FaceTemplate.objects.get(user=alice)
    assert second.key_id != first.key_id
    assert not UserKey.objects.filter(key_id=first.key_id).exists()  # the old key is gone
    assert FaceTemplate.objects.get(user=bob) == bob_template
    assert bytes(FaceTemplate.objects.get(user=bob).data) == bytes(bob_template.data)


def test_face_login_passes_for_the_user_and_fails_the_same_way_for_everyone_else(
    alice: User, bob: User, frames: dict[str, bytes]
) -> None:
    assert enroll(reauthenticated(alice), burst(frames["obama"]))["ok"] is True
    client = Client()
    client.get("/face/login/")
    failures = [
        login_frame(client, frames["biden"], "alice"),  # wrong face
        login_frame(client, frames["obama2"], "nobody"),  # unknown user
        login_frame(client, frames["obama2"], "bob"),  # user without a face
        login_frame(client, b"garbage", "alice"),  # not an image
    ]
    for body in failures:
        assert body == {"passed": False, "done": False, "status": 200}
    assert not client.get("/").context["user"].is_authenticated

    body = login_frame(client, frames["obama2"], "alice")
    assert body["passed"] is True and "score" not in body and "distance" not in body
    # The default policy asks for a second factor after the face.
    assert body["next"] == "/accounts/login/next/"
    assert not client.get("/").context["user"].is_authenticated
    finish = client.post(body["next"], {"method": "password", "password": PASSWORD})
    assert finish["Location"] == "/" and client.get("/").context["user"] == alice
    login = AuditEvent.objects.get(event="login")
    assert login.user == alice and login.reason == "face+password"

    reasons = list(AuditEvent.objects.filter(event="face_login").values_list("reason", "success"))
    assert sorted(reasons) == sorted(
        [("no_match", False), ("unknown_user", False), ("no_template", False),
         ("image_unsupported", False), ("ok", True)]
    )  # fmt: skip


def test_face_login_stops_after_the_frame_limit(
    alice: User, frames: dict[str, bytes], settings: SettingsWrapper
) -> None:
    settings.PEEKA_LOGIN_MAX_FRAMES = 2
    client = Client()
    client.get("/face/login/")
    assert login_frame(client, frames["biden"], "alice")["done"] is False
    assert login_frame(client, frames["biden"], "alice")["done"] is True
    assert login_frame(client, frames["obama2"], "alice")["status"] == 429


def test_face_only_login_identifies_among_enrolled_users_when_allowed(
    alice: User, bob: User, frames: dict[str, bytes], settings: SettingsWrapper
) -> None:
    assert enroll(reauthenticated(alice), burst(frames["obama"]), "iom")["ok"] is True
    assert enroll(reauthenticated(bob), burst(frames["biden"]))["ok"] is True
    client = Client()
    client.get("/face/login/")
    assert login_frame(client, frames["obama2"], "")["passed"] is False  # not a kiosk
    settings.PEEKA_FACE_ONLY_LOGIN = True
    LoginPolicy.objects.update_or_create(pk=1, defaults={"face_only": True})
    client.get("/face/login/")
    assert login_frame(client, frames["obama2"], "")["passed"] is True
    assert client.get("/").context["user"] == alice


def test_face_login_redirects_only_to_local_paths(alice: User, frames: dict[str, bytes]) -> None:
    assert enroll(reauthenticated(alice), burst(frames["obama"]), "iom")["ok"] is True
    LoginPolicy.objects.update_or_create(pk=1, defaults={"face_only": True})
    for target, expected in (("/accounts/profile/", "/accounts/profile/"),
                             ("https://evil.example/", "/"), ("//evil.example/", "/")):  # fmt: skip
        client = Client()
        client.get("/face/login/")
        response = client.post(
            f"/face/login/frame/?next={target}",
            {"frame": SimpleUploadedFile("f.jpg", frames["obama2"]), "username": "alice"},
        )
        assert response.json()["next"] == expected


def test_my_face_data_shows_the_owners_template_and_deletes_it(
    alice: User, bob: User, frames: dict[str, bytes]
) -> None:
    assert Client().get("/face/mine/").status_code == 302
    assert enroll(reauthenticated(alice), burst(frames["obama"]), "iom")["ok"] is True
    assert enroll(reauthenticated(bob), burst(frames["biden"]), "ndb")["ok"] is True
    page = logged_in(alice).get("/face/mine/").text
    template = FaceTemplate.objects.get(user=alice)
    assert template.key_id in page and 'data-scheme="iom"' in page and "histogram" in page
    assert FaceTemplate.objects.get(user=bob).key_id not in page
    bob_page = logged_in(bob).get("/face/mine/").text
    assert "bit " in bob_page and "negative database" in bob_page

    for method in ("get", "post"):
        response = getattr(logged_in(alice), method)("/face/mine/delete/")
        assert response["Location"].startswith("/accounts/step-up/")  # a step-up first
    assert FaceTemplate.objects.filter(user=alice).exists()
    client = reauthenticated(alice)
    confirm = client.get("/face/mine/delete/")  # what it will do, and nothing done yet
    assert confirm.status_code == 200 and 'id="confirm"' in confirm.text
    assert "key that protects it destroyed" in confirm.text
    assert FaceTemplate.objects.filter(user=alice).exists()
    response = client.post("/face/mine/delete/")
    assert response["Location"] == "/face/mine/"
    assert not FaceTemplate.objects.filter(user=alice).exists()
    assert not UserKey.objects.filter(user=alice).exists()
    assert FaceTemplate.objects.filter(user=bob).count() == 1
    assert "Deleted 1 template; its key is destroyed." in client.get("/face/mine/").text
    assert client.get("/face/mine/delete/")["Location"] == "/face/mine/"  # nothing left
    assert client.put("/face/mine/delete/").status_code == 405


def _files() -> set[str]:
    """Every file under the temporary folder (tests' data dir included)."""
    found: set[str] = set()
    for folder, _, names in os.walk(tempfile.gettempdir()):
        if "pytest-of" in folder or "/." in folder:
            continue
        found.update(str(Path(folder) / n) for n in names)
    return found
