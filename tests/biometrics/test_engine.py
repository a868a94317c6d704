from __future__ import annotations

import hashlib
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
from peeka.errors import ModelUnavailableError, NoFaceError, QualityError


def test_sface_is_the_default_model(engine: FaceEngine) -> None:
    assert engine.model == "sface_2021dec_int8bq" and engine.detectors == ("yunet",)


def test_the_same_person_in_different_photos_matches(
    faces_dir: Path, any_engine: FaceEngine
) -> None:
    threshold = calibration.load(any_engine.model).threshold
    obama = load_image(faces_dir / "obama.jpg")
    for other in ("obama2.jpg", "obama3.jpg"):
        result = verify(
            obama, load_image(faces_dir / other), threshold=threshold, engine=any_engine
        )
        assert result.match, (other, result.distance)
        assert result.distance < threshold


def test_another_person_does_not_match(faces_dir: Path, any_engine: FaceEngine) -> None:
    threshold = calibration.load(any_engine.model).threshold
    for name in ("obama.jpg", "obama2.jpg", "obama3.jpg"):
        result = verify(
            load_image(faces_dir / name),
            load_image(faces_dir / "biden.jpg"),
            threshold=threshold,
            engine=any_engine,
        )
        assert not result.match, (name, result.distance)
        assert result.distance > threshold + 0.1


def test_the_astronaut_matches_a_cropped_darker_copy(
    astronaut: RGBImage, any_engine: FaceEngine
) -> None:
    threshold = calibration.load(any_engine.model).threshold
    copy = (astronaut[0:400, 40:472].astype(np.float32) * 0.8).astype(np.uint8)
    copy = np.asarray(cv2.resize(copy, (324, 300), interpolation=cv2.INTER_AREA), np.uint8)
    assert verify(astronaut, copy, threshold=threshold, engine=any_engine).match


def test_a_descriptor_is_128_float32_and_repeatable(
    astronaut: RGBImage, any_engine: FaceEngine
) -> None:
    sample = any_engine.probe(astronaut)
    assert sample.embedding.shape == (128,) and sample.embedding.dtype == np.float32
    assert np.isfinite(sample.embedding).all()
    assert distance(sample.embedding, any_engine.probe(astronaut.copy()).embedding) < 1e-6
    assert sample.landmarks.shape == (5, 2)


def test_sface_descriptors_are_unit_length_references_too(
    faces_dir: Path, engine: FaceEngine
) -> None:
    reference = engine.reference([load_image(faces_dir / "obama.jpg")]).embedding
    assert abs(float(np.linalg.norm(reference)) - 1) < 1e-5


def test_our_sface_chip_is_opencvs_own_align_crop(astronaut: RGBImage, engine: FaceEngine) -> None:
    face = engine.locate(astronaut)
    assert face.landmarks is not None
    ours = engine.align(astronaut, face)[0].chip
    bgr = cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR)
    row = np.zeros((1, 15), np.float32)
    box = face.box
    row[0, :4] = (box.left, box.top, box.width, box.height)
    row[0, 4:14] = face.landmarks.ravel()
    theirs = cv2.cvtColor(_models.raw_sface().alignCrop(bgr, row), cv2.COLOR_BGR2RGB)
    assert ours.shape == (112, 112, 3)
    assert np.abs(ours.astype(int) - theirs.astype(int)).mean() < 1


def test_a_model_file_that_is_not_the_expected_one_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    relative, _ = _models.OPENCV_ZOO_FILES["yunet"]
    monkeypatch.setitem(_models.OPENCV_ZOO_FILES, "yunet", (relative, hashlib.sha256().hexdigest()))
    _models.opencv_zoo_file.cache_clear()
    try:
        with pytest.raises(ModelUnavailableError, match="SHA-256 mismatch"):
            _models.opencv_zoo_file("yunet")
    finally:
        monkeypatch.undo()
        _models.opencv_zoo_file.cache_clear()


def test_our_dlib_chip_matches_dlibs_own_face_chip(
    astronaut: RGBImage, dlib_engine: FaceEngine
) -> None:
    dlib = _models.dlib()
    face = dlib_engine.locate(astronaut)
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
        dlib_engine.embed_views(astronaut, face, (IDENTITY,))[0],
        np.asarray(_models.raw_face_recognizer().compute_face_descriptor(theirs), np.float32),
    )
    assert embedder_distance < 0.03


def test_an_unknown_detector_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="Unknown detector 'nope'; choose one of"):
        get_detector("nope")


@pytest.mark.parametrize("size", [(1, 1), (31, 640), (2, 2000)])
def test_yunet_finds_nothing_in_a_picture_too_small_for_a_face(
    size: tuple[int, int], any_engine: FaceEngine
) -> None:
    tiny = np.full((*size, 3), 128, np.uint8)
    assert get_detector("yunet").detect(tiny) == []
    with pytest.raises(NoFaceError):
        any_engine.probe(tiny)


@pytest.mark.parametrize("name", ["yunet", "mediapipe", "mediapipe-full", "hog", "cnn"])
def test_every_detector_finds_the_astronaut_in_the_same_place(
    astronaut: RGBImage, name: str
) -> None:
    faces = get_detector(name).detect(astronaut)
    assert len(faces) == 1
    cx, cy = faces[0].box.center
    # The face is around (222, 125) in scikit-image's astronaut; all boxes but YuNet's follow
    # dlib's geometry (eyes to mouth); YuNet's runs from the forehead to the chin.
    assert abs(cx - 222) < 15 and abs(cy - 125) < 20, faces[0]
    assert 70 < faces[0].box.width < 130
    if name == "yunet":
        assert faces[0].landmarks is not None and faces[0].landmarks.shape == (5, 2)


def test_a_blurred_photo_is_rejected_as_blurry(astronaut: RGBImage, any_engine: FaceEngine) -> None:
    blurred = np.asarray(cv2.GaussianBlur(astronaut, (0, 0), 3), np.uint8)
    with pytest.raises(QualityError) as info:
        any_engine.probe(blurred)
    assert info.value.code == "face_blurry"
    assert "Hold still" in info.value.message


def test_a_dark_photo_is_rejected_as_too_dark(astronaut: RGBImage, any_engine: FaceEngine) -> None:
    dark = (astronaut.astype(np.float32) * 0.15).astype(np.uint8)
    with pytest.raises(QualityError) as info:
        any_engine.probe(dark)
    assert info.value.code == "face_too_dark"


def test_a_small_face_is_rejected_with_advice(astronaut: RGBImage, any_engine: FaceEngine) -> None:
    small = np.asarray(cv2.resize(astronaut, (320, 320), interpolation=cv2.INTER_AREA), np.uint8)
    with pytest.raises(QualityError, match="Move closer") as info:
        any_engine.probe(small)
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
