"""Head pose from a detector's five landmarks (YuNet's order, which BlazeFace's keypoints are
also given in): cheap enough for every frame, no extra model. Whether a face looks at the camera.

Signs follow `peeka.biometrics.liveness`: from the user's point of view, on unmirrored frames.
Measured facts below come from ../shared/data (faces, liveness; BlazeFace keypoints, frames
kept within 640x480 as the server keeps a webcam frame)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FACING_MAX_YAW = 0.30
"""|yaw| at most this looks at the camera: the login photo's pose gate
(`QualityPolicy.max_yaw`, the same measure). Measured: 0.01-0.26 on the frontal stills and the
four portraits of faces/, at most 0.19 over both webcam clips (their ±40 degree head tilts
included); 0.50-1.12 on the six turned LFW stills."""

NEUTRAL_NOSE_DROP = 0.55
"""How far below the eye line the nose tip sits on a level head, in eye distances: about the
median of the frontal stills and portraits (0.42-0.70) and of the two webcam clips (0.50,
0.58)."""

FACING_MAX_PITCH = 0.20
"""|pitch| at most this counts as level. Faces differ (level ones read 0.39-0.70 over the
stills and both clips, so this bound admits all of them); by the geometry of an average face
a nod of 20 degrees moves the nose drop by about 0.1, so only a clear nod (about 35 degrees
or more: reading notes on the desk, head thrown back) is out. LFW's shouting stills with the
head back read pitch 0.26-0.39. Speaking does not move it: the mouth is not used."""

Landmarks = npt.NDArray[np.float64]
"""Five (x, y) pixels: the eye on the image's left (the user's right eye), the other eye, the
nose tip, the mouth corner on the image's left, the other one."""


@dataclass(frozen=True)
class HeadPose:
    yaw: float
    """The nose tip's offset from the middle of the eyes, along the eye line, in eye distances:
    0 facing the camera, positive when the user turns to their own right (the nose moves to
    the image's left); about ±1 on a half profile."""
    pitch: float
    """`NEUTRAL_NOSE_DROP` minus the nose tip's distance below the eye line (across it, so a
    tilt does not count), in eye distances: positive when the chin goes up."""

    @property
    def facing(self) -> bool:
        """Whether the face looks at the camera (`FACING_MAX_YAW`, `FACING_MAX_PITCH`)."""
        return abs(self.yaw) <= FACING_MAX_YAW and abs(self.pitch) <= FACING_MAX_PITCH


def head_pose(landmarks: Landmarks) -> HeadPose:
    """The pose of one face from its five landmarks (`Landmarks`)."""
    points = np.asarray(landmarks, dtype=np.float64)
    right_eye, left_eye, nose = points[0], points[1], points[2]
    across = left_eye - right_eye  # the image's left to right on a level head
    eye_distance = max(float(np.hypot(*across)), 1e-6)
    across /= eye_distance
    down = np.array([-across[1], across[0]])
    offset = nose - (right_eye + left_eye) / 2
    return HeadPose(
        yaw=-float(offset @ across) / eye_distance,
        pitch=NEUTRAL_NOSE_DROP - float(offset @ down) / eye_distance,
    )
