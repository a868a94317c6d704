"""Interactive liveness challenges' state: issue one (its first step revealed), check the
answer to the revealed step (claimed once, on the server's clock), reveal the next, record the
outcome, and consume a passed challenge once. The pure decisions are
`peeka.biometrics.challenge`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.db import transaction

from peeka.accounts.models import User
from peeka.biometrics import FaceEngine
from peeka.biometrics.challenge import (
    MAX_TIMESTAMP_MS,
    Challenge,
    ChallengePolicy,
    Progress,
    Step,
    StepVerdict,
    Verifier,
    issue,
    refusal,
)
from peeka.errors import PeekaError
from peeka.faces.models import LivenessChallenge
from peeka.faces.services.frames import camera_frame
from peeka.faces.services.protection import scheme_for
from peeka.protection import iom
from peeka.security.clock import now

MAX_FRAMES = 90
"""Frames of one challenge, all steps together."""
MAX_STEP_FRAMES = 30
"""Frames of one step's answer (3 s at 10 frames a second)."""
_STAMP_DIGITS = 16


class TimestampsError(PeekaError):
    """Timestamps that are not a list of at most MAX_STEP_FRAMES whole milliseconds."""

    code = "invalid_timestamps"


def timestamps_parse(text: str) -> list[int]:
    """The frames' timestamps from "t1,t2,...", whole milliseconds from 0 to 2**53; the
    length of each is checked before it is read as a number."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if len(parts) > MAX_STEP_FRAMES or any(
        len(part) > _STAMP_DIGITS or not part.isdigit() for part in parts
    ):
        raise TimestampsError(
            f"timestamps must be at most {MAX_STEP_FRAMES} comma-separated whole milliseconds."
        )
    values = [int(part) for part in parts]
    if any(value > MAX_TIMESTAMP_MS for value in values):
        raise TimestampsError(f"timestamps must be at most {MAX_TIMESTAMP_MS} milliseconds.")
    return values


def challenge_policy() -> ChallengePolicy:
    """The challenge thresholds: `ChallengePolicy`'s measured defaults, the TTL and any
    overrides from the settings."""
    fields: dict[str, Any] = {
        "ttl_seconds": float(settings.PEEKA_LIVENESS_TTL),
        "max_frames": MAX_FRAMES,
        "step_max_frames": MAX_STEP_FRAMES,
        **settings.PEEKA_LIVENESS_POLICY,
    }
    return ChallengePolicy(**fields)


def challenge_issue(
    *,
    purpose: str,
    user: User | None = None,
    claimed: str = "",
    api_client_id: int | None = None,
    accountable: bool = False,
    scope: str = "",
) -> LivenessChallenge:
    """A stored challenge with its first step revealed now. An enrollment ends with a "look at
    the camera" step, whose frames enroll. `claimed` is the name asked for: with no `user`
    (nobody has it) the answer fails exactly like a wrong face, after the same work."""
    # Only the tests' settings module defines this; the product's refuses it (settings.py).
    fixed: Sequence[str] | None = getattr(settings, "PEEKA_LIVENESS_FIXED_STEPS", None)
    drawn = issue(
        challenge_policy(),
        clock=now,
        steps=[Step(s) for s in fixed] if fixed is not None else None,
    )
    steps = [str(step) for step in drawn.steps]
    if purpose == "enroll" and steps[-1] != Step.LOOK:
        steps.append(str(Step.LOOK))
    _references_erase()
    return LivenessChallenge.objects.create(
        id=drawn.id,
        steps=steps,
        purpose=purpose,
        user=user,
        claimed=claimed,
        api_client_id=api_client_id,
        scope=scope,
        accountable=accountable,
        issued_at=drawn.issued_at,
        expires_at=drawn.expires_at,
        revealed_at=drawn.issued_at,
    )


def challenge_step(
    *,
    row: LivenessChallenge,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    arrived_at: float,
    engine: FaceEngine,
) -> StepVerdict:
    """Check the answer to the revealed step of `row`, which arrived at `arrived_at` (the
    server's clock, read before the body was looked at). A passed step reveals the next one
    (`row` is updated); a failed one ends the challenge. Each step is answered once: a second
    answer, or one sent while the first is being checked, ends it too. The first step's face
    becomes the challenge's reference, and every later step must show the same person.
    `engine` embeds with the model of the templates the probe will meet."""
    policy = challenge_policy()
    if row.purpose == "enroll":  # enrolled from the frames themselves: no probe to fuse
        policy = replace(policy, fused_frames=0)
    challenge = Challenge(
        id=row.id,
        steps=tuple(Step(s) for s in row.steps),
        issued_at=row.issued_at,
        expires_at=row.expires_at,
    )
    progress = Progress(
        done=row.done,
        revealed_at=row.revealed_at if row.revealed_at is not None else row.issued_at,
        frames=row.frames,
        offset_ms=row.offset_ms,
        last_face=_face_box(row.last_face),
    )
    verifier = Verifier(policy, clock=now, engine=engine)
    claimed = (
        LivenessChallenge.objects.filter(pk=row.pk, used=False, busy=False, done=row.done).update(
            busy=True
        )
        == 1
    )
    if not claimed:
        # Over, or another answer to this step is in flight or done: this one ends it.
        _finish(row, passed=False, check="reused")
        return refusal("reused")
    # Expiry, counts and timing first: nothing is decoded for an answer they refuse.
    verdict = verifier.precheck(
        challenge, progress, len(frames), timestamps_ms, arrived_at=arrived_at
    )
    if verdict is None:
        verdict = _checked(verifier, challenge, progress, frames, timestamps_ms, arrived_at)
    if verdict.passed and verdict.probe is not None:
        verdict = _same_person(row, verdict, engine.model)
    if not verdict.passed:
        _finish(row, passed=False, check=verdict.check)
    elif verdict.progress is not None:
        _advance(row, verdict.progress)
    return verdict


def _face_box(value: object) -> tuple[float, float, float] | None:
    if isinstance(value, list) and len(value) == 3:
        return float(value[0]), float(value[1]), float(value[2])
    return None


def _checked(
    verifier: Verifier,
    challenge: Challenge,
    progress: Progress,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    arrived_at: float,
) -> StepVerdict:
    images = []
    for frame in frames:  # one at a time: only the camera-sized copy stays
        try:
            images.append(camera_frame(frame))
        except PeekaError:
            return refusal("frames")  # not a camera frame: refused without decoding the rest
    return verifier.step(challenge, progress, images, timestamps_ms, arrived_at=arrived_at)


def _same_person(row: LivenessChallenge, verdict: StepVerdict, model: str) -> StepVerdict:
    """The first step's face becomes the reference (a protected IoM template under a fresh
    seed, erased when the challenge ends); a later step's face must match it at the IoM
    threshold calibrated for `model` (a false match rate of 1 in 10,000)."""
    assert verdict.probe is not None
    if row.done == 0:
        reference = iom.TransientReference.of(verdict.probe)
        row.reference, row.reference_seed = reference.codes, reference.seed
        return verdict
    reference = iom.TransientReference(bytes(row.reference), bytes(row.reference_seed))
    if not reference.matches(verdict.probe, scheme_for("iom", model=model).threshold):
        return refusal("face_changed")
    return verdict


def _advance(row: LivenessChallenge, progress: Progress) -> None:
    """Reveal the next step of `row` (its answer becomes due from now on)."""
    row.done, row.revealed_at, row.frames = progress.done, progress.revealed_at, progress.frames
    row.offset_ms, row.last_face = progress.offset_ms, list(progress.last_face or ())
    LivenessChallenge.objects.filter(pk=row.pk, busy=True, used=False).update(
        busy=False,
        done=row.done,
        revealed_at=row.revealed_at,
        frames=row.frames,
        offset_ms=row.offset_ms,
        last_face=row.last_face,
        reference=row.reference,
        reference_seed=row.reference_seed,
    )


def _finish(
    row: LivenessChallenge, *, passed: bool, check: str, matched: User | None = None
) -> bool:
    """End the challenge with this outcome, unless it has ended already (a duplicate answer
    ended it meanwhile): whether this call ended it."""
    ended = LivenessChallenge.objects.filter(pk=row.pk, used=False).update(
        used=True,
        busy=False,
        passed=passed,
        verdict=check,
        matched_user=matched,
        reference=b"",
        reference_seed=b"",
    )
    row.used = True
    if ended:
        row.passed, row.verdict, row.matched_user = passed, check, matched
    return ended == 1


def challenge_record(
    *, row: LivenessChallenge, passed: bool, check: str, matched: User | None
) -> bool:
    """The outcome of a challenge whose last step passed liveness: whether it stands (False
    when a duplicate answer ended the challenge meanwhile: then it failed)."""
    return _finish(row, passed=passed, check=check, matched=matched)


def _references_erase() -> None:
    """No reference outlives its challenge: those of challenges that expired unfinished go."""
    LivenessChallenge.objects.filter(expires_at__lt=now(), used=False).exclude(
        reference=b""
    ).update(reference=b"", reference_seed=b"")


def challenge_consume(
    *,
    challenge_id: str,
    user: User | None = None,
    api_client_id: int | None = None,
    scope: str = "",
    purpose: str = "",
) -> LivenessChallenge | None:
    """The passed, unexpired challenge `challenge_id` if it vouches for `user` (or, for the
    API, was made by that client; of `purpose` when given), marked consumed so it vouches for
    nothing else."""
    with transaction.atomic():
        rows = LivenessChallenge.objects.select_for_update().filter(
            pk=challenge_id, passed=True, consumed=False, api_client_id=api_client_id, scope=scope
        )
        row = (rows.filter(purpose=purpose) if purpose else rows).first()
        if row is None or now() > row.expires_at + settings.PEEKA_LIVENESS_TTL:
            return None
        if user is not None and row.matched_user_id != user.pk:
            return None
        row.consumed = True
        row.save(update_fields=["consumed"])
        return row
