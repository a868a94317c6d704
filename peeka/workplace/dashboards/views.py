"""The workplace's dashboards: the member's day (the workplace's front page), the HR
administrator's company view, and the security view (HR administrators and superusers): the
last day's failed face attempts and lockouts hour by hour, liveness rejections, kiosks,
members without a second factor and the alerts, which opening the view checks for (at most
once a minute); acknowledging one."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from peeka.security.client import client_info
from peeka.workplace.dashboards import days, selectors, services
from peeka.workplace.org.access import member_required
from peeka.workplace.org.models import Member

View = Callable[..., HttpResponse]


def hr_only(view: View) -> View:
    """HR administrators and superusers; other accounts get 403, anonymous visitors the login."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.can_view_security(user=request.user):
            raise PermissionDenied(gettext("Only HR administrators see the security view."))
        return view(request, *args, **kwargs)

    return wrapper


member_only = member_required(gettext_noop("Only members of the company have a workplace."))


@never_cache
@require_http_methods(["GET"])
@member_only
def home(request: HttpRequest, member: Member) -> HttpResponse:
    context = {
        "day": days.my_day(member=member, language=translation.get_language() or "en"),
        "sees_company": selectors.can_view_security(user=request.user),
    }
    return render(request, "dashboards/home.html", context)


@never_cache
@require_http_methods(["GET"])
@hr_only
def company(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    context = {"company": days.company_day(day=today, language=translation.get_language() or "en")}
    return render(request, "dashboards/company.html", context)


@never_cache
@require_http_methods(["GET"])
@hr_only
def security(request: HttpRequest) -> HttpResponse:
    services.alerts_check_lazily()
    context = {
        "overview": selectors.security_overview(),
        "alert_floor": services.ALERT_FLOOR,
        "alert_factor": services.ALERT_FACTOR,
    }
    return render(request, "dashboards/security.html", context)


@require_POST
@hr_only
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = selectors.alert_find(alert_id=alert_id)
    if alert is None:
        raise Http404(gettext("No such alert."))
    changed = services.alert_acknowledge(
        alert=alert,
        user=request.user,  # type: ignore[arg-type]
        client=client_info(request),
    )
    if changed:
        messages.success(request, gettext("Alert acknowledged."))
    else:
        messages.info(request, gettext("Someone acknowledged this alert already."))
    return redirect("dashboards:security")
