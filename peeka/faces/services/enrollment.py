"""Enrollment: camera frames in, one protected template out (the frames and descriptors are
dropped at the end of the call); and deletion, which destroys the template keys."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext_lazy

from peeka.accounts.models import User
from peeka.biometrics import Embedding, RGBImage, calibration
from peeka.biometrics.engine import distance
from peeka.errors import ImageError, PeekaError, gettext_noop
from peeka.faces.models import FaceTemplate, UserKey
from peeka.faces.services.frames import kept_photo
from peeka.faces.services.gallery import gallery_add, gallery_import, gallery_remove
from peeka.faces.services.protection import (
    engine_for,
    enrollment_model,
    scheme_for,
    seed_id_of,
)
from peeka.protection.schemes import SCHEMES

CONSENT_VERSION = "2"
"""Recorded with each template; a new wording is a new version (1: "about ten pictures", which
stopped being true when enrollment became a liveness challenge)."""
CONSENT_TEXT = gettext_lazy(
    "While you do two or three short actions in front of the camera, Peeka records a few "
    "seconds of pictures. It checks them, turns the best few into a protected template and "
    "throws every picture away: no picture and no raw face measurement is stored. You can see, "
    'renew and delete your template at any time on the "My face data" page, and deleting your '
    "account deletes it."
)
_KEPT_FRAMES = 5
"""Frames averaged into the reference (each costs the model's reference crops: ten network
passes for SFace, two for dlib)."""


class EnrollmentError(PeekaError):
    """Too few usable frames; the message says what to change."""

    code = "enrollment_failed"


@dataclass(frozen=True)
class Enrollment:
    template: FaceTemplate
    frames_used: int
    frames_received: int


def enrollment_create(
    *,
    user: User,
    frames: Sequence[bytes],
    scheme_name: str,
    min_frames: int | None = None,
    image_errors: bool = False,
) -> Enrollment:
    """Enroll `user` from camera frames: keep the good frames that agree on one identity,
    average the best into a reference, protect it with `scheme_name`, and replace the user's
    earlier templates (revoking their keys) and gallery slot in one transaction. `min_frames`
    defaults to the camera setting; the API accepts single photos. With `image_errors`, a frame
    that is not a usable picture raises its `ImageError` (the API names the broken upload)
    instead of being counted among the unusable frames."""
    if scheme_name not in SCHEMES:
        raise EnrollmentError(
            gettext_noop("Unknown protection scheme %(scheme)s; choose one of %(schemes)s."),
            params={"scheme": repr(scheme_name), "schemes": ", ".join(SCHEMES)},
        )
    low = settings.PEEKA_ENROLL_MIN_FRAMES if min_frames is None else min_frames
    high = settings.PEEKA_ENROLL_MAX_FRAMES
    if not low <= len(frames) <= high:
        raise EnrollmentError(
            gettext_noop("Send between %(low)d and %(high)d frames, not %(count)d."),
            params={"low": low, "high": high, "count": len(frames)},
        )
    model = enrollment_model()
    engine = engine_for(model)
    images = [_decode(frame, i, strict=image_errors) for i, frame in enumerate(frames, 1)]
    kept, embeddings, reasons = [], [], Counter[str]()
    for image in images:
        if isinstance(image, PeekaError):
            reasons[image.code] += 1
            continue
        try:
            embeddings.append(engine.probe(image).embedding)
            kept.append(image)
        except PeekaError as exc:
            reasons[exc.code] += 1
    agreeing = _agreeing(embeddings, model)
    if len(agreeing) < low:
        raise _advice(reasons, len(embeddings) - len(agreeing), len(frames))
    best = agreeing[:_KEPT_FRAMES]
    reference = engine.reference([kept[i] for i in best]).embedding
    protection = scheme_for(scheme_name, model=model)
    with transaction.atomic():
        _lock_user(user)
        _delete_templates(user)
        data = protection.enroll(reference)
        key_id = protection.describe(data).key_id
        UserKey.objects.filter(key_id=seed_id_of(key_id)).update(user=user)
        template = FaceTemplate.objects.create(
            user=user,
            scheme=scheme_name,
            model=model,
            key_id=key_id,
            data=data,
            frames_used=len(best),
            consent_version=CONSENT_VERSION,
        )
        gallery_add(user=user, embedding=reference, model=model)
    return Enrollment(template, len(best), len(frames))


def templates_import(
    *, users: Sequence[User], embeddings: Sequence[Embedding], scheme_name: str
) -> None:
    """Enroll users who have no template yet from descriptors made elsewhere (another
    system's export, or `peeka bench identify`'s LFW descriptors), each protected with
    `scheme_name` under its own key, and put them into the gallery in whole blocks; one
    transaction. The descriptors are dropped at the end of the call, as camera frames are."""
    if len(users) != len(embeddings):
        raise ValueError("templates_import takes one descriptor per user")
    model = enrollment_model()
    protection = scheme_for(scheme_name, model=model)
    with transaction.atomic():
        if FaceTemplate.objects.filter(user__in=users).exists():
            raise EnrollmentError(gettext_noop("Some of these users are enrolled already."))
        templates = []
        for user, embedding in zip(users, embeddings, strict=True):
            data = protection.enroll(embedding)
            key_id = protection.describe(data).key_id
            UserKey.objects.filter(key_id=seed_id_of(key_id)).update(user=user)
            templates.append(
                FaceTemplate(
                    user=user, scheme=scheme_name, model=model, key_id=key_id, data=data,
                    frames_used=0, consent_version=CONSENT_VERSION,
                )
            )  # fmt: skip
        FaceTemplate.objects.bulk_create(templates)
        gallery_import(users=users, embeddings=embeddings, model=model)


def templates_delete_all(user: AbstractBaseUser) -> int:
    """Delete every template of `user`, revoke their keys and empty their gallery slot; the
    count deleted. (The privacy registry's delete hook for faces.)"""
    with transaction.atomic():
        _lock_user(user)
        return _delete_templates(user)


def _delete_templates(user: AbstractBaseUser) -> int:
    count = FaceTemplate.objects.filter(user_id=user.pk).count()
    gallery_remove(user=user)
    UserKey.objects.filter(user_id=user.pk).delete()
    FaceTemplate.objects.filter(user_id=user.pk).delete()
    return count


def _lock_user(user: AbstractBaseUser) -> None:
    """Serialise template changes of one user (a row lock on PostgreSQL; SQLite serialises
    every write anyway), so that two enrollments racing cannot both keep a template."""
    User.objects.select_for_update().filter(pk=user.pk).first()


def _decode(frame: bytes, number: int, *, strict: bool) -> RGBImage | PeekaError:
    try:
        return kept_photo(frame)
    except ImageError as exc:
        if strict:  # name the broken upload, keeping its code
            raise type(exc)(
                gettext_noop("Image %(number)d: %(problem)s"),
                code=exc.code,
                params={"number": number, "problem": exc},
            ) from exc
        return exc


def _agreeing(embeddings: list[Embedding], model: str) -> list[int]:
    """Indices of the embeddings within the calibrated threshold of their medoid (the one
    closest to all others), closest first: frames of one person, without a passer-by."""
    if not embeddings:
        return []
    threshold = calibration.load(model).threshold
    matrix = np.array([[distance(a, b) for b in embeddings] for a in embeddings])
    medoid = int(np.argmin(matrix.sum(axis=1)))
    order = np.argsort(matrix[medoid], kind="stable")
    return [int(i) for i in order if matrix[medoid, i] <= threshold]


_ADVICE = {
    "no_face": gettext_noop("No face was found in some pictures: look straight at the camera."),
    "multiple_faces": gettext_noop(
        "Several faces were in view: make sure you are alone in the picture."
    ),
    "face_too_small": gettext_noop("Your face was too small: move closer to the camera."),
    "face_blurry": gettext_noop("The pictures were blurry: hold still and clean the camera lens."),
    "face_too_dark": gettext_noop("The pictures were too dark: turn on a light in front of you."),
    "face_too_bright": gettext_noop(
        "The pictures were too bright: move away from the bright light."
    ),
    "face_pose": gettext_noop("Your head was turned or tilted: look straight at the camera."),
}


def _advice(reasons: Counter[str], disagreeing: int, total: int) -> EnrollmentError:
    if reasons:
        code = reasons.most_common(1)[0][0]
        what = _ADVICE.get(code, gettext_noop("Some pictures could not be used."))
    elif disagreeing:
        what = gettext_noop(
            "The pictures did not all show the same person: make sure only you are in view."
        )
    else:
        what = gettext_noop("Too few pictures could be used.")
    usable = total - sum(reasons.values()) - disagreeing
    return EnrollmentError(
        gettext_noop("Only %(usable)d of %(total)d pictures were usable. %(advice)s"),
        params={"usable": usable, "total": total, "advice": what},
    )
