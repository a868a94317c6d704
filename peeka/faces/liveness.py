"""Liveness challenges for the web pages and the API: issue, answer once, vouch once.

The pure decision is `peeka.biometrics.challenge`; this module keeps the single-use state in
the database, matches the live face to the claimed (or one enrolled) user and audits the
failed check. Clients learn pass/fail and a hint only."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from peeka.accounts.models import User
from peeka.api.models import ApiClient
from peeka.biometrics import load_image
from peeka.biometrics.challenge import (
    Challenge,
    ChallengePolicy,
    Step,
    Verdict,
    Verifier,
    issue,
)
from peeka.errors import PeekaError
from peeka.faces import abuse, services
from peeka.faces.models import LivenessChallenge

Clock = Callable[[], float]
MAX_FRAMES = 90
NOT_RECOGNISED = "Not recognised. Try again."


def policy() -> ChallengePolicy:
    """The challenge thresholds: `ChallengePolicy`'s measured defaults, the TTL and any
    overrides from the settings."""
    fields: dict[str, Any] = {
        "ttl_seconds": float(settings.PEEKA_LIVENESS_TTL),
        "max_frames": MAX_FRAMES,
        **settings.PEEKA_LIVENESS_POLICY,
    }
    return ChallengePolicy(**fields)


def new_challenge(
    purpose: str,
    *,
    user: User | None = None,
    claimed: str = "",
    api_client: ApiClient | None = None,
    clock: Clock = time.time,
) -> LivenessChallenge:
    """A stored challenge. `claimed` is the name asked for: with no `user` (nobody has it) the
    answer fails exactly like a wrong face, after the same work."""
    # Only the tests' settings module defines this; the product's refuses it (settings.py).
    fixed: Sequence[str] | None = getattr(settings, "PEEKA_LIVENESS_FIXED_STEPS", None)
    drawn = issue(
        policy(), clock=clock, steps=[Step(s) for s in fixed] if fixed is not None else None
    )
    return LivenessChallenge.objects.create(
        id=drawn.id,
        steps=[str(step) for step in drawn.steps],
        purpose=purpose,
        user=user,
        claimed=claimed,
        api_client=api_client,
        issued_at=drawn.issued_at,
        expires_at=drawn.expires_at,
    )


@dataclass(frozen=True)
class Answer:
    passed: bool
    user: User | None
    """The matched user: the claimed one (1:1), or the one enrolled user found (1:N)."""
    hint: str
    check: str


def answer(
    row: LivenessChallenge,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    *,
    client: services.Client | None = None,
    clock: Clock = time.time,
    enrolling: bool = False,
) -> Answer:
    """Verify the frames for `row` (once: a second answer fails as "reused"), then match the
    face: to `row.user` when set (for `enrolling`, only liveness and one person are checked),
    else among enrolled users."""
    with transaction.atomic():
        first = LivenessChallenge.objects.filter(pk=row.pk, used=False).update(used=True) == 1
    challenge = Challenge(
        id=row.id,
        steps=tuple(Step(s) for s in row.steps),
        issued_at=row.issued_at,
        expires_at=row.expires_at,
    )
    if row.user is not None and not enrolling:
        abuse.check(row.user)
    verdict = _verify(challenge, frames, timestamps_ms, used=not first, clock=clock)
    if not verdict.passed and row.user is not None and not enrolling:
        abuse.failed(row.user)
    user: User | None = None
    check = verdict.check
    if verdict.passed and verdict.probe is not None and not enrolling:
        if row.claimed and row.user is None:
            check = "unknown_user"
        elif row.user is not None:
            matched, check = services.match(row.user, verdict.probe)
            user = row.user if matched else None
        else:
            user, check = services.identify_embedding(verdict.probe, row.api_client)
    elif verdict.passed:
        user = row.user
    passed = verdict.passed and user is not None
    if first:
        LivenessChallenge.objects.filter(pk=row.pk).update(
            passed=passed, verdict=check, matched_user=user
        )
    services.audit(
        f"liveness_{row.purpose}",
        success=passed,
        reason=check,
        user=user or row.user,
        client=client,
    )
    hint = verdict.hint if not verdict.passed else ("Done." if passed else NOT_RECOGNISED)
    return Answer(passed, user, hint, check)


def consume(challenge_id: str, *, user: User | None = None, api_client: ApiClient | None = None,
            clock: Clock = time.time) -> LivenessChallenge | None:  # fmt: skip
    """The passed, unexpired challenge `challenge_id` if it vouches for `user` (or, for the
    API, was made by `api_client`), marked consumed so it vouches for nothing else."""
    with transaction.atomic():
        row = (
            LivenessChallenge.objects.select_for_update()
            .filter(pk=challenge_id, passed=True, consumed=False, api_client=api_client)
            .first()
        )
        if row is None or clock() > row.expires_at + settings.PEEKA_LIVENESS_TTL:
            return None
        if user is not None and row.matched_user_id != user.pk:
            return None
        row.consumed = True
        row.save(update_fields=["consumed"])
        return row


def _verify(
    challenge: Challenge,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    *,
    used: bool,
    clock: Clock,
) -> Verdict:
    try:
        images = [load_image(frame) for frame in frames]
    except PeekaError:
        images = []
    verifier = Verifier(policy(), clock=clock)
    return verifier.verify(challenge, images, timestamps_ms, used=used)
