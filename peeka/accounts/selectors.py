"""Reads about accounts: finding a web account by name, and what the data export shows of the
account and its second factors (that they exist, never a secret)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from peeka.accounts.models import RecoveryCode, TotpDevice, User
from peeka.security.selectors import lockout_disabled
from peeka.security.services import CODES, FACE


def user_find(*, username: str) -> User | None:
    """An active web account (never an API client's subject)."""
    return User.objects.filter(username=username, is_active=True, api_client__isnull=True).first()


def account_export(user: AbstractBaseUser) -> dict[str, object]:
    assert isinstance(user, User)
    return {
        "username": user.get_username(),
        "display_name": user.display_name,
        "email": user.email,
        "date_joined": user.date_joined.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "face_login_disabled": lockout_disabled(user=user, rule=FACE),
    }


def second_factors_export(user: AbstractBaseUser) -> dict[str, object]:
    return {
        # That they exist, never the secret or the codes (those are wrapped or hashed).
        "authenticator_app": TotpDevice.objects.filter(user_id=user.pk, confirmed=True).exists(),
        "recovery_codes_unused": RecoveryCode.objects.filter(
            user_id=user.pk, used_at__isnull=True
        ).count(),
        "one_time_codes_disabled": lockout_disabled(user=user, rule=CODES),
    }
