"""Challenge-response liveness, decided on the server: the server draws 2-3 random steps (blink,
turn, open the mouth, show a hand gesture) with a nonce and an expiry; the browser records the
user doing them and sends the frames with their timestamps; `verify` checks, in this order:

    expired      the challenge's window has passed (injectable clock)
    reused       the nonce was used before (the caller keeps that state)
    frames       too few or too many frames, or a frame that is not an image
    timestamps   not strictly increasing, too close together, too far apart, or a span longer
                 than the challenge allows
    duplicates   near-identical consecutive frames (a frozen or replayed still)
    face         a frame without a face or with several faces
    face_jump    the face jumps between consecutive frames (a cut between two recordings)
    steps        the steps were not all seen, in order
    face_changed the sampled frames do not all show the same person

The verdict names the failed check for the audit log; clients get pass/fail and a hint only.
Matching the face to a user (1:1 or 1:N) is the caller's, with `Verdict.probe`.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

from peeka.biometrics.engine import FaceEngine, default_engine, distance
from peeka.biometrics.gestures import Gesture
from peeka.biometrics.imageio import RGBImage
from peeka.biometrics.liveness import (
    MOUTH_OPEN,
    TURN_YAW,
    FaceSignals,
    LivenessSensor,
    blinks,
    default_sensor,
    face_signals,
)
from peeka.biometrics.types import Embedding
from peeka.errors import PeekaError


class Step(StrEnum):
    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
    OPEN_MOUTH = "open_mouth"
    OPEN_PALM = "open_palm"
    FIST = "fist"
    VICTORY = "victory"
    THUMBS_UP = "thumbs_up"


PROMPTS: dict[Step, str] = {
    Step.BLINK: "Blink once",
    Step.TURN_LEFT: "Turn your head to your left",
    Step.TURN_RIGHT: "Turn your head to your right",
    Step.OPEN_MOUTH: "Open your mouth",
    Step.OPEN_PALM: "Show an open hand",
    Step.FIST: "Show a fist",
    Step.VICTORY: "Show a V sign",
    Step.THUMBS_UP: "Show a thumbs up",
}
_GESTURES = {
    Step.OPEN_PALM: Gesture.OPEN_PALM,
    Step.FIST: Gesture.FIST,
    Step.VICTORY: Gesture.VICTORY,
    Step.THUMBS_UP: Gesture.THUMBS_UP,
}
_OPPOSITE = {Step.TURN_LEFT: Step.TURN_RIGHT, Step.TURN_RIGHT: Step.TURN_LEFT}
FACE_STEPS = (Step.BLINK, Step.TURN_LEFT, Step.TURN_RIGHT, Step.OPEN_MOUTH)
"""Steps only a live face can do; every drawn challenge has one (a photo of a face held up
beside a real hand could pass gesture steps alone)."""


MAX_TIMESTAMP_MS = 2**53
"""Timestamps are milliseconds (since any origin); larger values are no clock's."""


@dataclass(frozen=True)
class ChallengePolicy:
    """Thresholds of a challenge; the web app reads them from its settings."""

    steps: tuple[int, int] = (2, 3)
    """Fewest and most steps drawn."""
    ttl_seconds: float = 60.0
    min_frames: int = 6
    max_frames: int = 90
    min_interval_ms: int = 33
    """Frames closer than this did not come from a camera at <= 30 fps."""
    max_gap_ms: int = 2500
    """A longer pause between frames is a stitched recording, not one performance."""
    hold_frames: int = 2
    """Consecutive frames a turn, mouth or gesture step must hold."""
    duplicate_level: float = 0.05
    """Mean absolute grey-level difference (0-255, 64x48 thumbnails) below which two
    consecutive frames count as the same picture. Measured on the real clips: consecutive
    frames at 30 fps differ by at least 0.11 (median 0.34-0.56), even after video compression;
    a repeated or frozen frame differs by 0."""
    max_duplicates: float = 0.2
    """Fraction of near-duplicate frame pairs tolerated (a camera may repeat a frame)."""
    max_jump: float = 0.5
    """Largest move of the face box centre between consecutive frames, in face widths."""
    identity_samples: int = 3
    """Frames spread over the recording that are embedded (each costs a network pass), besides
    the one after the last step."""
    identity_threshold: float = 0.6
    """Distance within which sampled frames count as one person; looser than the login
    threshold, because a turned or blinking face embeds farther from the frontal one."""
    allowed_steps: tuple[Step, ...] = tuple(Step)


@dataclass(frozen=True)
class Challenge:
    id: str
    steps: tuple[Step, ...]
    issued_at: float
    """Seconds since the epoch (the verifier's clock)."""
    expires_at: float
    user: str | None = None

    @property
    def prompts(self) -> list[str]:
        return [PROMPTS[step] for step in self.steps]


def issue(
    policy: ChallengePolicy = ChallengePolicy(),
    *,
    user: str | None = None,
    clock: Callable[[], float] = time.time,
    steps: Sequence[Step] | None = None,
) -> Challenge:
    """A new challenge with steps drawn by the operating system's CSPRNG: distinct, never both
    turns. `steps` fixes them, which only tests may do (the web app refuses it in production)."""
    if steps is None:
        rng = secrets.SystemRandom()
        count = rng.randint(*policy.steps)
        face_steps = [s for s in policy.allowed_steps if s in FACE_STEPS]
        if not face_steps:
            raise ValueError("a challenge policy must allow at least one face step")
        chosen = [rng.choice(face_steps)]
        pool = [s for s in policy.allowed_steps if s not in (chosen[0], _OPPOSITE.get(chosen[0]))]
        while len(chosen) < count and pool:
            step = rng.choice(pool)
            chosen.append(step)
            pool = [s for s in pool if s != step and s != _OPPOSITE.get(step)]
        rng.shuffle(chosen)
        steps = chosen
    now = clock()
    return Challenge(
        id=secrets.token_urlsafe(18),
        steps=tuple(Step(s) for s in steps),
        issued_at=now,
        expires_at=now + policy.ttl_seconds,
        user=user,
    )


@dataclass(frozen=True)
class Verdict:
    passed: bool
    check: str
    """"ok", or the first check that failed (see the module docstring)."""
    steps_done: int
    hint: str
    """What the user should do next; safe to show."""
    probe: Embedding | None = field(default=None, repr=False)
    """A descriptor of the person (a frontal sampled frame), to match against a template."""


_HINTS = {
    "expired": "The challenge expired. Start again.",
    "reused": "The challenge was already used. Start again.",
    "frames": "The recording did not come through. Start again.",
    "timestamps": "The recording did not come through. Start again.",
    "duplicates": "Move naturally while you do the steps. Start again.",
    "face": "Keep your face, and only yours, in view. Start again.",
    "face_jump": "Keep your face in view the whole time. Start again.",
    "face_changed": "Keep your face in view the whole time. Start again.",
}


class Verifier:
    def __init__(
        self,
        policy: ChallengePolicy = ChallengePolicy(),
        *,
        clock: Callable[[], float] = time.time,
        sensor: LivenessSensor | None = None,
        engine: FaceEngine | None = None,
    ) -> None:
        self.policy = policy
        self.clock = clock
        self.sensor = sensor or default_sensor()
        self.engine = engine or default_engine()

    def verify(
        self,
        challenge: Challenge,
        frames: Sequence[RGBImage],
        timestamps_ms: Sequence[int],
        *,
        used: bool = False,
    ) -> Verdict:
        refused = self.precheck(challenge, len(frames), timestamps_ms, used=used)
        if refused is not None:
            return refused
        p = self.policy
        if _duplicate_fraction(frames, p.duplicate_level) > p.max_duplicates:
            return _fail("duplicates")
        faces = []
        for frame in frames:
            found = self.sensor.face_landmarks(frame)
            if len(found) != 1:
                return _fail("face")
            faces.append(face_signals(found[0]))
        if _largest_jump(faces) > p.max_jump:
            return _fail("face_jump")
        gestures = _LazyGestures(self.sensor, frames)
        done, used_frames = self._steps(challenge.steps, faces, gestures)
        if done < len(challenge.steps):
            hint = f"{PROMPTS[challenge.steps[done]]}, clearly, in view of the camera."
            return Verdict(False, "steps", done, hint)
        probe, same = self._identity(frames, faces, used_frames)
        if not same or probe is None:
            return _fail("face_changed", done)
        return Verdict(True, "ok", done, "Done.", probe)

    def precheck(
        self, challenge: Challenge, count: int, timestamps_ms: Sequence[int], *, used: bool
    ) -> Verdict | None:
        """The failing verdict that needs no frame decoded (expired, reused, too few or too
        many frames, timestamps), or None: run it before decoding anything."""
        if self.clock() > challenge.expires_at:
            return _fail("expired")
        if used:
            return _fail("reused")
        p = self.policy
        if not p.min_frames <= count <= p.max_frames or count != len(timestamps_ms):
            return _fail("frames")
        if not self._timestamps_ok(challenge, timestamps_ms):
            return _fail("timestamps")
        return None

    def _timestamps_ok(self, challenge: Challenge, stamps: Sequence[int]) -> bool:
        p = self.policy
        if any(not 0 <= stamp <= MAX_TIMESTAMP_MS for stamp in stamps):
            return False
        values = np.asarray(stamps, dtype=np.int64)
        gaps = np.diff(values)
        if gaps.size and (gaps.min() < p.min_interval_ms or gaps.max() > p.max_gap_ms):
            return False
        span_ms = int(values[-1] - values[0]) if values.size else 0
        return span_ms <= (challenge.expires_at - challenge.issued_at) * 1000

    def _steps(
        self, steps: Sequence[Step], faces: list[FaceSignals], gestures: Sequence[set[Gesture]]
    ) -> tuple[int, set[int]]:
        """How many steps were seen in order, and the frames that showed them."""
        position, shown = 0, set[int]()
        for done, step in enumerate(steps):
            found = self._find(step, faces, gestures, position)
            if found is None:
                return done, shown
            shown.update(found)
            position = found.stop
        return len(steps), shown

    def _find(
        self, step: Step, faces: list[FaceSignals], gestures: Sequence[set[Gesture]], start: int
    ) -> range | None:
        """The first frames from `start` on that show `step`."""
        if step == Step.BLINK:
            ears: list[float | None] = [f.ear for f in faces]
            for blink in blinks(ears):
                # The open eyes before the blink may precede `start`; the closing may not.
                if blink.start >= start:
                    return blink
            return None
        if step in (Step.TURN_LEFT, Step.TURN_RIGHT):
            sign = 1.0 if step == Step.TURN_RIGHT else -1.0
            # A turn starts from a frontal face: a photo of a turned head shows no turn.
            frontal = [i for i in range(start, len(faces)) if abs(faces[i].yaw) < TURN_YAW / 2]
            if not frontal:
                return None
            return self._held(lambda i: sign * faces[i].yaw > TURN_YAW, frontal[0] + 1, len(faces))
        if step == Step.OPEN_MOUTH:
            closed = [i for i in range(start, len(faces)) if faces[i].mouth < MOUTH_OPEN / 3]
            if not closed:
                return None
            return self._held(lambda i: faces[i].mouth > MOUTH_OPEN, closed[0] + 1, len(faces))
        wanted = _GESTURES[step]
        # Hands runs only on the frames looked at here, from the previous step's end on.
        return self._held(lambda i: wanted in gestures[i], start, len(faces))

    def _held(self, flag: Callable[[int], bool], start: int, count: int) -> range | None:
        """The first `hold_frames` consecutive frames from `start` on for which `flag` holds."""
        run = 0
        for i in range(start, count):
            run = run + 1 if flag(i) else 0
            if run >= self.policy.hold_frames:
                return range(i - run + 1, i + 1)
        return None

    def _identity(
        self, frames: Sequence[RGBImage], faces: list[FaceSignals], step_frames: set[int]
    ) -> tuple[Embedding | None, bool]:
        """Embeddings of frames spread over the recording (and next to each step): all within
        `identity_threshold` of each other. The probe is the most frontal sampled frame."""
        count = len(frames)
        picks = set(np.linspace(0, count - 1, self.policy.identity_samples).astype(int).tolist())
        picks |= {min(i + 1, count - 1) for i in (max(step_frames),)} if step_frames else set()
        embeddings: dict[int, Embedding] = {}
        for i in sorted(picks):
            try:
                embeddings[i] = self.engine.probe(frames[i], policy="central").embedding
            except PeekaError:
                continue
        if len(embeddings) < 2:
            return None, False
        values = list(embeddings.values())
        same = all(
            distance(a, b) <= self.policy.identity_threshold
            for k, a in enumerate(values)
            for b in values[k + 1 :]
        )
        frontal = min(embeddings, key=lambda i: abs(faces[i].yaw) + (faces[i].ear < 0.1))
        return embeddings[frontal], same


class _LazyGestures(Sequence[set[Gesture]]):
    """The gestures of each frame, measured (MediaPipe Hands) the first time they are asked."""

    def __init__(self, sensor: LivenessSensor, frames: Sequence[RGBImage]) -> None:
        self._sensor, self._frames = sensor, frames
        self._seen: dict[int, set[Gesture]] = {}

    def __len__(self) -> int:
        return len(self._frames)

    def __getitem__(self, index: int) -> set[Gesture]:  # type: ignore[override]
        if index not in self._seen:
            self._seen[index] = {hand.gesture for hand in self._sensor.hands(self._frames[index])}
        return self._seen[index]


def refusal(check: str, done: int = 0) -> Verdict:
    """The failing verdict of `check`, with its hint for the user."""
    return Verdict(False, check, done, _HINTS.get(check, "Start again."))


_fail = refusal


def _thumbnail(frame: RGBImage) -> npt.NDArray[np.float32]:
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey, (64, 48), interpolation=cv2.INTER_AREA)
    thumbnail: npt.NDArray[np.float32] = np.asarray(small, dtype=np.float32)
    return thumbnail


def _duplicate_fraction(frames: Sequence[RGBImage], level: float) -> float:
    thumbs = [_thumbnail(f) for f in frames]
    same = [float(np.mean(np.abs(a - b))) < level for a, b in itertools.pairwise(thumbs)]
    return float(np.mean(same)) if same else 0.0


def _largest_jump(faces: list[FaceSignals]) -> float:
    jumps = [0.0]
    for a, b in itertools.pairwise(faces):
        (ax, ay), (bx, by) = a.box.center, b.box.center
        jumps.append(float(np.hypot(bx - ax, by - ay)) / max(a.box.width, 1.0))
    return max(jumps)
