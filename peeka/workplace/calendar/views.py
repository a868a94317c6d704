"""The calendar's pages: the month (every member; a phone sees a list of days), an event, the
event form (new and change) and its deletion, the page that issues a private feed URL, and
the feed itself (no login: the secret in its URL is the key)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from peeka.security.client import client_info
from peeka.security.wording import localized
from peeka.workplace.calendar import selectors, services
from peeka.workplace.calendar.forms import EventForm, event_initial
from peeka.workplace.calendar.models import Event, Scope
from peeka.workplace.org.models import Member

View = Callable[..., HttpResponse]
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def calendar_readers(view: View) -> View:
    """Signed-in active members and superusers; anyone else gets 403."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.may_view_calendar(user=request.user):
            raise PermissionDenied(gettext("Only members of the company see the calendar."))
        return view(request, *args, **kwargs)

    return wrapper


def _member(request: HttpRequest) -> Member:
    """The signed-in member, for the pages that write (a superuser with no member row has
    no calendar of their own)."""
    member = selectors.calendar_member(user=request.user)
    if member is None:
        raise PermissionDenied(gettext("Only members of the company have a calendar."))
    return member


def _zone() -> ZoneInfo:
    current = timezone.get_current_timezone()
    return current if isinstance(current, ZoneInfo) else ZoneInfo(str(current))


def _language() -> str:
    return translation.get_language() or "en"


@require_http_methods(["GET"])
@calendar_readers
def month(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    scope = request.GET.get("scope", "all")
    if scope not in selectors.SCOPE_FILTERS:
        scope = "all"
    member = selectors.calendar_member(user=request.user)
    grid = selectors.month_grid(
        member=member,
        month=_month(request.GET.get("month", ""), today),
        language=_language(),
        today=today,
        scope=scope,
        zone=_zone(),
    )
    context = {
        "grid": grid,
        "today": today,
        # Translators: the calendar's filter that shows events of every scope
        "scopes": [("all", pgettext("event scope", "All")), *Scope.choices],
        "can_create": bool(selectors.creatable_scopes(member=member)),
    }
    return render(request, "workplace_calendar/month.html", context)


def _month(text: str, today: dt.date) -> dt.date:
    """The first day of the month `text` names ("2026-12"); this month for anything else."""
    match = _MONTH.fullmatch(text)
    if match is not None:
        year, number = int(match[1]), int(match[2])
        if services.FIRST_YEAR <= year <= services.LAST_YEAR and 1 <= number <= 12:
            return dt.date(year, number, 1)
    return today.replace(day=1)


@require_http_methods(["GET"])
@calendar_readers
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.calendar_member(user=request.user)
    event = selectors.visible_event(member=member, pk=pk)
    if event is None:
        raise Http404(gettext("There is no such event, or you cannot see it."))
    start, end = timezone.localtime(event.start), timezone.localtime(event.end)
    context = {
        "event": event,
        "dates": selectors.event_dates(event) if event.all_day else None,
        "same_day": start.date() == (end - dt.timedelta(microseconds=1)).date(),
        "month": start.strftime("%Y-%m"),
        "repeat": _repeat_label(event.rrule),
        "can_change": selectors.may_change(member=member, event=event),
    }
    return render(request, "workplace_calendar/event.html", context)


def _repeat_label(rule: str) -> str:
    """A rule's frequency in words; the rule itself is shown beside it."""
    frequency = dict(part.partition("=")[::2] for part in rule.split(";")).get("FREQ", "")
    labels = {
        "DAILY": gettext("Daily"),
        "WEEKLY": gettext("Weekly"),
        "MONTHLY": gettext("Monthly"),
        "YEARLY": gettext("Yearly"),
    }
    return labels.get(frequency, "") if rule else ""


@require_http_methods(["GET", "POST"])
@calendar_readers
def event_create(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    form = EventForm(
        request.POST if request.method == "POST" else None,
        scopes=selectors.form_scopes(member=member),
        departments=selectors.form_departments(member=member),
        initial=_new_initial(request),
    )
    if request.method == "POST" and form.is_valid():
        zone = _zone()
        start, end = form.span(zone)
        data = form.cleaned_data
        try:
            event = services.event_create(
                actor=member,
                title=data["title"],
                scope=data["scope"],
                department=data["department"],
                start=start,
                end=end,
                time_zone=str(zone.key),
                all_day=data["all_day"],
                description=data["description"],
                location=data["location"],
                rrule=data["rrule"],
            )
        except services.EventError as exc:
            form.add_service_error(exc.field, localized(exc))
            status = 403 if isinstance(exc, services.EventForbiddenError) else 400
            return _form_page(request, form, None, status)
        return redirect("workplace_calendar:event", pk=event.pk)
    return _form_page(request, form, None, 400 if request.method == "POST" else 200)


def _new_initial(request: HttpRequest) -> dict[str, object]:
    try:
        day = dt.date.fromisoformat(request.GET.get("date", "")[:10])
    except ValueError:
        day = timezone.localdate()
    return {
        "scope": "personal",
        "start_date": day,
        "end_date": day,
        "start_time": dt.time(9),
        "end_time": dt.time(10),
    }


def _form_page(
    request: HttpRequest, form: EventForm, event: Event | None, status: int
) -> HttpResponse:
    context = {
        "form": form,
        "event": event,
        "zone": event.time_zone if event is not None else str(_zone().key),
    }
    return render(request, "workplace_calendar/event_form.html", context, status=status)


def _changeable(request: HttpRequest, pk: int) -> tuple[Member, Event]:
    """The signed-in member and event `pk`, which they see (else 404) and may change (else
    403)."""
    member = _member(request)
    event = selectors.visible_event(member=member, pk=pk)
    if event is None:
        raise Http404(gettext("There is no such event, or you cannot see it."))
    if not selectors.may_change(member=member, event=event):
        raise PermissionDenied(
            gettext("Only its owner, or an HR administrator, changes this event.")
        )
    return member, event


@require_http_methods(["GET", "POST"])
@calendar_readers
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member, event = _changeable(request, pk)
    form = EventForm(
        request.POST if request.method == "POST" else None,
        scopes=selectors.form_scopes(member=member, event=event),
        departments=selectors.form_departments(member=member, event=event),
        initial=event_initial(event),
    )
    if request.method == "POST" and form.is_valid():
        start, end = form.span(ZoneInfo(event.time_zone))
        data = form.cleaned_data
        try:
            services.event_update(
                event=event,
                actor=member,
                client=client_info(request),
                title=data["title"],
                scope=data["scope"],
                department=data["department"],
                start=start,
                end=end,
                all_day=data["all_day"],
                description=data["description"],
                location=data["location"],
                rrule=data["rrule"],
            )
        except services.EventError as exc:
            form.add_service_error(exc.field, localized(exc))
            status = 403 if isinstance(exc, services.EventForbiddenError) else 400
            return _form_page(request, form, event, status)
        return redirect("workplace_calendar:event", pk=event.pk)
    return _form_page(request, form, event, 400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@calendar_readers
def event_delete(request: HttpRequest, pk: int) -> HttpResponse:
    member, event = _changeable(request, pk)
    if request.method == "POST":
        month = timezone.localtime(event.start).strftime("%Y-%m")
        services.event_delete(event=event, actor=member, client=client_info(request))
        return redirect(reverse("workplace_calendar:month") + f"?month={month}")
    return render(request, "workplace_calendar/event_delete.html", {"event": event})


@never_cache  # the page shows a new feed URL once
@require_http_methods(["GET", "POST"])
@calendar_readers
def feed_settings(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    context: dict[str, object] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "reset":
            token = services.feed_token_reset(member=member, client=client_info(request))
            url = reverse("workplace_calendar:feed", kwargs={"token": token})
            context["feed_url"] = request.build_absolute_uri(url)
        elif action == "delete":
            services.feed_token_delete(member=member, client=client_info(request))
            context["deleted"] = True
        else:
            context["error"] = gettext("Choose to create, reset or turn off the feed.")
            context["feed"] = selectors.feed_token(member=member)
            return render(request, "workplace_calendar/feed.html", context, status=400)
    context["feed"] = selectors.feed_token(member=member)
    return render(request, "workplace_calendar/feed.html", context)


@require_http_methods(["GET", "HEAD"])
def feed(request: HttpRequest, token: str) -> HttpResponse:
    data = selectors.feed_ical(token=token)
    if data is None:
        raise Http404(gettext("No calendar feed has that address."))
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="peeka.ics"'
    # The URL is a secret: no shared cache keeps the answer.
    response["Cache-Control"] = "private, max-age=300"
    return response
