"""Liveness in the web app and the API, on the real recordings: enrollment and face login need
a passed challenge by default, answers are single use, unknown users fail like wrong faces,
the API's challenge endpoints vouch once for verify/identify, and production refuses the
test-only fixed steps."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.api.models import ApiClient
from peeka.biometrics import RGBImage
from peeka.biometrics.liveness import video_frames
from peeka.evaluation.liveness import moving_clip, stamps
from peeka.faces.models import FaceTemplate, LivenessChallenge
from peeka.security.models import AuditEvent
from tests.webapp import PASSWORD, FrozenClock, logged_in, reauthenticated


def jpegs(frames: Sequence[RGBImage]) -> list[bytes]:
    out = []
    for frame in frames:
        picture = Image.fromarray(frame)
        picture.thumbnail((640, 480))
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=88)
        out.append(buffer.getvalue())
    return out


@pytest.fixture(scope="module")
def blinking(liveness_dir: Path) -> list[bytes]:
    """The webcam clip at 10 fps (blinks at frames 29-35 and 56-61), as a browser sends it."""
    frames = list(video_frames(liveness_dir / "face_video" / "tfjs_facemesh_input.mp4", stop=75))
    return jpegs(frames[15:75:3])


@pytest.fixture(scope="module")
def waved_photo(liveness_dir: Path) -> list[bytes]:
    """A still of the same person (frame 10 of the clip) waved in front of the camera."""
    from peeka.biometrics import load_image

    still = load_image(
        liveness_dir / "face_still" / "eyes_open" / "tfjs_facemesh_input_f0010_open.jpg"
    )
    return jpegs(moving_clip(still, 20))


@pytest.fixture(autouse=True)
def blink_only(settings: SettingsWrapper) -> None:
    settings.PEEKA_LIVENESS = True
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink"]


def _files(frames: list[bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"f{i}.jpg", f, "image/jpeg") for i, f in enumerate(frames)]


def challenge(client: Client, **fields: str) -> dict[str, object]:
    response = client.post("/face/challenge/", fields)
    body: dict[str, object] = response.json()
    body["status"] = response.status_code
    return body


def answer(
    client: Client, url: str, challenge_id: object, frames: list[bytes], **extra: str
) -> tuple[int, dict[str, object]]:
    data = {"challenge": str(challenge_id), "frames": _files(frames),
            "timestamps": ",".join(map(str, stamps(len(frames)))), **extra}  # fmt: skip
    response = client.post(url, data)
    return response.status_code, dict(response.json())


def enroll_live(user: User, frames: list[bytes]) -> tuple[int, dict[str, object]]:
    client = reauthenticated(user)
    issued = challenge(client, purpose="enroll")
    assert issued["steps"] == ["blink"] and issued["prompts"] == ["Blink once"]
    return answer(client, "/face/enroll/frames/", issued["id"], frames, consent="1", scheme="iom")


def test_enrollment_and_login_pass_with_a_live_blink(alice: User, blinking: list[bytes]) -> None:
    status, body = enroll_live(alice, blinking)
    assert status == 200 and body["ok"] is True, body
    assert FaceTemplate.objects.get(user=alice).frames_used >= 3

    client = Client()
    client.get("/face/login/")
    issued = challenge(client, purpose="login", username="alice")
    status, body = answer(client, "/face/login/frames/", issued["id"], blinking)
    assert body == {"passed": True, "next": "/accounts/login/next/"}  # then a second factor
    assert not client.get("/").context["user"].is_authenticated
    client.post("/accounts/login/next/", {"method": "password", "password": PASSWORD})
    assert client.get("/").context["user"] == alice
    assert AuditEvent.objects.filter(event="liveness_login", success=True, user=alice).exists()


def test_a_waved_photo_neither_enrolls_nor_logs_in(
    alice: User, blinking: list[bytes], waved_photo: list[bytes]
) -> None:
    status, body = enroll_live(alice, waved_photo)
    assert status == 400 and body["ok"] is False and not FaceTemplate.objects.exists()
    assert enroll_live(alice, blinking)[0] == 200
    client = Client()
    issued = challenge(client, purpose="login", username="alice")
    status, body = answer(client, "/face/login/frames/", issued["id"], waved_photo)
    assert body["passed"] is False and "Blink once" in str(body["hint"])
    assert not client.get("/").context["user"].is_authenticated
    row = LivenessChallenge.objects.get(pk=issued["id"])
    assert row.used and not row.passed and row.verdict == "steps"


def test_an_answer_counts_once_and_unknown_users_fail_like_wrong_faces(
    alice: User, bob: User, blinking: list[bytes]
) -> None:
    assert enroll_live(alice, blinking)[0] == 200
    client = Client()
    issued = challenge(client, purpose="login", username="alice")
    assert answer(client, "/face/login/frames/", issued["id"], blinking)[1]["passed"] is True
    again = Client()
    assert answer(again, "/face/login/frames/", issued["id"], blinking)[1]["passed"] is False
    assert LivenessChallenge.objects.get(pk=issued["id"]).verdict == "ok"  # first answer kept
    for name in ("nobody", "bob"):  # unknown, and a user without a face
        other = Client()
        issued = challenge(other, purpose="login", username=name)
        assert issued["status"] == 200
        assert answer(other, "/face/login/frames/", issued["id"], blinking)[1] == {
            "passed": False, "hint": "Not recognised. Try again."
        }  # fmt: skip
    reasons = set(
        AuditEvent.objects.filter(event="liveness_login", success=False).values_list(
            "reason", flat=True
        )
    )
    assert {"reused", "unknown_user", "no_template"} <= reasons


def test_step_up_by_face_needs_the_live_user_and_expires(
    alice: User, bob: User, blinking: list[bytes], waved_photo: list[bytes], clock: FrozenClock
) -> None:
    assert enroll_live(alice, blinking)[1]["ok"] is True
    client = logged_in(alice)  # a session without a recent step-up
    response = client.get("/accounts/password/")
    assert response["Location"] == "/accounts/step-up/?next=%2Faccounts%2Fpassword%2F"
    assert 'id="video"' in client.get(response["Location"]).text  # alice has a face: camera
    url = "/face/step-up/frames/?next=/accounts/password/"
    # A waved photo of alice, or bob's session with alice's live face, does not step up.
    issued = challenge(client, purpose="stepup")
    assert answer(client, url, issued["id"], waved_photo)[1]["passed"] is False
    assert challenge(logged_in(bob), purpose="stepup")["status"] == 400  # bob has no face
    issued = challenge(client, purpose="stepup")
    key = client.session.session_key
    assert answer(client, url, issued["id"], blinking)[1] == {
        "passed": True,
        "next": "/accounts/password/",
    }
    assert client.session.session_key != key  # a new session key at the privilege change
    assert client.get("/accounts/password/").status_code == 200
    clock.now += 299
    assert client.get("/accounts/password/").status_code == 200
    clock.now += 2  # valid five minutes
    assert client.get("/accounts/password/")["Location"].startswith("/accounts/step-up/")
    reasons = AuditEvent.objects.filter(event="liveness_stepup").values_list("reason", flat=True)
    assert sorted(reasons) == ["ok", "steps"]


def test_without_a_challenge_nothing_enrolls_or_logs_in(alice: User, blinking: list[bytes]) -> None:
    client = reauthenticated(alice)
    response = client.post("/face/enroll/frames/", {"frames": _files(blinking[:5]), "consent": "1"})
    assert response.status_code == 400 and not FaceTemplate.objects.exists()
    response = Client().post(
        "/face/login/frame/", {"frame": _files(blinking[:1])[0], "username": "alice"}
    )
    assert response.status_code == 403
    assert challenge(Client(), purpose="enroll")["status"] == 403  # not logged in
    assert challenge(Client(), purpose="login")["status"] == 400  # no username, no kiosk


def test_the_api_challenge_vouches_once_for_verify_and_identify(
    blinking: list[bytes], waved_photo: list[bytes], db: None
) -> None:
    key = ApiClient.create("kiosk-app")[1]
    other_key = ApiClient.create("other-app")[1]
    headers = {"X-API-Key": key}
    client = Client()
    enrolled = client.post("/api/v1/enrollments", {"user": "p1", "images": _files(blinking[:3])},
                           headers=headers)  # fmt: skip
    assert enrolled.status_code == 201

    def start(user: str = "", use: str = key) -> str:
        response = client.post("/api/v1/liveness/challenges", {"user": user} if user else {},
                               headers={"X-API-Key": use})  # fmt: skip
        assert response.status_code == 201 and response.json()["steps"] == ["blink"]
        return str(response.json()["id"])

    def frames(challenge_id: str, shots: list[bytes], use: str = key) -> dict[str, object]:
        data = {"frames": _files(shots), "timestamps": ",".join(map(str, stamps(len(shots))))}
        response = client.post(f"/api/v1/liveness/challenges/{challenge_id}/frames", data,
                               headers={"X-API-Key": use})  # fmt: skip
        assert response.status_code < 500
        return dict(response.json())

    one = start("p1")
    assert frames(one, blinking) == {"passed": True, "user": "p1"}
    verify = client.post("/api/v1/verify", {"user": "p1", "challenge": one}, headers=headers)
    assert verify.json() == {"match": True}
    again = client.post("/api/v1/verify", {"user": "p1", "challenge": one}, headers=headers)
    assert again.json() == {"match": False}  # a challenge vouches once

    anyone = start()
    assert frames(anyone, blinking) == {"passed": True, "user": "p1"}
    assert frames(anyone, blinking)["passed"] is False  # answered already
    found = client.post("/api/v1/identify", {"challenge": anyone}, headers=headers)
    assert found.json() == {"user": "p1"}

    photo = start("p1")
    assert frames(photo, waved_photo) == {"passed": False, "user": None}
    elsewhere = start(use=other_key)  # that client has no subjects: nobody to find
    assert frames(elsewhere, blinking, use=other_key) == {"passed": False, "user": None}
    assert "not_found" in str(frames(one, blinking, use=other_key))
    data = {"frames": _files(blinking[:6]), "timestamps": "1,x"}
    bad = client.post(f"/api/v1/liveness/challenges/{start()}/frames", data, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_timestamps"


def test_production_settings_refuse_fixed_steps() -> None:
    env = {**os.environ, "PEEKA_LIVENESS_FIXED_STEPS": "blink", "PEEKA_SECRET_KEY": "x"}
    done = subprocess.run(
        [sys.executable, "-c", "import peeka.web.settings"], env=env, capture_output=True, text=True
    )
    assert done.returncode != 0 and "test-only" in done.stderr


def test_thresholds_come_from_the_settings(
    alice: User, blinking: list[bytes], settings: SettingsWrapper
) -> None:
    """Holding a step for more frames than a blink lasts: the same recording now fails."""
    assert enroll_live(alice, blinking)[0] == 200
    settings.PEEKA_LIVENESS_POLICY = {"min_frames": 50}
    client = Client()
    issued = challenge(client, purpose="login", username="alice")
    assert answer(client, "/face/login/frames/", issued["id"], blinking)[1]["passed"] is False
    assert LivenessChallenge.objects.get(pk=issued["id"]).verdict == "frames"
