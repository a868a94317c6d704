"""The privacy registry: each app registers its part of a user's data export and the hook that
deletes that part, so the account's export and deletion cover every app without knowing them.

    privacy_register("face_templates", export=templates_export, delete=templates_delete_all)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser

Exporter = Callable[[AbstractBaseUser], object]
Deleter = Callable[[AbstractBaseUser], object]


@dataclass(frozen=True)
class PrivacyPart:
    name: str
    export: Exporter
    """What is kept about the user, as JSON-ready data: never a secret, never face data."""
    delete: Deleter | None
    """Deletes (and, for keys, destroys) the part before the account row goes; None when the
    rows go with the account (a cascade) or are kept without it (the audit log)."""


_parts: dict[str, PrivacyPart] = {}


def privacy_register(name: str, *, export: Exporter, delete: Deleter | None = None) -> None:
    """Register (or, on a second `ready()` of the same app, replace) an app's part."""
    _parts[name] = PrivacyPart(name, export, delete)


def privacy_export(user: AbstractBaseUser) -> dict[str, object]:
    """Everything every app keeps about `user`, one key per registered part."""
    return {name: part.export(user) for name, part in _parts.items()}


def privacy_delete(user: AbstractBaseUser) -> None:
    """Run every app's delete hook, the apps above first (they registered last)."""
    for part in reversed(_parts.values()):
        if part.delete is not None:
            part.delete(user)
