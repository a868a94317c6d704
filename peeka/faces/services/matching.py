"""Matching: a probe picture against one user's templates (1:1) or a namespace's (1:N), each
template under its own key and with its own embedding model. A template whose scheme says
`must_update` (a retired key, older parameters or another model) is re-protected after a
successful match, in the same request, as Django re-hashes an outdated password at login."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from peeka.accounts.models import User
from peeka.biometrics import Embedding, RGBImage, load_image
from peeka.biometrics.calibration import Mode
from peeka.errors import ImageError, PeekaError
from peeka.faces.models import FaceTemplate, GalleryEntry, UserKey
from peeka.faces.services import gallery
from peeka.faces.services.protection import (
    engine_for,
    enrollment_model,
    scheme_for,
    seed_id_of,
)
from peeka.protection.vault import VaultError


class Probe:
    """One probe: a decoded picture embedded on demand with each model a template asks for,
    or a descriptor already computed (a liveness clip's). Never stored."""

    def __init__(
        self,
        image: RGBImage | None = None,
        *,
        reason: str = "ok",
        embeddings: dict[str, Embedding] | None = None,
        image_error: ImageError | None = None,
        mode: Mode = "single",
    ) -> None:
        self._image = image
        self._embeddings: dict[str, Embedding | None] = dict(embeddings or {})
        self.mode = mode
        """How the descriptor was made, which sets the thresholds it is compared at."""
        self.reason = reason
        """"ok", or the error code that left the probe without a usable face."""
        self.image_error = image_error
        """Set when the upload was not a usable picture at all (empty, corrupt, ...)."""

    @classmethod
    def from_frame(cls, frame: bytes) -> Probe:
        try:
            return cls(load_image(frame))
        except ImageError as exc:
            return cls(reason=exc.code, image_error=exc)

    @classmethod
    def from_embedding(cls, embedding: Embedding, *, model: str, mode: Mode = "single") -> Probe:
        return cls(embeddings={model: embedding}, mode=mode)

    def embedding(self, model: str) -> Embedding | None:
        """The descriptor under `model`, or None (then `reason` says why)."""
        if model not in self._embeddings:
            self._embeddings[model] = self._embed(model)
        return self._embeddings[model]

    def reference(self, model: str) -> Embedding | None:
        """The descriptor to protect when this probe re-enrolls a template: from a picture,
        embedded as an enrollment is (the mean over the reference crops: more network
        passes); else the probe's own descriptor."""
        if self._image is None:
            return self.embedding(model)
        try:
            return engine_for(model).reference([self._image]).embedding
        except PeekaError:
            return None

    def _embed(self, model: str) -> Embedding | None:
        if self._image is None:
            return None
        try:
            return engine_for(model).probe(self._image).embedding
        except PeekaError as exc:
            self.reason = exc.code
            return None


def face_match(*, user: User, probe: Probe) -> tuple[bool, str]:
    """(match, reason) of `probe` against `user`'s templates; upgrades the matched template
    when its scheme asks for it."""
    templates = list(FaceTemplate.objects.filter(user=user).select_related("user"))
    if not templates:
        return False, "no_template"
    for template in templates:
        matched, reason = _compare(template, probe)
        if matched:
            _matched(template, probe)
            return True, "ok"
        if reason != "no_match":
            return False, reason
    return False, "no_match"


def face_identify(*, probe: Probe, api_client_id: int | None) -> tuple[User | None, str]:
    """(the one enrolled user `probe` matches, reason); None when nobody or several match.
    Web accounts when `api_client_id` is None, else that API client's subjects only.

    1:N through the encrypted gallery (`gallery.gallery_search`), then each candidate (at
    most `MAX_CANDIDATES`) confirmed 1:1 against the user's own template. Users not in the
    gallery of today's model (templates on an older model, or enrolled before the gallery)
    are compared 1:1, and join the gallery when they match."""
    model = enrollment_model()
    active = FaceTemplate.objects.filter(
        user__is_active=True, user__api_client_id=api_client_id
    ).select_related("user")
    embedding = probe.embedding(model)
    search = gallery.Search([], [])
    if embedding is not None:
        search = gallery.gallery_search(
            embedding=embedding, model=model, api_client_id=api_client_id, mode=probe.mode
        )
    if len(search.candidates) > gallery.MAX_CANDIDATES:
        return None, "ambiguous"
    in_gallery = Q(user__gallery_entry__block__gallery__model=model) & ~Q(
        user__gallery_entry__block_id__in=search.unusable
    )
    templates = list(active.filter(user_id__in=search.candidates)) + list(
        active.exclude(in_gallery)
    )
    matches: dict[int, tuple[User, FaceTemplate]] = {}
    for template in templates:
        if _compare(template, probe)[0]:
            matches[template.user.pk] = (template.user, template)
    if len(matches) == 1:
        user, template = next(iter(matches.values()))
        unusable = GalleryEntry.objects.filter(user=user, block_id__in=search.unusable)
        _matched(template, probe, rejoin=unusable.exists())
        return user, "ok"
    if not matches and probe.reason != "ok":
        return None, probe.reason
    return None, "no_match" if not matches else "ambiguous"


def _compare(template: FaceTemplate, probe: Probe) -> tuple[bool, str]:
    embedding = probe.embedding(template.model)
    if embedding is None:
        return False, probe.reason if probe.reason != "ok" else "model_unavailable"
    try:
        scheme = scheme_for(template.scheme, model=template.model, mode=probe.mode)
        return scheme.verify(bytes(template.data), embedding), "no_match"
    except (PeekaError, VaultError) as exc:
        return False, exc.code


def template_upgrade(*, template: FaceTemplate, probe: Probe) -> bool:
    """Re-protect a template that just matched under today's parameters and keys, when its
    scheme says it must be, from the probe (the only face at hand: the old template cannot be
    opened back into one). Returns whether it was upgraded. A template of another face model
    than today's is left as it is: one login picture is no enrollment, so its user is asked
    to renew (`template_must_renew`)."""
    model = enrollment_model()
    if template.model != model:
        return False
    data = bytes(template.data)
    try:
        outdated = scheme_for(template.scheme, model=model).must_update(data)
    except (PeekaError, VaultError):
        return False
    embedding = probe.reference(model) if outdated else None
    if embedding is None:
        return False
    current = scheme_for(template.scheme, model=model)
    with transaction.atomic():
        rows = FaceTemplate.objects.select_for_update()
        row = rows.filter(pk=template.pk, key_id=template.key_id).first()
        if row is None:
            return False  # deleted or replaced meanwhile: nothing to upgrade
        renewed = current.enroll(embedding)
        key_id = current.describe(renewed).key_id
        UserKey.objects.filter(key_id=seed_id_of(key_id)).update(user_id=template.user_id)
        UserKey.objects.filter(key_id=seed_id_of(template.key_id)).delete()
        FaceTemplate.objects.filter(pk=template.pk).update(data=renewed, key_id=key_id, model=model)
    return True


def _matched(template: FaceTemplate, probe: Probe, *, rejoin: bool = False) -> None:
    """What follows a match: the template re-protected if it must be, and its user put into
    the gallery if they are not in it (a database from before the gallery), are under a
    retired key or in a block that cannot be searched (`rejoin`), both from the probe.
    Templates on an older model do neither: their users are asked to renew."""
    model = enrollment_model()
    if template.model != model:
        return
    template_upgrade(template=template, probe=probe)
    kept = gallery.gallery_kept(template.user.api_client_id)
    if not kept or (not rejoin and _in_gallery(template.user_id, model)):
        return
    embedding = probe.reference(model)
    if embedding is None:
        return
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=template.user_id)
        # Not when the template was deleted, or replaced by an enrollment (which joined), since.
        if FaceTemplate.objects.filter(pk=template.pk).exists() and (
            rejoin or not _in_gallery(user.pk, model)
        ):
            gallery.gallery_add(user=user, embedding=embedding, model=model)


def _in_gallery(user_id: int, model: str) -> bool:
    """In the gallery of `model`, under the active CKKS key (after a rotation, a match moves
    the user's slot to a block under the new key, as `template_upgrade` does the template)."""
    return GalleryEntry.objects.filter(
        user_id=user_id, block__gallery__model=model, block__key_id=gallery.active_key()
    ).exists()
