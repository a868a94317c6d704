"""What the database keeps about faces: sealed protected templates, the wrapped per-user keys
they need, and liveness challenges. No image and no raw descriptor has a column here."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class UserKey(models.Model):
    """A per-user template key, wrapped by the vault's "wrap" key (a `SeedStore` row).
    Deleting it revokes the template that uses it."""

    key_id = models.CharField(max_length=16, primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="face_keys", null=True
    )
    wrapped = models.BinaryField()
    created = models.DateTimeField(auto_now_add=True)


class FaceTemplate(models.Model):
    """One protected template (a sealed envelope, see `peeka.protection.envelope`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="face_templates"
    )
    scheme = models.CharField(max_length=16)
    model = models.CharField(max_length=32)
    """The embedding model of the protected descriptor: probes are embedded with it."""
    key_id = models.CharField(max_length=64)
    data = models.BinaryField()
    frames_used = models.PositiveSmallIntegerField()
    consent_version = models.CharField(max_length=16)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user"])]

    @property
    def size(self) -> int:
        return len(self.data)


class LivenessChallenge(models.Model):
    """One challenge-response liveness check: issued, then answered once."""

    id = models.CharField(max_length=32, primary_key=True)
    steps = models.JSONField()
    purpose = models.CharField(max_length=16)
    """"login", "enroll" or "api"."""
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    """The claimed user (1:1), or None for 1:N."""
    claimed = models.CharField(max_length=150, blank=True)
    """The name the client claimed; set with no `user` when nobody has that name."""
    api_client = models.ForeignKey("api.ApiClient", on_delete=models.CASCADE, null=True)
    """The API client that started it (its subjects' namespace), or None on the web pages."""
    issued_at = models.FloatField()
    expires_at = models.FloatField()
    used = models.BooleanField(default=False)
    passed = models.BooleanField(default=False)
    verdict = models.CharField(max_length=32, blank=True)
    """The verdict's check: "ok" or the one that failed (never shown to the client)."""
    matched_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    consumed = models.BooleanField(default=False)
    """A passed challenge vouches for one login, enrollment or API call only."""
