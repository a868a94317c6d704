"""Interactive challenge-response liveness, decided on the server and on the server's clock.

The server draws 2-3 random steps (always a head turn, plus a blink, an open mouth or one hand
gesture) and reveals them one at a time: the client records the user doing the step it was
shown and sends that step's frames; only when they pass is the next step drawn from the
challenge and revealed. `Verifier.step` decides one step, in this order:

    expired      the challenge's window has passed (the server's clock)
    reused       the challenge is over, or this step was answered already
    frames       too few or too many frames for a step or for the challenge, or not images
    timestamps   not strictly increasing, too close together or too far apart
    too_fast     the frames claim more time than passed on the server since the step was
                 revealed, or too little for a person to do it, or the action starts before
                 a person could have reacted to the prompt
    too_slow     the answer arrived later after the reveal than doing the step takes
    clock        the client's clock ran at another speed than the server's between steps
                 (frames replayed faster or slower than they were recorded)
    duplicates   near-identical consecutive frames (a frozen or replayed still)
    face         a frame without a face or with several faces
    face_jump    the face jumps between consecutive frames, or from where it was at the end of
                 the previous step (a cut between two recordings)
    steps        the step was not seen: each starts from a neutral face (frontal, eyes open,
                 mouth closed, no hand) and must then be held
    hand         a gesture step's hand was there at the reveal, stayed rigid as a photo does,
                 or is not the size of a hand beside this face
    face_changed the step's frames do not all show the same person

Client timestamps are a hint checked against the server's clock, never trusted alone. The
verdict names the failed check for the audit log; clients get pass/fail and a hint only.
Whether the steps all show one person, and whether that person is the user, is the caller's
(`StepVerdict.probe`), as is keeping the `Progress` between requests.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from peeka.biometrics.engine import FUSED_TRANSFORMS, FaceEngine, default_engine, distance
from peeka.biometrics.gestures import HAND_DEFORMS, Gesture, HandGesture, deformation
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
from peeka.errors import PeekaError, gettext_noop


class Step(StrEnum):
    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
    OPEN_MOUTH = "open_mouth"
    OPEN_PALM = "open_palm"
    FIST = "fist"
    VICTORY = "victory"
    THUMBS_UP = "thumbs_up"
    LOOK = "look"
    """Look straight at the camera: the enrollment's last step, whose frames enroll."""


PROMPTS: dict[Step, str] = {
    Step.BLINK: gettext_noop("Blink once"),
    Step.TURN_LEFT: gettext_noop("Turn your head to your left"),
    Step.TURN_RIGHT: gettext_noop("Turn your head to your right"),
    Step.OPEN_MOUTH: gettext_noop("Open your mouth"),
    Step.OPEN_PALM: gettext_noop("Raise an open hand beside your face"),
    Step.FIST: gettext_noop("Raise a fist beside your face"),
    Step.VICTORY: gettext_noop("Raise a V sign beside your face"),
    Step.THUMBS_UP: gettext_noop("Raise a thumbs up beside your face"),
    Step.LOOK: gettext_noop("Look straight at the camera"),
}
"""What each step asks, in English; pages and the API show it in the user's language."""
_GESTURES = {
    Step.OPEN_PALM: Gesture.OPEN_PALM,
    Step.FIST: Gesture.FIST,
    Step.VICTORY: Gesture.VICTORY,
    Step.THUMBS_UP: Gesture.THUMBS_UP,
}
HEAD_POSE_STEPS = (Step.TURN_LEFT, Step.TURN_RIGHT)
"""Every drawn challenge has one: a turn needs a head in three dimensions (the nose moves
across the eye line), which no photo, however it is tilted or moved, shows."""
HAND_STEPS = tuple(_GESTURES)
DRAWN_STEPS = tuple(s for s in Step if s != Step.LOOK)


MAX_TIMESTAMP_MS = 2**53
"""Timestamps are milliseconds (since any origin); larger values are no clock's."""


@dataclass(frozen=True)
class ChallengePolicy:
    """Thresholds of a challenge; the web app reads them from its settings."""

    steps: tuple[int, int] = (2, 3)
    """Fewest and most steps drawn (an enrollment adds its "look" step)."""
    ttl_seconds: float = 60.0
    step_min_frames: int = 5
    step_max_frames: int = 30
    max_frames: int = 90
    """Frames of all the steps of one challenge together."""
    min_interval_ms: int = 33
    """Frames closer than this did not come from a camera at <= 30 fps."""
    max_gap_ms: int = 1000
    """A longer pause between a step's frames is a stitched recording, not one performance."""
    min_span_ms: int = 500
    """A step's frames cover at least this: nobody reads a prompt and acts in less."""
    reaction_ms: int = 150
    """The action starts at least this long after the step's first frame (human reaction
    times start near 150 ms; the client starts recording when it shows the step)."""
    span_slack_ms: int = 300
    """A step's frames may claim at most this much more time than passed on the server
    between the step's reveal and the frames' arrival (clock granularity)."""
    step_seconds: float = 15.0
    """From a step's reveal to its frames' arrival at most: reading the prompt, doing the step
    (the page records 2 s) and uploading about 20 frames over a slow mobile link."""
    clock_drift_ms: int = 3000
    """How much the client's clock may seem to move against the server's between two steps:
    the offset is measured at each arrival, so it includes each upload's time."""
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
    step_jump: float = 1.0
    """...and between the last frame of one step and the first of the next, which are a round
    trip to the server apart."""
    identity_thresholds: tuple[tuple[str, float], ...] = (
        ("dlib_resnet_v1", 0.6),
        ("sface_2021dec_int8bq", 1.1287),
    )
    """Per face model, the distance within which two frames of a step count as one person:
    looser than the login threshold, because a turned or blinking face embeds farther from the
    frontal one. Each is its authors' "same person" threshold: dlib's 0.6, and OpenCV Zoo's
    cosine 0.363 for SFace (sqrt(2 - 2 * 0.363); FAR 1.1e-3 on lfw-dev)."""
    hand_deforms: float = HAND_DEFORMS
    hand_scale: tuple[float, float] = (0.15, 1.5)
    """A hand's palm length (wrist to middle knuckle) over the face's width. Measured on the
    gesture clip, hands raised beside the face: 0.22-0.77 (median 0.40, 57 hands); a photo of
    a hand pasted at its own scale is seldom so."""
    allowed_steps: tuple[Step, ...] = DRAWN_STEPS
    fused_frames: int = 3
    """Frames of the last step averaged into the descriptor the user is matched with: the
    sharpest frontal ones with open eyes, each embedded as an enrollment frame is. 0: none
    (an enrollment, which enrolls the frames themselves)."""


@dataclass(frozen=True)
class Challenge:
    id: str
    steps: tuple[Step, ...]
    issued_at: float
    """Seconds since the epoch (the verifier's clock)."""
    expires_at: float

    @property
    def prompts(self) -> list[str]:
        return [PROMPTS[step] for step in self.steps]


def draw_steps(policy: ChallengePolicy = ChallengePolicy()) -> list[Step]:
    """Steps drawn by the operating system's CSPRNG: distinct, one head turn always, at most
    one hand gesture (a hand already raised for one could not come into view for the next),
    in an order that is drawn too."""
    rng = secrets.SystemRandom()
    turns = [s for s in policy.allowed_steps if s in HEAD_POSE_STEPS]
    if not turns:
        raise ValueError("a challenge policy must allow a head turn")
    chosen = [rng.choice(turns)]
    count = rng.randint(*policy.steps)
    pool = [s for s in policy.allowed_steps if s not in chosen]
    while len(chosen) < count and pool:
        step = rng.choice(pool)
        chosen.append(step)
        pool = [s for s in pool if s != step and not (step in HAND_STEPS and s in HAND_STEPS)]
    rng.shuffle(chosen)
    return chosen


def issue(
    policy: ChallengePolicy = ChallengePolicy(),
    *,
    clock: Callable[[], float] = time.time,
    steps: Sequence[Step] | None = None,
) -> Challenge:
    """A new challenge. `steps` fixes them, which only tests may do (the web app refuses it in
    production)."""
    now = clock()
    return Challenge(
        id=secrets.token_urlsafe(18),
        steps=tuple(Step(s) for s in (steps if steps is not None else draw_steps(policy))),
        issued_at=now,
        expires_at=now + policy.ttl_seconds,
    )


@dataclass(frozen=True)
class Progress:
    """Where a challenge stands between two answers (the caller stores it)."""

    done: int
    """Steps passed; `steps[done]` is the one revealed now."""
    revealed_at: float
    """When that step was revealed, on the server's clock (seconds)."""
    frames: int = 0
    """Frames received for the steps passed."""
    offset_ms: float | None = None
    """The server's clock minus the client's, measured when the first step's frames arrived."""
    last_face: tuple[float, float, float] | None = None
    """Centre x, y and width of the face in the last frame of the previous step."""


@dataclass(frozen=True)
class StepVerdict:
    passed: bool
    check: str
    """"ok", or the first check that failed (see the module docstring)."""
    hint: str
    """What the user should do next; safe to show."""
    progress: Progress | None = None
    """After a passed step: the challenge's state for the next answer."""
    probe: Embedding | None = field(default=None, repr=False)
    """A descriptor of the person in the step's most frontal frame: whether all steps show one
    person, and whether it is the user, is decided with it."""
    frontal: tuple[int, ...] = ()
    """The frames of the step that show the face frontal with open eyes."""
    fused: Embedding | None = field(default=None, repr=False)
    """After the last step: the descriptor to match the user with, the mean over the step's
    best frames (`ChallengePolicy.fused_frames`), each chip and its mirror (`FUSED_TRANSFORMS`);
    compared at the "fused" thresholds (`peeka.biometrics.calibration.Mode`)."""

    @property
    def finished(self) -> bool:
        """Whether the challenge is over (failed, or its last step passed)."""
        return not self.passed or self.progress is None


_HINTS = {
    "expired": gettext_noop("The check took too long. Start again."),
    "reused": gettext_noop("This check is over. Start again."),
    "frames": gettext_noop("The recording did not come through. Start again."),
    "timestamps": gettext_noop("The recording did not come through. Start again."),
    "too_fast": gettext_noop("Do each step after it is shown. Start again."),
    "too_slow": gettext_noop("Do each step as soon as it is shown. Start again."),
    "clock": gettext_noop("The recording did not come through. Start again."),
    "duplicates": gettext_noop("Move naturally while you do the steps. Start again."),
    "face": gettext_noop("Keep your face, and only yours, in view. Start again."),
    "face_jump": gettext_noop("Keep your face in view the whole time. Start again."),
    "face_changed": gettext_noop("Keep your face in view the whole time. Start again."),
    "hand": gettext_noop("Raise your hand into view beside your face when asked. Start again."),
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

    def precheck(
        self,
        challenge: Challenge,
        progress: Progress,
        count: int,
        timestamps_ms: Sequence[int],
        *,
        arrived_at: float,
        used: bool = False,
    ) -> StepVerdict | None:
        """The failing verdict that needs no frame decoded (expired, reused, frame counts,
        timestamps, timing against the server's clock), or None: run it before decoding."""
        if self.clock() > challenge.expires_at:
            return refusal("expired")
        if used or progress.done >= len(challenge.steps):
            return refusal("reused")
        p = self.policy
        if (
            not p.step_min_frames <= count <= p.step_max_frames
            or count != len(timestamps_ms)
            or progress.frames + count > p.max_frames
        ):
            return refusal("frames")
        if any(not 0 <= stamp <= MAX_TIMESTAMP_MS for stamp in timestamps_ms):
            return refusal("timestamps")
        gaps = np.diff(np.asarray(timestamps_ms, dtype=np.int64))
        if gaps.min() < p.min_interval_ms or gaps.max() > p.max_gap_ms:
            return refusal("timestamps")
        span_ms = timestamps_ms[-1] - timestamps_ms[0]
        elapsed_ms = (arrived_at - progress.revealed_at) * 1000
        if span_ms < p.min_span_ms or span_ms > elapsed_ms + p.span_slack_ms:
            return refusal("too_fast")
        if elapsed_ms > p.step_seconds * 1000:
            return refusal("too_slow")
        offset_ms = arrived_at * 1000 - timestamps_ms[-1]
        if progress.offset_ms is not None and abs(offset_ms - progress.offset_ms) > (
            p.clock_drift_ms
        ):
            return refusal("clock")
        return None

    def step(
        self,
        challenge: Challenge,
        progress: Progress,
        frames: Sequence[RGBImage],
        timestamps_ms: Sequence[int],
        *,
        arrived_at: float,
        used: bool = False,
    ) -> StepVerdict:
        """The verdict on the frames of the step `challenge.steps[progress.done]`, which
        arrived at `arrived_at` (the server's clock, taken before anything was decoded)."""
        refused = self.precheck(
            challenge, progress, len(frames), timestamps_ms, arrived_at=arrived_at, used=used
        )
        if refused is not None:
            return refused
        p = self.policy
        if _duplicate_fraction(frames, p.duplicate_level) > p.max_duplicates:
            return refusal("duplicates")
        faces = []
        for frame in frames:
            found = self.sensor.face_landmarks(frame)
            if len(found) != 1:
                return refusal("face")
            faces.append(face_signals(found[0]))
        if _largest_jump(faces) > p.max_jump or not self._continues(progress, faces[0]):
            return refusal("face_jump")
        step = challenge.steps[progress.done]

        def in_time(i: int) -> bool:
            return timestamps_ms[i] - timestamps_ms[0] >= p.reaction_ms

        shown = self._find(step, faces, _LazyHands(self.sensor, frames), in_time)
        if shown == "steps":
            return StepVerdict(False, "steps", step_hint(step))
        if isinstance(shown, str):
            return refusal(shown)
        reacted = timestamps_ms[shown.start] - timestamps_ms[0]
        if step != Step.LOOK and reacted < p.reaction_ms:
            return refusal("too_fast")
        frontal = tuple(i for i, f in enumerate(faces) if _frontal(f))
        probe = self._identity(frames, faces, frontal, shown)
        if probe is None:
            return refusal("face_changed")
        done = progress.done + 1
        last = faces[-1].box
        following = Progress(
            done=done,
            revealed_at=self.clock(),
            frames=progress.frames + len(frames),
            offset_ms=(
                progress.offset_ms
                if progress.offset_ms is not None
                else arrived_at * 1000 - timestamps_ms[-1]
            ),
            last_face=(*last.center, last.width),
        )
        if done < len(challenge.steps):
            hint = PROMPTS[challenge.steps[done]]
            return StepVerdict(True, "ok", hint, following, probe, frontal)
        if not self.policy.fused_frames:
            return StepVerdict(True, "ok", gettext_noop("Done."), None, probe, frontal)
        fused = self._fused(frames, faces, frontal, probe)
        if fused is None:
            return refusal("face_changed")
        return StepVerdict(True, "ok", gettext_noop("Done."), None, probe, frontal, fused)

    def _continues(self, progress: Progress, first: FaceSignals) -> bool:
        """Whether the step's first face is where the previous step's last one was."""
        if progress.last_face is None:
            return True
        x, y, width = progress.last_face
        (fx, fy), fwidth = first.box.center, first.box.width
        moved = float(np.hypot(fx - x, fy - y)) / max(width, 1.0)
        return moved <= self.policy.step_jump and 2 / 3 <= fwidth / max(width, 1.0) <= 3 / 2

    def _find(
        self,
        step: Step,
        faces: list[FaceSignals],
        hands: HandsByFrame,
        in_time: Callable[[int], bool],
    ) -> range | str:
        """The frames that show `step`, or the failed check ("steps" or "hand"). People blink
        on their own every few seconds: a blink that began before anyone could react to the
        prompt (`in_time` false) does not count if a later one follows."""
        if step == Step.BLINK:
            found = blinks([f.ear for f in faces])
            late = [b for b in found if in_time(b.start)]
            return late[0] if late else found[0] if found else "steps"
        if step in HEAD_POSE_STEPS:
            sign = 1.0 if step == Step.TURN_RIGHT else -1.0
            # A turn starts from a frontal face: a photo of a turned head shows no turn.
            if abs(faces[0].yaw) >= TURN_YAW / 2:
                return "steps"
            return self._held(lambda i: sign * faces[i].yaw > TURN_YAW, 1, len(faces))
        if step == Step.OPEN_MOUTH:
            if faces[0].mouth >= MOUTH_OPEN / 3:
                return "steps"
            return self._held(lambda i: faces[i].mouth > MOUTH_OPEN, 1, len(faces))
        if step == Step.LOOK:
            needed = max(self.policy.hold_frames, len(faces) // 2)
            held = [i for i, f in enumerate(faces) if _frontal(f)]
            return range(held[0], held[-1] + 1) if len(held) >= needed else "steps"
        return self._gesture(_GESTURES[step], faces, hands)

    def _gesture(
        self, wanted: Gesture, faces: list[FaceSignals], hands: HandsByFrame
    ) -> range | str:
        """A hand that comes into view during the step (none at the reveal), shows `wanted`
        for `hold_frames`, bends as a live hand does on the way, and is a hand's size beside
        this face."""
        if hands[0]:
            return "hand"
        entered = next((i for i in range(1, len(faces)) if hands[i]), None)
        if entered is None:
            return "steps"
        held = self._held(lambda i: any(h.gesture == wanted for h in hands[i]), entered, len(faces))
        if isinstance(held, str):
            return held
        path = [
            next(h for h in hands[i] if h.points is not None).points
            for i in range(entered, held.stop)
            if any(h.points is not None for h in hands[i])
        ]
        if deformation([pts for pts in path if pts is not None]) < self.policy.hand_deforms:
            return "hand"
        low, high = self.policy.hand_scale
        for i in held:
            hand = next(h for h in hands[i] if h.gesture == wanted)
            if not low <= hand.palm / max(faces[i].box.width, 1.0) <= high:
                return "hand"
        return held

    def _held(self, flag: Callable[[int], bool], start: int, count: int) -> range | str:
        """The first `hold_frames` consecutive frames from `start` on for which `flag` holds."""
        run = 0
        for i in range(start, count):
            run = run + 1 if flag(i) else 0
            if run >= self.policy.hold_frames:
                return range(i - run + 1, i + 1)
        return "steps"

    def _identity(
        self,
        frames: Sequence[RGBImage],
        faces: list[FaceSignals],
        frontal: tuple[int, ...],
        shown: range,
    ) -> Embedding | None:
        """The descriptor of the step's most frontal frame, when the frame just after the
        action shows the same person (within the model's `identity_thresholds`); else None."""
        first = min(range(len(faces)), key=lambda i: abs(faces[i].yaw) + (faces[i].ear < 0.1))
        after = min(shown.stop, len(frames) - 1)
        embeddings: list[Embedding] = []
        for i in dict.fromkeys((first, after)):
            try:
                embeddings.append(self.engine.probe(frames[i], policy="central").embedding)
            except PeekaError:
                return None
        limit = dict(self.policy.identity_thresholds)[self.engine.model]
        if any(distance(embeddings[0], e) > limit for e in embeddings):
            return None
        return embeddings[0]

    def _fused(
        self,
        frames: Sequence[RGBImage],
        faces: list[FaceSignals],
        frontal: tuple[int, ...],
        probe: Embedding,
    ) -> Embedding | None:
        """The mean descriptor of the step's sharpest frontal frames (any frames when none is
        frontal), each embedded with its mirror; None when it is not the person of
        `probe` (a face swapped in for some frames)."""
        ranked = sorted(
            frontal or range(len(frames)), key=lambda i: -_sharpness(frames[i], faces[i])
        )
        best = sorted(ranked[: self.policy.fused_frames])
        try:
            chosen = [frames[i] for i in best]
            fused = self.engine.reference(chosen, "central", FUSED_TRANSFORMS).embedding
        except PeekaError:
            return None
        limit = dict(self.policy.identity_thresholds)[self.engine.model]
        return fused if distance(probe, fused) <= limit else None


class HandsByFrame(Protocol):
    """The hands found in each frame of a step, by frame index."""

    def __getitem__(self, index: int, /) -> list[HandGesture]: ...


class _LazyHands:
    """The hands of each frame, measured (MediaPipe Hands) the first time they are asked."""

    def __init__(self, sensor: LivenessSensor, frames: Sequence[RGBImage]) -> None:
        self._sensor, self._frames = sensor, frames
        self._seen: dict[int, list[HandGesture]] = {}

    def __getitem__(self, index: int) -> list[HandGesture]:
        if index not in self._seen:
            self._seen[index] = self._sensor.hands(self._frames[index])
        return self._seen[index]


def refusal(check: str) -> StepVerdict:
    """The failing verdict of `check`, with its hint for the user."""
    return StepVerdict(False, check, _HINTS.get(check, gettext_noop("Start again.")))


STEP_HINTS: dict[Step, str] = {
    Step.BLINK: gettext_noop("Blink once, clearly, in view of the camera."),
    Step.TURN_LEFT: gettext_noop("Turn your head to your left, clearly, in view of the camera."),
    Step.TURN_RIGHT: gettext_noop("Turn your head to your right, clearly, in view of the camera."),
    Step.OPEN_MOUTH: gettext_noop("Open your mouth, clearly, in view of the camera."),
    Step.OPEN_PALM: gettext_noop(
        "Raise an open hand beside your face, clearly, in view of the camera."
    ),
    Step.FIST: gettext_noop("Raise a fist beside your face, clearly, in view of the camera."),
    Step.VICTORY: gettext_noop("Raise a V sign beside your face, clearly, in view of the camera."),
    Step.THUMBS_UP: gettext_noop(
        "Raise a thumbs up beside your face, clearly, in view of the camera."
    ),
    Step.LOOK: gettext_noop("Look straight at the camera, clearly, in view of the camera."),
}


def step_hint(step: Step) -> str:
    """What to tell a user who did not show `step` (whole sentences, so each translates)."""
    return STEP_HINTS[step]


def _frontal(face: FaceSignals) -> bool:
    return abs(face.yaw) < TURN_YAW / 2 and face.ear >= 0.15


def _sharpness(frame: RGBImage, face: FaceSignals) -> float:
    """Variance of the Laplacian over the face's box, on a 96 px wide grey copy (so that a
    nearer face does not count as sharper): the cheap ranking of a step's frames."""
    box = face.box
    height, width = frame.shape[:2]
    x0, y0 = max(int(box.left), 0), max(int(box.top), 0)
    x1, y1 = min(int(box.right), width), min(int(box.bottom), height)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return 0.0
    grey = cv2.cvtColor(np.ascontiguousarray(frame[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    scale = 96 / grey.shape[1]
    small = cv2.resize(grey, (96, max(int(grey.shape[0] * scale), 8)), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(small, cv2.CV_64F).var())


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
