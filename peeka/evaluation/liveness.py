"""The liveness attack suite (ISO/IEC 30107-3 terms): presentation attacks built from the real
material in ../shared/data/liveness and the bona fide recordings it holds, each run through
`challenge.Verifier`. APCER per attack type is the share of attack presentations accepted;
BPCER the share of bona fide presentations rejected."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from peeka.biometrics.challenge import Challenge, ChallengePolicy, Step, Verdict, Verifier, issue
from peeka.biometrics.imageio import RGBImage, load_image
from peeka.biometrics.liveness import default_sensor, face_signals, video_frames
from peeka.errors import DatasetError

FRAME_MS = 100
"""The browser sends about 10 frames a second."""


@dataclass(frozen=True)
class Presentation:
    kind: str
    """"bona_fide" or the attack type."""
    name: str
    steps: tuple[Step, ...]
    frames: list[RGBImage] = field(repr=False)
    timestamps_ms: list[int]
    used: bool = False
    """The challenge id was already used."""
    late_seconds: float = 0.0
    """How long after the challenge's expiry the frames arrive (0: in time)."""


@dataclass(frozen=True)
class Outcome:
    presentation: Presentation
    verdict: Verdict
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


def stamps(count: int, step_ms: int = FRAME_MS) -> list[int]:
    return [1_000_000 + i * step_ms for i in range(count)]


def presentations(data: Path) -> Iterator[Presentation]:
    """Every bona fide and attack presentation of the suite, built from `data` (the liveness
    folder); see the README of that folder for the frame ranges used."""
    if not (data / "MANIFEST.csv").is_file():
        raise DatasetError(f"The liveness material was not found at {data}.")
    webcam = data / "face_video" / "tfjs_facemesh_input.mp4"
    gesture = data / "face_video" / "mps_gesture_test_video.mp4"
    blinking = clip(webcam, 15, 135)  # blinks at 29-35, 56-61, 91-97, 119-124
    thumbs = clip(gesture, 90, 195)  # a thumbs up from about frame 100
    tilt = clip(webcam, 40, 108, stride=2)  # head roll, no turn
    frontal = camera_frame(
        load_image(data / "face_still" / "frontal" / "tfjs_fld_portrait_obama.jpg")
    )

    yield Presentation("bona_fide", "blink twice (webcam clip)", (Step.BLINK, Step.BLINK),
                       blinking, stamps(len(blinking)))  # fmt: skip
    yield Presentation("bona_fide", "blink once (webcam clip, first half)", (Step.BLINK,),
                       blinking[:20], stamps(20))  # fmt: skip
    yield Presentation("bona_fide", "thumbs up (gesture clip)", (Step.THUMBS_UP,),
                       thumbs, stamps(len(thumbs)))  # fmt: skip

    yield Presentation("photo_still", "a photo held still", (Step.BLINK, Step.TURN_LEFT),
                       [frontal] * 30, stamps(30))  # fmt: skip
    yield Presentation("photo_moved", "a photo moved, zoomed and rotated",
                       (Step.BLINK, Step.OPEN_MOUTH), moving_clip(frontal), stamps(30))  # fmt: skip
    for name, steps in (("turn left", (Step.TURN_LEFT,)), ("turn right", (Step.TURN_RIGHT,))):
        yield Presentation("tilt_for_turn", f"a head tilt offered for '{name}'", steps,
                           tilt, stamps(len(tilt)))  # fmt: skip
    for photo in sorted((data / "antispoof").glob("silentface_F*")):
        kind = "print" if "print" in photo.name else "screen"
        waved = moving_clip(camera_frame(load_image(photo)))
        yield Presentation(kind, f"{photo.name}, moved in front of the camera",
                           (Step.BLINK, Step.TURN_RIGHT), waved, stamps(30))  # fmt: skip
    yield Presentation("replay", "the blink clip replayed for another challenge",
                       (Step.THUMBS_UP, Step.BLINK), blinking, stamps(len(blinking)))  # fmt: skip
    yield Presentation("replay", "the thumbs-up clip replayed for another challenge",
                       (Step.OPEN_MOUTH, Step.THUMBS_UP), thumbs, stamps(len(thumbs)))  # fmt: skip
    yield Presentation("reused_challenge", "a passing clip sent again for a used challenge id",
                       (Step.BLINK, Step.BLINK), blinking, stamps(len(blinking)),
                       used=True)  # fmt: skip
    # No clip has one person doing two different steps, so the out-of-order recording joins
    # two: the order check fails before the identity check would.
    backwards = thumbs + blinking
    yield Presentation("wrong_order", "thumbs up, then a blink, for 'blink, then thumbs up'",
                       (Step.BLINK, Step.THUMBS_UP), backwards, stamps(len(backwards)))  # fmt: skip
    yield Presentation("forged_timestamps", "timestamps that go back in time",
                       (Step.BLINK, Step.BLINK), blinking, stamps(len(blinking))[::-1])  # fmt: skip
    yield Presentation("forged_timestamps", "every frame stamped at once",
                       (Step.BLINK, Step.BLINK), blinking, [1_000_000] * len(blinking))  # fmt: skip
    yield Presentation("forged_timestamps", "frames claimed 5 ms apart",
                       (Step.BLINK, Step.BLINK), blinking, stamps(len(blinking), 5))  # fmt: skip
    # The second person is shifted so that the face does not jump at the cut: the identity
    # check, not the jump check, has to catch it.
    swapped = blinking[:24] + _aligned(thumbs[10:], blinking[23])
    yield Presentation("person_swap", "a second person swapped in mid-challenge",
                       (Step.BLINK, Step.THUMBS_UP), swapped, stamps(len(swapped)))  # fmt: skip
    cut = blinking[:24] + thumbs[10:]
    yield Presentation("person_swap", "a cut to another person's recording",
                       (Step.BLINK, Step.THUMBS_UP), cut, stamps(len(cut)))  # fmt: skip
    yield Presentation("expired", "a passing clip sent after the challenge expired",
                       (Step.BLINK, Step.BLINK), blinking, stamps(len(blinking)),
                       late_seconds=1.0)  # fmt: skip


def run(items: Iterator[Presentation], policy: ChallengePolicy | None = None) -> list[Outcome]:
    """Each presentation against a fresh challenge with its steps, on a frozen clock."""
    policy = policy or ChallengePolicy()
    outcomes = []
    now = [1_700_000_000.0]
    verifier = Verifier(policy, clock=lambda: now[0])
    for item in items:
        challenge: Challenge = issue(policy, steps=item.steps, clock=lambda: now[0])
        now[0] = challenge.issued_at + (
            policy.ttl_seconds + item.late_seconds if item.late_seconds else 5.0
        )
        started = time.perf_counter()
        verdict = verifier.verify(challenge, item.frames, item.timestamps_ms, used=item.used)
        outcomes.append(Outcome(item, verdict, time.perf_counter() - started))
        now[0] = challenge.issued_at
    return outcomes


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
                "frames": len(o.presentation.frames),
                "accepted": o.accepted,
                "check": o.verdict.check,
                "seconds": round(o.seconds, 3),
            }
            for o in outcomes
        ],
    }


def _share(flags: list[bool]) -> float:
    return float(np.mean(flags)) if flags else 0.0
