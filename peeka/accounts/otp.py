"""Something the user has: an authenticator app (TOTP, RFC 6238, by pyotp) and single-use
recovery codes.

The TOTP secret is wrapped by the key vault and bound to its user; a code is accepted once
(the last accepted time step is kept) and one step early or late for clock drift. Recovery
codes are shown once and kept as Argon2 hashes. Wrong codes of both kinds count toward one
lockout (`peeka.security.services.CODES`)."""

from __future__ import annotations

import secrets

import pyotp
import segno
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from peeka.accounts.models import RecoveryCode, TotpDevice, User
from peeka.security.clock import now
from peeka.security.services import CODES, lockout_check, lockout_failed, lockout_succeeded
from peeka.security.vault import vault

ISSUER = "Peeka"
RECOVERY_CODES = 10
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
"""No 0/o, 1/l/i: codes are read off paper."""
_LOOKUP = 2
_CODE_LENGTH = 12
"""2 lookup characters and 10 secret ones (49 bits, hashed with Argon2 and tried at most 100
times before codes are disabled)."""


class SetupError(ValueError):
    """An authenticator set-up that cannot go on; the message says why."""


def _context(user: User) -> bytes:
    return f"user:{user.pk}/totp".encode()


def _secret(device: TotpDevice) -> str:
    return vault().unwrap(bytes(device.wrapped_secret), context=_context(device.user)).decode()


def has_totp(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed=True).exists()


def begin_totp(user: User) -> str:
    """A new secret for `user`'s authenticator, kept unconfirmed until `confirm_totp`; the
    otpauth:// URI to show as a QR code."""
    if has_totp(user):
        raise SetupError("An authenticator app is already set up. Remove it first.")
    secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    wrapped = vault().wrap(secret.encode(), context=_context(user))
    TotpDevice.objects.update_or_create(
        user=user, defaults={"wrapped_secret": wrapped, "confirmed": False, "last_step": -1}
    )
    return _uri(user, secret)


def pending_uri(user: User) -> str | None:
    """The URI of the set-up in progress, to show its QR code again."""
    device = TotpDevice.objects.filter(user=user, confirmed=False).first()
    return None if device is None else _uri(user, _secret(device))


def _uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as an inline SVG element."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return svg


def confirm_totp(user: User, code: str) -> bool:
    """Finish the set-up with a first code from the app."""
    device = TotpDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise SetupError("Start the set-up again.")
    if not _accept(device, code):
        return False
    TotpDevice.objects.filter(pk=device.pk).update(confirmed=True)
    return True


def verify_totp(user: User, code: str) -> bool:
    """Whether `code` is `user`'s current authenticator code, not used before. Raises
    `ThrottledError` while wrong codes have locked codes out."""
    lockout_check(user=user, rule=CODES)
    device = TotpDevice.objects.filter(user=user, confirmed=True).first()
    ok = device is not None and _accept(device, code)
    (lockout_succeeded if ok else lockout_failed)(user=user, rule=CODES)
    return ok


def _accept(device: TotpDevice, code: str) -> bool:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(_secret(device))
    current = int(now() // totp.interval)
    for step in (current - 1, current, current + 1):
        if step > device.last_step and pyotp.utils.strings_equal(code, totp.generate_otp(step)):
            # Atomic: two requests racing with one code cannot both win.
            used = TotpDevice.objects.filter(pk=device.pk, last_step__lt=step)
            return used.update(last_step=step) == 1
    return False


def remove_totp(user: User) -> None:
    TotpDevice.objects.filter(user=user).delete()


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes for `user`, replacing any earlier ones; shown once, stored hashed."""
    codes: list[str] = []
    while len(codes) < RECOVERY_CODES:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH))
        if all(code[:_LOOKUP] != other[:_LOOKUP] for other in codes):
            codes.append(code)
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, lookup=code[:_LOOKUP], code_hash=make_password(code))
            for code in codes
        )
    return [f"{c[:4]}-{c[4:8]}-{c[8:]}" for c in codes]


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def use_recovery_code(user: User, code: str) -> bool:
    """Whether `code` is one of `user`'s unused recovery codes; it is then used up. Raises
    `ThrottledError` while wrong codes have locked codes out."""
    lockout_check(user=user, rule=CODES)
    code = "".join(ch for ch in code.lower() if ch.isalnum())
    row = RecoveryCode.objects.filter(
        user=user, used_at__isnull=True, lookup=code[:_LOOKUP]
    ).first()
    ok = (
        len(code) == _CODE_LENGTH
        and row is not None
        and check_password(code, row.code_hash)
        and RecoveryCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        == 1
    )
    (lockout_succeeded if ok else lockout_failed)(user=user, rule=CODES)
    return ok
