"""Liveness signals from RGB frames: eye openness, head pose, mouth opening and hand gestures,
measured with MediaPipe FaceMesh (refined landmarks) and Hands. Nothing is stored.

Conventions. Points are pixels in the frame, x to the right and y down. Frames are NOT mirrored
(as a camera delivers them, not as a selfie preview shows them), so the user's right is the
image's left. Left, right and the signs of `yaw` and `roll` are from the user's point of view:
positive means towards the user's own right, which is also the right of a mirrored preview.
Mirror a frame only for display, after measuring it.

Measured facts quoted below come from ../shared/data/liveness (see its README): a 325-frame
webcam clip with blinks and ±40 degree head tilts, frontal, turned, eyes-closed and mouth-open
stills, and hand photos (thresholds for those are in `peeka.biometrics.gestures`).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from peeka.biometrics._models import _INSTALL_HINT, _native_stderr_silenced
from peeka.biometrics.gestures import NO_HAND, Gesture, HandGesture, classify
from peeka.biometrics.imageio import RGBImage
from peeka.biometrics.types import Box
from peeka.errors import ImageError, ModelUnavailableError

Points = npt.NDArray[np.float64]
"""FaceMesh landmarks of one face as pixels, shape (478, 2) with refined eyes and irises."""

Eye = Literal["left", "right"]

# FaceMesh indices. Each eye: outer corner, inner corner, then two (upper, lower) lid pairs.
_EYES: dict[Eye, tuple[int, int, tuple[tuple[int, int], tuple[int, int]]]] = {
    "right": (33, 133, ((160, 144), (158, 153))),  # the user's right eye: image left
    "left": (263, 362, ((387, 373), (385, 380))),
}
_NOSE_TIP, _UPPER_LIP, _LOWER_LIP, _MOUTH_RIGHT, _MOUTH_LEFT = 1, 13, 14, 61, 291

TURN_YAW = 0.5
"""|yaw| above this is a deliberate head turn. Measured: 0.01-0.33 on six frontal stills; at
most 0.25 over the 325 frames of the webcam clip, tilts of ±40 degrees included (the nose's
offset measured along the image's x axis instead reaches 0.56 on a tilt alone, a false turn);
at most 0.30 in the gesture clip, a hand in front of the face; 1.31-1.71 on six turned LFW
stills (about 50 degrees by FaceMesh's 3-D mesh)."""

MOUTH_OPEN = 0.21
"""`mouth_opening` above this is an open mouth. Measured: closed 0.001-0.003 on stills and at
most 0.023 through both clips, a smile showing teeth 0.09-0.17, mouths opened wide 0.25-0.62."""

NEUTRAL_NOSE_HEIGHT = 0.63
"""The nose tip's height between the eye line and the mouth corners on a level head (see
`pitch`): the median of the frontal stills, which span 0.60-0.73; the two clips' medians are
0.55 and 0.72-0.75. Faces differ by about ±0.1."""

BLINK_CLOSED = 0.5
"""Eyes count as closed below this fraction of the clip's open-eye EAR. Measured on the webcam
clip (mean EAR, refined landmarks): open level 0.31, the bottom of each blink 0.05-0.11
(0.16-0.36 of it, stills or tracking mode); a squint (frames 203-225) stays at 0.17-0.23
(0.54-0.74 of it)."""

BLINK_REOPENED = 0.8
"""...and open again at or above this fraction: every gap between two blinks reached it."""


def eye_aspect_ratio(points: Points, eye: Eye) -> float:
    """Lid gap over eye width (Soukupová and Čech, 2016) of the user's `eye`.

    Needs refined landmarks: without them closed eyes still read about 0.24 against 0.275 open;
    with them open eyes read 0.19-0.34 (the lowest when smiling) and closed ones 0.01-0.09.
    """
    outer, inner, lids = _EYES[eye]
    gaps = sum(_distance(points[upper], points[lower]) for upper, lower in lids)
    return gaps / (2 * _distance(points[outer], points[inner]))


def roll(points: Points) -> float:
    """Head tilt in degrees from the line through the outer eye corners; positive when the
    head leans towards the user's right shoulder. The webcam clip's two tilts peak at -37 and
    +42 (frames 40-107 and 128-184)."""
    dx, dy = points[_EYES["left"][0]] - points[_EYES["right"][0]]
    return -float(np.degrees(np.arctan2(dy, dx)))


def yaw(points: Points) -> float:
    """Head turn: how far the nose tip sits from the middle of the outer eye corners, measured
    along the line through them (so a tilt does not read as a turn), in half eye-corner
    distances. 0 facing the camera, positive when the user turns to their own right (the nose
    moves to the image's left), about ±1.5 near profile. See `TURN_YAW`."""
    middle, across, half_width = _eye_line(points)
    return -float((points[_NOSE_TIP] - middle) @ across) / half_width


def pitch(points: Points) -> float:
    """Head nod: `NEUTRAL_NOSE_HEIGHT` minus the nose tip's distance below the eye line over
    the mouth corners' distance below it. Positive when the chin goes up (the nose tip, which
    stands out of the face, moves towards the eyes). Faces differ by about ±0.1 when level,
    so compare a user with their own earlier frames rather than with a fixed number."""
    middle, across, _ = _eye_line(points)
    down = np.array([-across[1], across[0]])
    mouth = (points[_MOUTH_RIGHT] + points[_MOUTH_LEFT]) / 2
    nose_height = float((points[_NOSE_TIP] - middle) @ down) / float((mouth - middle) @ down)
    return NEUTRAL_NOSE_HEIGHT - nose_height


def mouth_opening(points: Points) -> float:
    """Gap between the inner lips over the outer eye-corner distance. See `MOUTH_OPEN`.
    The eye corners draw together as the head turns, so a turned face reads a little wider."""
    _, _, half_width = _eye_line(points)
    return _distance(points[_UPPER_LIP], points[_LOWER_LIP]) / (2 * half_width)


def open_eye_level(ears: Sequence[float | None]) -> float:
    """The EAR of open eyes in a clip: its 75th percentile, which holds while the eyes are
    open at least a quarter of the time (the webcam clip's blinks last 6-7 frames at 30 fps)."""
    values = [e for e in ears if e is not None]
    return float(np.percentile(values, 75)) if values else 0.0


def blinks(
    ears: Sequence[float | None],
    *,
    closed: float = BLINK_CLOSED,
    reopened: float = BLINK_REOPENED,
) -> list[range]:
    """The frames of each blink in a clip of per-frame EARs (None: no face in that frame).

    Thresholds are fractions of the clip's own `open_eye_level`, because a fixed EAR misses
    blinks: people's open eyes differ. A blink is a run of frames below `closed` with open eyes
    (at or above `reopened`) both before and after it; eyes already closed when the clip
    starts, or still closed when it ends, are not a blink. Each range holds the closed frames
    only (3-6 of a 6-7 frame blink in the webcam clip). A wink counts when it pulls the mean
    EAR down far enough; pass max(ear_left, ear_right) per frame to insist on both eyes.
    """
    level = open_eye_level(ears)
    found: list[range] = []
    seen_open, start, end = False, -1, -1
    for i, ear in enumerate(ears):
        if ear is None:
            continue
        if ear >= reopened * level:
            if start >= 0 and seen_open:
                found.append(range(start, end + 1))
            seen_open, start = True, -1
        elif ear < closed * level:
            start = i if start < 0 else start
            end = i
    return found


@dataclass(frozen=True)
class FaceSignals:
    box: Box
    """The landmarks' extent, pixels."""
    ear_left: float
    ear_right: float
    yaw: float
    pitch: float
    roll: float
    mouth: float

    @property
    def ear(self) -> float:
        """Mean of both eyes: the value to give `blinks`."""
        return (self.ear_left + self.ear_right) / 2


@dataclass(frozen=True)
class FrameSignals:
    face: FaceSignals
    """The largest face."""
    faces: int
    """How many faces FaceMesh found (up to its `max_faces`)."""
    hands: tuple[HandGesture, ...]

    @property
    def gestures(self) -> tuple[Gesture, ...]:
        """The gesture of each hand, or `(Gesture.NONE,)` without a hand."""
        return tuple(hand.gesture for hand in self.hands) or (Gesture.NONE,)


def face_signals(points: Points) -> FaceSignals:
    """Everything measured on one face's FaceMesh landmarks."""
    (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
    return FaceSignals(
        box=Box(float(left), float(top), float(right), float(bottom)),
        ear_left=eye_aspect_ratio(points, "left"),
        ear_right=eye_aspect_ratio(points, "right"),
        yaw=yaw(points),
        pitch=pitch(points),
        roll=roll(points),
        mouth=mouth_opening(points),
    )


class LivenessSensor:
    """MediaPipe FaceMesh (refined) and Hands graphs, one pair per thread, created on first use.

    `video=False` (stills) detects from scratch in every frame: each result stands alone and
    one sensor can serve any number of requests. `video=True` tracks landmarks from the
    previous frame instead: on the webcam clip it finds the same blinks, deeper, and reads
    less false yaw on the tilts (at most 0.15 against 0.21), at the same ~6 ms a frame for
    FaceMesh; but each result depends on the frames before it, so use one sensor per stream,
    fed in order from one thread.
    """

    def __init__(self, *, video: bool = False, max_faces: int = 2, max_hands: int = 2) -> None:
        self.video, self.max_faces, self.max_hands = video, max_faces, max_hands
        self._local = threading.local()

    def face_landmarks(self, frame: RGBImage) -> list[Points]:
        """FaceMesh landmarks of every face found, largest first, as pixels."""
        result = self._graphs()[0].process(frame)
        faces = [_pixels(face.landmark, frame) for face in result.multi_face_landmarks or []]
        return sorted(faces, key=lambda p: -float(np.prod(np.ptp(p, axis=0))))

    def hands(self, frame: RGBImage) -> list[HandGesture]:
        """The gesture of every hand found; an empty list when there is none."""
        result = self._graphs()[1].process(frame)
        found = zip(
            result.multi_hand_world_landmarks or [],
            result.multi_hand_landmarks or [],
            strict=True,
        )
        return [
            classify(_coordinates(world.landmark), _pixels(image.landmark, frame))
            for world, image in found
        ]

    def gesture(self, frame: RGBImage) -> Gesture:
        """The gesture of the first hand found, `Gesture.NONE` without a hand."""
        return (self.hands(frame) or [NO_HAND])[0].gesture

    def measure(self, frame: RGBImage) -> FrameSignals | None:
        """Face and hand signals of one frame; None when no face is found (hands are then
        not looked for)."""
        faces = self.face_landmarks(frame)
        if not faces:
            return None
        return FrameSignals(face_signals(faces[0]), len(faces), tuple(self.hands(frame)))

    def _graphs(self) -> tuple[Any, Any]:
        graphs: tuple[Any, Any] | None = getattr(self._local, "graphs", None)
        if graphs is None:
            graphs = self._local.graphs = self._create_graphs()
        return graphs

    def _create_graphs(self) -> tuple[Any, Any]:
        try:
            from mediapipe.python.solutions import face_mesh, hands
        except ImportError as exc:
            raise ModelUnavailableError(
                f"mediapipe==0.10.21 is missing or broken ({exc}). {_INSTALL_HINT}"
            ) from exc
        with _native_stderr_silenced():
            mesh = face_mesh.FaceMesh(
                static_image_mode=not self.video,
                max_num_faces=self.max_faces,
                refine_landmarks=True,
                min_detection_confidence=0.5,
            )
            hand = hands.Hands(
                static_image_mode=not self.video,
                max_num_hands=self.max_hands,
                min_detection_confidence=0.5,
            )
            blank = np.zeros((64, 64, 3), np.uint8)
            mesh.process(blank)  # TFLite logs on its first run
            hand.process(blank)
        return mesh, hand


@functools.cache
def default_sensor() -> LivenessSensor:
    """The process-wide sensor for stills."""
    return LivenessSensor()


def measure(frame: RGBImage) -> FrameSignals | None:
    """Face and hand signals of one still frame; None when no face is found."""
    return default_sensor().measure(frame)


def video_frames(path: str | os.PathLike[str], *, stop: int | None = None) -> Iterator[RGBImage]:
    """The frames of a video file in order as RGB arrays (OpenCV decodes to BGR), up to but not
    including frame `stop`. One frame is in memory at a time."""
    capture = cv2.VideoCapture(os.fspath(path))
    if not capture.isOpened():
        raise ImageError(f"Cannot read the video {path}.", code="video_unreadable")
    try:
        index = 0
        while stop is None or index < stop:
            ok, frame = capture.read()
            if not ok:
                return
            yield np.ascontiguousarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            index += 1
    finally:
        capture.release()


def _eye_line(points: Points) -> tuple[Points, Points, float]:
    """Middle of the outer eye corners, unit vector from the user's right corner to the left
    one (image left to right on a level head), and half the distance between them."""
    right, left = points[_EYES["right"][0]], points[_EYES["left"][0]]
    half_width = _distance(left, right) / 2
    across: Points = (left - right) / (2 * half_width)
    middle: Points = (left + right) / 2
    return middle, across, half_width


def _pixels(landmarks: Any, frame: RGBImage) -> Points:
    height, width = frame.shape[:2]
    return np.array([(p.x * width, p.y * height) for p in landmarks], dtype=np.float64)


def _coordinates(landmarks: Any) -> Points:
    return np.array([(p.x, p.y, p.z) for p in landmarks], dtype=np.float64)


def _distance(a: Points, b: Points) -> float:
    return float(np.linalg.norm(a - b))
