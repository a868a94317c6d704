"""Peeka's one exception tree. Every error has a stable machine-readable `code` and a message
that tells the user what to change; foreign errors (PIL, dlib, mediapipe) are translated here.

    PeekaError
    ├── ModelUnavailableError          model_unavailable
    ├── ImageError                     (the upload is not a usable picture)
    │   ├── EmptyImageError            image_empty
    │   ├── UnsupportedImageError      image_unsupported
    │   ├── CorruptImageError          image_corrupt
    │   └── ImageTooLargeError         image_too_large
    ├── FaceError                      (the picture is fine, the face in it is not)
    │   ├── NoFaceError                no_face
    │   ├── MultipleFacesError         multiple_faces
    │   └── QualityError               face_too_small | face_blurry | face_too_dark |
    │                                  face_too_bright | face_pose
    ├── CalibrationError               calibration_invalid
    └── DatasetError                   dataset_invalid
"""

from __future__ import annotations

from collections.abc import Mapping


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogs (Django's makemessages knows this name)
    without importing Django: the core stays plain Python, and the web layer shows the message
    in the user's language (`peeka.security.wording`)."""
    return message


class PeekaError(Exception):
    """Base of every error Peeka raises on purpose. `message` is English; a message marked with
    `gettext_noop` and its `params` (%-placeholders) let the web layer translate it."""

    code = "peeka_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.template = message
        self.params = dict(params or {})
        self.message = message % self.params if self.params else message
        super().__init__(self.message)
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class FieldError(PeekaError):
    """Input that cannot be saved as given; `field` names the form field at fault (None: the
    input as a whole), so a page can show the message beside it. Nothing was written."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, code=code, params=params)
        self.field = field


class ModelUnavailableError(PeekaError):
    code = "model_unavailable"


class ImageError(PeekaError):
    code = "image_error"


class EmptyImageError(ImageError):
    code = "image_empty"


class UnsupportedImageError(ImageError):
    code = "image_unsupported"


class CorruptImageError(ImageError):
    code = "image_corrupt"


class ImageTooLargeError(ImageError):
    code = "image_too_large"


class FaceError(PeekaError):
    code = "face_error"


class NoFaceError(FaceError):
    code = "no_face"


class MultipleFacesError(FaceError):
    code = "multiple_faces"


class QualityError(FaceError):
    """A face was found but is not good enough; `code` says which check failed."""

    code = "face_quality"


class CalibrationError(PeekaError):
    code = "calibration_invalid"


class DatasetError(PeekaError):
    code = "dataset_invalid"
