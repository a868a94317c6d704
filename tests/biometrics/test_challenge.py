"""Interactive challenge-response liveness: challenges drawn as promised, each step decided on
the server's clock, gestures bound to a live hand, and the attack suite on the real liveness
material (every attack rejected for its reason, every bona fide recording accepted), through
`peeka eval liveness`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from peeka.biometrics.challenge import (
    HAND_STEPS,
    HEAD_POSE_STEPS,
    ChallengePolicy,
    Progress,
    Step,
    Verifier,
    draw_steps,
    issue,
)
from peeka.biometrics.gestures import Gesture, HandGesture, deformation
from peeka.biometrics.liveness import FaceSignals
from peeka.biometrics.types import Box
from peeka.cli import main

EXPECTED_CHECKS = {
    "photo_still": {"duplicates"},
    "photo_moved": {"steps"},
    "photo_turned": {"steps"},
    "tilt_for_turn": {"steps"},
    "print": {"steps"},
    "screen": {"steps"},
    "replay": {"steps"},
    "challenge_shopping": {"steps"},
    "pasted_hand": {"hand"},
    "hand_at_reveal": {"hand"},
    "replay_timing": {"too_fast", "too_slow", "clock"},
    "reused_challenge": {"reused"},
    "forged_timestamps": {"timestamps"},
    "person_swap": {"face_changed"},
    "expired": {"expired"},
}


def test_challenges_always_turn_the_head_in_an_order_nobody_can_predict() -> None:
    clock = iter(float(t) for t in range(1000, 2000))
    seen: set[Step] = set()
    first_steps: set[Step] = set()
    ids = set()
    for _ in range(400):
        challenge = issue(clock=lambda: next(clock))
        steps = challenge.steps
        assert 2 <= len(steps) <= 3 and len(set(steps)) == len(steps)
        assert any(step in HEAD_POSE_STEPS for step in steps)
        assert sum(step in HAND_STEPS for step in steps) <= 1
        assert Step.LOOK not in steps  # the enrollment adds it; it is never drawn
        assert challenge.expires_at - challenge.issued_at == 60.0
        seen.update(steps)
        first_steps.add(steps[0])
        ids.add(challenge.id)
    assert seen == set(Step) - {Step.LOOK} and len(ids) == 400
    assert first_steps == seen  # the turn is not always first: the order is drawn too
    with pytest.raises(ValueError, match="head turn"):
        draw_steps(ChallengePolicy(allowed_steps=(Step.BLINK, Step.FIST)))


def _verifier(now: float = 1000.0) -> Verifier:
    verifier = Verifier.__new__(Verifier)
    verifier.policy, verifier.clock = ChallengePolicy(), lambda: now
    return verifier


def test_each_step_is_timed_on_the_servers_clock() -> None:
    verifier = _verifier()
    challenge = issue(steps=[Step.BLINK, Step.TURN_LEFT], clock=lambda: 990.0)
    revealed = Progress(done=0, revealed_at=990.0)
    stamps = [5_000 + 100 * i for i in range(20)]  # 1.9 s of frames on the client's clock

    def check(progress: Progress, times: list[int], arrived: float) -> str:
        verdict = verifier.precheck(challenge, progress, len(times), times, arrived_at=arrived)
        return "ok" if verdict is None else verdict.check

    assert check(revealed, stamps, 992.5) == "ok"
    assert check(revealed, stamps, 991.0) == "too_fast"  # 1.9 s recorded in 1 s
    assert check(revealed, stamps[:5], 992.5) == "too_fast"  # 0.4 s: no time to act
    assert check(revealed, stamps, 990.0 + 16) == "too_slow"
    assert check(revealed, stamps[:4], 992.5) == "frames"
    assert check(revealed, stamps[::-1], 992.5) == "timestamps"
    # Step two: the client's clock must keep the offset it had at step one (within 3 s).
    second = Progress(done=1, revealed_at=993.0, frames=20, offset_ms=992_500.0 - stamps[-1])
    later = [t + 3_000 for t in stamps]  # recorded 3 s after the first step, as the server saw
    assert check(second, later, 995.5) == "ok"
    assert check(second, [t - 4_000 for t in later], 995.5) == "clock"
    assert check(Progress(done=2, revealed_at=993.0), later, 995.5) == "reused"
    assert check(Progress(done=1, revealed_at=993.0, frames=75), later, 995.5) == "frames"
    expired = _verifier(now=990.0 + 61)
    verdict = expired.precheck(challenge, revealed, 20, stamps, arrived_at=992.5)
    assert verdict is not None and verdict.check == "expired"


def ANY_TIME(i: int) -> bool:  # noqa: N802
    return True


def _face(yaw: float = 0.0, mouth: float = 0.0, ear: float = 0.3) -> FaceSignals:
    return FaceSignals(Box(0, 0, 100, 100), ear, ear, yaw, 0.0, 0.0, mouth)


def test_a_step_starts_from_a_neutral_face_and_must_be_held() -> None:
    verifier = _verifier()
    frontal, left, mouth = _face(), _face(yaw=-1.2), _face(mouth=0.4)
    none: list[list[HandGesture]] = [[] for _ in range(8)]

    def find(step: Step, faces: list[FaceSignals]) -> range | str:
        return verifier._find(step, faces, none, ANY_TIME)

    assert find(Step.TURN_LEFT, [frontal, frontal, left, left]) == range(2, 4)
    assert find(Step.TURN_RIGHT, [frontal, frontal, left, left]) == "steps"
    assert find(Step.TURN_LEFT, [left] * 6) == "steps"  # turned all along
    assert find(Step.TURN_LEFT, [frontal, left, frontal]) == "steps"  # not held
    assert find(Step.OPEN_MOUTH, [frontal, mouth, mouth]) == range(1, 3)
    assert find(Step.OPEN_MOUTH, [mouth, mouth, mouth]) == "steps"
    assert find(Step.LOOK, [frontal, left, frontal, frontal]) == range(0, 4)
    assert find(Step.LOOK, [left, left, left, frontal]) == "steps"


def test_a_blink_before_anyone_could_react_counts_only_when_none_follows() -> None:
    verifier = _verifier()
    opened, shut = _face(), _face(ear=0.05)
    none: list[list[HandGesture]] = [[] for _ in range(8)]

    def from_frame_two(i: int) -> bool:
        return i >= 2

    # A blink at frame 1 (too early to be an answer), another at frame 4: the second counts.
    both = [opened, shut, opened, opened, shut, opened, opened]
    assert verifier._find(Step.BLINK, both, none, from_frame_two) == range(4, 5)
    # Only the early one: it is returned, and the step then fails as too_fast.
    early = [opened, shut, opened, opened, opened]
    assert verifier._find(Step.BLINK, early, none, from_frame_two) == range(1, 2)


def _hand(points: npt.NDArray[np.float64], gesture: Gesture = Gesture.FIST) -> HandGesture:
    return HandGesture(gesture, 0, (False, False, False, False, False), points)


def test_a_gesture_needs_a_live_hand_that_comes_into_view_beside_this_face() -> None:
    verifier = _verifier()
    rng = np.random.default_rng(7)
    palm = rng.uniform(0, 40, size=(21, 2)) + 200
    palm[9], palm[0] = [240, 200], [240, 240]  # a 40-pixel palm beside a 100-pixel face
    faces = [_face()] * 6
    # A photo: the same landmarks moved and scaled (one homography from frame to frame).
    photo = [[], [], *[[_hand(palm * (1 + 0.05 * i) + 3 * i)] for i in range(4)]]
    assert deformation([h[0].points for h in photo[2:]]) < 1e-6  # type: ignore[misc]
    assert verifier._gesture(Gesture.FIST, faces, photo) == "hand"
    # A live hand: the fingers move against each other as it comes up.
    live = [[], [], *[[_hand(palm + rng.normal(0, 3, size=(21, 2)))] for _ in range(4)]]
    assert verifier._gesture(Gesture.FIST, faces, live) == range(2, 4)
    assert verifier._gesture(Gesture.FIST, faces, [live[2], *live[1:]]) == "hand"  # at reveal
    assert verifier._gesture(Gesture.VICTORY, faces, live) == "steps"  # another gesture
    giant = [[], [], *[[_hand(np.asarray(h[0].points, dtype=np.float64) * 8.0)] for h in live[2:]]]
    assert verifier._gesture(Gesture.FIST, faces, giant) == "hand"  # no hand beside this face


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
    timing = {p["check"] for p in result["presentations"] if p["kind"] == "replay_timing"}
    assert timing == EXPECTED_CHECKS["replay_timing"]
    # Shopping for a challenge that starts with the recorded step gets one step further, and
    # no further: the next step is drawn, and every challenge turns the head.
    shopped = [p for p in result["presentations"] if p["kind"] == "challenge_shopping"]
    assert shopped and all(p["steps_passed"] == 1 for p in shopped)
