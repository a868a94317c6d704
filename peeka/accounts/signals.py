"""Failed password logins go to the audit log like failed face logins (the login views audit
each factor passed and each completed login themselves)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from peeka.faces import services


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
