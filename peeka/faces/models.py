"""What the database keeps about faces: sealed protected templates, the wrapped per-user keys
they need, and liveness challenges. No image and no raw descriptor has a column here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy


class UserKey(models.Model):
    """A per-user template key, wrapped by the vault's "wrap" key (a `SeedStore` row).
    Deleting it revokes the template that uses it."""

    key_id = models.CharField(max_length=16, primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="face_keys", null=True
    )
    wrapped = models.BinaryField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = gettext_lazy("template key")
        verbose_name_plural = gettext_lazy("template keys")


class FaceTemplate(models.Model):
    """One protected template (a sealed envelope, see `peeka.protection.envelope`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="face_templates",
        verbose_name=gettext_lazy("account"),
    )
    scheme = models.CharField(gettext_lazy("protection scheme"), max_length=16)
    model = models.CharField(gettext_lazy("face model"), max_length=32)
    """The embedding model of the protected descriptor: probes are embedded with it."""
    key_id = models.CharField(gettext_lazy("key ID"), max_length=64)
    data = models.BinaryField()
    frames_used = models.PositiveSmallIntegerField(gettext_lazy("pictures used"))
    consent_version = models.CharField(gettext_lazy("consent version"), max_length=16)
    created = models.DateTimeField(gettext_lazy("created"), auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user"])]
        verbose_name = gettext_lazy("face template")
        verbose_name_plural = gettext_lazy("face templates")

    @property
    def size(self) -> int:
        return len(self.data)


class LivenessChallenge(models.Model):
    """One interactive challenge-response liveness check: its steps are revealed one at a
    time, each answered once, on the server's clock (`peeka.biometrics.challenge`)."""

    id = models.CharField(max_length=32, primary_key=True)
    steps = models.JSONField()
    """Every step drawn; clients are told only those revealed so far (`done` + 1)."""
    purpose = models.CharField(max_length=16)
    """"login", "enroll", "stepup" or "api"."""
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    """The claimed user (1:1), or None for 1:N."""
    claimed = models.CharField(max_length=150, blank=True)
    """The name the client claimed; set with no `user` when nobody has that name."""
    api_client = models.ForeignKey("api.ApiClient", on_delete=models.CASCADE, null=True)
    """The API client that started it (its subjects' namespace), or None on the web pages."""
    scope = models.CharField(max_length=64, blank=True, default="")
    """Who may answer and use it besides the web pages and API clients: an application's
    device, e.g. "kiosk:3". Answers and uses must name the same scope ("" for none)."""
    accountable = models.BooleanField(default=False)
    """Somebody answers for it (after the password, or an API client): a failure is a strike
    toward disabling face login (`peeka.security.services.FACE`)."""
    issued_at = models.FloatField()
    expires_at = models.FloatField()
    done = models.PositiveSmallIntegerField(default=0)
    """Steps passed; `steps[done]` is the one revealed."""
    revealed_at = models.FloatField(null=True)
    """When `steps[done]` was revealed, on the server's clock."""
    busy = models.BooleanField(default=False)
    """An answer to the revealed step is being checked: a second one ends the challenge."""
    frames = models.PositiveSmallIntegerField(default=0)
    """Frames received for the steps passed."""
    offset_ms = models.FloatField(null=True)
    """The server's clock minus the client's at the first step's arrival."""
    last_face = models.JSONField(null=True)
    """Centre x, y and width of the face at the end of the last step passed."""
    reference = models.BinaryField(default=b"")
    """The first step's face as an Index-of-Max template under `reference_seed`, which later
    steps must match; a protected template, not a descriptor, erased when the challenge ends."""
    reference_seed = models.BinaryField(default=b"")
    used = models.BooleanField(default=False)
    """Over: failed, or its last step passed."""
    passed = models.BooleanField(default=False)
    verdict = models.CharField(max_length=32, blank=True)
    """The verdict's check: "ok" or the one that failed (never shown to the client)."""
    matched_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    consumed = models.BooleanField(default=False)
    """A passed challenge vouches for one login, enrollment or API call only."""

    class Meta:
        verbose_name = gettext_lazy("liveness challenge")
        verbose_name_plural = gettext_lazy("liveness challenges")

    @property
    def revealed(self) -> list[str]:
        """The steps the client has been shown."""
        return list(self.steps[: self.done + 1])


class Gallery(models.Model):
    """One encrypted 1:N gallery: the web accounts ("web") or one API client's subjects
    ("api-<id>"), for one embedding model. Its row is the lock that serialises changes to its
    blocks (`peeka.faces.services.gallery`)."""

    name = models.CharField(max_length=32)
    model = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "model"], name="unique_gallery_name_model")
        ]
        verbose_name = gettext_lazy("1:N gallery")
        verbose_name_plural = gettext_lazy("1:N galleries")


class GalleryBlock(models.Model):
    """Up to 4,096 users' descriptors encrypted under the deployment's CKKS key, one slot
    each (`peeka.protection.ckks.GalleryBlock`), sealed with the vault's MAC key together with
    the gallery, model and index it belongs to. Nobody can decrypt a slot without the vault;
    matching it yields only masked scores."""

    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="blocks")
    index = models.PositiveIntegerField()
    key_id = models.CharField(max_length=32)
    """The CKKS key pair the block is encrypted under."""
    free = models.PositiveIntegerField()
    """Slots never used (a removed slot is never reused)."""
    live = models.PositiveIntegerField()
    data = models.BinaryField()
    stamp = models.CharField(max_length=32)
    """Random, new at every write: a process's cached copy is current while it matches."""
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["gallery", "index"], name="unique_gallery_block")
        ]
        verbose_name = gettext_lazy("gallery block")
        verbose_name_plural = gettext_lazy("gallery blocks")


class GalleryEntry(models.Model):
    """Which user a gallery slot holds. Rewriting it cannot impersonate anyone: every 1:N
    candidate is confirmed 1:1 against the user's own template."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gallery_entry"
    )
    block = models.ForeignKey(GalleryBlock, on_delete=models.CASCADE, related_name="entries")
    slot = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["block", "slot"], name="unique_gallery_slot")
        ]
        verbose_name = gettext_lazy("gallery entry")
        verbose_name_plural = gettext_lazy("gallery entries")
