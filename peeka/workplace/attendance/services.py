"""Writes of attendance: register and revoke kiosk devices (the key is shown once, only its hash
is kept) and record punches, the direction taken from the member's state under a row lock, so
two punches at once cannot both be "in"."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from peeka.errors import PeekaError, gettext_noop
from peeka.workplace.attendance.models import Direction, KioskDevice, Method, Punch
from peeka.workplace.org.models import Member

OPEN_SHIFT_HOURS = 16
"""An "in" older than this with no "out" is a shift left open: the next punch is an "in" again
and the open one is flagged for a correction."""
KEY_PREFIX = "pkk_"


class KioskError(PeekaError):
    code = "kiosk_invalid"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


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
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    device = KioskDevice.objects.create(name=name, key_hash=key_hash(key))
    return device, key


def kiosk_revoke(*, device: KioskDevice) -> None:
    KioskDevice.objects.filter(pk=device.pk).update(active=False)


def punch_record(
    *,
    member: Member,
    method: str,
    device: KioskDevice | None = None,
    at: dt.datetime | None = None,
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
            member=member, at=at, direction=direction, method=method, device=device
        )
