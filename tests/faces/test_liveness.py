"""Liveness in the web app and the API, on the real recordings, through the interactive
protocol: the server reveals one step at a time and times each answer on its own clock;
enrollment and face login need a passed challenge; every step is answered once; unknown users
fail like wrong faces; the API's challenge vouches once for verify/identify; a recording of the
user, a pasted hand and a photo fail; and production refuses the test-only fixed steps."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.api.models import ApiClient
from peeka.biometrics import RGBImage, calibration, load_image
from peeka.biometrics.engine import FUSED_TRANSFORMS, distance
from peeka.biometrics.liveness import video_frames
from peeka.evaluation.liveness import moving_clip, pasted_hand
from peeka.faces.models import FaceTemplate, LivenessChallenge
from peeka.faces.services import matching
from peeka.faces.services.protection import engine_for, enrollment_model, scheme_for
from peeka.security.models import AuditEvent
from tests.webapp import (
    PASSWORD,
    FrozenClock,
    jpegs,
    logged_in,
    reauthenticated,
    recorded,
    uploads,
)


@pytest.fixture(scope="module")
def waved_photo(liveness_dir: Path) -> list[bytes]:
    """A still of the same person (frame 10 of the clip) waved in front of the camera."""
    still = load_image(
        liveness_dir / "face_still" / "eyes_open" / "tfjs_facemesh_input_f0010_open.jpg"
    )
    return jpegs(moving_clip(still, 10))


@pytest.fixture(autouse=True)
def blink_only(settings: SettingsWrapper, clock: FrozenClock) -> None:
    settings.PEEKA_LIVENESS = True
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink"]


def challenge(client: Client, **fields: str) -> dict[str, object]:
    response = client.post("/face/challenge/", fields)
    body: dict[str, object] = response.json()
    body["status"] = response.status_code
    return body


def answer(
    client: Client, url: str, challenge_id: object, frames: list[bytes], clock: FrozenClock,
    **extra: str,
) -> tuple[int, dict[str, object]]:  # fmt: skip
    data = {"challenge": str(challenge_id), **recorded(frames, clock), **extra}
    response = client.post(url, data)
    return response.status_code, dict(response.json())


def perform(
    client: Client, url: str, issued: dict[str, object], steps: list[list[bytes]],
    clock: FrozenClock, **extra: str,
) -> tuple[int, dict[str, object]]:  # fmt: skip
    """Answer each step revealed with the next recording of `steps`, until the server gives
    its answer (no next step)."""
    status, body = 0, dict[str, object]()
    for frames in steps:
        status, body = answer(client, url, issued["id"], frames, clock, **extra)
        if "step" not in body:
            break
    return status, body


def enroll_live(user: User, steps: list[list[bytes]], clock: FrozenClock) -> dict[str, object]:
    client = reauthenticated(user)
    issued = challenge(client, purpose="enroll")
    assert (issued["step"], issued["index"], issued["count"]) == ("blink", 0, 2)
    status, body = perform(client, "/face/enroll/frames/", issued, steps, clock, consent="2",
                           scheme="iom")  # fmt: skip
    body["status"] = status
    return body


def test_enrollment_and_login_go_one_revealed_step_at_a_time(
    alice: User, blink: list[bytes], look: list[bytes], clock: FrozenClock
) -> None:
    client = reauthenticated(alice)
    issued = challenge(client, purpose="enroll")
    assert set(issued) == {"id", "step", "prompt", "index", "count", "expires_at", "status"}
    assert (issued["step"], issued["prompt"]) == ("blink", "Blink once")
    url = "/face/enroll/frames/"
    status, body = answer(client, url, issued["id"], blink, clock, consent="2", scheme="iom")
    assert (status, body) == (200, {"ok": False, "step": "look", "index": 1, "count": 2,
                                    "prompt": "Look straight at the camera"})  # fmt: skip
    row = LivenessChallenge.objects.get(pk=issued["id"])
    assert row.done == 1 and len(bytes(row.reference)) == 512  # the first step's face, hashed
    status, body = answer(client, url, issued["id"], look, clock, consent="2", scheme="iom")
    assert status == 200 and body["ok"] is True, body
    assert FaceTemplate.objects.get(user=alice).frames_used >= 3
    row.refresh_from_db()
    assert row.passed and bytes(row.reference) == b"" and bytes(row.reference_seed) == b""

    client = Client()
    client.get("/face/login/")
    issued = challenge(client, purpose="login", username="alice")
    status, body = answer(client, "/face/login/frames/", issued["id"], blink, clock)
    assert body == {"passed": True, "next": "/accounts/login/next/"}  # then a second factor
    assert not client.get("/").context["user"].is_authenticated
    client.post("/accounts/login/next/", {"method": "password", "password": PASSWORD})
    assert client.get("/").context["user"] == alice
    assert AuditEvent.objects.filter(event="liveness_login", success=True, user=alice).exists()


def test_login_matches_the_mean_of_the_last_steps_sharpest_frames_at_the_fused_threshold(
    alice: User, blink: list[bytes], look: list[bytes], clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    assert enroll_live(alice, [blink, look], clock)["ok"] is True
    probes: list[matching.Probe] = []
    match = matching.face_match

    def seen(*, user: User, probe: matching.Probe) -> tuple[bool, str]:
        probes.append(probe)
        return match(user=user, probe=probe)

    monkeypatch.setattr(matching, "face_match", seen)
    client = Client()
    client.get("/face/login/")
    issued = challenge(client, purpose="login", username="alice")
    assert answer(client, "/face/login/frames/", issued["id"], blink, clock)[1]["passed"] is True
    [probe] = probes
    model = enrollment_model()
    fused = probe.embedding(model)
    assert probe.mode == "fused" and fused is not None
    engine = engine_for(model)
    frames = [load_image(f) for f in blink]
    # Three frames, each chip with its mirror: their mean, not any one frame's descriptor.
    singles = [engine.probe(f, policy="central").embedding for f in frames]
    assert abs(np.linalg.norm(fused) - 1) < 1e-5 and min(distance(fused, e) for e in singles) > 0.01
    threes = itertools.combinations(range(len(frames)), 3)

    def chosen(three: tuple[int, ...]) -> list[RGBImage]:
        return [frames[i] for i in three]

    assert any(
        distance(fused, engine.reference(chosen(three), "central", FUSED_TRANSFORMS).embedding)
        < 1e-5
        for three in threes
    )
    # ...compared at the thresholds calibrated for such probes.
    fused_iom = calibration.load_scheme(model, "iom", mode="fused").threshold
    assert scheme_for("iom", model=model, mode="fused").threshold == fused_iom


def test_the_next_step_is_revealed_only_when_the_current_one_passed(
    alice: User, blink: list[bytes], blink_again: list[bytes], look: list[bytes],
    waved_photo: list[bytes], clock: FrozenClock, settings: SettingsWrapper,
) -> None:  # fmt: skip
    assert enroll_live(alice, [blink, look], clock)["ok"] is True
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink", "open_mouth", "turn_left"]
    client = Client()
    issued = challenge(client, purpose="login", username="alice")
    assert (issued["step"], issued["count"]) == ("blink", 3)
    assert "open_mouth" not in str(issued) and "turn_left" not in str(issued)
    url = "/face/login/frames/"
    _, body = answer(client, url, issued["id"], blink, clock)
    assert body == {"passed": False, "step": "open_mouth", "prompt": "Open your mouth",
                    "index": 1, "count": 3}  # fmt: skip
    assert "turn_left" not in str(body)
    # The recording has no open mouth: the challenge ends, and its next step stays unknown.
    _status, body = answer(client, url, issued["id"], blink_again, clock)
    assert body == {"passed": False, "hint": "Open your mouth, clearly, in view of the camera."}
    row = LivenessChallenge.objects.get(pk=issued["id"])
    assert (row.used, row.passed, row.verdict, row.done) == (True, False, "steps", 1)
    assert answer(client, url, issued["id"], blink, clock)[1]["passed"] is False
    assert LivenessChallenge.objects.get(pk=issued["id"]).verdict == "steps"  # kept
    # A photo fails at the first step.
    issued = challenge(Client(), purpose="login", username="alice")
    assert answer(client, url, issued["id"], waved_photo, clock)[1]["passed"] is False


def test_each_answer_is_timed_on_the_servers_clock(
    alice: User, blink: list[bytes], blink_again: list[bytes], look: list[bytes],
    clock: FrozenClock, settings: SettingsWrapper,
) -> None:  # fmt: skip
    assert enroll_live(alice, [blink, look], clock)["ok"] is True
    url = "/face/login/frames/"

    def verdict_of(issued: dict[str, object]) -> str:
        return LivenessChallenge.objects.get(pk=issued["id"]).verdict

    # Sent before the frames could have been recorded after the reveal (1 s for 0.9 s of
    # frames stamped 3 s long).
    client = Client()
    issued = challenge(client, purpose="login", username="alice")
    data = recorded(blink, clock)
    data["timestamps"] = ",".join(str(3_000_000 + 300 * i) for i in range(len(blink)))
    assert client.post(url, {"challenge": issued["id"], **data}).json()["passed"] is False
    assert verdict_of(issued) == "too_fast"
    # Sent 20 s after the reveal: time enough to find or make a matching clip.
    issued = challenge(client, purpose="login", username="alice")
    clock.now += 20
    assert answer(client, url, issued["id"], blink, clock)[1]["passed"] is False
    assert verdict_of(issued) == "too_slow"
    # The second step stamped on a clock 5 s off the first one's.
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink", "blink"]
    issued = challenge(client, purpose="login", username="alice")
    assert "step" in answer(client, url, issued["id"], blink, clock)[1]
    data = recorded(blink_again, clock, skew_ms=-5000)
    assert client.post(url, {"challenge": issued["id"], **data}).json()["passed"] is False
    assert verdict_of(issued) == "clock"
    # The same two steps answered in time pass.
    issued = challenge(client, purpose="login", username="alice")
    _status, body = perform(client, url, issued, [blink, blink_again], clock)
    assert body["passed"] is True, body


def test_a_recording_of_the_user_cannot_answer_the_challenges_the_server_draws(
    alice: User, blink: list[bytes], blink_again: list[bytes], look: list[bytes],
    clock: FrozenClock, settings: SettingsWrapper,
) -> None:  # fmt: skip
    """The attacker holds a recording of alice blinking, twice. Whatever the server draws
    (a head turn always among the steps), it gets no further than a blink."""
    assert enroll_live(alice, [blink, look], clock)["ok"] is True
    del settings.PEEKA_LIVENESS_FIXED_STEPS
    reached = []
    for _ in range(5):
        client = Client()
        issued = challenge(client, purpose="login", username="alice")
        assert issued["status"] == 200 and 2 <= int(str(issued["count"])) <= 3
        _status, body = perform(client, "/face/login/frames/", issued, [blink, blink_again], clock)
        assert body["passed"] is False
        reached.append(LivenessChallenge.objects.get(pk=issued["id"]).done)
        clock.now += 3600  # past any wait the failures earned
    assert max(reached) <= 1


def test_challenges_are_never_free_and_every_name_is_throttled_alike(
    alice: User, bob: User, blink: list[bytes], look: list[bytes], clock: FrozenClock,
    settings: SettingsWrapper,
) -> None:  # fmt: skip
    assert enroll_live(alice, [blink, look], clock)["ok"] is True
    limits = settings.PEEKA_RATE_LIMITS
    # The per-address and per-name rate limits: below.
    settings.PEEKA_RATE_LIMITS = {**limits, "challenge": 100, "challenge_user": 100}
    clock.now += 60  # a new minute: the enrollment's challenge counted for alice too
    refusals = {}
    for name in ("alice", "bob", "nobody"):  # a face, an account without one, no account
        answers = [challenge(Client(), purpose="login", username=name) for _ in range(6)]
        assert [a["status"] for a in answers] == [200] * 5 + [429]  # none was answered
        refusals[name] = {k: answers[-1][k] for k in ("code", "message", "status")}
    assert refusals["alice"] == refusals["bob"] == refusals["nobody"]
    assert AuditEvent.objects.filter(event="challenge_login", reason="issued").count() == 15
    throttled = AuditEvent.objects.filter(event="challenge_login", reason="throttled")
    assert sorted(throttled.values_list("username", flat=True)) == ["alice", "bob", "nobody"]
    # Abandoned challenges slow the next one down but are no strikes: face login stays on.
    from peeka.security.models import Lockout

    row = Lockout.objects.get(user=alice, kind="face")
    assert (row.failures, row.strikes, row.disabled) == (5, 0, False)
    clock.now += 31
    client = Client()
    issued = challenge(client, purpose="login", username="alice")
    _status, body = answer(client, "/face/login/frames/", issued["id"], blink, clock)
    assert body["passed"] is True
    row.refresh_from_db()
    assert (row.failures, row.strikes) == (0, 0)  # a pass resets the count
    # Per address and per API key, whatever names are claimed; per name, from any address.
    settings.PEEKA_RATE_LIMITS = {**limits, "challenge": 2, "challenge_key": 3}
    clock.now += 60
    codes = [challenge(Client(), purpose="login", username=f"u{i}").get("code") for i in range(3)]
    assert codes == [None, None, "rate_limited"]
    settings.PEEKA_RATE_LIMITS = {**limits, "challenge_user": 2}
    clock.now += 60
    codes = [
        challenge(Client(REMOTE_ADDR=f"192.0.2.{i}"), purpose="login", username="carol").get("code")
        for i in range(3)
    ]
    assert codes == [None, None, "rate_limited"]
    settings.PEEKA_RATE_LIMITS = {**limits, "challenge_key": 3}
    clock.now += 60
    key = ApiClient.create("kiosk-app")[1]
    api = Client(headers={"X-API-Key": key}, REMOTE_ADDR="192.0.2.9")
    started = [api.post("/api/v1/liveness/challenges", {"user": f"s{i}"}) for i in range(4)]
    assert [r.status_code for r in started] == [201, 201, 201, 429]


def test_strikes_come_from_failures_somebody_answers_for(
    alice: User, blink: list[bytes], look: list[bytes], waved_photo: list[bytes],
    liveness_dir: Path, clock: FrozenClock, settings: SettingsWrapper,
) -> None:  # fmt: skip
    """Only failures somebody answers for count toward switching alice's face login off: after
    her password, or a live face that is not hers. An anonymous photo only slows it down."""
    from peeka.security.models import Lockout

    assert enroll_live(alice, [blink, look], clock)["ok"] is True
    url = "/face/login/frames/"

    def strikes() -> int:
        return Lockout.objects.get(user=alice, kind="face").strikes

    client = Client()  # an anonymous photo: no live face, no strike
    issued = challenge(client, purpose="login", username="alice")
    assert answer(client, url, issued["id"], waved_photo, clock)[1]["passed"] is False
    assert strikes() == 0
    client = Client()  # after alice's password: a strike
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    issued = challenge(client, purpose="login", username="alice")
    assert answer(client, url, issued["id"], waved_photo, clock)[1]["passed"] is False
    assert strikes() == 1 and LivenessChallenge.objects.get(pk=issued["id"]).accountable
    # Someone else, live, anonymous: a strike too (they passed liveness, not as alice).
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["thumbs_up"]
    gesture = list(video_frames(liveness_dir / "face_video" / "mps_gesture_test_video.mp4",
                                stop=48))  # fmt: skip
    client = Client()
    issued = challenge(client, purpose="login", username="alice")
    assert answer(client, url, issued["id"], jpegs(gesture[0:48:3]), clock)[1]["passed"] is False
    assert LivenessChallenge.objects.get(pk=issued["id"]).verdict == "no_match"
    assert strikes() == 2


def test_an_answer_counts_once_and_unknown_users_fail_like_wrong_faces(
    alice: User, bob: User, blink: list[bytes], look: list[bytes], clock: FrozenClock
) -> None:
    assert enroll_live(alice, [blink, look], clock)["ok"] is True
    client = Client()
    issued = challenge(client, purpose="login", username="alice")
    url = "/face/login/frames/"
    assert answer(client, url, issued["id"], blink, clock)[1]["passed"] is True
    again = Client()
    assert answer(again, url, issued["id"], blink, clock)[1]["passed"] is False
    assert LivenessChallenge.objects.get(pk=issued["id"]).verdict == "ok"  # first answer kept
    for name in ("nobody", "bob"):  # unknown, and a user without a face
        other = Client()
        issued = challenge(other, purpose="login", username=name)
        assert issued["status"] == 200
        assert answer(other, url, issued["id"], blink, clock)[1] == {
            "passed": False, "hint": "Not recognised. Try again."
        }  # fmt: skip
    reasons = set(
        AuditEvent.objects.filter(event="liveness_login", success=False).values_list(
            "reason", flat=True
        )
    )
    assert {"reused", "unknown_user", "no_template"} <= reasons


def test_step_up_by_face_needs_the_live_user_and_expires(
    alice: User, bob: User, blink: list[bytes], look: list[bytes], waved_photo: list[bytes],
    clock: FrozenClock,
) -> None:  # fmt: skip
    assert enroll_live(alice, [blink, look], clock)["ok"] is True
    client = logged_in(alice)  # a session without a recent step-up
    response = client.get("/accounts/password/")
    assert response["Location"] == "/accounts/step-up/?next=%2Faccounts%2Fpassword%2F"
    assert 'id="video"' in client.get(response["Location"]).text  # alice has a face: camera
    url = "/face/step-up/frames/?next=/accounts/password/"
    # A waved photo of alice, or bob's session with alice's live face, does not step up.
    issued = challenge(client, purpose="stepup")
    assert answer(client, url, issued["id"], waved_photo, clock)[1]["passed"] is False
    assert challenge(logged_in(bob), purpose="stepup")["status"] == 400  # bob has no face
    issued = challenge(client, purpose="stepup")
    key = client.session.session_key
    assert answer(client, url, issued["id"], blink, clock)[1] == {
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


def test_without_a_challenge_nothing_enrolls_or_logs_in(alice: User, blink: list[bytes]) -> None:
    client = reauthenticated(alice)
    response = client.post("/face/enroll/frames/", {"frames": uploads(blink[:5]), "consent": "2"})
    assert response.status_code == 400 and not FaceTemplate.objects.exists()
    response = Client().post(
        "/face/login/frame/", {"frame": uploads(blink[:1])[0], "username": "alice"}
    )
    assert response.status_code == 403
    assert challenge(Client(), purpose="enroll")["status"] == 403  # not logged in
    assert challenge(Client(), purpose="login")["status"] == 400  # no username, no kiosk


def test_the_api_reveals_steps_and_its_challenge_vouches_once_for_verify_and_identify(
    blink: list[bytes], look: list[bytes], waved_photo: list[bytes], clock: FrozenClock,
    db: None,
) -> None:  # fmt: skip
    key = ApiClient.create("kiosk-app")[1]
    other_key = ApiClient.create("other-app")[1]
    headers = {"X-API-Key": key}
    client = Client()
    enrolled = client.post("/api/v1/enrollments", {"user": "p1", "images": uploads(look[:3])},
                           headers=headers)  # fmt: skip
    assert enrolled.status_code == 201

    def start(user: str = "", use: str = key) -> str:
        response = client.post("/api/v1/liveness/challenges", {"user": user} if user else {},
                               headers={"X-API-Key": use})  # fmt: skip
        body = response.json()
        assert response.status_code == 201 and body["steps"] == ["blink"], body
        assert (body["step"], body["prompt"], body["steps_total"]) == ("blink", "Blink once", 1)
        return str(body["id"])

    def frames(challenge_id: str, shots: list[bytes], use: str = key) -> dict[str, object]:
        response = client.post(f"/api/v1/liveness/challenges/{challenge_id}/frames",
                               recorded(shots, clock), headers={"X-API-Key": use})  # fmt: skip
        assert response.status_code < 500
        return dict(response.json())

    done = {"done": True, "step": None, "prompt": None, "steps_done": 1, "steps_total": 1}
    one = start("p1")
    assert frames(one, blink) == {"passed": True, "user": "p1", **done}
    verify = client.post("/api/v1/verify", {"user": "p1", "challenge": one}, headers=headers)
    assert verify.json() == {"match": True}
    again = client.post("/api/v1/verify", {"user": "p1", "challenge": one}, headers=headers)
    assert again.json() == {"match": False}  # a challenge vouches once

    anyone = start()
    assert frames(anyone, blink) == {"passed": True, "user": "p1", **done}
    assert frames(anyone, blink)["passed"] is False  # answered already
    found = client.post("/api/v1/identify", {"challenge": anyone}, headers=headers)
    assert found.json() == {"user": "p1"}

    photo = start("p1")
    assert frames(photo, waved_photo) == {"passed": False, "user": None, **done,
                                           "steps_done": 0}  # fmt: skip
    elsewhere = start(use=other_key)  # that client has no subjects: nobody to find
    assert frames(elsewhere, blink, use=other_key)["passed"] is False
    assert "not_found" in str(frames(one, blink, use=other_key))
    data = {"frames": uploads(blink[:6]), "timestamps": "1,x"}
    bad = client.post(f"/api/v1/liveness/challenges/{start()}/frames", data, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_timestamps"


def test_a_hand_must_come_into_view_and_move_like_a_hand(
    liveness_dir: Path, webcam: list[RGBImage], clock: FrozenClock, settings: SettingsWrapper,
    db: None,
) -> None:  # fmt: skip
    """The gesture clip's thumbs up passes; a photo of a thumbs up pasted beside the face of
    the webcam clip (moved, turned and tilted in each frame) does not."""
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["thumbs_up"]
    key = ApiClient.create("kiosk-app")[1]
    client = Client(headers={"X-API-Key": key})
    gesture = list(video_frames(liveness_dir / "face_video" / "mps_gesture_test_video.mp4",
                                stop=48))  # fmt: skip
    like = load_image(liveness_dir / "hands" / "thumbs_up" / "hagrid_gestures_like.jpg")
    pasted = pasted_hand([f for f in webcam[15:45:3]], like, start=5)
    verdicts = []
    for shots in (jpegs(gesture[0:48:3]), jpegs(pasted)):
        issued = client.post("/api/v1/liveness/challenges").json()
        client.post(f"/api/v1/liveness/challenges/{issued['id']}/frames", recorded(shots, clock))
        verdicts.append(LivenessChallenge.objects.get(pk=issued["id"]).verdict)
    # The real hand passes liveness (then finds nobody enrolled); the pasted one fails.
    assert verdicts == ["no_match", "hand"]


def test_production_settings_refuse_fixed_steps() -> None:
    env = {**os.environ, "PEEKA_LIVENESS_FIXED_STEPS": "blink", "PEEKA_SECRET_KEY": "x"}
    done = subprocess.run(
        [sys.executable, "-c", "import peeka.web.settings"], env=env, capture_output=True, text=True
    )
    assert done.returncode != 0 and "test-only" in done.stderr


def test_thresholds_come_from_the_settings(
    alice: User, blink: list[bytes], look: list[bytes], settings: SettingsWrapper,
    clock: FrozenClock,
) -> None:  # fmt: skip
    """Asking more frames of a step than the recording has: the same recording now fails."""
    assert enroll_live(alice, [blink, look], clock)["ok"] is True
    settings.PEEKA_LIVENESS_POLICY = {"step_min_frames": 15}
    client = Client()
    issued = challenge(client, purpose="login", username="alice")
    assert answer(client, "/face/login/frames/", issued["id"], blink, clock)[1]["passed"] is False
    assert LivenessChallenge.objects.get(pk=issued["id"]).verdict == "frames"
