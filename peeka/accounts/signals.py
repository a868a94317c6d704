"""Password logins, failed or not, go to the audit log like face logins."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from peeka.accounts.models import User
from peeka.faces import services


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    backend = getattr(user, "backend", "")
    event = "password_login" if backend.endswith("ModelBackend") and not _by_face(request) else ""
    if event:
        client = services.client(request) if request is not None else None
        services.audit(event, success=True, reason="ok", user=user, client=client)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    client = services.client(request) if request is not None else None
    services.audit(
        "password_login",
        success=False,
        reason="bad_credentials",
        user=services.find_user(username),
        username=username,
        client=client,
    )


def _by_face(request: HttpRequest | None) -> bool:
    # Face logins are audited by the face view itself, with the face's reason code.
    return request is not None and request.path.startswith("/face/")
