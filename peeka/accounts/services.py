"""Writes about accounts that the audit log must see: each factor tried in a login or step-up
(refused and throttled tries included), authenticator and recovery-code changes, and account
deletion (which walks the privacy registry, so every app's part goes first)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from peeka.accounts import otp
from peeka.accounts.mfa import RECOVERY
from peeka.accounts.models import User
from peeka.security.client import ClientInfo
from peeka.security.privacy import privacy_delete
from peeka.security.services import ThrottledError, audit_record

_EVENTS = {"password": "password_login", "totp": "totp", RECOVERY: "recovery_code"}


def password_login_record(*, user: AbstractBaseUser, client: ClientInfo) -> None:
    """A right password at the login form (Django's form checked it; wrong ones are audited by
    the `user_login_failed` receiver)."""
    audit_record(event="password_login", success=True, reason="ok", user=user, client=client)


def factor_attempt(*, user: User, method: str, secret: str, client: ClientInfo) -> bool:
    """Try `user`'s `method` ("password", "totp" or "recovery") with `secret` as the next
    factor of a login; audited. Raises `ThrottledError` (audited too) while codes are locked
    out."""
    event = _EVENTS[method]
    try:
        if method == "password":
            ok = user.check_password(secret)
        elif method == "totp":
            ok = otp.verify_totp(user, secret)
        else:
            ok = otp.use_recovery_code(user, secret)
    except ThrottledError as exc:
        audit_record(event=event, success=False, reason=exc.code, user=user, client=client)
        raise
    reason = "ok" if ok else "bad_credentials"
    audit_record(event=event, success=ok, reason=reason, user=user, client=client)
    return ok


def step_up_code_attempt(*, user: User, code: str | None, client: ClientInfo) -> bool:
    """A step-up without a camera: the password was checked by the form; `code` is an
    authenticator or recovery code (None for an account that has neither). A failure (and a
    throttled try) is audited here; a success by `mfa.mark_stepped_up`."""
    ok = True
    try:
        if code is not None:
            digits = "".join(code.split())
            if otp.has_totp(user) and digits.isdigit():
                ok = otp.verify_totp(user, digits)
            else:
                ok = otp.use_recovery_code(user, code)
    except ThrottledError as exc:
        audit_record(event="step_up", success=False, reason=exc.code, user=user, client=client)
        raise
    if not ok:
        step_up_failed(user=user, client=client)
    return ok


def step_up_failed(*, user: User, client: ClientInfo) -> None:
    audit_record(event="step_up", success=False, reason="bad_credentials", user=user, client=client)


def totp_confirm(*, user: User, code: str, client: ClientInfo) -> bool:
    """Turn on the authenticator being set up if `code` is right; audited when it is."""
    confirmed = otp.confirm_totp(user, code)
    if confirmed:
        audit_record(event="totp_setup", success=True, user=user, client=client)
    return confirmed


def totp_delete(*, user: User, client: ClientInfo) -> None:
    otp.remove_totp(user)
    audit_record(event="totp_remove", success=True, user=user, client=client)


def recovery_codes_create(*, user: User, client: ClientInfo) -> list[str]:
    """A new set of recovery codes (the old ones stop working), shown once."""
    codes = otp.new_recovery_codes(user)
    audit_record(event="recovery_codes", success=True, user=user, client=client)
    return codes


def account_delete(*, user: User, client: ClientInfo) -> None:
    """Delete the account and everything every app keeps about it (template keys are
    destroyed); the audit log keeps the events without the account."""
    privacy_delete(user)
    audit_record(event="account_delete", success=True, user=user, client=client)
    user.delete()
