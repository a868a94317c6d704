"""The kiosk (a shared screen that can only punch: its browser holds the device key in a
cookie, checked against the active devices on every request) and the member's own attendance
page (clock in and out with a face check, the kiosk PIN); monthly timesheets of a member and
of a department, as pages and CSV files."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from peeka.accounts.mfa import step_up_required
from peeka.faces import flows
from peeka.faces.camera import (
    challenge_json,
    frames_of,
    step_json,
    throttled,
    throttled_response,
    timestamps_of,
)
from peeka.security.client import client_info
from peeka.security.services import ThrottledError
from peeka.security.wording import localized
from peeka.workplace.attendance import selectors, services, timesheets
from peeka.workplace.attendance.models import Fallback, KioskDevice
from peeka.workplace.org.access import member_required
from peeka.workplace.org.models import Member

KIOSK_COOKIE = "peeka_kiosk"
KIOSK_COOKIE_DAYS = 400
"""Browsers cap a cookie's life at 400 days; an HR administrator revokes a device sooner."""

View = Callable[..., HttpResponse]


def kiosk_only(view: View) -> View:
    """A kiosk's endpoint: the browser's device key must be an active device's (401 else)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        device = selectors.kiosk_find(key=request.COOKIES.get(KIOSK_COOKIE, ""))
        if device is None:
            message = gettext("This screen is not a kiosk any more. Enter a device key.")
            return JsonResponse({"code": "kiosk_key", "message": message}, status=401)
        return view(request, device, *args, **kwargs)

    return wrapper


member_only = member_required(gettext_noop("Only members of the company punch in and out."))


# --- the kiosk -----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest) -> HttpResponse:
    """The kiosk screen, or, in a browser without a valid device key, the form that makes it
    one (POST: the key an HR administrator registered, tries limited per address)."""
    if request.method == "POST":
        try:
            device = services.kiosk_enter(
                key=request.POST.get("key", "").strip(), client=client_info(request)
            )
        except ThrottledError as exc:
            refused = {"error": str(exc)}
            return render(request, "attendance/kiosk_setup.html", refused, status=429)
        if device is None:
            refused = {"error": gettext("That is not the key of an active kiosk.")}
            return render(request, "attendance/kiosk_setup.html", refused, status=400)
        response = redirect("attendance:kiosk")
        response.set_cookie(
            KIOSK_COOKIE,
            request.POST["key"].strip(),
            max_age=KIOSK_COOKIE_DAYS * 24 * 3600,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Strict",
        )
        return response
    device = selectors.kiosk_find(key=request.COOKIES.get(KIOSK_COOKIE, ""))
    if device is None:
        return render(request, "attendance/kiosk_setup.html", {})
    context = {
        "device": device,
        "liveness": settings.PEEKA_LIVENESS,
        "fallbacks": Fallback.choices,
        "max_frames": settings.PEEKA_LOGIN_MAX_FRAMES,
    }
    return render(request, "attendance/kiosk.html", context)


@require_POST
@kiosk_only
@throttled
def kiosk_challenge(request: HttpRequest, device: KioskDevice) -> JsonResponse:
    row = flows.challenge_start(purpose="kiosk", client=client_info(request), scope=device.scope)
    return challenge_json(row)


@require_POST
@kiosk_only
@throttled
def kiosk_frames(request: HttpRequest, device: KioskDevice) -> JsonResponse:
    """A step of the kiosk's identification; after the last, the name to confirm."""
    checked, member = services.kiosk_identify_step(
        device=device,
        challenge_id=request.POST.get("challenge", ""),
        frames=frames_of(request),
        timestamps_ms=timestamps_of(request),
        client=client_info(request),
    )
    found = {"name": member.name, "department": member.department.name} if member else None
    return step_json(checked, found)


@require_POST
@kiosk_only
def kiosk_punch(request: HttpRequest, device: KioskDevice) -> JsonResponse:
    """The member confirmed the name: punch with the passed challenge (once)."""
    try:
        punched = services.kiosk_face_punch(
            device=device,
            challenge_id=request.POST.get("challenge", ""),
            client=client_info(request),
        )
    except services.KioskError as exc:
        return JsonResponse({"code": exc.code, "message": localized(exc)}, status=400)
    return JsonResponse(_punched_json(punched))


@require_POST
@kiosk_only
def kiosk_pin(request: HttpRequest, device: KioskDevice) -> JsonResponse:
    try:
        punched = services.kiosk_pin_punch(
            device=device,
            employee_number=request.POST.get("number", ""),
            pin=request.POST.get("pin", ""),
            fallback=request.POST.get("reason", ""),
            client=client_info(request),
        )
    except ThrottledError as exc:
        return throttled_response(exc)
    except services.KioskError as exc:
        return JsonResponse({"code": exc.code, "message": localized(exc)}, status=400)
    return JsonResponse(_punched_json(punched))


def _punched_json(punched: services.Punched) -> dict[str, object]:
    return {
        "name": punched.member.name,
        "direction": punched.punch.direction,
        "at": punched.punch.at.isoformat(),
        "hours_today": punched.hours_today,
    }


# --- the member's own attendance -----------------------------------------------------------


@require_http_methods(["GET"])
@member_only
def mine(request: HttpRequest, member: Member) -> HttpResponse:
    context = {
        "today": selectors.my_attendance(member=member),
        "liveness": settings.PEEKA_LIVENESS,
        "has_pin": selectors.pin_exists(member=member),
    }
    return render(request, "attendance/mine.html", context)


@require_POST
@member_only
@throttled
def mine_challenge(request: HttpRequest, member: Member) -> JsonResponse:
    row = flows.challenge_start(
        purpose="punch", client=client_info(request), user=member.user, accountable=True
    )
    return challenge_json(row)


@require_POST
@member_only
@throttled
def mine_frames(request: HttpRequest, member: Member) -> JsonResponse:
    checked, punched = services.self_punch_step(
        member=member,
        challenge_id=request.POST.get("challenge", ""),
        frames=frames_of(request),
        timestamps_ms=timestamps_of(request),
        client=client_info(request),
    )
    return step_json(checked, _punched_json(punched) if punched is not None else None)


@never_cache
@require_http_methods(["GET", "POST"])
@member_only
@step_up_required
def pin(request: HttpRequest, member: Member) -> HttpResponse:
    """Set the kiosk PIN, after a fresh check of the account (a PIN is a way to punch)."""
    if request.method == "POST":
        try:
            services.pin_set(
                member=member, pin=request.POST.get("pin", ""), client=client_info(request)
            )
        except services.KioskError as exc:
            return render(request, "attendance/pin.html", {"error": localized(exc)}, status=400)
        messages.success(request, gettext("Your kiosk PIN is set."))
        return redirect("attendance:mine")
    return render(request, "attendance/pin.html", {})


# --- timesheets ----------------------------------------------------------------------------


def timesheet_readers(view: View) -> View:
    """Active members (their own timesheet at least) and superusers; anyone else gets 403."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not timesheets.may_read_timesheets(user=request.user):
            raise PermissionDenied(gettext("Only members of the company see timesheets."))
        return view(request, *args, **kwargs)

    return wrapper


def _month(request: HttpRequest) -> timesheets.Month:
    return timesheets.month_of(request.GET.get("month", ""), today=timezone.localdate())


def _csv(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", filename)
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response


def _member_timesheet(request: HttpRequest, member: Member) -> HttpResponse:
    sheet = timesheets.member_timesheet(member=member, month=_month(request))
    if request.GET.get("format") == "csv":
        name = f"peeka-timesheet-{member.employee_number}-{sheet.month.key}.csv"
        return _csv(timesheets.member_timesheet_csv(sheet), name)
    department = member.department
    context = {
        "sheet": sheet,
        "own": member.user_id == request.user.pk,
        "department_link": department
        if timesheets.can_see_department(user=request.user, department=department)
        else None,
    }
    return render(request, "attendance/timesheet.html", context)


@require_http_methods(["GET"])
@member_only
def timesheet_mine(request: HttpRequest, member: Member) -> HttpResponse:
    """My own month (`?month=2026-12`, this month by default; `&format=csv` for a file)."""
    return _member_timesheet(request, member)


@require_http_methods(["GET"])
@timesheet_readers
def timesheet_member(request: HttpRequest, number: str) -> HttpResponse:
    """A member's month, for themself, their managers, HR administrators and executives."""
    member = timesheets.member_by_number(employee_number=number)
    if member is None:
        raise Http404(gettext("No member has that employee number."))
    if not timesheets.can_see_member(user=request.user, member=member):
        raise PermissionDenied(gettext("You may not see this member's timesheet."))
    return _member_timesheet(request, member)


@require_http_methods(["GET"])
@timesheet_readers
def timesheet_department(request: HttpRequest, code: str) -> HttpResponse:
    """A department's month, a row a member (the departments below it included), for its
    managers, HR administrators and executives."""
    department = timesheets.department_by_code(code=code)
    if department is None:
        raise Http404(gettext("No department has that code."))
    if not timesheets.can_see_department(user=request.user, department=department):
        raise PermissionDenied(gettext("You may not see this department's timesheet."))
    sheet = timesheets.department_timesheet(department=department, month=_month(request))
    if request.GET.get("format") == "csv":
        name = f"peeka-timesheet-{department.code}-{sheet.month.key}.csv"
        return _csv(timesheets.department_timesheet_csv(sheet), name)
    return render(request, "attendance/department.html", {"sheet": sheet})
