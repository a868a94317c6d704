"""Hand gestures from MediaPipe Hands' 21 landmarks, by geometry alone: no mediapipe import here.

MediaPipe assumes mirrored (selfie) images, so on the unmirrored frames Peeka receives its
"Left"/"Right" handedness label is the wrong way round; nothing here reads it. Whether a finger
is extended comes from distances and one angle between the world landmarks (metres, centred on
the hand, the same whichever way the hand faces the camera), the thumb from where its tip sits
relative to the palm, and only "up" from the image.

Landmark order (MediaPipe): 0 wrist; thumb 1-4 (CMC, MCP, IP, tip); index 5-8, middle 9-12,
ring 13-16, pinky 17-20 (MCP, PIP, DIP, tip).

Thresholds were measured on the hands MediaPipe finds in the 57 photos of
../shared/data/liveness/hands (HaGRID tiles, MediaPipe sample images, the Sign Language Digits
set) and in their mirror images; each sits in the gap between the two groups it separates.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

Points = npt.NDArray[np.float64]
"""Landmarks as a float array of shape (21, 2) or (21, 3)."""

_FINGERS = ((5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
_WRIST, _THUMB_MCP, _THUMB_TIP, _INDEX_MCP, _MIDDLE_MCP, _PINKY_MCP = 0, 2, 4, 5, 9, 17

FINGER_REACH = 1.09
"""An extended finger's tip is at least this many times further from the wrist than its middle
(PIP) joint is. Measured: extended fingers 1.15-1.51, curled ones 0.53-1.03, except fingers
curled at the knuckle in a side view of a thumbs up (1.04-1.20: see `FINGER_KNUCKLE_DEGREES`)."""

FINGER_KNUCKLE_DEGREES = 72.0
"""...and points within this angle of its own metacarpal (wrist to knuckle). Measured: extended
fingers 2-66 degrees, fingers of a thumbs up seen from the side 79-94, fists up to 161.
(The sum of the joint angles is no good: it reads the sideways-spread pinky of a "call" hand
as curled.)"""

THUMB_FOLDED_BELOW = -0.08
"""The thumb is folded across the palm when its tip lies this far (in palm lengths, wrist to
middle knuckle) on the pinky side of the index knuckle. Measured: thumbs folded across the palm
(counts of four, V signs, pointing) -0.14 to -0.69; thumbs beside or away from the palm (open
palms with the fingers together included) 0.01 to 0.76."""

THUMB_OUT_OF_FIST = 0.47
"""With the four fingers curled, the thumb shows (thumbs up or down) only when its tip is this
far (in palm lengths) from every joint of the other fingers. Measured: a thumb resting on a fist
0.03-0.41, a raised or lowered thumb 0.54-0.98 (photos and their mirror images)."""

THUMB_UP_DEGREES = 50.0
"""A shown thumb means "thumbs up" when it points within this angle of the image's up
direction. Measured: thumbs up within 32 degrees of up, thumbs down 130-168 degrees away."""


class Gesture(enum.StrEnum):
    NONE = "none"
    """No hand, or a hand shape that is none of the others (thumbs down, "ok", "rock", ...)."""
    FIST = "fist"
    OPEN_PALM = "open_palm"
    """All five fingers extended; the thumb may lie along the index (a "stop" hand)."""
    VICTORY = "victory"
    """Index and middle fingers only (a V sign, or the fingers together: "two")."""
    THUMBS_UP = "thumbs_up"
    POINTING_UP = "pointing_up"
    """The index finger only, in any direction: "pointing up" and "one"."""


Fingers = tuple[bool, bool, bool, bool, bool]
"""Whether each finger is extended: thumb, index, middle, ring, pinky."""


@dataclass(frozen=True)
class HandGesture:
    gesture: Gesture
    fingers: int
    """How many fingers are shown, 0-5, the thumb included: the answer to "show N fingers"."""
    extended: Fingers
    points: Points | None = field(default=None, compare=False, repr=False)
    """The 21 landmarks in the image, pixels (x, y): where the hand is and how it moves."""

    @property
    def palm(self) -> float:
        """The palm's length in the image (wrist to middle knuckle), pixels; 0 when unknown."""
        return 0.0 if self.points is None else _distance(self.points[_MIDDLE_MCP], self.points[0])


NO_HAND = HandGesture(Gesture.NONE, 0, (False, False, False, False, False))

HAND_DEFORMS = 0.04
"""`deformation` of a live hand's landmarks over a challenge step, at least. A photo of a hand
moved in front of the camera (or pasted into frames) is a plane: whatever its position, tilt
and perspective, one homography maps its landmarks from frame to frame, and only MediaPipe's
jitter is left. Measured with ../shared/data/liveness: hand photos pasted beside a face into
20 frames of the webcam clip, each frame rotated, scaled, shifted and perspective-warped
differently, left at most 0.024 (nine photos; 0.084 on one whose hand MediaPipe found in 4 of
the 20 frames); live hands over 1.5 s windows at 10 fps reached 0.062-0.99 (the gesture clip
0.20-0.99, the sign-language clip 0.062-0.56), except a hand held still, which stays as rigid
as a photo (the MediaPipe hand clip, 0.008-0.05): a step therefore needs the hand to come into
view and form the gesture, which bends it."""


def deformation(hands: list[Points]) -> float:
    """How far a hand's landmarks (image pixels, one (21, 2) array per frame) move other than
    as a plane: the largest RMS residual, over every pair of frames, of the best homography
    between them, in palm lengths. 0 for a photo, however it is moved."""
    worst = 0.0
    for a, b in itertools.combinations(hands, 2):
        matrix, _ = cv2.findHomography(a[:, :2], b[:, :2], 0)
        if matrix is None:
            continue
        mapped = np.c_[a[:, :2], np.ones(len(a))] @ matrix.T
        moved = mapped[:, :2] / mapped[:, 2:]
        palm = max(_distance(b[_MIDDLE_MCP, :2], b[_WRIST, :2]), 1.0)
        residual = float(np.sqrt(np.mean(np.sum((moved - b[:, :2]) ** 2, axis=1)))) / palm
        worst = max(worst, residual)
    return worst


def finger_reach(world: Points, finger: int) -> float:
    """How far finger 0-3 (index to pinky) reaches: its tip's distance from the wrist over its
    middle joint's. About 1.4 for a straight finger, 0.6-0.9 for a curled one."""
    _, pip, _, tip = _FINGERS[finger]
    return _distance(world[tip], world[_WRIST]) / _distance(world[pip], world[_WRIST])


def finger_knuckle_angle(world: Points, finger: int) -> float:
    """Angle in degrees between finger 0-3 (knuckle to tip) and its metacarpal (wrist to
    knuckle): near 0 for a finger held straight out of the palm, 90 or more when curled."""
    mcp, _, _, tip = _FINGERS[finger]
    along = _unit(world[mcp] - world[_WRIST]) @ _unit(world[tip] - world[mcp])
    return float(np.degrees(np.arccos(np.clip(along, -1.0, 1.0))))


def finger_extended(world: Points, finger: int) -> bool:
    return (
        finger_reach(world, finger) > FINGER_REACH
        and finger_knuckle_angle(world, finger) < FINGER_KNUCKLE_DEGREES
    )


def thumb_reach(world: Points) -> float:
    """Where the thumb tip lies across the palm, in palm lengths from the index knuckle:
    negative on the pinky side (folded across the palm), positive away from the hand."""
    radial = _unit(world[_INDEX_MCP] - world[_PINKY_MCP])
    return float((world[_THUMB_TIP] - world[_INDEX_MCP]) @ radial) / _palm_length(world)


def thumb_clearance(world: Points) -> float:
    """Distance from the thumb tip to the nearest joint or tip of the other four fingers, in
    palm lengths: near 0 when the thumb rests on a fist."""
    gaps = np.linalg.norm(world[_INDEX_MCP:] - world[_THUMB_TIP], axis=1)
    return float(gaps.min()) / _palm_length(world)


def thumb_direction(image: Points) -> float:
    """Direction of the thumb (MCP to tip) in the image, in degrees: 0 up, 90 towards the
    image's right, 180 down (image coordinates, y down)."""
    dx, dy = image[_THUMB_TIP, :2] - image[_THUMB_MCP, :2]
    return float(np.degrees(np.arctan2(dx, -dy)))


def classify(world: Points, image: Points) -> HandGesture:
    """The gesture of one hand from its world landmarks (for shape) and its image landmarks
    (for which way is up). Handedness is not needed and not used."""
    index, middle, ring, pinky = (finger_extended(world, f) for f in range(4))
    if index or middle or ring or pinky:
        thumb = thumb_reach(world) > THUMB_FOLDED_BELOW
    else:  # beside a fist the thumb is neither folded across the palm nor shown
        thumb = thumb_clearance(world) > THUMB_OUT_OF_FIST
    extended: Fingers = (thumb, index, middle, ring, pinky)
    return HandGesture(_name(extended, image), sum(extended), extended, image[:, :2])


_SHAPES: dict[Fingers, Gesture] = {
    (False, False, False, False, False): Gesture.FIST,
    (True, True, True, True, True): Gesture.OPEN_PALM,
    (False, True, True, False, False): Gesture.VICTORY,
    (False, True, False, False, False): Gesture.POINTING_UP,
}
_THUMB_ONLY: Fingers = (True, False, False, False, False)


def _name(extended: Fingers, image: Points) -> Gesture:
    if extended == _THUMB_ONLY:
        up = abs(thumb_direction(image)) < THUMB_UP_DEGREES
        return Gesture.THUMBS_UP if up else Gesture.NONE
    return _SHAPES.get(extended, Gesture.NONE)


def _distance(a: Points, b: Points) -> float:
    return float(np.linalg.norm(a - b))


def _palm_length(world: Points) -> float:
    return _distance(world[_MIDDLE_MCP], world[_WRIST])


def _unit(v: Points) -> Points:
    unit: Points = v / np.linalg.norm(v)
    return unit
