"""Reads of the calendar: who may see, write and change which events; the entries of a window
of days (events, their repetitions, public holidays and, later, approved leave) as one list;
the month page's grid; and a member's iCalendar feed by its token."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext

from peeka.workplace.calendar import ical, recurrence
from peeka.workplace.calendar.models import Event, FeedToken, Scope
from peeka.workplace.calendar.public_holidays import public_holidays
from peeka.workplace.leave.models import LeaveType
from peeka.workplace.leave.selectors import leave_bookings
from peeka.workplace.org.models import Department, Member, Role
from peeka.workplace.org.selectors import department_subtree

logger = logging.getLogger(__name__)
EntryKind = Literal["event", "holiday", "leave"]
SCOPE_FILTERS = ("all", "personal", "department", "company")
FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 365
MAX_TOKEN_LENGTH = 100

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Entry:
    """One thing on the calendar on some days: an event (or one repetition of it), a public
    holiday, or an approved leave."""

    title: str
    start: dt.date
    """An aware datetime; a date for an all-day entry."""
    end: dt.date
    """Exclusive, like `start`: the day after an all-day entry's last day."""
    all_day: bool
    kind: EntryKind
    scope: str
    """A `Scope` value for an event; "" for a holiday."""
    event_id: int | None
    css_class: str


def calendar_member(*, user: AbstractBaseUser | AnonymousUser) -> Member | None:
    """The active member row of `user`, if any."""
    if not user.is_authenticated:
        return None
    return (
        Member.objects.select_related("department", "user")
        .filter(user_id=user.pk, active=True)
        .first()
    )


def may_view_calendar(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Active members, and the deployment's superusers (who see the company's events)."""
    return getattr(user, "is_superuser", False) or calendar_member(user=user) is not None


def _ancestors(department_id: int) -> list[int]:
    """The department and every department above it."""
    parents = dict(Department.objects.values_list("pk", "parent_id"))
    chain: list[int] = []
    current: int | None = department_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def visible_events(*, member: Member | None) -> QuerySet[Event]:
    """The events `member` sees: the company's, their department's and those of the
    departments above it (a department's event is for the departments below it too), and
    their own; an HR administrator, who may change any department's event, sees them all.
    Without a member (a superuser), the company's."""
    seen = Q(scope=Scope.COMPANY)
    if member is not None:
        departments = Q(scope=Scope.DEPARTMENT)
        if member.role != Role.HR_ADMIN:
            departments &= Q(department_id__in=_ancestors(member.department_id))
        seen |= Q(owner=member) | departments
    return Event.objects.filter(seen).select_related("owner", "department")


def visible_event(*, member: Member | None, pk: int) -> Event | None:
    return visible_events(member=member).filter(pk=pk).first()


def creatable_scopes(*, member: Member | None) -> list[str]:
    """The scopes `member` may give a new event: personal for every member; a department for
    managers, executives and HR administrators; the company for HR and executives."""
    if member is None or not member.active:
        return []
    scopes = [Scope.PERSONAL.value]
    if member.role in (Role.MANAGER, Role.EXECUTIVE, Role.HR_ADMIN):
        scopes.append(Scope.DEPARTMENT.value)
    if member.role in (Role.EXECUTIVE, Role.HR_ADMIN):
        scopes.append(Scope.COMPANY.value)
    return scopes


def creatable_departments(*, member: Member | None) -> QuerySet[Department]:
    """The departments `member` may write events for: any, for an HR administrator; their own
    and those below it, for a manager or an executive; none otherwise."""
    if member is None or Scope.DEPARTMENT not in creatable_scopes(member=member):
        return Department.objects.none()
    if member.role == Role.HR_ADMIN:
        return Department.objects.all()
    return Department.objects.filter(code__in=department_subtree(code=member.department.code))


def form_scopes(*, member: Member, event: Event | None = None) -> list[str]:
    """The scopes the event form offers: those `member` may write, and the event's own."""
    scopes = creatable_scopes(member=member)
    if event is not None and event.scope not in scopes:
        scopes.append(event.scope)  # keeping it is no new right
    return scopes


def form_departments(*, member: Member, event: Event | None = None) -> QuerySet[Department]:
    """The departments the event form offers: those `member` may write for, and the
    event's own."""
    allowed = creatable_departments(member=member)
    if event is None or event.department_id is None:
        return allowed
    return Department.objects.filter(Q(pk__in=allowed.values("pk")) | Q(pk=event.department_id))


def may_create(*, member: Member, scope: str, department: Department | None) -> bool:
    if scope not in creatable_scopes(member=member):
        return False
    if scope == Scope.DEPARTMENT:
        return (
            department is not None
            and creatable_departments(member=member).filter(pk=department.pk).exists()
        )
    return department is None


def may_change(*, member: Member | None, event: Event) -> bool:
    """The owner changes and deletes an event; an HR administrator also a department's or the
    company's (never someone's personal event, which only its owner sees)."""
    if member is None or not member.active:
        return False
    if event.owner_id == member.pk:
        return True
    return member.role == Role.HR_ADMIN and event.scope != Scope.PERSONAL


def calendar_entries(
    *,
    member: Member | None,
    start: dt.date,
    end: dt.date,
    language: str,
    zone: ZoneInfo | None = None,
) -> list[Entry]:
    """Everything on `member`'s calendar on the days `start` <= day < `end` of time zone
    `zone` (the active one by default): the events they see, each repetition as an entry,
    public holidays, and their approved leave; in order of start, all-day entries first."""
    zone = zone or _zone()
    after = dt.datetime.combine(start, dt.time(), tzinfo=zone)
    before = dt.datetime.combine(end, dt.time(), tzinfo=zone)
    entries = [
        *_event_entries(member, after, before, start, end),
        *(
            Entry(
                title=h.name,
                start=h.date,
                end=h.date + dt.timedelta(days=1),
                all_day=True,
                kind="holiday",
                scope="",
                event_id=None,
                css_class="cal-holiday",
            )
            for h in public_holidays(start=start, end=end, language=language)
        ),
        *_leave_entries(member=member, start=start, end=end, language=language),
    ]
    return sorted(entries, key=lambda e: _order(e, zone))


def _leave_entries(
    *, member: Member | None, start: dt.date, end: dt.date, language: str
) -> list[Entry]:
    """Booked leave on the days `start` <= day < `end`, as all-day entries of kind "leave":
    the member's own with its type, their department's colleagues' as "on leave" (the type,
    sick leave say, is theirs to tell); an HR administrator sees everyone's."""
    if member is None:
        return []
    colleagues = Member.objects.filter(active=True)
    if member.role != Role.HR_ADMIN:
        colleagues = colleagues.filter(department_id=member.department_id)
    entries = []
    with translation.override(language):
        for booking in leave_bookings(start=start, end=end - ONE_DAY, members=colleagues):
            if booking.member_id == member.pk:
                title = str(LeaveType(booking.leave_type).label)
            else:
                title = gettext("%(name)s: on leave") % {"name": booking.member.name}
            entries.append(
                Entry(
                    title=title,
                    start=max(booking.start, start),
                    end=min(booking.end + ONE_DAY, end),
                    all_day=True,
                    kind="leave",
                    scope="",
                    event_id=None,
                    css_class="cal-leave",
                )
            )
    return entries


def _zone() -> ZoneInfo:
    current = timezone.get_current_timezone()
    return current if isinstance(current, ZoneInfo) else ZoneInfo(str(current))


def _order(entry: Entry, zone: ZoneInfo) -> tuple[dt.date, int, dt.time, str]:
    if isinstance(entry.start, dt.datetime):
        local = entry.start.astimezone(zone)
        return local.date(), 1, local.time(), entry.title
    return entry.start, 0, dt.time(), entry.title


def _event_entries(
    member: Member | None,
    after: dt.datetime,
    before: dt.datetime,
    first_day: dt.date,
    end_day: dt.date,
) -> list[Entry]:
    # All-day events are dates in their own zone, which may be a day off the reader's: a day
    # of margin in the query, the exact test below.
    margin = dt.timedelta(days=2)
    events = (
        visible_events(member=member)
        .filter(start__lt=before + margin)
        .filter(~Q(rrule="") | Q(end__gt=after - margin))
    )
    entries: list[Entry] = []
    for event in events:
        for start, end in _occurrences(event, after - margin, before + margin):
            if event.all_day:
                assert not isinstance(start, dt.datetime) and not isinstance(end, dt.datetime)
                if not (start < end_day and end > first_day):
                    continue
            elif not (start < before and end > after):
                continue
            entries.append(_entry(event, start, end))
    return entries


def _occurrences(
    event: Event,
    after: dt.datetime,
    before: dt.datetime,
    *,
    limit: int = recurrence.MAX_OCCURRENCES,
) -> list[tuple[dt.date, dt.date]]:
    """(start, end) of each occurrence of `event` that overlaps `after`..`before` (at most
    `limit`): aware datetimes, or dates (end exclusive) for an all-day event."""
    zone = ZoneInfo(event.time_zone)
    length = event.end - event.start
    if event.rrule:
        try:
            starts = recurrence.occurrence_starts(
                rule=event.rrule,
                start=event.start,
                all_day=event.all_day,
                zone=zone,
                after=after - length,
                before=before,
                limit=limit,
            )
        except (ValueError, TypeError, KeyError):  # a rule stored around the service
            logger.warning("Calendar event %s has an unreadable rule %r", event.pk, event.rrule)
            starts = [event.start.astimezone(zone)]
    else:
        starts = [event.start.astimezone(zone)]
    if event.all_day:
        days = event_days(event)
        return [(s.astimezone(zone).date(), s.astimezone(zone).date() + days) for s in starts]
    return [(s, s + length) for s in starts]


def event_days(event: Event) -> dt.timedelta:
    """How many days an all-day event lasts, as a timedelta of whole days."""
    zone = ZoneInfo(event.time_zone)
    return event.end.astimezone(zone).date() - event.start.astimezone(zone).date()


def event_dates(event: Event) -> tuple[dt.date, dt.date]:
    """An all-day event's first and last day (inclusive), in its zone."""
    zone = ZoneInfo(event.time_zone)
    first = event.start.astimezone(zone).date()
    return first, event.end.astimezone(zone).date() - dt.timedelta(days=1)


def _entry(event: Event, start: dt.date, end: dt.date) -> Entry:
    return Entry(
        title=event.title,
        start=start,
        end=end,
        all_day=event.all_day,
        kind="event",
        scope=event.scope,
        event_id=event.pk,
        css_class=f"cal-event cal-{event.scope}",
    )


@dataclass(frozen=True)
class Day:
    date: dt.date
    in_month: bool
    today: bool
    holidays: list[Entry] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class MonthGrid:
    month: dt.date
    """The first day of the month shown."""
    previous: dt.date
    next: dt.date
    weeks: list[list[Day]]
    """Monday first, from the week of the month's first day to that of its last."""
    scope: str

    @property
    def days(self) -> list[Day]:
        """The month's own days, for the list a phone shows."""
        return [day for week in self.weeks for day in week if day.in_month]


def month_grid(
    *,
    member: Member | None,
    month: dt.date,
    language: str,
    today: dt.date,
    scope: str = "all",
    zone: ZoneInfo | None = None,
) -> MonthGrid:
    """The month of `month` as weeks of days, each with its holidays and the entries of
    `calendar_entries` that touch it; `scope` ("all" or a `Scope`) keeps only those events."""
    zone = zone or _zone()
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    grid_start = first - dt.timedelta(days=first.weekday())
    grid_end = following + dt.timedelta(days=(7 - following.weekday()) % 7)
    entries = [
        e
        for e in calendar_entries(
            member=member, start=grid_start, end=grid_end, language=language, zone=zone
        )
        if scope == "all" or e.kind != "event" or e.scope == scope
    ]
    weeks: list[list[Day]] = []
    day = grid_start
    while day < grid_end:
        week: list[Day] = []
        for _ in range(7):
            touching = [e for e in entries if _touches(e, day, zone)]
            week.append(
                Day(
                    date=day,
                    in_month=day.month == first.month,
                    today=day == today,
                    holidays=[e for e in touching if e.kind == "holiday"],
                    entries=[e for e in touching if e.kind != "holiday"],
                )
            )
            day += dt.timedelta(days=1)
        weeks.append(week)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    return MonthGrid(month=first, previous=previous, next=following, weeks=weeks, scope=scope)


def _touches(entry: Entry, day: dt.date, zone: ZoneInfo) -> bool:
    if not isinstance(entry.start, dt.datetime):
        return entry.start <= day < entry.end
    assert isinstance(entry.end, dt.datetime)
    day_start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return entry.start < day_start + dt.timedelta(days=1) and entry.end > day_start


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_token(*, member: Member) -> FeedToken | None:
    return FeedToken.objects.filter(member=member).first()


def feed_member(*, token: str) -> Member | None:
    """The active member whose feed `token` opens, else None: an unknown, reset or malformed
    token alike. Only hashes are compared, so the lookup's timing tells nothing of a token."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    row = (
        FeedToken.objects.select_related("member__user", "member__department")
        .filter(token_hash=token_hash(token), member__active=True)
        .first()
    )
    return row.member if row is not None else None


def feed_ical(*, token: str, today: dt.date | None = None) -> bytes | None:
    """The iCalendar file of the feed `token` opens (None for no feed): what its member sees
    from `FEED_PAST_DAYS` before `today` to `FEED_FUTURE_DAYS` after, repeating events as
    their rule, public holidays as all-day events, in the member's language."""
    member = feed_member(token=token)
    if member is None:
        return None
    today = today or timezone.localdate()
    first = today - dt.timedelta(days=FEED_PAST_DAYS)
    last = today + dt.timedelta(days=FEED_FUTURE_DAYS)
    after = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC) - dt.timedelta(days=1)
    before = dt.datetime.combine(last, dt.time(), tzinfo=dt.UTC) + dt.timedelta(days=1)
    events = [
        event
        for event in visible_events(member=member).filter(start__lt=before)
        if (event.end > after if not event.rrule else _occurrences(event, after, before, limit=1))
    ]
    language = member.user.language or settings.LANGUAGE_CODE
    return ical.calendar_file(
        events=events,
        holidays=public_holidays(start=first, end=last, language=language),
        name=member.name,
        first=first,
        last=last,
    )
