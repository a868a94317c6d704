from __future__ import annotations

from pathlib import Path

import cv2
import face_recognition_models
import numpy as np
import pytest

from peeka.biometrics import (
    FaceEngine,
    RGBImage,
    _models,
    calibration,
    distance,
    load_image,
    verify,
)
from peeka.biometrics.align import CHIP_PADDING, CHIP_SIZE, IDENTITY, align, landmarks
from peeka.biometrics.detectors import get_detector
from peeka.errors import ModelUnavailableError, QualityError


@pytest.fixture(scope="module")
def threshold(engine: FaceEngine) -> float:
    return calibration.load(engine.model).threshold


def test_the_same_person_in_different_photos_matches(
    faces_dir: Path, engine: FaceEngine, threshold: float
) -> None:
    obama = load_image(faces_dir / "obama.jpg")
    for other in ("obama2.jpg", "obama3.jpg"):
        result = verify(obama, load_image(faces_dir / other), threshold=threshold)
        assert result.match, (other, result.distance)
        assert result.distance < threshold


def test_another_person_does_not_match(faces_dir: Path, threshold: float) -> None:
    for name in ("obama.jpg", "obama2.jpg", "obama3.jpg"):
        result = verify(
            load_image(faces_dir / name), load_image(faces_dir / "biden.jpg"), threshold=threshold
        )
        assert not result.match, (name, result.distance)
        assert result.distance > threshold + 0.1


def test_the_astronaut_matches_a_cropped_darker_copy(
    astronaut: RGBImage, engine: FaceEngine, threshold: float
) -> None:
    copy = (astronaut[0:400, 40:472].astype(np.float32) * 0.8).astype(np.uint8)
    copy = np.asarray(cv2.resize(copy, (324, 300), interpolation=cv2.INTER_AREA), np.uint8)
    assert verify(astronaut, copy, threshold=threshold).match


def test_a_descriptor_is_128_float32_and_repeatable(
    astronaut: RGBImage, engine: FaceEngine
) -> None:
    sample = engine.probe(astronaut)
    assert sample.embedding.shape == (128,) and sample.embedding.dtype == np.float32
    assert np.isfinite(sample.embedding).all()
    assert distance(sample.embedding, engine.probe(astronaut.copy()).embedding) < 1e-6
    assert sample.landmarks.shape == (5, 2)


def test_our_chip_matches_dlibs_own_face_chip(astronaut: RGBImage, engine: FaceEngine) -> None:
    dlib = _models.dlib()
    face = engine.locate(astronaut)
    ours = align(astronaut, face.box)[0].chip
    points = landmarks(astronaut, face.box)
    rect = dlib.rectangle(
        round(face.box.left),
        round(face.box.top),
        round(face.box.right) - 1,
        round(face.box.bottom) - 1,
    )
    shape = _models.raw_shape_predictor()(astronaut, rect)
    theirs = dlib.get_face_chip(astronaut, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
    # Ours average the landmarks over a few shifted boxes: within a pixel or two of dlib's.
    assert np.abs(points - [[p.x, p.y] for p in shape.parts()]).max() < 2
    assert np.abs(ours.astype(int) - theirs.astype(int)).mean() < 3
    embedder_distance = distance(
        engine.embed_views(astronaut, face, (IDENTITY,))[0],
        np.asarray(_models.raw_face_recognizer().compute_face_descriptor(theirs), np.float32),
    )
    assert embedder_distance < 0.03


def test_an_unknown_detector_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="Unknown detector 'nope'; choose one of"):
        get_detector("nope")


@pytest.mark.parametrize("name", ["mediapipe", "mediapipe-full", "hog", "cnn"])
def test_every_detector_finds_the_astronaut_in_the_same_place(
    astronaut: RGBImage, name: str
) -> None:
    faces = get_detector(name).detect(astronaut)
    assert len(faces) == 1
    cx, cy = faces[0].box.center
    # The face is around (222, 125) in scikit-image's astronaut; all boxes follow dlib's geometry.
    assert abs(cx - 222) < 15 and abs(cy - 125) < 20, faces[0]
    assert 70 < faces[0].box.width < 130


def test_a_blurred_photo_is_rejected_as_blurry(astronaut: RGBImage, engine: FaceEngine) -> None:
    blurred = np.asarray(cv2.GaussianBlur(astronaut, (0, 0), 3), np.uint8)
    with pytest.raises(QualityError) as info:
        engine.probe(blurred)
    assert info.value.code == "face_blurry"
    assert "Hold still" in info.value.message


def test_a_dark_photo_is_rejected_as_too_dark(astronaut: RGBImage, engine: FaceEngine) -> None:
    dark = (astronaut.astype(np.float32) * 0.15).astype(np.uint8)
    with pytest.raises(QualityError) as info:
        engine.probe(dark)
    assert info.value.code == "face_too_dark"


def test_a_small_face_is_rejected_with_advice(astronaut: RGBImage, engine: FaceEngine) -> None:
    small = np.asarray(cv2.resize(astronaut, (320, 320), interpolation=cv2.INTER_AREA), np.uint8)
    with pytest.raises(QualityError, match="Move closer") as info:
        engine.probe(small)
    assert info.value.code == "face_too_small"


def test_a_missing_model_file_says_how_to_fix_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        face_recognition_models, "face_recognition_model_location", lambda: "/nonexistent.dat"
    )
    _models.raw_face_recognizer.cache_clear()
    try:
        with pytest.raises(ModelUnavailableError, match="pip install"):
            _models.raw_face_recognizer()
    finally:
        monkeypatch.undo()
        _models.raw_face_recognizer.cache_clear()
