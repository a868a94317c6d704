"""Writes of the dashboards: security alerts raised from the audit log's hourly counts (one per
kind and hour, which a unique constraint keeps so), their e-mails to the HR administrators, and
an HR administrator's acknowledgement (audited).

An hour raises an alert of a kind when its count reaches `max(ALERT_FLOOR, ALERT_FACTOR x
baseline)`, the baseline being the median of the same count over the `BASELINE_HOURS` hours
before it: a quiet deployment is not woken by a handful of mistyped faces, a busy one only by
a real jump. `alerts_check` looks at the hour so far and at the hour before it, so a burst
at the end of an hour still raises its alert when the check runs a few minutes late."""

from __future__ import annotations

import datetime as dt
import logging
import statistics
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext

from peeka.accounts.models import User
from peeka.security.client import ClientInfo
from peeka.security.services import audit_record
from peeka.workplace.dashboards.models import Alert, AlertKind
from peeka.workplace.dashboards.selectors import HourCount, hour_floor, hourly_counts, utc_now
from peeka.workplace.org.models import Member, Role

ALERT_FLOOR = 10
"""No alert below this many in an hour, however quiet the hours before."""
ALERT_FACTOR = 3
"""An alert when an hour has this many times its baseline (and at least `ALERT_FLOOR`)."""
BASELINE_HOURS = 24
LAZY_CHECK_KEY = "peeka:dashboards:alerts_check"
LAZY_CHECK_SECONDS = 60
"""The security view runs `alerts_check` at most this often (whichever process serves it)."""

_COUNTS: dict[str, Callable[[HourCount], int]] = {
    AlertKind.FACE_FAILURES: lambda hour: hour.face_failures,
    AlertKind.LOCKOUTS: lambda hour: hour.lockouts,
}
logger = logging.getLogger(__name__)


def alert_threshold(*, baseline: float) -> float:
    return max(ALERT_FLOOR, ALERT_FACTOR * baseline)


def alerts_check(*, now: dt.datetime | None = None) -> list[Alert]:
    """Raise the alerts the hour so far and the hour before it call for, each once (a second
    run raises none again, and only raises a stored count that grew); the new ones, each
    mailed to the HR administrators when e-mail is set up (PEEKA_EMAIL_ENABLED)."""
    now = now or utc_now()
    first = hour_floor(now) - dt.timedelta(hours=BASELINE_HOURS + 1)
    hours = hourly_counts(first=first, hours=BASELINE_HOURS + 2)
    created: list[Alert] = []
    for index in (len(hours) - 2, len(hours) - 1):  # the hour before, this hour so far
        window, before = hours[index], hours[index - BASELINE_HOURS : index]
        for kind, count_of in _COUNTS.items():
            count = count_of(window)
            baseline = float(statistics.median(count_of(hour) for hour in before))
            if count < alert_threshold(baseline=baseline):
                continue
            alert = _alert_store(
                kind=kind, window=window.start, count=count, baseline=baseline, now=now
            )
            if alert is not None:
                created.append(alert)
    if created and settings.PEEKA_EMAIL_ENABLED:
        transaction.on_commit(lambda: _alerts_mail(created))
    return created


def alerts_check_lazily(*, now: dt.datetime | None = None) -> list[Alert]:
    """`alerts_check`, unless one ran in the last `LAZY_CHECK_SECONDS` (the cache's `add` is
    atomic, so only one of several processes opening the view at once runs it)."""
    if not cache.add(LAZY_CHECK_KEY, 1, timeout=LAZY_CHECK_SECONDS):
        return []
    return alerts_check(now=now)


def _alert_store(
    *, kind: str, window: dt.datetime, count: int, baseline: float, now: dt.datetime
) -> Alert | None:
    """The new alert, or None when the window had one already (its count raised if higher)."""
    with transaction.atomic():
        alert, new = Alert.objects.get_or_create(
            kind=kind,
            window_start=window,
            defaults={"count": count, "baseline": baseline, "created_at": now},
        )
        if not new:
            Alert.objects.filter(pk=alert.pk, count__lt=count).update(count=count)
    return alert if new else None


def alert_acknowledge(
    *, alert: Alert, user: User, client: ClientInfo | None = None, now: dt.datetime | None = None
) -> bool:
    """Mark `alert` as seen by `user` (audited); False when someone acknowledged it already."""
    with transaction.atomic():
        changed = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now or utc_now(), acknowledged_by=user
        )
        if changed:
            audit_record(
                event="alert_acknowledge", success=True, reason=alert.kind, user=user, client=client
            )
    alert.refresh_from_db()
    return bool(changed)


# --- e-mail --------------------------------------------------------------------------------


def _alerts_mail(alerts: list[Alert]) -> None:
    recipients = _recipients()
    for alert in alerts:
        for address, user in recipients:
            language = user.language or settings.LANGUAGE_CODE
            zone = zoneinfo.ZoneInfo(user.time_zone or settings.TIME_ZONE)
            with translation.override(language), timezone.override(zone):
                subject, body = _alert_message(alert, zone=str(zone))
            try:
                send_mail(subject, body, None, [address])
            except OSError:  # smtplib's errors too: the alert stays on the security view
                logger.exception("The security alert %s was not mailed to %s", alert.pk, address)


def _recipients() -> list[tuple[str, User]]:
    """Each active HR administrator's address (the directory's, else the account's), once."""
    found: dict[str, tuple[str, User]] = {}
    admins = Member.objects.filter(active=True, role=Role.HR_ADMIN, user__is_active=True)
    for member in admins.select_related("user").order_by("employee_number"):
        address = member.email or member.user.email
        if address:
            found.setdefault(address.lower(), (address, member.user))
    return list(found.values())


def _alert_message(alert: Alert, *, zone: str) -> tuple[str, str]:
    """The subject and body in the active language and time zone."""
    start = timezone.localtime(alert.window_start)
    params = {
        "count": alert.count,
        "start": formats.date_format(start, "DATETIME_FORMAT"),
        "end": formats.time_format(start + dt.timedelta(hours=1), "TIME_FORMAT"),
        "zone": zone,
    }
    if alert.kind == AlertKind.LOCKOUTS:
        what = ngettext(
            "%(count)d lockout between %(start)s and %(end)s (%(zone)s).",
            "%(count)d lockouts between %(start)s and %(end)s (%(zone)s).",
            alert.count,
        )
    else:
        what = ngettext(
            "%(count)d failed face attempt between %(start)s and %(end)s (%(zone)s).",
            "%(count)d failed face attempts between %(start)s and %(end)s (%(zone)s).",
            alert.count,
        )
    baseline = formats.number_format(alert.baseline, decimal_pos=1)
    lines = [
        what % params,
        gettext("An hour usually has %(baseline)s (the median of the 24 hours before).")
        % {"baseline": baseline},
        "",
        gettext("Open the security view to see what happened and acknowledge the alert: %(path)s")
        % {"path": reverse("dashboards:security")},
    ]
    subject = gettext("Peeka security alert: %(kind)s") % {"kind": alert.get_kind_display()}
    return subject, "\n".join(lines) + "\n"
