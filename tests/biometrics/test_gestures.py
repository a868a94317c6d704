"""Hand gestures on real photos and clips (../shared/data/liveness/hands and face_video): every
photo class, the same photos mirrored (which flips MediaPipe's handedness label), and clips."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from peeka.biometrics import RGBImage, load_image
from peeka.biometrics.gestures import Gesture, HandGesture
from peeka.biometrics.liveness import LivenessSensor, video_frames
from tests.conftest import LIVENESS

pytestmark = pytest.mark.skipif(
    not (LIVENESS / "MANIFEST.csv").is_file(),
    reason=f"liveness recordings not found at {LIVENESS} (../shared/data/liveness)",
)

# hands/<folder>: the gesture every hand in its photos must read as, and how many fingers
# (None: any). Three and four fingers have no gesture of their own: they are counts.
EXPECTED: dict[str, tuple[Gesture, int | None]] = {
    "open_palm": (Gesture.OPEN_PALM, 5),
    "fist": (Gesture.FIST, 0),
    "victory": (Gesture.VICTORY, 2),
    "thumbs_up": (Gesture.THUMBS_UP, 1),
    "pointing_up": (Gesture.POINTING_UP, 1),
    "count_1": (Gesture.POINTING_UP, 1),
    "count_2": (Gesture.VICTORY, 2),
    "count_3": (Gesture.NONE, 3),
    "count_4": (Gesture.NONE, 4),
    "count_5": (Gesture.OPEN_PALM, 5),
    "other_gestures": (Gesture.NONE, None),
}
EXCLUDED = {
    # MediaPipe finds no hand in it at all (MANIFEST.csv says so too): nothing to classify.
    "victory/HARD_mps_hand_victory_750x1000.jpg",
    # A finger raised to the lips ("mute") is a raised index finger: it reads "none" as shot,
    # because the tucked thumb sits beside the palm, and "pointing_up" mirrored, where
    # MediaPipe places the thumb across it. Either is a fair reading of that hand.
    "other_gestures/hagrid_gestures_mute.jpg",
}


@pytest.fixture(scope="module")
def sensor() -> LivenessSensor:
    return LivenessSensor()


@pytest.fixture(scope="module")
def photos(liveness_dir: Path) -> dict[str, RGBImage]:
    paths = sorted((liveness_dir / "hands").glob("*/*.*g"))
    return {f"{p.parent.name}/{p.name}": load_image(p) for p in paths}


def _accuracy(readings: dict[str, list[HandGesture]]) -> dict[str, tuple[int, int]]:
    """{folder: (photos read right, photos with a hand found)}: every hand must match."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, hands in readings.items():
        folder = name.split("/")[0]
        gesture, fingers = EXPECTED[folder]
        if hands:
            counts[folder][1] += 1
            counts[folder][0] += all(
                hand.gesture == gesture and fingers in (None, hand.fingers) for hand in hands
            )
    return {folder: (c[0], c[1]) for folder, c in sorted(counts.items())}


def _read_all(
    sensor: LivenessSensor, photos: dict[str, RGBImage], *, mirror: bool
) -> dict[str, list[HandGesture]]:
    return {
        name: sensor.hands(np.ascontiguousarray(image[:, ::-1]) if mirror else image)
        for name, image in photos.items()
        if name not in EXCLUDED
    }


# MediaPipe misses the hand of the mirrored thumbs-down photo of a man; nothing else.
MISSED = {False: set[str](), True: {"other_gestures/hagrid_samples_dislike_man.jpg"}}


@pytest.mark.parametrize("mirror", [False, True], ids=["as-shot", "mirrored"])
def test_every_photo_class_is_recognised(
    sensor: LivenessSensor, photos: dict[str, RGBImage], mirror: bool
) -> None:
    readings = _read_all(sensor, photos, mirror=mirror)
    accuracy = _accuracy(readings)
    report = ", ".join(f"{folder} {right}/{total}" for folder, (right, total) in accuracy.items())
    print(f"\ngesture accuracy ({'mirrored' if mirror else 'as shot'}): {report}")
    assert {name for name, hands in readings.items() if not hands} == MISSED[mirror]
    assert set(accuracy) == set(EXPECTED)
    assert all(right == total for right, total in accuracy.values()), report


def test_both_hands_of_a_photo_are_read(
    sensor: LivenessSensor, photos: dict[str, RGBImage]
) -> None:
    hands = sensor.hands(photos["open_palm/mprs_woman_hands_two_palms.jpg"])
    assert [hand.gesture for hand in hands] == [Gesture.OPEN_PALM, Gesture.OPEN_PALM]


def test_no_hand_reads_none(
    liveness_dir: Path, sensor: LivenessSensor, photos: dict[str, RGBImage]
) -> None:
    face = load_image(liveness_dir / "face_still/eyes_open/tfjs_facemesh_input_f0010_open.jpg")
    assert sensor.hands(face) == []
    assert sensor.gesture(face) == Gesture.NONE
    assert sensor.gesture(np.zeros((240, 320, 3), np.uint8)) == Gesture.NONE
    assert sensor.gesture(photos["victory/HARD_mps_hand_victory_750x1000.jpg"]) == Gesture.NONE
    signals = sensor.measure(face)
    assert signals is not None and signals.hands == () and signals.gestures == (Gesture.NONE,)


def test_a_thumbs_up_held_by_a_face_reads_as_thumbs_up(
    liveness_dir: Path, sensor: LivenessSensor
) -> None:
    """The clip's last 95 frames hold a thumbs up next to the face. (Its earlier fist, small
    and moving, is not tested: MediaPipe places the thumb clear of the fingers in frames
    24-37, which reads as a thumbs up.)"""
    sampled = range(100, 195, 10)
    frames = video_frames(liveness_dir / "face_video/mps_gesture_test_video.mp4", stop=195)
    for index, frame in enumerate(frames):
        if index in sampled:
            signals = sensor.measure(frame)
            assert signals is not None, index
            assert signals.gestures == (Gesture.THUMBS_UP,), index


def test_a_hand_opening_in_a_clip_reads_as_an_open_palm_once_open(liveness_dir: Path) -> None:
    """A hand hanging half-closed, then open from about frame 16 (tracked, as a video is)."""
    tracker = LivenessSensor(video=True)
    clip = liveness_dir / "hands/hand_video/mps_hand_test_video.mp4"
    readings = [tracker.gesture(frame) for frame in video_frames(clip, stop=120)]
    assert Gesture.OPEN_PALM not in readings[:14]
    assert readings[50:] == [Gesture.OPEN_PALM] * 70
