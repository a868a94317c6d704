"""The passive presence check (an interview's checks after its live start): real photos and the
real webcam recording through `flows.face_presence`, one audit row per call, a per-user rate
limit and no effect on the account's face lockout."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.biometrics import RGBImage, load_image
from peeka.biometrics.pose import FACING_MAX_YAW, head_pose
from peeka.faces import flows
from peeka.security.client import ClientInfo
from peeka.security.models import AuditEvent, Lockout
from peeka.security.services import ThrottledError
from tests.webapp import FrozenClock, burst, jpegs

CLIENT = ClientInfo(ip="127.0.0.1", user_agent="test")
TURNED = (  # ../shared/data/liveness/face_still/turned, one face each
    "lfw_Allan_Houston_0001.jpg",
    "lfw_Bill_Simon_0006.jpg",
    "lfw_James_McGreevey_0002.jpg",
    "lfw_Richard_Gere_0005.jpg",
    "lfw_Romano_Prodi_0004.jpg",
)


def camera(photo: bytes, count: int = 1) -> list[bytes]:
    """`count` webcam frames of a photo's scene, as the page sends them (JPEG, 640x480 at most)."""
    return jpegs([load_image(frame) for frame in burst(photo, count)])


def flat(count: int = 1) -> list[bytes]:
    """A grey wall in front of the camera."""
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (128, 128, 128)).save(buffer, "JPEG")
    return [buffer.getvalue()] * count


def check(user: User, frames: list[bytes]) -> flows.Presence:
    """One presence check, which must write exactly one audit row, the one it names."""
    before = AuditEvent.objects.count()
    presence = flows.face_presence(user=user, purpose="interview", frames=frames, client=CLIENT)
    assert AuditEvent.objects.count() == before + 1, presence
    assert presence.audit_id is not None
    row = AuditEvent.objects.get(pk=presence.audit_id)
    assert (row.event, row.success, row.reason, row.user_id) == (
        "presence_interview", presence.passed, presence.reason, user.pk
    )  # fmt: skip
    return presence


@pytest.fixture
def enrolled(alice: User, frames: dict[str, bytes]) -> User:
    photos = [frames["obama"], frames["obama2"]]
    flows.face_enroll(user=alice, frames=photos, scheme="iom", client=CLIENT, channel="admin")
    return alice


def test_the_account_holder_passes_from_one_frame_or_several(
    enrolled: User, frames: dict[str, bytes]
) -> None:
    one = check(enrolled, camera(frames["obama3"]))
    assert (one.passed, one.reason, one.hint, one.image_error) == (True, "ok", flows.DONE, None)
    assert (one.frames, one.faces, one.facing) == (1, 1, 1)
    assert 0.0 < one.mean_abs_yaw <= FACING_MAX_YAW
    five = check(enrolled, camera(frames["obama3"], flows.PRESENCE_MAX_FRAMES))
    assert (five.passed, five.reason) == (True, "ok")
    assert (five.frames, five.faces, five.facing) == (5, 5, 5)


def test_another_person_fails(enrolled: User, frames: dict[str, bytes]) -> None:
    for count in (1, 3):
        other = check(enrolled, camera(frames["biden"], count))
        assert (other.passed, other.reason, other.hint) == (False, "no_match", flows.NOT_RECOGNISED)
        assert (other.frames, other.faces) == (count, count)


def test_frames_without_a_face_count_none(enrolled: User, frames: dict[str, bytes]) -> None:
    empty = check(enrolled, flat(3))
    assert (empty.passed, empty.reason, empty.hint) == (False, "no_face", flows.PRESENCE_NO_FACE)
    assert (empty.frames, empty.faces, empty.facing, empty.mean_abs_yaw) == (3, 0, 0, 0.0)
    # A face in some of the frames is matched from those alone.
    some = check(enrolled, flat(2) + camera(frames["obama3"]))
    assert (some.passed, some.frames, some.faces, some.facing) == (True, 3, 1, 1)


def test_too_many_or_no_frames_are_refused_before_decoding(enrolled: User) -> None:
    for sent in ([b"not a picture"] * (flows.PRESENCE_MAX_FRAMES + 1), []):
        refused = check(enrolled, sent)
        assert (refused.passed, refused.reason, refused.hint) == (
            False, "frames", flows.PRESENCE_FRAMES
        )  # fmt: skip
        assert refused.image_error is not None and refused.image_error.code == "frames"
        assert refused.image_error.params == {"most": flows.PRESENCE_MAX_FRAMES}
        assert (refused.frames, refused.faces) == (len(sent), 0)


def test_a_frame_that_is_not_a_picture_is_named(enrolled: User, frames: dict[str, bytes]) -> None:
    broken = check(enrolled, [*camera(frames["obama3"]), b"\xff\xd8 garbage"])
    assert (broken.passed, broken.faces) == (False, 0)
    assert broken.image_error is not None
    assert broken.reason == broken.image_error.code == "image_unsupported"
    # A frame larger than a webcam's is refused from its header, as a challenge's is.
    big = io.BytesIO()
    Image.new("RGB", (1920, 1080)).save(big, "PNG")
    too_large = check(enrolled, [big.getvalue()])
    assert too_large.reason == "image_too_large" and too_large.image_error is not None


def test_an_account_without_a_face_fails_but_its_frames_are_measured(
    alice: User, frames: dict[str, bytes]
) -> None:
    missing = check(alice, camera(frames["obama3"], 2))
    assert (missing.passed, missing.reason, missing.hint) == (
        False, "no_template", flows.PRESENCE_NO_TEMPLATE
    )  # fmt: skip
    assert (missing.faces, missing.facing) == (2, 2)


def test_failures_leave_the_face_lockout_alone(enrolled: User, frames: dict[str, bytes]) -> None:
    # More failures than the face lockout's back-off starts after (FACE.backoff_after = 5).
    for _ in range(6):
        assert check(enrolled, camera(frames["biden"])).passed is False
    assert not Lockout.objects.filter(user=enrolled).exists()
    # Nor does a pass reset the count face logins left.
    Lockout.objects.create(user=enrolled, kind="face", failures=3, strikes=2)
    assert check(enrolled, camera(frames["obama3"])).passed is True
    row = Lockout.objects.get(user=enrolled, kind="face")
    assert (row.failures, row.strikes, row.disabled) == (3, 2, False)


def test_it_is_rate_limited_per_user_and_the_throttle_is_audited_once(
    enrolled: User, bob: User, frames: dict[str, bytes], settings: SettingsWrapper,
    clock: FrozenClock,
) -> None:  # fmt: skip
    settings.PEEKA_RATE_LIMITS = {**settings.PEEKA_RATE_LIMITS, "presence": 2}
    shown = camera(frames["obama3"])
    assert [check(enrolled, shown).passed for _ in range(2)] == [True, True]
    for _ in range(2):
        with pytest.raises(ThrottledError) as raised:
            flows.face_presence(user=enrolled, purpose="interview", frames=shown, client=CLIENT)
        assert raised.value.code == "rate_limited" and raised.value.retry_after > 0
    throttled = AuditEvent.objects.filter(event="presence_interview", reason="rate_limited")
    assert list(throttled.values_list("user_id", "success")) == [(enrolled.pk, False)]
    assert AuditEvent.objects.filter(event="presence_interview").count() == 3
    # Per user: another account is not held back; the next minute, the user is not either.
    assert check(bob, flat()).reason == "no_template"
    clock.now += 60
    assert check(enrolled, shown).passed is True


def test_a_turned_head_lowers_facing(
    enrolled: User, webcam: list[RGBImage], liveness_dir: Path
) -> None:
    # The webcam clip turns no head (|yaw| at most 0.19, tilts included): its frames all
    # face the camera. Turned heads come from LFW's turned stills, other people.
    ahead = check(enrolled, jpegs(webcam[0:90:18]))
    assert (ahead.faces, ahead.facing) == (5, 5)
    turned_dir = liveness_dir / "face_still" / "turned"
    turned = check(enrolled, [(turned_dir / name).read_bytes() for name in TURNED])
    assert (turned.faces, turned.facing) == (5, 0)
    assert turned.mean_abs_yaw > 2 * FACING_MAX_YAW > 4 * ahead.mean_abs_yaw
    # Three frames ahead and one turned: facing counts frames, not calls.
    mixed = check(enrolled, [*jpegs(webcam[0:90:30]), (turned_dir / TURNED[0]).read_bytes()])
    assert (mixed.faces, mixed.facing) == (4, 3)


def test_yaw_follows_the_users_own_right(liveness_dir: Path) -> None:
    """Signs as in `peeka.biometrics.liveness`: the nose to the image's left is a turn to the
    user's own right, positive (MANIFEST.csv says which way each still is turned)."""
    from peeka.biometrics import detect

    turned = liveness_dir / "face_still" / "turned"
    signs = {}
    for name in TURNED:
        faces = detect(load_image(turned / name))
        assert faces and faces[0].landmarks is not None
        signs[name] = float(np.sign(head_pose(faces[0].landmarks).yaw))
    assert signs == {
        "lfw_Allan_Houston_0001.jpg": 1.0,  # nose to image left
        "lfw_Bill_Simon_0006.jpg": -1.0,  # nose to image right
        "lfw_James_McGreevey_0002.jpg": 1.0,
        "lfw_Richard_Gere_0005.jpg": -1.0,
        "lfw_Romano_Prodi_0004.jpg": 1.0,
    }
