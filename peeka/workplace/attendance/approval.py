"""Attendance corrections through electronic approval: a member asks for a missing or wrong
punch with a reason; the final approval adds it "by hand". Registered with the approvals app
when Django starts (`AttendanceConfig.ready`)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone
from django.utils.translation import gettext_lazy

from peeka.errors import gettext_noop
from peeka.workplace.approvals.kinds import ContentError, Field, KindSpec, kind_register
from peeka.workplace.attendance import selectors, services
from peeka.workplace.attendance.models import Direction
from peeka.workplace.org.models import Member

MAX_AGE_DAYS = 31
"""How far back a correction may reach (a month's timesheet is closed after that)."""


def _directions(member: Member) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in Direction.choices]


def _when(member: Member, content: dict[str, str]) -> dt.datetime:
    zone = zoneinfo.ZoneInfo(selectors.member_zone(member))
    day = dt.date.fromisoformat(content["date"])
    return dt.datetime.combine(day, dt.time.fromisoformat(content["time"]), tzinfo=zone)


def _check(member: Member, content: dict[str, str]) -> None:
    at = _when(member, content)
    now = timezone.now()
    if at > now or now - at > dt.timedelta(days=MAX_AGE_DAYS):
        raise ContentError(
            gettext_noop("A correction is for a time in the last %(days)d days."),
            field="date",
            code="correction_date",
            params={"days": MAX_AGE_DAYS},
        )


def _add(document: int, member: Member, content: dict[str, str]) -> None:
    services.punch_correct(member=member, at=_when(member, content), direction=content["direction"])


def register() -> None:
    kind_register(
        "correction",
        KindSpec(
            fields=(
                Field("date", gettext_lazy("Date"), "date"),
                Field("time", gettext_lazy("Time"), "time"),
                Field("direction", gettext_lazy("In or out"), "choice", choices=_directions),
                Field("reason", gettext_lazy("Reason"), "textarea", max_length=1000),
            ),
            check=_check,
            approved=_add,
        ),
    )
