"""The face checks, one flow per use case. Each flow runs the whole check on the server's clock
— liveness, matching, the account's lockout — and writes exactly one audit row per attempt,
refused and throttled ones included. Views, the API and the applications call these and
nothing below them:

    face_check         "check this user's face now, for this purpose" (step-up, approvals,
                       payments, interviews): a liveness challenge the user answered
    challenge_start    a new liveness challenge (refused while the account is locked)
    challenge_answer   the answer to a login or API challenge (1:1 or 1:N)
    face_verify        one picture: is this the claimed user? (web login, API verify)
    face_identify      one picture: who of the enrolled users is this? (kiosk, API identify)
    face_vouch         a challenge the user passed earlier, for one use of its purpose (a
                       payment through the API), or one picture where liveness is off
    face_enroll        a new template from photos (the API) or camera frames (no liveness)
    face_enroll_live   a new template from the last step of an enrollment challenge
    face_delete        every template of a user, keys destroyed
    face_framing       advice for the camera page before it records (one face, size, light);
                       no identity is checked and nothing is decided, so nothing is audited
    face_presence      a few camera frames, no gesture asked: is the account holder still the
                       one in front of the camera (an interview's checks after its live start),
                       and do they look at it? NO liveness: the caller pairs it with a live check

Clients learn pass/fail and a hint, never a score; `FaceCheck.reason` is for the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
from django.conf import settings

from peeka.accounts import otp
from peeka.accounts.models import User
from peeka.biometrics import Face, RGBImage
from peeka.biometrics.challenge import StepVerdict
from peeka.biometrics.engine import FUSED_TRANSFORMS, mean_descriptor
from peeka.biometrics.framing import Framing, framing
from peeka.biometrics.pose import HeadPose, head_pose
from peeka.errors import FaceError, ImageError, PeekaError, gettext_noop
from peeka.faces import selectors
from peeka.faces.models import LivenessChallenge
from peeka.faces.services import challenges, enrollment, matching
from peeka.faces.services.frames import camera_frame, preview_frame
from peeka.faces.services.protection import engine_for, enrollment_model
from peeka.security.client import ClientInfo
from peeka.security.clock import now
from peeka.security.services import (
    FACE,
    ThrottledError,
    audit_record,
    lockout_attempt,
    lockout_check,
    lockout_failed,
    lockout_strike,
    lockout_succeeded,
    name_lockout_attempt,
    name_lockout_strike,
    rate_limit,
)

Channel = Literal["web", "api"]
IdentifyChannel = Literal["web", "api", "kiosk"]
"""Identification has a third way in: an application's device (a workplace kiosk), whose
challenges carry its scope."""
EnrollChannel = Literal["web", "api", "admin"]
"""Enrollment has a third way in: an administrator's photos of an account (`peeka user
enroll`), judged as the API's are (one usable photo is enough, a broken file is named)."""
NOT_RECOGNISED = gettext_noop("Not recognised. Try again.")
DONE = gettext_noop("Done.")
START_AGAIN = gettext_noop("Start the check again.")
_VERIFY_EVENTS = {"web": "face_login", "api": "api_verify"}
_IDENTIFY_EVENTS = {"web": "face_login_1n", "api": "api_identify", "kiosk": "kiosk_identify"}
_ENROLL_EVENTS = {"web": "enroll", "api": "api_enroll", "admin": "admin_enroll"}
_DELETE_EVENTS = {"web": "template_delete", "api": "api_delete"}


@dataclass(frozen=True)
class FaceCheck:
    passed: bool
    user: User | None
    """The matched user: the claimed one (1:1), or the one enrolled user found (1:N)."""
    hint: str
    """What the client may be told."""
    reason: str
    """"ok" or the check that failed: for the audit log only ("next_step" while a liveness
    challenge goes on)."""
    image_error: ImageError | None = None
    """The upload was not a usable picture (the API answers 400 with its code)."""
    next_step: str = ""
    """The step of a liveness challenge revealed now, when this answer passed one step and
    another follows: the check goes on (`passed` is False until the last step)."""
    steps_done: int = 0
    steps_total: int = 0
    frontal: tuple[int, ...] = ()
    """The frames of the last step that show the face frontal (an enrollment's pictures)."""
    audit_id: int | None = None
    """The audit row of a challenge that ended: what an approval or a payment signed with
    this check cites."""

    @property
    def going_on(self) -> bool:
        return bool(self.next_step)


# --- liveness challenges -------------------------------------------------------------------


def challenge_start(
    *,
    purpose: str,
    client: ClientInfo,
    user: User | None = None,
    claimed: str = "",
    api_client_id: int | None = None,
    accountable: bool = False,
    scope: str = "",
) -> LivenessChallenge:
    """A new interactive challenge, its first step revealed. It is an attempt: it counts
    toward the per-address, per-key and per-name limits and, for a login, as a failure of the
    claimed account (a pass resets it, see `FACE`). A name nobody has and an account without
    a face are counted and throttled alike (`ThrottledError`). Audited, refused or not.
    `accountable`: somebody answers for it (after the password, or an API client). `scope`:
    an application's device that authenticated itself (e.g. "kiosk:3"), limited per device
    instead of per address; only answers and uses naming that scope find it."""
    event = f"challenge_{purpose}"
    try:
        if scope:
            rate_limit(scope="challenge_key", ident=scope)
        else:
            rate_limit(scope="challenge", ident=client.ip or "-")
        if api_client_id is not None:
            rate_limit(scope="challenge_key", ident=str(api_client_id))
        if user is not None or claimed:
            rate_limit(scope="challenge_user", ident=_lockout_name(user, claimed, api_client_id))
        if purpose != "enroll" and (user is not None or claimed):
            _lockout_attempt(user, claimed, api_client_id)
    except ThrottledError as exc:
        if exc.first:
            _audit(event, False, exc.code, user, claimed, client)
        raise
    row = challenges.challenge_issue(
        purpose=purpose,
        user=user,
        claimed=claimed,
        api_client_id=api_client_id,
        accountable=accountable,
        scope=scope,
    )
    _audit(event, True, "issued", user, claimed, client)
    return row


def challenge_answer(
    *,
    challenge_id: str,
    purpose: str,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    client: ClientInfo,
    user: User | None = None,
    api_client_id: int | None = None,
    scope: str = "",
) -> FaceCheck:
    """Answer the revealed step of the challenge `challenge_id` of `purpose` (of `user` or of
    API client `api_client_id` when given). A passed step that is not the last reveals the
    next (`FaceCheck.next_step`); after the last, the face is matched to the challenge's user,
    or among the enrolled users (of the API client) when it has none. `scope`: the device
    the challenge was issued to, if any. For "enroll" only
    liveness and one person are checked. An unknown challenge fails with START_AGAIN and no
    audit row: it names no account. One audit row when the challenge ends."""
    arrived_at = now()
    row = selectors.challenge_find(
        challenge_id=challenge_id,
        purpose=purpose,
        user=user,
        api_client_id=api_client_id,
        scope=scope,
    )
    if row is None:
        return FaceCheck(False, None, START_AGAIN, "challenge_not_found")
    return _answer(row, frames, timestamps_ms, client, arrived_at, enrolling=purpose == "enroll")


def face_check(
    *,
    user: User,
    purpose: str,
    challenge_id: str,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    client: ClientInfo,
) -> FaceCheck:
    """Check now that `user`, live, is in front of the camera, for `purpose` ("stepup",
    "approval", "payment", "interview", ...): the answer to a step of a challenge issued to
    `user` for that purpose (`FaceCheck.next_step` while it goes on)."""
    checked = challenge_answer(
        challenge_id=challenge_id,
        purpose=purpose,
        frames=frames,
        timestamps_ms=timestamps_ms,
        client=client,
        user=user,
    )
    if checked.passed and (checked.user is None or checked.user.pk != user.pk):
        return FaceCheck(False, None, NOT_RECOGNISED, "wrong_user")
    return checked


def _answer(
    row: LivenessChallenge,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    client: ClientInfo,
    arrived_at: float,
    *,
    enrolling: bool,
) -> FaceCheck:
    claimed = row.user
    models = selectors.template_models(user=claimed) if claimed is not None else []
    model = models[0] if models else enrollment_model()
    total, was_over = len(row.steps), row.used
    verdict = challenges.challenge_step(
        row=row,
        frames=frames,
        timestamps_ms=timestamps_ms,
        arrived_at=arrived_at,
        engine=engine_for(model),
    )
    if verdict.passed and not verdict.finished:
        return FaceCheck(
            False, None, verdict.hint, "next_step", next_step=row.steps[row.done],
            steps_done=row.done, steps_total=total,
        )  # fmt: skip
    if was_over:  # an answer to a challenge that has ended: audited, counted already
        _audit(f"liveness_{row.purpose}", False, "reused", claimed, row.claimed, client)
        return FaceCheck(False, None, verdict.hint, "reused")
    matched: User | None = None
    check = verdict.check
    if verdict.passed and not enrolling:
        probe = _live_probe(verdict, model)
        if probe is None:
            check = "face_changed"
        elif row.claimed and claimed is None:
            check = "unknown_user"
        elif claimed is not None:
            ok, check = matching.face_match(user=claimed, probe=probe)
            matched = claimed if ok else None
        else:
            matched, check = matching.face_identify(probe=probe, api_client_id=row.api_client_id)
    elif verdict.passed:
        matched = claimed
    passed = verdict.passed and matched is not None
    if verdict.passed and not challenges.challenge_record(
        row=row, passed=passed, check=check, matched=matched
    ):
        passed, matched, check = False, None, "reused"
    if not enrolling and (claimed is not None or row.claimed):
        # A pass resets the count the challenge started; a failure somebody answers for, or
        # one that showed a live face, is a strike toward disabling.
        _lockout_outcome(row, passed, strike=row.accountable or verdict.passed)
    audited = _audit(
        f"liveness_{row.purpose}", passed, check, matched or claimed, row.claimed, client
    )
    hint = verdict.hint if not verdict.passed else (DONE if passed else NOT_RECOGNISED)
    return FaceCheck(
        passed, matched, hint, check, steps_done=row.done + int(verdict.passed),
        steps_total=total, frontal=verdict.frontal, audit_id=audited,
    )  # fmt: skip


def _live_probe(verdict: StepVerdict, model: str) -> matching.Probe | None:
    """The probe a passed challenge gives: several frames of its last step averaged, compared
    at the "fused" thresholds; the step's most frontal frame when fusion is turned off."""
    if verdict.fused is not None:
        return matching.Probe.from_embedding(verdict.fused, model=model, mode="fused")
    if verdict.probe is not None:
        return matching.Probe.from_embedding(verdict.probe, model=model)
    return None


def _lockout_name(user: User | None, claimed: str, api_client_id: int | None) -> str:
    """Who a challenge's limits count: the account, or the name nobody has (per namespace)."""
    if user is not None:
        return f"user:{user.pk}"
    return f"name:{api_client_id or ''}:{claimed.casefold()}"


def _lockout_attempt(user: User | None, claimed: str, api_client_id: int | None) -> None:
    if user is not None and selectors.template_exists(user=user):
        lockout_attempt(user=user, rule=FACE)
    else:  # no such name, or an account without a face: counted alike, in the cache
        name_lockout_attempt(name=_lockout_name(user, claimed, api_client_id), rule=FACE)


def _lockout_outcome(row: LivenessChallenge, passed: bool, *, strike: bool) -> None:
    user = row.user
    if user is not None and selectors.template_exists(user=user):
        if passed:
            lockout_succeeded(user=user, rule=FACE)
        elif strike:
            lockout_strike(user=user, rule=FACE)
    elif strike:
        name_lockout_strike(name=_lockout_name(user, row.claimed, row.api_client_id), rule=FACE)


# --- one picture ---------------------------------------------------------------------------


def face_verify(
    *,
    user: User | None,
    claimed: str,
    frame: bytes | None,
    client: ClientInfo,
    channel: Channel,
    challenge_id: str = "",
    api_client_id: int | None = None,
    accountable: bool = False,
) -> FaceCheck:
    """Is the face in `frame` the user who was claimed (`user`, None when nobody has the name
    `claimed`)? With `challenge_id` (the API), a passed challenge of this client vouches for
    the user once, and `frame`, when sent, must match as well. An unknown user, a user
    without a face, a bad picture and a wrong face all fail, after the same work; only the
    audit reason differs. Counts toward the user's face lockout; a failure is a strike toward
    disabling it when somebody answers for it (`accountable`: an API client, or a login's
    second step after the password)."""
    event = _VERIFY_EVENTS[channel]
    passed, reason, image_error = True, "ok", None
    if challenge_id:
        vouched = challenges.challenge_consume(
            challenge_id=challenge_id, user=user, api_client_id=api_client_id
        )
        passed = vouched is not None and user is not None
        reason = "ok" if passed else "liveness_not_passed"
    if passed and frame is not None:
        probe = matching.Probe.from_frame(frame)
        image_error = probe.image_error
        try:
            passed, reason = _match_one(user, probe, strike=accountable)
        except ThrottledError as exc:
            _audit(event, False, exc.code, user, claimed, client)
            raise
    _audit(event, passed, reason, user, claimed, client)
    return FaceCheck(passed, user if passed else None, _hint(passed), reason, image_error)


def face_identify(
    *,
    frame: bytes | None,
    client: ClientInfo,
    channel: IdentifyChannel,
    challenge_id: str = "",
    api_client_id: int | None = None,
    scope: str = "",
) -> FaceCheck:
    """Who of the enrolled users (web accounts, or the API client's subjects) is in `frame`?
    With `challenge_id` (the API, a device of `scope`), the subject a passed identification
    challenge of this client or device found, once; `frame`, when sent too, must then match
    that subject."""
    event = _IDENTIFY_EVENTS[channel]
    found: User | None = None
    reason, image_error = "ok", None
    if challenge_id:
        vouched = challenges.challenge_consume(
            challenge_id=challenge_id, api_client_id=api_client_id, scope=scope
        )
        found = vouched.matched_user if vouched is not None else None
        reason = "ok" if found is not None else "liveness_not_passed"
        if found is not None and frame is not None:
            probe = matching.Probe.from_frame(frame)
            image_error = probe.image_error
            try:
                matched, reason = _match_one(found, probe, strike=True)
            except ThrottledError as exc:
                _audit(event, False, exc.code, found, "", client)
                raise
            found = found if matched else None
    elif frame is not None:
        probe = matching.Probe.from_frame(frame)
        image_error = probe.image_error
        found, reason = matching.face_identify(probe=probe, api_client_id=api_client_id)
    _audit(event, found is not None, reason, found, "", client)
    return FaceCheck(found is not None, found, _hint(found is not None), reason, image_error)


def _match_one(user: User | None, probe: matching.Probe, *, strike: bool) -> tuple[bool, str]:
    """1:1 under the user's face lockout; a failure is a strike when somebody answers for it
    (an API client), else it only slows the next try down (see `FACE`)."""
    # The probe is embedded before anything about the user is looked at, so an unknown user
    # and a user without a face cost what a real comparison costs.
    probe.embedding(enrollment_model())
    if user is None:
        return False, "unknown_user"
    if not selectors.template_exists(user=user):
        return False, "no_template"
    lockout_check(user=user, rule=FACE)
    matched, reason = matching.face_match(user=user, probe=probe)
    if matched:
        lockout_succeeded(user=user, rule=FACE)
    else:
        lockout_failed(user=user, rule=FACE, strike=strike)
    return matched, reason


def face_vouch(
    *,
    user: User,
    purpose: str,
    client: ClientInfo,
    challenge_id: str = "",
    frame: bytes | None = None,
) -> FaceCheck:
    """`user`'s face for one use of `purpose` (a payment through the API): a challenge of that
    purpose the user started and passed in earlier requests vouches for it once; or, where the
    deployment turned liveness off, one picture is matched to the user. Without either, or
    with a picture while liveness is on, it fails. One audit row ("face_vouch"), whose id
    the use cites."""
    event = "face_vouch"
    if challenge_id:
        vouched = challenges.challenge_consume(
            challenge_id=challenge_id, user=user, purpose=purpose
        )
        passed, reason = vouched is not None, "ok" if vouched is not None else "liveness_not_passed"
    elif frame is not None and not settings.PEEKA_LIVENESS:
        probe = matching.Probe.from_frame(frame)
        try:
            passed, reason = _match_one(user, probe, strike=True)
        except ThrottledError as exc:
            _audit(event, False, exc.code, user, "", client)
            raise
        if probe.image_error is not None:
            audited = _audit(event, False, reason, user, "", client)
            return FaceCheck(False, None, _hint(False), reason, probe.image_error, audit_id=audited)
    else:
        passed, reason = False, "liveness_required" if frame is not None else "no_face_check"
    audited = _audit(event, passed, reason, user, "", client)
    return FaceCheck(passed, user if passed else None, _hint(passed), reason, audit_id=audited)


# --- templates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolled:
    enrollment: enrollment.Enrollment
    recovery_codes: list[str]
    """The user's first recovery codes, made with a first second factor (shown once)."""


def face_enroll(
    *,
    user: User,
    frames: Sequence[bytes],
    scheme: str,
    client: ClientInfo,
    channel: EnrollChannel,
) -> Enrolled:
    """Enroll `user` from photos or camera frames without a liveness check: the API and an
    administrator's photos (one photo is enough; a broken upload is named by its image error),
    and the web pages where the deployment turned liveness off. Audited either way."""
    event = _ENROLL_EVENTS[channel]
    web = channel == "web"
    try:
        result = enrollment.enrollment_create(
            user=user,
            frames=frames,
            scheme_name=scheme,
            min_frames=None if web else 1,
            image_errors=not web,
        )
    except PeekaError as exc:
        _audit(event, False, exc.code, user, "", client)
        raise
    _audit(event, True, "ok", user, "", client)
    # A first second factor comes with recovery codes, so losing the camera never locks the
    # user out (API subjects have no login, so no codes).
    codes = [] if not web or otp.recovery_codes_left(user) else otp.new_recovery_codes(user)
    return Enrolled(result, codes)


def face_enroll_live(
    *,
    user: User,
    challenge_id: str,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    scheme: str,
    client: ClientInfo,
) -> Enrolled | FaceCheck:
    """Enroll `user` on the web through the enrollment challenge `challenge_id`: `frames`
    answer its revealed step. While steps remain, the `FaceCheck` that reveals the next; a
    failed step is `EnrollmentError` with the hint; when the last step ("look at the camera")
    passes, its frontal frames enroll."""
    checked = challenge_answer(
        challenge_id=challenge_id,
        purpose="enroll",
        frames=frames,
        timestamps_ms=timestamps_ms,
        client=client,
        user=user,
    )
    if checked.going_on:
        return checked
    if not checked.passed:
        raise enrollment.EnrollmentError(checked.hint)
    # The last step's own frontal frames enroll, evenly spaced; the quality checks drop any
    # blurred one.
    chosen = _spread([frames[i] for i in checked.frontal], settings.PEEKA_ENROLL_MAX_FRAMES)
    return face_enroll(user=user, frames=chosen, scheme=scheme, client=client, channel="web")


def face_delete(*, user: User, client: ClientInfo, channel: Channel) -> int:
    """Delete every template of `user` and destroy their keys; how many there were. An API
    subject has nothing else, so it goes too."""
    count = enrollment.templates_delete_all(user)
    _audit(_DELETE_EVENTS[channel], True, "ok", user, "", client)
    if channel == "api":
        user.delete()
    return count


def face_framing(*, frame: bytes) -> Framing:
    """Framing advice on one small camera frame (`ImageError` for anything else): whether one
    face is in view, large enough, near the middle and in usable light. The caller limits how
    often a client may ask (it costs one detection on 320x240 pixels)."""
    image = preview_frame(frame)
    return framing(image, engine_for(enrollment_model()).detect(image))


# --- presence: the same face, still there ------------------------------------------------

PresencePurpose = Literal["interview"]
_PRESENCE_EVENTS: dict[PresencePurpose, str] = {"interview": "presence_interview"}
PRESENCE_MAX_FRAMES = 5
"""Frames of one presence check: about a second of webcam, a few frames apart."""
PRESENCE_FRAMES = gettext_noop("The camera pictures did not come through.")
PRESENCE_NO_FACE = gettext_noop("No face in view. Look straight at the camera.")
PRESENCE_NO_TEMPLATE = gettext_noop("Add your face to your account first.")


@dataclass(frozen=True)
class Presence:
    passed: bool
    """The account holder's face matched."""
    hint: str
    """What the client may be told (English, marked for translation, as `FaceCheck.hint`)."""
    reason: str
    """"ok" or the check that failed: for the audit log."""
    audit_id: int | None
    frames: int
    """Frames received."""
    faces: int
    """Frames with one face in them (one prominent face, as a login photo must have)."""
    facing: int
    """Of those, frames where the face looks at the camera (`peeka.biometrics.pose`)."""
    mean_abs_yaw: float
    """Mean |yaw| over the frames with a face whose landmarks the detector gave (every
    detector of the default model does); 0.0 when none."""
    image_error: ImageError | None = None
    """A frame was not a usable camera picture, or there were none or too many."""


def face_presence(
    *, user: User, purpose: PresencePurpose, frames: Sequence[bytes], client: ClientInfo
) -> Presence:
    """Is `user`, the account holder, still the one in front of the camera, for `purpose`?
    `frames`: 1 to `PRESENCE_MAX_FRAMES` webcam JPEGs over about a second, taken without
    interrupting the user (an interview's checks every 30 s and at its end). The faces found
    are matched to the user's template, fused over frames when there are several, as a
    challenge's last step is; with how many frames show one face looking at the camera.

    There is NO liveness check here: this flow only says the same face is still there, so
    a photo held up passes. The caller starts with a live check (`face_check`) and pairs the
    two. A failure is not counted toward the account's face lockout (someone who looks away
    must not lock their account out), but the calls are rate-limited per user
    (`ThrottledError`). One audit row per call (`presence_<purpose>`), refused and throttled
    ones included."""
    event = _PRESENCE_EVENTS[purpose]
    try:
        rate_limit(scope="presence", ident=f"user:{user.pk}")
    except ThrottledError as exc:
        if exc.first:
            _audit(event, False, exc.code, user, "", client)
        raise

    def refused(reason: str, hint: str, error: ImageError | None = None) -> Presence:
        audited = _audit(event, False, reason, user, "", client)
        return Presence(False, hint, reason, audited, len(frames), 0, 0, 0.0, error)

    if not 1 <= len(frames) <= PRESENCE_MAX_FRAMES:  # counted before anything is decoded
        error = ImageError(
            gettext_noop("Send from 1 to %(most)d camera pictures."),
            code="frames",
            params={"most": PRESENCE_MAX_FRAMES},
        )
        return refused("frames", PRESENCE_FRAMES, error)
    images: list[RGBImage] = []
    for frame in frames:
        try:
            images.append(camera_frame(frame))
        except ImageError as exc:
            return refused(exc.code, PRESENCE_FRAMES, exc)
    models = selectors.template_models(user=user)
    engine = engine_for(models[0] if models else enrollment_model())
    found: list[tuple[RGBImage, Face]] = []
    poses: list[HeadPose] = []
    for image in images:
        try:
            face = engine.pick(engine.detect(image), image, "single")
        except FaceError:  # no face, or several
            continue
        found.append((image, face))
        if face.landmarks is not None:  # dlib's HOG detector gives none
            poses.append(head_pose(face.landmarks))
    facing = sum(pose.facing for pose in poses)
    mean_abs_yaw = float(np.mean([abs(p.yaw) for p in poses])) if poses else 0.0
    if not models:
        reason = "no_template"
    elif not found:
        reason = "no_face"
    else:
        reason = matching.face_match(user=user, probe=_presence_probe(found, models[0]))[1]
    passed = reason == "ok"
    audited = _audit(event, passed, reason, user, "", client)
    hint = {"ok": DONE, "no_template": PRESENCE_NO_TEMPLATE, "no_face": PRESENCE_NO_FACE}.get(
        reason, NOT_RECOGNISED
    )
    return Presence(passed, hint, reason, audited, len(frames), len(found), facing, mean_abs_yaw)


def _presence_probe(found: Sequence[tuple[RGBImage, Face]], model: str) -> matching.Probe:
    """One face: its one crop, compared at the "single" thresholds. Several: the mean over the
    frames of each chip and its mirror, at the "fused" thresholds, as a challenge's last step
    is embedded (`StepVerdict.fused`). No quality gate, as there: the frames of a passive
    check are taken as they come."""
    engine = engine_for(model)
    if len(found) == 1:
        image, face = found[0]
        single = engine.sample(image, face, check_quality=False).embedding
        return matching.Probe.from_embedding(single, model=model)
    views = [
        engine.sample(image, face, transforms=FUSED_TRANSFORMS, check_quality=False).embedding
        for image, face in found
    ]
    fused = mean_descriptor(np.array(views))
    return matching.Probe.from_embedding(fused, model=model, mode="fused")


# --- helpers -------------------------------------------------------------------------------


def _audit(
    event: str,
    success: bool,
    reason: str,
    user: User | None,
    username: str,
    client: ClientInfo,
) -> int:
    return audit_record(
        event=event, success=success, reason=reason, user=user, username=username, client=client
    ).pk


def _hint(passed: bool) -> str:
    return DONE if passed else NOT_RECOGNISED


T = TypeVar("T")


def _spread(frames: Sequence[T], count: int) -> list[T]:
    if len(frames) <= count:
        return list(frames)
    picks = sorted({round(i * (len(frames) - 1) / (count - 1)) for i in range(count)})
    return [frames[i] for i in picks]
