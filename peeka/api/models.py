"""API clients. A key is shown once at creation; only its SHA-256 is stored (keys are 256
random bits, so a fast hash is as safe as a slow one and keeps every request cheap)."""

from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.utils.translation import gettext_lazy

KEY_PREFIX = "pk_"


class ApiClient(models.Model):
    name = models.CharField(gettext_lazy("name"), max_length=100, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    key_hint = models.CharField(gettext_lazy("key starts with"), max_length=12)
    """The key's first characters, so an admin can tell keys apart."""
    active = models.BooleanField(gettext_lazy("active"), default=True)
    created = models.DateTimeField(gettext_lazy("created"), auto_now_add=True)
    last_used = models.DateTimeField(gettext_lazy("last used"), null=True)

    class Meta:
        verbose_name = gettext_lazy("API client")
        verbose_name_plural = gettext_lazy("API clients")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def create(cls, name: str) -> tuple[ApiClient, str]:
        """A new client and its key (returned once, never stored)."""
        key = new_key()
        client = cls.objects.create(name=name, key_hash=hash_key(key), key_hint=key[:10])
        return client, key


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
