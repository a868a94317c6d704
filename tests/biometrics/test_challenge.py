"""Challenge-response liveness: challenges drawn as promised, the step state machine, and the
attack suite on the real liveness material (every attack rejected for the right reason, every
bona fide recording accepted), through `peeka eval liveness`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from peeka.biometrics.challenge import (
    FACE_STEPS,
    ChallengePolicy,
    Step,
    Verifier,
    issue,
)
from peeka.biometrics.gestures import Gesture
from peeka.biometrics.liveness import FaceSignals
from peeka.biometrics.types import Box
from peeka.cli import main

EXPECTED_CHECKS = {
    "photo_still": {"duplicates"},
    "photo_moved": {"steps"},
    "tilt_for_turn": {"steps"},
    "print": {"steps"},
    "screen": {"steps"},
    "replay": {"steps"},
    "reused_challenge": {"reused"},
    "wrong_order": {"steps"},
    "forged_timestamps": {"timestamps"},
    "person_swap": {"face_changed", "face_jump"},  # one of each in the suite
    "expired": {"expired"},
}


def test_challenges_are_random_short_single_use_and_always_need_a_live_face() -> None:
    clock = iter(float(t) for t in range(1000, 2000))
    seen_steps: set[Step] = set()
    ids = set()
    for _ in range(300):
        challenge = issue(clock=lambda: next(clock))
        assert 2 <= len(challenge.steps) <= 3
        assert len(set(challenge.steps)) == len(challenge.steps)
        assert any(step in FACE_STEPS for step in challenge.steps)
        assert not {Step.TURN_LEFT, Step.TURN_RIGHT} <= set(challenge.steps)
        assert challenge.expires_at - challenge.issued_at == 60.0
        assert len(challenge.prompts) == len(challenge.steps)
        seen_steps.update(challenge.steps)
        ids.add(challenge.id)
    assert seen_steps == set(Step) and len(ids) == 300
    with pytest.raises(ValueError, match="face step"):
        issue(ChallengePolicy(allowed_steps=(Step.FIST, Step.VICTORY)))


def _face(yaw: float = 0.0, mouth: float = 0.0, ear: float = 0.3) -> FaceSignals:
    return FaceSignals(Box(0, 0, 100, 100), ear, ear, yaw, 0.0, 0.0, mouth)


def test_steps_count_only_in_the_order_asked() -> None:
    verifier = Verifier.__new__(Verifier)
    verifier.policy = ChallengePolicy()
    frontal, left, mouth = _face(), _face(yaw=-1.2), _face(mouth=0.4)
    faces = [frontal, frontal, mouth, mouth, frontal, left, left, frontal]
    none: list[set[Gesture]] = [set() for _ in faces]
    done, _ = verifier._steps((Step.OPEN_MOUTH, Step.TURN_LEFT), faces, none)
    assert done == 2
    done, _ = verifier._steps((Step.TURN_LEFT, Step.OPEN_MOUTH), faces, none)
    assert done == 1
    # A turn needs a frontal face first: a face that was turned all along shows no turn.
    done, _ = verifier._steps((Step.TURN_LEFT,), [left] * 6, none[:6])
    assert done == 0
    # A single frame is not held long enough.
    done, _ = verifier._steps((Step.TURN_RIGHT,), [frontal, _face(yaw=1.2), frontal], none[:3])
    assert done == 0


@pytest.mark.slow
def test_every_attack_is_rejected_for_its_reason_and_every_recording_passes(
    liveness_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "liveness", "--data", str(liveness_dir), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["bpcer"] == 0.0 and result["bona_fide_presentations"] >= 3
    assert set(result["apcer"]) == set(EXPECTED_CHECKS)
    assert all(rate == 0.0 for rate in result["apcer"].values())
    for presentation in result["presentations"]:
        if presentation["kind"] == "bona_fide":
            assert presentation["accepted"] and presentation["check"] == "ok", presentation
        else:
            assert presentation["check"] in EXPECTED_CHECKS[presentation["kind"]], presentation
    swaps = {p["check"] for p in result["presentations"] if p["kind"] == "person_swap"}
    assert swaps == {"face_changed", "face_jump"}
