"""The user model. Custom from the first migration, so fields can be added without the
migration trouble of swapping `auth.User` later."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    display_name = models.CharField(max_length=150, blank=True)
    api_client = models.ForeignKey(
        "api.ApiClient", on_delete=models.CASCADE, null=True, blank=True, related_name="subjects"
    )
    """Set for the subjects an API client enrolls: they live in that client's namespace, have
    no password and cannot log in to the web pages."""
    api_subject = models.CharField(max_length=100, blank=True)
    """The client's own id for the subject."""
    face_failures = models.PositiveIntegerField(default=0)
    """Consecutive failed face attempts (see `peeka.faces.abuse`)."""
    face_failed_at = models.FloatField(null=True, blank=True)
    face_disabled = models.BooleanField(default=False)
    """Set after too many failures; cleared when the password is changed or reset."""

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        # A password change or reset proves the owner: face login may be tried again.
        self.face_failures, self.face_failed_at, self.face_disabled = 0, None, False

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_client", "api_subject"],
                condition=models.Q(api_client__isnull=False),
                name="unique_api_subject",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username
