"""The user model. Custom from the first migration, so fields can be added without the
migration trouble of swapping `auth.User` later."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    display_name = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.username
