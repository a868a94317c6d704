"""Reads of the security view: failed face attempts and lockouts per hour from the audit log,
liveness rejections by check, the kiosks, members without a second factor, and the alerts.

What counts (the audit log's codes, `peeka.security.labels` has their words):
- a failed face attempt is a refused or failed event that is a face check: its name is in
  `FACE_EVENTS` or starts with one of `FACE_EVENT_PREFIXES` (every liveness check, of any
  purpose, present or added later); starting a check (`challenge_*`) is not an attempt;
- a lockout is a refusal of any event because of a throttle: its reason is `throttled` (a
  back-off after consecutive failures) or ends with `_disabled` (a factor or the kiosk PIN
  turned off after too many);
- a liveness rejection is a failed `liveness_*` event, by its reason (the check that failed).

Hours are clock hours in UTC (the same in every time zone a whole number of hours away), read
with `AuditEvent.time`'s index: one range scan and a GROUP BY per question."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext_lazy

from peeka.accounts.models import RecoveryCode, TotpDevice
from peeka.faces.models import FaceTemplate
from peeka.security.clock import now as security_now
from peeka.security.labels import reason_label
from peeka.security.models import AuditEvent
from peeka.workplace.attendance.models import KioskDevice, Punch
from peeka.workplace.dashboards.models import Alert
from peeka.workplace.org.models import Member
from peeka.workplace.org.selectors import can_manage_members

FACE_EVENTS = frozenset(
    {"face_login", "face_login_1n", "kiosk_identify", "api_verify", "api_identify"}
)
"""Face checks that are not liveness checks: a face matched to a claimed name, searched among
everyone, at the kiosk, or for an API client."""
FACE_EVENT_PREFIXES = ("liveness_",)
"""Every liveness check (`liveness_login`, `liveness_kiosk`, `liveness_api`, ...)."""
LOCKOUT_REASON = "throttled"
LOCKOUT_REASON_SUFFIX = "_disabled"
LIVENESS_PREFIX = "liveness_"
CHART_HOURS = 24
KIOSK_SETUP_LOOKBACK = dt.timedelta(days=400)
"""How far back the kiosk set-ups are read to name the address of a kiosk: a kiosk's browser
keeps its device key for 400 days at most."""
RECENT_ALERTS = 20


def utc_now() -> dt.datetime:
    """The security clock's time (tests freeze it), as an aware datetime."""
    return dt.datetime.fromtimestamp(security_now(), tz=dt.UTC)


def hour_floor(at: dt.datetime) -> dt.datetime:
    """The start of the UTC clock hour `at` falls in."""
    return at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def face_failures() -> Q:
    face = Q(event__in=FACE_EVENTS)
    for prefix in FACE_EVENT_PREFIXES:
        face |= Q(event__startswith=prefix)
    return Q(success=False) & face


def lockouts() -> Q:
    throttle = Q(reason=LOCKOUT_REASON) | Q(reason__endswith=LOCKOUT_REASON_SUFFIX)
    return Q(success=False) & throttle


def can_view_security(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """HR administrators and the deployment's superusers."""
    return can_manage_members(user=user)


# --- per hour ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HourCount:
    start: dt.datetime
    """The start of the UTC hour."""
    face_failures: int
    lockouts: int


def hourly_counts(*, first: dt.datetime, hours: int) -> list[HourCount]:
    """Failed face attempts and lockouts in each of `hours` clock hours from the one `first`
    falls in, oldest first (hours with none too)."""
    start = hour_floor(first)
    end = start + dt.timedelta(hours=hours)
    rows = (
        AuditEvent.objects.filter(time__gte=start, time__lt=end)
        .filter(face_failures() | lockouts())
        .order_by()  # no default ordering in the GROUP BY
        .annotate(hour=TruncHour("time", tzinfo=dt.UTC))
        .values("hour")
        .annotate(
            faces=Count("pk", filter=face_failures()),
            locks=Count("pk", filter=lockouts()),
        )
    )
    found = {hour_floor(row["hour"]): (row["faces"], row["locks"]) for row in rows}
    counts = []
    for i in range(hours):
        hour = start + dt.timedelta(hours=i)
        faces, locks = found.get(hour, (0, 0))
        counts.append(HourCount(hour, faces, locks))
    return counts


@dataclass(frozen=True)
class Bar:
    start: dt.datetime
    count: int
    x: int
    y: int
    height: int
    label: bool
    """Whether the hour is named under the chart (every sixth)."""

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(hours=1)


@dataclass(frozen=True)
class Chart:
    """Bars drawn server-side as SVG attributes (the CSP forbids inline styles)."""

    bars: list[Bar]
    total: int
    highest: int

    STEP = 40
    BAR_WIDTH = 30
    PLOT_HEIGHT = 110
    BASELINE_Y = 115
    HEIGHT = 135

    @property
    def width(self) -> int:
        return self.STEP * len(self.bars)

    @classmethod
    def of(cls, starts: list[dt.datetime], counts: list[int]) -> Chart:
        highest = max(counts, default=0)
        bars = []
        for i, (start, count) in enumerate(zip(starts, counts, strict=True)):
            height = round(count * cls.PLOT_HEIGHT / highest) if highest else 0
            height = max(height, 1 if count else 0)
            bars.append(
                Bar(
                    start=start,
                    count=count,
                    x=i * cls.STEP + (cls.STEP - cls.BAR_WIDTH) // 2,
                    y=cls.BASELINE_Y - height,
                    height=height,
                    label=i % 6 == 0,
                )
            )
        return cls(bars, sum(counts), highest)


# --- liveness, kiosks, factors, alerts -----------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    reason: str
    label: str
    last_day: int
    last_week: int


def liveness_rejections(*, now: dt.datetime) -> list[Rejection]:
    """Failed liveness checks by the check that failed, in the last 24 hours and 7 days, most
    frequent first."""
    day, week = now - dt.timedelta(days=1), now - dt.timedelta(days=7)
    rows = (
        AuditEvent.objects.filter(
            time__gte=week, time__lte=now, success=False, event__startswith=LIVENESS_PREFIX
        )
        .order_by()
        .values("reason")
        .annotate(week=Count("pk"), day=Count("pk", filter=Q(time__gte=day)))
    )
    found = [
        Rejection(row["reason"], _reason_words(row["reason"]), row["day"], row["week"])
        for row in rows
    ]
    return sorted(found, key=lambda r: (-r.last_week, -r.last_day, r.label))


# Translators: in the table of failed liveness checks, a failure recorded without its check
_NO_REASON = gettext_lazy("No reason recorded")


def _reason_words(reason: str) -> str:
    return reason_label(reason) if reason else str(_NO_REASON)


@dataclass(frozen=True)
class KioskRow:
    device: KioskDevice
    last_punch: dt.datetime | None
    punches_today: int
    failed_pins_today: int
    addresses: list[str]
    """The addresses the kiosk was last set up from, that today's PIN failures are matched to."""


@dataclass(frozen=True)
class Kiosks:
    rows: list[KioskRow]
    failed_pins_today: int
    """All failed kiosk PIN tries today, including those from no known kiosk's address."""
    unattributed_pins_today: int


def kiosks(*, now: dt.datetime) -> Kiosks:
    """Every kiosk device with its last punch and today's punches (the viewer's day), and
    today's failed PIN tries. A PIN try's audit row names no device: it is matched to a kiosk
    by its address, the one a kiosk was last set up from (when only one kiosk was)."""
    local = timezone.localtime(now)
    today = dt.datetime.combine(local.date(), dt.time.min, tzinfo=local.tzinfo)
    devices = list(KioskDevice.objects.order_by("name"))
    punches = {
        row["device"]: row
        for row in Punch.objects.filter(device__isnull=False)
        .order_by()
        .values("device")
        .annotate(last=Max("at"), today=Count("pk", filter=Q(at__gte=today, at__lte=now)))
    }
    failed_by_ip: dict[str | None, int] = {
        row["ip"]: row["n"]
        for row in AuditEvent.objects.filter(
            time__gte=today, time__lte=now, event="kiosk_pin", success=False
        )
        .order_by()
        .values("ip")
        .annotate(n=Count("pk"))
    }
    addresses = _kiosk_addresses(devices, [ip for ip in failed_by_ip if ip], now)
    rows = []
    attributed = 0
    for device in devices:
        row = punches.get(device.pk, {})
        mine = addresses.get(device.name, [])
        failed = sum(failed_by_ip.get(ip, 0) for ip in mine)
        attributed += failed
        rows.append(KioskRow(device, row.get("last"), row.get("today", 0), failed, mine))
    total = sum(failed_by_ip.values())
    return Kiosks(rows, total, total - attributed)


def _kiosk_addresses(
    devices: list[KioskDevice], ips: list[str], now: dt.datetime
) -> dict[str, list[str]]:
    """Of `ips`, those each kiosk (by name) was last set up from, when no other kiosk was."""
    if not ips or not devices:
        return {}
    setups = (
        AuditEvent.objects.filter(
            time__gte=now - KIOSK_SETUP_LOOKBACK,
            time__lte=now,
            event="kiosk_enter",
            success=True,
            ip__in=ips,
            username__in=[d.name for d in devices],
        )
        .order_by("ip", "-time", "-pk")
        .values_list("ip", "username")
    )
    latest: dict[str, str] = {}
    for ip, name in setups:
        if ip is not None:
            latest.setdefault(ip, name)  # the newest set-up from each address
    by_name: dict[str, list[str]] = {}
    for ip, name in sorted(latest.items()):
        by_name.setdefault(name, []).append(ip)
    return by_name


@dataclass(frozen=True)
class WithoutSecondFactor:
    member: Member
    recovery_codes: bool
    """Unused recovery codes left: they stand in for a second factor, they are not one."""


def members_without_second_factor() -> list[WithoutSecondFactor]:
    """Active members whose account has neither a face enrolled nor an authenticator app (as
    `peeka.accounts.mfa.has_second_factor` decides, for every member in three queries' worth of
    subqueries): only a password, and perhaps recovery codes."""
    user = OuterRef("user_id")
    members: QuerySet[Member] = (
        Member.objects.filter(active=True, user__is_active=True)
        .annotate(
            face=Exists(FaceTemplate.objects.filter(user_id=user)),
            totp=Exists(TotpDevice.objects.filter(user_id=user, confirmed=True)),
            codes=Exists(RecoveryCode.objects.filter(user_id=user, used_at__isnull=True)),
        )
        .filter(face=False, totp=False)
        .select_related("department", "user")
        .order_by("department__code", "name")
    )
    return [WithoutSecondFactor(m, bool(getattr(m, "codes", False))) for m in members]


def recent_alerts(*, limit: int = RECENT_ALERTS) -> list[Alert]:
    return list(
        Alert.objects.select_related("acknowledged_by").order_by("-window_start", "kind")[:limit]
    )


def unacknowledged_alerts() -> list[Alert]:
    return list(Alert.objects.filter(acknowledged_at__isnull=True).order_by("-window_start"))


def unacknowledged_alerts_count(*, user: AbstractBaseUser | AnonymousUser | None = None) -> int:
    """Alerts nobody acknowledged yet (one COUNT), for the navigation's badge; with `user`,
    0 for anyone who may not see the security view."""
    if user is not None and not can_view_security(user=user):
        return 0
    return Alert.objects.filter(acknowledged_at__isnull=True).count()


def alert_find(*, alert_id: int) -> Alert | None:
    return Alert.objects.filter(pk=alert_id).first()


# --- the whole view ------------------------------------------------------------------------


@dataclass(frozen=True)
class SecurityOverview:
    now: dt.datetime
    face_chart: Chart
    lockout_chart: Chart
    rejections: list[Rejection]
    kiosks: Kiosks
    without_second_factor: list[WithoutSecondFactor]
    open_alerts: list[Alert]
    recent_alerts: list[Alert]


def security_overview(*, now: dt.datetime | None = None) -> SecurityOverview:
    """Everything the security view shows, up to `now` (the security clock's by default): the
    last 24 hours (this one so far included) hour by hour, and the rest."""
    now = now or utc_now()
    hours = hourly_counts(
        first=hour_floor(now) - dt.timedelta(hours=CHART_HOURS - 1), hours=CHART_HOURS
    )
    starts = [h.start for h in hours]
    return SecurityOverview(
        now=now,
        face_chart=Chart.of(starts, [h.face_failures for h in hours]),
        lockout_chart=Chart.of(starts, [h.lockouts for h in hours]),
        rejections=liveness_rejections(now=now),
        kiosks=kiosks(now=now),
        without_second_factor=members_without_second_factor(),
        open_alerts=unacknowledged_alerts(),
        recent_alerts=recent_alerts(),
    )
