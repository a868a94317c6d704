"""The liveness attack suite (ISO/IEC 30107-3 terms): presentation attacks built from the real
material in ../shared/data/liveness and the bona fide recordings it holds, each run through the
interactive protocol of `peeka.biometrics.challenge` as the server runs it: one step revealed
at a time, each answer timed on the server's clock, every later step's face matched to the
first step's protected reference. APCER per attack type is the share of attack presentations
accepted; BPCER the share of bona fide presentations rejected."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from peeka.biometrics import calibration
from peeka.biometrics.challenge import (
    Challenge,
    ChallengePolicy,
    Progress,
    Step,
    StepVerdict,
    Verifier,
    draw_steps,
    issue,
    refusal,
)
from peeka.biometrics.imageio import RGBImage, load_image
from peeka.biometrics.liveness import default_sensor, face_signals, video_frames
from peeka.errors import DatasetError
from peeka.protection.iom import TransientReference

FRAME_MS = 100
"""The browser sends about 10 frames a second."""
UPLOAD_SECONDS = 0.4
"""From the last frame of a step to its arrival at the server (an upload on a LAN)."""
CLIENT_CLOCK_MS = 1_000_000
"""The client's clock at the challenge's reveal (any origin: only differences matter)."""


@dataclass(frozen=True)
class Answer:
    """The frames sent for one step, their timestamps (the client's clock), and when they
    arrive: seconds after the step was revealed, on the server's clock."""

    frames: list[RGBImage] = field(repr=False)
    timestamps_ms: list[int]
    delay_seconds: float


@dataclass(frozen=True)
class Presentation:
    kind: str
    """"bona_fide" or the attack type."""
    name: str
    steps: tuple[Step, ...]
    answers: list[Answer] = field(repr=False)
    """One per step, in order."""
    used: bool = False
    """The challenge was answered already."""
    late_seconds: float = 0.0
    """How long after the challenge's expiry the first answer arrives (0: in time)."""
    draws: int = 1
    """Challenges drawn to get this one (challenge shopping): each counts as a failure."""
    enrolling: bool = False
    """An enrollment's challenge: its frames are enrolled, no probe is fused."""

    @property
    def frames(self) -> int:
        return sum(len(a.frames) for a in self.answers)


@dataclass(frozen=True)
class Outcome:
    presentation: Presentation
    verdict: StepVerdict
    steps_passed: int
    seconds: float

    @property
    def accepted(self) -> bool:
        return self.verdict.passed


def clip(path: Path, start: int, stop: int, stride: int = 3) -> list[RGBImage]:
    """Frames start..stop-1 of a 30 fps video, every `stride`-th (10 fps by default), fitted
    into 640x480 as the browser sends them."""
    return [camera_frame(f) for f in list(video_frames(path, stop=stop))[start:stop:stride]]


def camera_frame(frame: RGBImage) -> RGBImage:
    """`frame` scaled down to fit 640x480 (the size the web page captures)."""
    height, width = frame.shape[:2]
    scale = min(640 / width, 480 / height, 1.0)
    if scale == 1.0:
        return frame
    size = (round(width * scale), round(height * scale))
    small: RGBImage = np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), np.uint8)
    return small


def moving_clip(still: RGBImage, count: int = 30) -> list[RGBImage]:
    """A still moved, zoomed and rotated in front of the camera: what an attacker waving a
    photo produces (each frame a different warp, so it is no frozen frame)."""
    height, width = still.shape[:2]
    frames = []
    for i in range(count):
        phase = 2 * np.pi * i / count
        matrix = cv2.getRotationMatrix2D(
            (width / 2, height / 2), 8 * np.sin(phase), 1.0 + 0.08 * np.sin(2 * phase)
        )
        shift = np.array([0.04 * width * np.cos(phase), 0.03 * height * np.sin(phase)])
        matrix = np.asarray(matrix, dtype=np.float64)
        matrix[:, 2] = matrix[:, 2] + shift
        warped = cv2.warpAffine(still, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
        frames.append(np.ascontiguousarray(warped, dtype=np.uint8))
    return frames


def turned_photo(still: RGBImage, count: int = 20, degrees: float = 50.0) -> list[RGBImage]:
    """A flat photo turned about its vertical axis in front of the camera, up to `degrees` and
    back (perspective warps): what an attacker does with a photo for a "turn" step."""
    height, width = still.shape[:2]
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    frames = []
    for i in range(count):
        angle = np.radians(degrees) * np.sin(np.pi * i / (count - 1))
        squeeze = width * (1 - np.cos(angle)) / 2
        lift = height * 0.12 * np.sin(angle)
        target = np.array(
            [[squeeze, -lift], [width - squeeze, lift], [width - squeeze, height - lift],
             [squeeze, height + lift]], dtype=np.float32,
        )  # fmt: skip
        matrix = cv2.getPerspectiveTransform(corners, target)
        warped = cv2.warpPerspective(
            still, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE
        )
        frames.append(np.ascontiguousarray(warped, dtype=np.uint8))
    return frames


def pasted_hand(frames: list[RGBImage], hand: RGBImage, start: int) -> list[RGBImage]:
    """`frames` with the photo `hand` pasted beside the face from frame `start` on, a little
    moved, turned and tilted in perspective in each frame: a still hand that "comes into view"
    during the step, as in the attack that passed before this suite covered it."""
    height, width = frames[0].shape[:2]
    size = round(height * 0.5)
    scale = size / max(hand.shape[:2])
    small = cv2.resize(hand, (round(hand.shape[1] * scale), round(hand.shape[0] * scale)))
    h, w = small.shape[:2]
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    out = []
    for i, frame in enumerate(frames):
        if i < start:
            out.append(frame)
            continue
        k = 0.15 * np.sin(i / 2)
        x, y = width - w - 10 + 6 * np.sin(i), height * 0.3 + 6 * np.cos(i)
        tilt = np.array([[0, -k * h], [0, k * h], [0, -k * h], [0, k * h]], dtype=np.float32)
        target = corners + 0.3 * tilt + np.array([x, y], dtype=np.float32)
        matrix = cv2.getPerspectiveTransform(corners, target.astype(np.float32))
        mask = cv2.warpPerspective(np.ones((h, w), np.uint8), matrix, (width, height))
        warped = cv2.warpPerspective(small, matrix, (width, height))
        pasted = frame.copy()
        pasted[mask > 0] = warped[mask > 0]
        out.append(np.ascontiguousarray(pasted, dtype=np.uint8))
    return out


def _aligned(frames: list[RGBImage], like: RGBImage) -> list[RGBImage]:
    """`frames` shifted so that their first face's centre lands on the face centre of `like`."""
    sensor = default_sensor()
    target = face_signals(sensor.face_landmarks(like)[0]).box.center
    start = face_signals(sensor.face_landmarks(frames[0])[0]).box.center
    matrix = np.array([[1.0, 0.0, target[0] - start[0]], [0.0, 1.0, target[1] - start[1]]])
    height, width = like.shape[:2]
    return [
        np.ascontiguousarray(
            cv2.warpAffine(f, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE),
            dtype=np.uint8,
        )
        for f in frames
    ]


def stamps(count: int, step_ms: int = FRAME_MS, start: int = CLIENT_CLOCK_MS) -> list[int]:
    return [start + i * step_ms for i in range(count)]


def performed(steps: Sequence[list[RGBImage]], *, upload: float = UPLOAD_SECONDS) -> list[Answer]:
    """Answers as an honest client sends them: each step recorded from its reveal at 10
    frames a second on a clock that runs with the server's, sent when recorded."""
    answers, client_ms = [], CLIENT_CLOCK_MS
    for frames in steps:
        recorded = stamps(len(frames), start=client_ms)
        span = (recorded[-1] - recorded[0]) / 1000
        answers.append(Answer(frames, recorded, span + upload))
        # The server checks the step and reveals the next when the response leaves (the
        # suite's checks take no time on the server's clock); the client starts at once.
        client_ms = recorded[-1] + round(upload * 1000)
    return answers


def presentations(data: Path) -> Iterator[Presentation]:
    """Every bona fide and attack presentation of the suite, built from `data` (the liveness
    folder); see the README of that folder for the frame ranges used."""
    if not (data / "MANIFEST.csv").is_file():
        raise DatasetError(f"The liveness material was not found at {data}.")
    webcam = data / "face_video" / "tfjs_facemesh_input.mp4"
    gesture = data / "face_video" / "mps_gesture_test_video.mp4"
    first_blink = clip(webcam, 15, 45)  # blinks at 29-35, 56-61, 91-97, 119-124
    second_blink = clip(webcam, 45, 75)
    thumbs = clip(gesture, 0, 48)  # no hand until about frame 24, then a thumbs up
    tilt = clip(webcam, 40, 108, stride=2)  # head roll, no turn
    frontal = camera_frame(
        load_image(data / "face_still" / "frontal" / "tfjs_fld_portrait_obama.jpg")
    )
    B = "bona_fide"

    yield Presentation(B, "blink, then blink again (webcam clip)", (Step.BLINK, Step.BLINK),
                       performed([first_blink, second_blink]))  # fmt: skip
    looking = clip(webcam, 63, 90)
    yield Presentation(B, "blink, then look at the camera (webcam clip; enrollment)",
                       (Step.BLINK, Step.LOOK), performed([first_blink, looking]),
                       enrolling=True)  # fmt: skip
    yield Presentation(B, "raise a thumbs up (gesture clip)", (Step.THUMBS_UP,),
                       performed([thumbs]))  # fmt: skip

    yield Presentation("photo_still", "a photo held still", (Step.BLINK,),
                       performed([[frontal] * 20]))  # fmt: skip
    yield Presentation("photo_moved", "a photo moved, zoomed and rotated", (Step.TURN_LEFT,),
                       performed([moving_clip(frontal, 20)]))  # fmt: skip
    turns: tuple[tuple[float, tuple[Step, ...]], ...] = (
        (50.0, (Step.TURN_LEFT,)),
        (-50.0, (Step.TURN_RIGHT,)),
    )
    for degrees, steps in turns:
        yield Presentation("photo_turned", f"a photo turned {abs(degrees):.0f} degrees for "
                           f"'{steps[0]}'", steps,
                           performed([turned_photo(frontal, degrees=degrees)]))  # fmt: skip
    for name, steps in (("turn left", (Step.TURN_LEFT,)), ("turn right", (Step.TURN_RIGHT,))):
        yield Presentation("tilt_for_turn", f"a head tilt offered for '{name}'", steps,
                           performed([tilt[:30]]))  # fmt: skip
    for photo in sorted((data / "antispoof").glob("silentface_F*")):
        kind = "print" if "print" in photo.name else "screen"
        waved = camera_frame(load_image(photo))
        yield Presentation(kind, f"{photo.name}, moved in front of the camera", (Step.BLINK,),
                           performed([moving_clip(waved, 20)]))  # fmt: skip
        yield Presentation(kind, f"{photo.name}, turned for a head turn", (Step.TURN_RIGHT,),
                           performed([turned_photo(waved, degrees=-50.0)]))  # fmt: skip

    # Replays of the user's own recording: the step revealed is not the one recorded.
    both_blinks = performed([first_blink, second_blink])
    yield Presentation("replay", "the user's blink recording replayed for a head turn",
                       (Step.TURN_LEFT, Step.BLINK), both_blinks)  # fmt: skip
    yield Presentation("replay", "the thumbs-up recording replayed for a blink",
                       (Step.BLINK, Step.TURN_RIGHT), performed([thumbs]))  # fmt: skip
    for draws, steps in _shopping(Step.BLINK):
        yield Presentation("challenge_shopping", f"challenges drawn until one began with a "
                           f"blink ({draws} draws), the blink recording replayed", steps,
                           performed([first_blink, second_blink]), draws=draws)  # fmt: skip

    # Gestures not bound to the live person.
    hands = data / "hands"
    for photo, step in (
        (hands / "open_palm" / "hagrid_gestures_palm.jpg", Step.OPEN_PALM),
        (hands / "fist" / "hagrid_gestures_fist.jpg", Step.FIST),
        (hands / "victory" / "hagrid_gestures_peace.jpg", Step.VICTORY),
        (hands / "thumbs_up" / "hagrid_gestures_like.jpg", Step.THUMBS_UP),
    ):
        if photo.is_file():
            pasted = pasted_hand(first_blink, camera_frame(load_image(photo)), start=5)
            yield Presentation("pasted_hand", f"{photo.name} pasted beside the face",
                               (step,), performed([pasted]))  # fmt: skip
    yield Presentation("hand_at_reveal", "a thumbs up already in view when the step is shown",
                       (Step.THUMBS_UP,), performed([clip(gesture, 30, 78)]))  # fmt: skip

    # The server's clock.
    early = performed([first_blink + second_blink[:10]])[0]
    yield Presentation("replay_timing", "a 4 s recording sent 1 s after the reveal",
                       (Step.BLINK,), [Answer(early.frames, early.timestamps_ms, 1.0)])  # fmt: skip
    late = performed([first_blink])[0]
    yield Presentation("replay_timing", "an answer 20 s after the reveal (time to find a clip)",
                       (Step.BLINK,), [Answer(late.frames, late.timestamps_ms, 20.0)])  # fmt: skip
    first, second = performed([first_blink, second_blink])
    slowed = [t - 5000 for t in second.timestamps_ms]
    yield Presentation("replay_timing", "the second step stamped 5 s off the first one's clock",
                       (Step.BLINK, Step.BLINK),
                       [first, Answer(second.frames, slowed, second.delay_seconds)])  # fmt: skip
    # Open at 27, closed at 30: a blink 100 ms after the reveal, and no other until 51 (a
    # blink that began too early does not count if a later one follows, as people blink).
    sudden = clip(webcam, 27, 51)
    yield Presentation("replay_timing", "a blink 100 ms after the step was shown",
                       (Step.BLINK,), performed([sudden]))  # fmt: skip

    yield Presentation("reused_challenge", "a passing answer sent again for a used challenge",
                       (Step.BLINK,), performed([first_blink]), used=True)  # fmt: skip
    yield Presentation("forged_timestamps", "timestamps that go back in time", (Step.BLINK,),
                       [Answer(first_blink, stamps(len(first_blink))[::-1], 3.0)])  # fmt: skip
    at_once = [CLIENT_CLOCK_MS] * len(first_blink)
    yield Presentation("forged_timestamps", "every frame stamped at once", (Step.BLINK,),
                       [Answer(first_blink, at_once, 3.0)])  # fmt: skip
    yield Presentation("forged_timestamps", "frames claimed 5 ms apart", (Step.BLINK,),
                       [Answer(first_blink, stamps(len(first_blink), 5), 3.0)])  # fmt: skip

    # Another person for a later step: shifted so that the face does not jump at the cut, so
    # the protected reference, not the position, has to catch it.
    other = _aligned(thumbs[:20], first_blink[-1])
    yield Presentation("person_swap", "a second person for the second step",
                       (Step.BLINK, Step.LOOK), performed([first_blink, other]))  # fmt: skip
    cut = first_blink[:8] + thumbs[:14]
    yield Presentation("person_swap", "a cut to another person's recording within a step",
                       (Step.BLINK,), performed([cut]))  # fmt: skip
    yield Presentation("expired", "a passing answer after the challenge expired",
                       (Step.BLINK,), performed([first_blink]), late_seconds=1.0)  # fmt: skip


def _shopping(wanted: Step, rounds: int = 3) -> Iterator[tuple[int, tuple[Step, ...]]]:
    """Challenges drawn as the server draws them until the first step is `wanted`: what an
    attacker holding a recording of that step must do (each draw counts as a failure)."""
    for _ in range(rounds):
        draws = 1
        steps = draw_steps()
        while steps[0] != wanted:
            draws += 1
            steps = draw_steps()
        yield draws, tuple(steps)


def run(
    items: Iterator[Presentation], policy: ChallengePolicy | None = None, model: str = ""
) -> list[Outcome]:
    """Each presentation against a fresh challenge with its steps, on a simulated server clock
    that moves only as the answers say."""
    policy = policy or ChallengePolicy()
    now = [1_700_000_000.0]
    verifier = Verifier(policy, clock=lambda: now[0])
    enrolling = Verifier(replace(policy, fused_frames=0), clock=lambda: now[0])  # as the server
    threshold = calibration.load_scheme(model or verifier.engine.model, "iom").threshold
    outcomes = []
    for item in items:
        challenge = issue(policy, steps=item.steps, clock=lambda: now[0])
        started = time.perf_counter()
        chosen = enrolling if item.enrolling else verifier
        verdict, passed = _present(chosen, challenge, item, now, threshold)
        outcomes.append(Outcome(item, verdict, passed, time.perf_counter() - started))
    return outcomes


def _present(
    verifier: Verifier,
    challenge: Challenge,
    item: Presentation,
    now: list[float],
    threshold: float,
) -> tuple[StepVerdict, int]:
    progress = Progress(done=0, revealed_at=challenge.issued_at)
    reference: TransientReference | None = None
    if item.late_seconds:
        now[0] = challenge.expires_at + item.late_seconds
    for answer in item.answers:
        now[0] += answer.delay_seconds
        verdict = verifier.step(
            challenge,
            progress,
            answer.frames,
            answer.timestamps_ms,
            arrived_at=now[0],
            used=item.used,
        )
        if verdict.passed and verdict.probe is not None:
            if reference is None:
                reference = TransientReference.of(verdict.probe)
            elif not reference.matches(verdict.probe, threshold):
                verdict = refusal("face_changed")
        if verdict.finished:
            return verdict, progress.done + int(verdict.passed)
        assert verdict.progress is not None
        progress = verdict.progress
    return refusal("steps"), progress.done


def rates(outcomes: list[Outcome]) -> dict[str, object]:
    """APCER per attack type and BPCER, with the failed check of every presentation."""
    kinds = sorted({o.presentation.kind for o in outcomes if o.presentation.kind != "bona_fide"})
    apcer = {
        kind: _share([o.accepted for o in outcomes if o.presentation.kind == kind])
        for kind in kinds
    }
    bona = [not o.accepted for o in outcomes if o.presentation.kind == "bona_fide"]
    return {
        "apcer": apcer,
        "bpcer": _share(bona),
        "attack_presentations": sum(o.presentation.kind != "bona_fide" for o in outcomes),
        "bona_fide_presentations": len(bona),
        "presentations": [
            {
                "kind": o.presentation.kind,
                "name": o.presentation.name,
                "steps": [str(s) for s in o.presentation.steps],
                "steps_passed": o.steps_passed,
                "frames": o.presentation.frames,
                "draws": o.presentation.draws,
                "accepted": o.accepted,
                "check": o.verdict.check,
                "seconds": round(o.seconds, 3),
            }
            for o in outcomes
        ],
    }


def _share(flags: list[bool]) -> float:
    return float(np.mean(flags)) if flags else 0.0
