"""Liveness challenges' single-use state: issue, claim the one answer, record its outcome,
consume the passed challenge once. The pure decision is `peeka.biometrics.challenge`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

from peeka.accounts.models import User
from peeka.biometrics import FaceEngine
from peeka.biometrics.challenge import (
    MAX_TIMESTAMP_MS,
    Challenge,
    ChallengePolicy,
    Step,
    Verdict,
    Verifier,
    issue,
    refusal,
)
from peeka.errors import PeekaError
from peeka.faces.models import LivenessChallenge
from peeka.faces.services.frames import camera_frame
from peeka.security.clock import now

MAX_FRAMES = 90
_STAMP_DIGITS = 16


class TimestampsError(PeekaError):
    """Timestamps that are not a list of at most MAX_FRAMES whole milliseconds."""

    code = "invalid_timestamps"


def timestamps_parse(text: str) -> list[int]:
    """The frames' timestamps from "t1,t2,...", whole milliseconds from 0 to 2**53; the
    length of each is checked before it is read as a number."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if len(parts) > MAX_FRAMES or any(
        len(part) > _STAMP_DIGITS or not part.isdigit() for part in parts
    ):
        raise TimestampsError(
            f"timestamps must be at most {MAX_FRAMES} comma-separated whole milliseconds."
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
        **settings.PEEKA_LIVENESS_POLICY,
    }
    return ChallengePolicy(**fields)


def challenge_issue(
    *,
    purpose: str,
    user: User | None = None,
    claimed: str = "",
    api_client_id: int | None = None,
) -> LivenessChallenge:
    """A stored challenge. `claimed` is the name asked for: with no `user` (nobody has it) the
    answer fails exactly like a wrong face, after the same work."""
    # Only the tests' settings module defines this; the product's refuses it (settings.py).
    fixed: Sequence[str] | None = getattr(settings, "PEEKA_LIVENESS_FIXED_STEPS", None)
    drawn = issue(
        challenge_policy(),
        clock=now,
        steps=[Step(s) for s in fixed] if fixed is not None else None,
    )
    return LivenessChallenge.objects.create(
        id=drawn.id,
        steps=[str(step) for step in drawn.steps],
        purpose=purpose,
        user=user,
        claimed=claimed,
        api_client_id=api_client_id,
        issued_at=drawn.issued_at,
        expires_at=drawn.expires_at,
    )


def challenge_claim(*, row: LivenessChallenge) -> bool:
    """Mark the challenge answered; False when it already was (the answer then fails as
    "reused")."""
    with transaction.atomic():
        return LivenessChallenge.objects.filter(pk=row.pk, used=False).update(used=True) == 1


def challenge_verify(
    *,
    row: LivenessChallenge,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    used: bool,
    engine: FaceEngine,
) -> Verdict:
    """The liveness verdict of the frames, on the server's clock; `engine` embeds the probe
    with the model of the templates it will meet."""
    challenge = Challenge(
        id=row.id,
        steps=tuple(Step(s) for s in row.steps),
        issued_at=row.issued_at,
        expires_at=row.expires_at,
    )
    verifier = Verifier(challenge_policy(), clock=now, engine=engine)
    # Expiry, reuse, counts and timestamps first: nothing is decoded for an answer they refuse.
    refused = verifier.precheck(challenge, len(frames), timestamps_ms, used=used)
    if refused is not None:
        return refused
    images = []
    for frame in frames:  # one at a time: only the camera-sized copy stays
        try:
            images.append(camera_frame(frame))
        except PeekaError:
            return refusal("frames")  # not a camera frame: refused without decoding the rest
    return verifier.verify(challenge, images, timestamps_ms, used=used)


def challenge_record(
    *, row: LivenessChallenge, passed: bool, check: str, matched: User | None
) -> None:
    LivenessChallenge.objects.filter(pk=row.pk).update(
        passed=passed, verdict=check, matched_user=matched
    )


def challenge_consume(
    *, challenge_id: str, user: User | None = None, api_client_id: int | None = None
) -> LivenessChallenge | None:
    """The passed, unexpired challenge `challenge_id` if it vouches for `user` (or, for the
    API, was made by that client), marked consumed so it vouches for nothing else."""
    with transaction.atomic():
        row = (
            LivenessChallenge.objects.select_for_update()
            .filter(pk=challenge_id, passed=True, consumed=False, api_client_id=api_client_id)
            .first()
        )
        if row is None or now() > row.expires_at + settings.PEEKA_LIVENESS_TTL:
            return None
        if user is not None and row.matched_user_id != user.pk:
            return None
        row.consumed = True
        row.save(update_fields=["consumed"])
        return row
