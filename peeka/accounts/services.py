"""Writes about accounts that the audit log must see: registration, every password check
(under the per-account password lockout), each factor tried in a login or step-up (refused and
throttled tries included), authenticator and recovery-code changes, new passwords (changed,
reset by e-mail, or a temporary one from an administrator), and account deletion (which walks
the privacy registry, so every app's part goes first)."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from peeka.accounts import otp
from peeka.accounts.mfa import RECOVERY
from peeka.accounts.models import User
from peeka.accounts.selectors import user_find
from peeka.security.client import ClientInfo, client_info
from peeka.security.privacy import privacy_delete
from peeka.security.services import (
    PASSWORD,
    ThrottledError,
    audit_record,
    lockout_check,
    lockout_failed,
    lockout_succeeded,
    name_lockout_check,
    name_lockout_failed,
    rate_limit,
)

if TYPE_CHECKING:
    from peeka.accounts.forms import RegisterForm

FACTOR_EVENTS = {"password": "password_login", "totp": "totp", RECOVERY: "recovery_code"}
"""The audit event of each login factor."""

REGISTRATIONS_PER_HOUR = 5
"""New accounts per client address and hour."""
REGISTER_TRIES_PER_HOUR = 20
"""Posts of the registration form per client address and hour (each one a name look-up)."""
PASSWORD_RESETS_PER_HOUR = 10
"""Posts of the "forgot your password" form per client address and hour."""
PASSWORD_RESET_MAILS_PER_HOUR = 3
"""Reset e-mails to one address an hour, whoever asks (beyond them nothing is sent, and the
page says the same as always)."""
TEMPORARY_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
"""No 0/o, 1/l/i: an administrator reads the password out or writes it down."""


def attempt_rate_limit(
    *, client: ClientInfo, event: str, user: User | None = None, username: str = ""
) -> None:
    """Count one password, authenticator or recovery-code request of the client's address
    (PEEKA_RATE_LIMITS["password"] a minute); past it `ThrottledError`, audited once a window
    (one address must not flood the log)."""
    _rate_limited(scope="password", client=client, event=event, user=user, username=username)


def _rate_limited(
    *,
    scope: str,
    client: ClientInfo,
    event: str,
    user: User | None = None,
    username: str = "",
    limit: int | None = None,
    window_seconds: int = 60,
) -> None:
    try:
        rate_limit(scope=scope, ident=client.ip or "", limit=limit, window_seconds=window_seconds)
    except ThrottledError as exc:
        if exc.first:
            audit_record(
                event=event,
                success=False,
                reason=exc.code,
                user=user,
                username=username,
                client=client,
            )
        raise


@sensitive_variables("password")
def password_login(*, request: HttpRequest, username: str, password: str) -> User | None:
    """The login form's password check: the web account `username` when `password` is its
    password, else None; audited.

    Every check counts toward the per-account lockout (`PASSWORD`), across all addresses. A
    throttled try raises `ThrottledError` (audited) before any hash is computed, even with the
    right password. A name that is no active web account (nobody's, an inactive account's, an
    API subject's) is counted the same way under its own name in the cache and runs the same
    hasher (Django's ModelBackend does), so neither the answers nor their number tell which
    names exist. A wrong password's audit row comes from the `user_login_failed` receiver."""
    client = client_info(request)
    user = user_find(username=username)
    try:
        if user is not None:
            counted = lockout_check(user=user, rule=PASSWORD, claim=True)
        else:
            counted = name_lockout_check(name=username, rule=PASSWORD, claim=True)
    except ThrottledError as exc:
        audit_record(
            event="password_login",
            success=False,
            reason=exc.code,
            user=user,
            username=username,
            client=client,
        )
        raise
    found = authenticate(request, username=username, password=password)
    if user is None:
        name_lockout_failed(name=username, rule=PASSWORD, counted=counted)
        return None
    if found is None or found.pk != user.pk:
        lockout_failed(user=user, rule=PASSWORD, counted=counted)
        return None
    lockout_succeeded(user=user, rule=PASSWORD)
    audit_record(event="password_login", success=True, reason="ok", user=user, client=client)
    return user


@sensitive_variables("password")
def password_verify(*, user: User, password: str, event: str, client: ClientInfo) -> bool:
    """Whether `password` is `user`'s, for `event` ("password_login" as a login step,
    "step_up"), under the per-account lockout: a throttled
    try raises `ThrottledError` and a wrong password counts, both audited as `event`; a right
    one resets the count (its caller audits the success of the whole action)."""
    try:
        counted = lockout_check(user=user, rule=PASSWORD, claim=True)
    except ThrottledError as exc:
        audit_record(event=event, success=False, reason=exc.code, user=user, client=client)
        raise
    if user.check_password(password):
        lockout_succeeded(user=user, rule=PASSWORD)
        return True
    lockout_failed(user=user, rule=PASSWORD, counted=counted)
    audit_record(event=event, success=False, reason="bad_credentials", user=user, client=client)
    return False


def factor_attempt(*, user: User, method: str, secret: str, client: ClientInfo) -> bool:
    """Try `user`'s `method` ("password", "totp" or "recovery") with `secret` as the next
    factor of a login; audited. Raises `ThrottledError` (audited too) while that factor is
    locked out."""
    event = FACTOR_EVENTS[method]
    if method == "password":
        ok = password_verify(user=user, password=secret, event=event, client=client)
        if ok:
            audit_record(event=event, success=True, reason="ok", user=user, client=client)
        return ok
    try:
        ok = (
            otp.verify_totp(user, secret)
            if method == "totp"
            else otp.use_recovery_code(user, secret)
        )
    except ThrottledError as exc:
        audit_record(event=event, success=False, reason=exc.code, user=user, client=client)
        raise
    reason = "ok" if ok else "bad_credentials"
    audit_record(event=event, success=ok, reason=reason, user=user, client=client)
    return ok


@sensitive_variables("password")
def step_up_attempt(*, user: User, password: str, code: str | None, client: ClientInfo) -> str:
    """A step-up without a camera: the password (under the per-account lockout), then `code`,
    an authenticator or recovery code (None for an account that has neither). Returns "" when
    both are right, else the field that was wrong ("password" or "code"). A failure and a
    throttled try are audited here; a success by `mfa.mark_stepped_up`."""
    if not password_verify(user=user, password=password, event="step_up", client=client):
        return "password"
    return "" if step_up_code_attempt(user=user, code=code, client=client) else "code"


def step_up_code_attempt(*, user: User, code: str | None, client: ClientInfo) -> bool:
    """The code half of a step-up without a camera (`code` None: nothing to check)."""
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


def account_register(*, form: RegisterForm, client: ClientInfo) -> User | None:
    """The account `form` describes, made when the form is valid (None otherwise); audited
    either way. Per client address at most REGISTER_TRIES_PER_HOUR posts and
    REGISTRATIONS_PER_HOUR new accounts an hour: past either `ThrottledError`, audited once
    a window."""
    username = str(form.data.get("username", ""))[:150]
    _register_limit(
        scope="register_try", limit=REGISTER_TRIES_PER_HOUR, client=client, username=username
    )
    if not form.is_valid():
        codes = sorted(
            {e.code or "invalid" for errs in form.errors.as_data().values() for e in errs}
        )
        audit_record(
            event="register",
            success=False,
            reason="+".join(codes)[:64],
            username=username,
            client=client,
        )
        return None
    _register_limit(
        scope="register", limit=REGISTRATIONS_PER_HOUR, client=client, username=username
    )
    user = form.save()
    audit_record(event="register", success=True, reason="ok", user=user, client=client)
    return user


def _register_limit(*, scope: str, limit: int, client: ClientInfo, username: str) -> None:
    _rate_limited(
        scope=scope,
        client=client,
        event="register",
        username=username,
        limit=limit,
        window_seconds=3600,
    )


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
    destroyed); the audit log keeps the events without the account. The caller has had the
    user step up and confirm."""
    privacy_delete(user)
    audit_record(event="account_delete", success=True, user=user, client=client)
    user.delete()


def password_change_limit(*, user: User, client: ClientInfo) -> None:
    """Count one post of a new-password form (each one an Argon2 hash) of the client's
    address, as `attempt_rate_limit` does."""
    attempt_rate_limit(client=client, event="password_change", user=user)


def password_set(
    *, form: SetPasswordForm[User], client: ClientInfo, event: str = "password_change"
) -> User:
    """Save the new password of a valid `form` (a change after a step-up, `event`
    "password_change", or a reset by e-mail, "password_reset"); audited. It ends a temporary
    password's "must change" and, as every new password does, the account's lockouts."""
    user = form.user
    assert isinstance(user, User)
    reason = "temporary" if user.must_change_password else "ok"
    user.must_change_password = False
    form.save()  # a full save: `User.save` resets the lockouts
    audit_record(event=event, success=True, reason=reason, user=user, client=client)
    return user


def password_temporary_set(*, user: User, client: ClientInfo) -> str:
    """A random temporary password for `user`, set now and returned once (only its hash is
    kept); the user must choose a new one after logging in with it. Audited."""
    groups = (
        "".join(secrets.choice(TEMPORARY_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4)
    )
    password = "-".join(groups)  # 16 characters of 31: about 79 bits
    user.set_password(password)
    user.must_change_password = True
    user.save()
    audit_record(event="password_temporary", success=True, reason="admin", user=user, client=client)
    return password


def password_reset_limit(*, client: ClientInfo) -> None:
    """Count one post of the "forgot your password" form of the client's address
    (PASSWORD_RESETS_PER_HOUR); past it `ThrottledError`, audited once a window."""
    _rate_limited(
        scope="password_reset",
        client=client,
        event="password_reset_request",
        limit=PASSWORD_RESETS_PER_HOUR,
        window_seconds=3600,
    )


def password_reset_request(
    *, form: PasswordResetForm, client: ClientInfo, options: dict[str, Any]
) -> None:
    """Mail a reset link to each active web account with the valid `form`'s address (Django's
    `PasswordResetForm.save` with `options`); audited. Nothing tells the asker whether the
    address is known: an unknown one, or one past PASSWORD_RESET_MAILS_PER_HOUR, is only
    audited."""
    email: str = form.cleaned_data["email"]
    users = list(form.get_users(email))
    if not users:
        audit_record(
            event="password_reset_request", success=False, reason="unknown_address", client=client
        )
        return
    address = hashlib.sha256(email.casefold().encode()).hexdigest()
    try:
        rate_limit(
            scope="password_reset_mail",
            ident=address,
            limit=PASSWORD_RESET_MAILS_PER_HOUR,
            window_seconds=3600,
        )
    except ThrottledError as exc:
        for user in users:
            audit_record(
                event="password_reset_request",
                success=False,
                reason=exc.code,
                user=user,
                client=client,
            )
        return
    form.save(**options)
    for user in users:
        audit_record(
            event="password_reset_request", success=True, reason="ok", user=user, client=client
        )


def user_language_set(*, user: User, language: str) -> None:
    """Save the language the pages speak to `user` (one of settings.LANGUAGES, or "" for the
    browser's)."""
    user.language = language
    user.save(update_fields=["language"])
