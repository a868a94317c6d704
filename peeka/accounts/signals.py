"""Failed password logins go to the audit log like failed face logins (the login services
audit each factor passed and each completed login, and count failures toward the per-account
password lockout, themselves)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from peeka.accounts.selectors import user_find
from peeka.security.client import client_info
from peeka.security.services import audit_record


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        event="password_login",
        success=False,
        reason="bad_credentials",
        user=user_find(username=username),
        username=username,
        client=client_info(request) if request is not None else None,
    )
