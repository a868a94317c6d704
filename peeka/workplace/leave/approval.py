"""Leave through electronic approval: a leave request books the leave when it is finally
approved; a cancellation request, approved, gives a booking that has not started back.
Registered with the approvals app when Django starts (`LeaveConfig.ready`)."""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy

from peeka.errors import gettext_noop
from peeka.workplace.approvals.kinds import ContentError, Field, KindSpec, kind_register
from peeka.workplace.leave import services
from peeka.workplace.leave.models import LeaveBooking, LeaveType
from peeka.workplace.org.models import Member


def _types(member: Member) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in LeaveType.choices]


def _check_request(member: Member, content: dict[str, str]) -> None:
    services.leave_plan(
        member=member,
        leave_type=content["leave_type"],
        start=dt.date.fromisoformat(content["start"]),
        end=dt.date.fromisoformat(content["end"] or content["start"]),
    )


def _book(document: int, member: Member, content: dict[str, str]) -> None:
    services.leave_book(
        member=member,
        leave_type=content["leave_type"],
        start=dt.date.fromisoformat(content["start"]),
        end=dt.date.fromisoformat(content["end"] or content["start"]),
        document=document,
    )


def _cancellable(member: Member) -> list[tuple[str, str]]:
    bookings = LeaveBooking.objects.filter(
        member=member, cancelled_at=None, start__gt=timezone.localdate()
    ).order_by("start")
    return [(str(b.pk), _describe(b)) for b in bookings]


def _describe(booking: LeaveBooking) -> str:
    start = formats.date_format(booking.start, "SHORT_DATE_FORMAT")
    end = formats.date_format(booking.end, "SHORT_DATE_FORMAT")
    span = start if booking.start == booking.end else f"{start} \N{EN DASH} {end}"
    return f"{LeaveType(booking.leave_type).label} {span}"


def _booking(member: Member, content: dict[str, str]) -> LeaveBooking:
    booking = LeaveBooking.objects.filter(
        pk=int(content["booking"]), member=member, cancelled_at=None
    ).first()
    if booking is None or booking.start <= timezone.localdate():
        raise ContentError(
            gettext_noop("Only your leave that has not started can be cancelled."),
            field="booking",
            code="leave_started",
        )
    return booking


def _check_cancel(member: Member, content: dict[str, str]) -> None:
    _booking(member, content)


def _cancel(document: int, member: Member, content: dict[str, str]) -> None:
    services.leave_cancel(booking=_booking(member, content))


def register() -> None:
    kind_register(
        "leave",
        KindSpec(
            fields=(
                Field("leave_type", gettext_lazy("Type of leave"), "choice", choices=_types),
                Field("start", gettext_lazy("First day"), "date"),
                Field("end", gettext_lazy("Last day"), "date", required=False),
                Field(
                    "reason", gettext_lazy("Reason"), "textarea", required=False, max_length=1000
                ),
            ),
            check=_check_request,
            approved=_book,
        ),
    )
    kind_register(
        "leave_cancel",
        KindSpec(
            fields=(
                Field("booking", gettext_lazy("Leave to cancel"), "choice", choices=_cancellable),
                Field(
                    "reason", gettext_lazy("Reason"), "textarea", required=False, max_length=1000
                ),
            ),
            check=_check_cancel,
            approved=_cancel,
        ),
    )
