"""Writes of the calendar: events (checked whole before anything is saved: who may write that
scope, times in order, a repeat rule that is RFC 5545 and not more frequent than daily), and
the members' feed tokens (a random secret shown once, only its hash kept). Changing or
deleting someone else's event, and issuing a feed, are audited."""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from peeka.errors import FieldError, gettext_noop
from peeka.security.client import ClientInfo
from peeka.security.services import audit_record
from peeka.workplace.calendar import recurrence, selectors
from peeka.workplace.calendar.models import Event, FeedToken, Scope
from peeka.workplace.org.models import Department, Member

MAX_DESCRIPTION = 10_000
MAX_EVENT_DAYS = 366
"""An event lasts at most a year; a longer one is a repeat rule's work."""
FIRST_YEAR, LAST_YEAR = 1900, 2200


class EventError(FieldError):
    """An event that cannot be saved as given; `field` names the input at fault (None: the
    event as a whole)."""

    code = "event_invalid"


class EventForbiddenError(EventError):
    code = "event_forbidden"


def event_create(
    *,
    actor: Member,
    title: str,
    scope: str,
    start: dt.date,
    end: dt.date,
    time_zone: str,
    all_day: bool = False,
    department: Department | None = None,
    description: str = "",
    location: str = "",
    rrule: str = "",
) -> Event:
    """A new event of `actor`. `start` and `end` (exclusive) are aware datetimes, or for an
    all-day event dates (of a datetime, its date in `time_zone`): 24-26 September is
    `start=date(…, 9, 24), end=date(…, 9, 27)`. `EventForbiddenError` when `actor` may not
    write to `scope`/`department`, `EventError` for anything else amiss."""
    department = department if scope == Scope.DEPARTMENT else None
    _scope_check(scope, department)
    if not selectors.may_create(member=actor, scope=scope, department=department):
        raise _forbidden_scope(scope)
    event = Event(owner=actor)
    _fill(
        event,
        title=title,
        scope=scope,
        department=department,
        start=start,
        end=end,
        time_zone=time_zone,
        all_day=all_day,
        description=description,
        location=location,
        rrule=rrule,
    )
    with transaction.atomic():
        event.save()
    return event


def event_update(
    *,
    event: Event,
    actor: Member,
    client: ClientInfo,
    title: str,
    scope: str,
    start: dt.date,
    end: dt.date,
    all_day: bool = False,
    department: Department | None = None,
    description: str = "",
    location: str = "",
    rrule: str = "",
) -> Event:
    """Change `event` as `event_create` would write it (it keeps its time zone). The owner or
    an HR administrator (`selectors.may_change`); a new scope or department must be one
    `actor` may write to. Audited when `actor` is not the owner."""
    if not selectors.may_change(member=actor, event=event):
        raise EventForbiddenError(gettext_noop("You may not change this event."))
    department = department if scope == Scope.DEPARTMENT else None
    _scope_check(scope, department)
    moved = scope != event.scope or (department.pk if department else None) != event.department_id
    if moved and not selectors.may_create(member=actor, scope=scope, department=department):
        raise _forbidden_scope(scope)
    _fill(
        event,
        title=title,
        scope=scope,
        department=department,
        start=start,
        end=end,
        time_zone=event.time_zone,
        all_day=all_day,
        description=description,
        location=location,
        rrule=rrule,
    )
    with transaction.atomic():
        event.save()
        if event.owner_id != actor.pk:
            audit_record(
                event="calendar_event_update",
                success=True,
                reason=f"event:{event.pk}",
                user=actor.user,
                client=client,
            )
    return event


def event_delete(*, event: Event, actor: Member, client: ClientInfo) -> None:
    """Delete `event` (every repetition). The owner or an HR administrator; audited when
    `actor` is not the owner."""
    if not selectors.may_change(member=actor, event=event):
        raise EventForbiddenError(gettext_noop("You may not delete this event."))
    with transaction.atomic():
        if event.owner_id != actor.pk:
            audit_record(
                event="calendar_event_delete",
                success=True,
                reason=f"event:{event.pk}",
                user=actor.user,
                client=client,
            )
        event.delete()


def _scope_check(scope: str, department: Department | None) -> None:
    if scope not in Scope.values:
        raise EventError(gettext_noop("Choose who sees the event."), field="scope")
    if scope == Scope.DEPARTMENT and department is None:
        raise EventError(gettext_noop("Choose the department."), field="department")


def _forbidden_scope(scope: str) -> EventForbiddenError:
    if scope == Scope.COMPANY:
        message = gettext_noop("Only HR administrators and executives add company events.")
    elif scope == Scope.DEPARTMENT:
        message = gettext_noop(
            "Only managers and executives of the department or above, and HR administrators, "
            "add its events."
        )
    else:
        message = gettext_noop("Only members of the company add events.")
    return EventForbiddenError(message, field="scope" if scope != Scope.PERSONAL else None)


def _fill(
    event: Event,
    *,
    title: str,
    scope: str,
    department: Department | None,
    start: dt.date,
    end: dt.date,
    time_zone: str,
    all_day: bool,
    description: str,
    location: str,
    rrule: str,
) -> None:
    """Check every input and set it on `event`, or raise `EventError` for the first problem."""
    title, location, description = title.strip(), location.strip(), description.strip()
    if not title:
        raise EventError(gettext_noop("Give the event a title."), field="title")
    if len(title) > 200:
        raise EventError(gettext_noop("A title has at most 200 characters."), field="title")
    if len(location) > 200:
        raise EventError(gettext_noop("A location has at most 200 characters."), field="location")
    if len(description) > MAX_DESCRIPTION:
        raise EventError(
            gettext_noop("A description has at most 10,000 characters."), field="description"
        )
    try:
        zone = ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise EventError(gettext_noop("Unknown time zone.")) from None
    begins, ends = _span(start, end, all_day, zone)
    try:
        canonical = recurrence.rule_normalize(rrule, start=begins, all_day=all_day, zone=zone)
    except recurrence.RuleError as exc:
        raise EventError(exc.template, field="rrule", code=exc.code, params=exc.params) from None
    event.title, event.location, event.description = title, location, description
    event.scope = scope
    event.department = department if scope == Scope.DEPARTMENT else None
    event.all_day = all_day
    event.start, event.end = begins, ends
    event.time_zone = time_zone
    event.rrule = canonical
    try:
        event.full_clean(exclude=["owner"])
    except ValidationError as exc:  # a last net; the checks above say it in words first
        raise EventError("%(problem)s", params={"problem": "; ".join(exc.messages)}) from None


def _span(
    start: dt.date, end: dt.date, all_day: bool, zone: ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """The event's start and end as aware datetimes: for an all-day event, midnights in
    `zone` (the end exclusive)."""
    if all_day:
        first, after = _day(start, zone), _day(end, zone)
        begins = dt.datetime.combine(first, dt.time(), tzinfo=zone)
        ends = dt.datetime.combine(after, dt.time(), tzinfo=zone)
    else:
        if not isinstance(start, dt.datetime) or not isinstance(end, dt.datetime):
            raise EventError(gettext_noop("Give the start and end times."), field="start")
        begins = start if timezone.is_aware(start) else start.replace(tzinfo=zone)
        ends = end if timezone.is_aware(end) else end.replace(tzinfo=zone)
    for moment, name in ((begins, "start"), (ends, "end")):
        if not FIRST_YEAR <= moment.astimezone(zone).year <= LAST_YEAR:
            raise EventError(
                gettext_noop("Choose a date between the years 1900 and 2200."), field=name
            )
    if ends <= begins:
        raise EventError(gettext_noop("The end comes after the start."), field="end")
    if ends - begins > dt.timedelta(days=MAX_EVENT_DAYS):
        raise EventError(
            gettext_noop("An event lasts at most a year; make a longer one repeat instead."),
            field="end",
        )
    return begins, ends


def _day(value: dt.date, zone: ZoneInfo) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(zone).date() if timezone.is_aware(value) else value.date()
    return value


def feed_token_reset(*, member: Member, client: ClientInfo) -> str:
    """A new secret for `member`'s iCalendar feed, to be shown once; the old one (if any)
    stops working. Audited: the feed shows the member's calendar to whoever has the URL."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        FeedToken.objects.update_or_create(
            member=member,
            defaults={"token_hash": selectors.token_hash(token), "created_at": timezone.now()},
        )
        audit_record(
            event="calendar_feed_reset", success=True, reason="", user=member.user, client=client
        )
    return token


def feed_token_delete(*, member: Member, client: ClientInfo) -> bool:
    """Turn `member`'s feed off; whether there was one."""
    with transaction.atomic():
        deleted, _ = FeedToken.objects.filter(member=member).delete()
        if deleted:
            audit_record(
                event="calendar_feed_delete",
                success=True,
                reason="",
                user=member.user,
                client=client,
            )
    return bool(deleted)
