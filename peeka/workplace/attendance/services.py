"""Writes of attendance: register and revoke kiosk devices (the key is shown once, only its hash
is kept) and record punches, the direction taken from the member's state under a row lock, so
two punches at once cannot both be "in"."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from peeka.accounts.models import User
from peeka.errors import PeekaError, gettext_noop
from peeka.faces import flows
from peeka.faces.flows import FaceCheck
from peeka.security.client import ClientInfo
from peeka.security.services import (
    LockoutRule,
    ThrottledError,
    audit_record,
    lockout_check,
    lockout_failed,
    lockout_reset,
    lockout_succeeded,
    name_lockout_check,
    name_lockout_failed,
    rate_limit,
)
from peeka.workplace.attendance import selectors
from peeka.workplace.attendance.models import (
    OPEN_SHIFT_HOURS,
    Direction,
    Fallback,
    KioskDevice,
    KioskPin,
    Method,
    Punch,
    WorkSchedule,
)
from peeka.workplace.attendance.selectors import key_hash
from peeka.workplace.org.models import Member

KEY_PREFIX = "pkk_"


class KioskError(PeekaError):
    code = "kiosk_invalid"


def kiosk_create(*, name: str) -> tuple[KioskDevice, str]:
    """A new kiosk device and its key, to be shown once."""
    name = name.strip()
    if not name or len(name) > 100:
        raise KioskError(gettext_noop("A kiosk needs a name of 1 to 100 characters."))
    if KioskDevice.objects.filter(name=name).exists():
        raise KioskError(
            gettext_noop("A kiosk named %(name)s exists already."),
            code="kiosk_exists",
            params={"name": name},
        )
    device = KioskDevice(name=name)
    key = kiosk_key_issue(device=device)
    device.save()
    return device, key


def kiosk_key_issue(*, device: KioskDevice) -> str:
    """A new key for `device` (saved by the caller): only its hash is kept on the row."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    device.key_hash = key_hash(key)
    return key


def kiosk_revoke(*, device: KioskDevice) -> None:
    KioskDevice.objects.filter(pk=device.pk).update(active=False)


def punch_record(
    *,
    member: Member,
    method: str,
    device: KioskDevice | None = None,
    at: dt.datetime | None = None,
    fallback: str = "",
) -> Punch:
    """A punch of `member` now (or `at`): "out" when the member is in (an "in" within
    `OPEN_SHIFT_HOURS`), else "in"; an older "in" left open is flagged."""
    if method not in Method.values:
        raise KioskError(gettext_noop("Unknown punch method."), code="punch_invalid")
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()  # one punch at a time
        # The clock is read under the lock: a punch that waited for another sees it as earlier.
        at = at or timezone.now()
        last = Punch.objects.filter(member=member, at__lte=at).order_by("-at").first()
        direction = Direction.IN
        if last is not None and last.direction == Direction.IN:
            if at - last.at <= dt.timedelta(hours=OPEN_SHIFT_HOURS):
                direction = Direction.OUT
            else:
                Punch.objects.filter(pk=last.pk).update(open_shift=True)
        return Punch.objects.create(
            member=member,
            at=at,
            direction=direction,
            method=method,
            device=device,
            fallback=fallback,
        )


# --- the kiosk and the member's own punches -----------------------------------------------

KIOSK_PIN = LockoutRule(
    "kiosk_pin",
    backoff_after=3,
    backoff_seconds=30.0,
    backoff_growth=2.0,
    backoff_max_seconds=3600.0,
    disable_after=10,  # NIST SP 800-63B-4 limits an activation secret to 10 wrong tries
    disabled_code="pin_disabled",
    disabled_message=gettext_noop(
        "This kiosk PIN is locked after too many wrong tries. Set a new one on your "
        "attendance page."
    ),
)
"""Wrong PINs at the kiosk, per member: 30 s after 3, doubling up to an hour, locked at 10
until the member sets a new PIN. An employee number nobody has is counted the same way."""
PIN_DIGITS = (6, 8)


@dataclass(frozen=True)
class Punched:
    """A punch made, with what the kiosk shows: the member's name and hours so far today."""

    punch: Punch
    member: Member
    hours_today: float


def _punched(
    member: Member, method: str, device: KioskDevice | None, fallback: str = ""
) -> Punched:
    punch = punch_record(member=member, method=method, device=device, fallback=fallback)
    zone = selectors.member_zone(member)
    day = punch.at.astimezone(zoneinfo.ZoneInfo(zone)).date()
    return Punched(punch, member, selectors.hours_on(member=member, day=day, zone=zone))


def _active_member(user: User | None) -> Member | None:
    if user is None:
        return None
    return Member.objects.filter(user=user, active=True).select_related("user").first()


def kiosk_identify_step(
    *,
    device: KioskDevice,
    challenge_id: str,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    client: ClientInfo,
) -> tuple[FaceCheck, Member | None]:
    """A step of the kiosk's identification challenge; after the last, the member found (an
    enrolled account that is no active member is not found). Nothing is punched yet: the
    member confirms the name first (`kiosk_face_punch`)."""
    checked = flows.challenge_answer(
        challenge_id=challenge_id,
        purpose="kiosk",
        frames=frames,
        timestamps_ms=timestamps_ms,
        client=client,
        scope=device.scope,
    )
    member = _active_member(checked.user) if checked.passed else None
    return checked, member


def kiosk_face_punch(*, device: KioskDevice, challenge_id: str, client: ClientInfo) -> Punched:
    """The punch of the member a passed identification challenge of `device` found, once the
    member confirmed the name: the challenge is used up, so it punches once."""
    checked = flows.face_identify(
        frame=None, client=client, channel="kiosk", challenge_id=challenge_id, scope=device.scope
    )
    member = _active_member(checked.user) if checked.passed else None
    if member is None:
        raise KioskError(
            gettext_noop("The face check is over or was not passed. Start again."),
            code="face_not_confirmed",
        )
    return _punched(member, Method.FACE, device)


def kiosk_image_punch(*, device: KioskDevice, image: bytes, client: ClientInfo) -> Punched | None:
    """The punch of the member in `image`, for a deployment that turned liveness off (the
    API); None when the face is nobody's. A bad picture raises its `ImageError`."""
    if settings.PEEKA_LIVENESS:
        raise KioskError(
            gettext_noop("This server needs a liveness check: send a passed challenge."),
            code="liveness_required",
        )
    checked = flows.face_identify(frame=image, client=client, channel="kiosk")
    if checked.image_error is not None:
        raise checked.image_error
    member = _active_member(checked.user) if checked.passed else None
    return _punched(member, Method.FACE, device) if member is not None else None


@sensitive_variables("pin")
def kiosk_pin_punch(
    *,
    device: KioskDevice,
    employee_number: str,
    pin: str,
    fallback: str,
    client: ClientInfo,
) -> Punched:
    """The fallback: employee number and PIN, with the reason the face was not used. Each try
    is counted per member under `KIOSK_PIN` (an unknown number under its own name, with the
    same hashing work) and audited, refused and throttled ones too."""
    if fallback not in Fallback.values:
        raise KioskError(gettext_noop("Choose why you are not using your face."), code="pin_reason")
    rate_limit(scope="kiosk_pin", ident=device.scope)
    number = employee_number.strip()[:20]
    member = Member.objects.filter(employee_number__iexact=number, active=True).first()
    stored = KioskPin.objects.filter(member=member).first() if member is not None else None
    name = f"kiosk-pin:{number.casefold()}"
    try:
        if member is not None:
            counted = lockout_check(user=member.user, rule=KIOSK_PIN, claim=True)
        else:
            counted = name_lockout_check(name=name, rule=KIOSK_PIN, claim=True)
    except ThrottledError as exc:
        _pin_audit(member, number, False, exc.code, client)
        raise
    # The same hashing work whether or not the number has a PIN (Django's ModelBackend trick).
    ok = check_password(pin, stored.pin_hash if stored is not None else "")
    if member is None or stored is None or not ok:
        if member is not None:
            lockout_failed(user=member.user, rule=KIOSK_PIN, counted=counted)
        else:
            name_lockout_failed(name=name, rule=KIOSK_PIN, counted=counted)
        reason = "no_pin" if member is not None and stored is None else "bad_credentials"
        _pin_audit(member, number, False, reason, client)
        raise KioskError(gettext_noop("The employee number or the PIN is wrong."), code="pin_wrong")
    lockout_succeeded(user=member.user, rule=KIOSK_PIN)
    _pin_audit(member, number, True, fallback, client)
    return _punched(member, Method.PIN, device, fallback=fallback)


def _pin_audit(
    member: Member | None, number: str, success: bool, reason: str, client: ClientInfo
) -> None:
    audit_record(
        event="kiosk_pin",
        success=success,
        reason=reason,
        user=member.user if member is not None else None,
        username=number,
        client=client,
    )


@sensitive_variables("pin")
def pin_set(*, member: Member, pin: str, client: ClientInfo) -> None:
    """Set the member's kiosk PIN (6 to 8 digits, not one digit repeated nor a run like
    123456); a locked PIN may be tried again. Audited."""
    low, high = PIN_DIGITS
    if not (pin.isascii() and pin.isdigit() and low <= len(pin) <= high):
        raise KioskError(
            gettext_noop("A PIN has %(low)d to %(high)d digits."),
            code="pin_invalid",
            params={"low": low, "high": high},
        )
    steps = {int(b) - int(a) for a, b in itertools.pairwise(pin)}
    if steps <= {0} or steps == {1} or steps == {-1}:
        raise KioskError(
            gettext_noop("This PIN is too easy to guess: avoid repeated digits and runs."),
            code="pin_weak",
        )
    with transaction.atomic():
        KioskPin.objects.update_or_create(member=member, defaults={"pin_hash": make_password(pin)})
        lockout_reset(user=member.user, rule=KIOSK_PIN)
        audit_record(event="kiosk_pin_set", success=True, user=member.user, client=client)


def self_punch_step(
    *,
    member: Member,
    challenge_id: str,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    client: ClientInfo,
) -> tuple[FaceCheck, Punched | None]:
    """A step of the member's own face check for a punch from the dashboard; after a passed
    last step, the punch (no device)."""
    checked = flows.face_check(
        user=member.user,
        purpose="punch",
        challenge_id=challenge_id,
        frames=frames,
        timestamps_ms=timestamps_ms,
        client=client,
    )
    if not checked.passed:
        return checked, None
    return checked, _punched(member, Method.FACE, None)


def kiosk_enter(*, key: str, client: ClientInfo) -> KioskDevice | None:
    """The active device whose key a browser offers to become a kiosk, or None; tries are
    limited per address (`ThrottledError`) and audited."""
    try:
        rate_limit(scope="kiosk_setup", ident=client.ip or "-")
    except ThrottledError as exc:
        if exc.first:
            audit_record(event="kiosk_enter", success=False, reason=exc.code, client=client)
        raise
    device = selectors.kiosk_find(key=key)
    reason = "ok" if device is not None else "bad_key"
    audit_record(
        event="kiosk_enter",
        success=device is not None,
        reason=reason,
        username=device.name if device is not None else "",
        client=client,
    )
    return device


# --- work schedules ------------------------------------------------------------------------


def schedule_make_default(*, schedule: WorkSchedule) -> WorkSchedule:
    """Make `schedule` the one default (the schedule of every member without their own): the
    old default stops being it in the same transaction, so there are never two."""
    with transaction.atomic():
        WorkSchedule.objects.filter(default=True).exclude(pk=schedule.pk).update(default=False)
        WorkSchedule.objects.filter(pk=schedule.pk).update(default=True)
    schedule.default = True
    return schedule


def punch_correct(*, member: Member, at: dt.datetime, direction: str) -> Punch:
    """A punch added by an approved correction request: the direction as requested (not
    taken from the member's state), made "by hand"."""
    if direction not in Direction.values:
        raise KioskError(gettext_noop("In or out?"), code="punch_invalid")
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        return Punch.objects.create(member=member, at=at, direction=direction, method=Method.MANUAL)
