"""The directory (every member of the company may search it), member cards, and the members'
CSV import and export (HR administrators)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from peeka.errors import PeekaError
from peeka.security.client import client_info
from peeka.security.wording import localized
from peeka.workplace.org import selectors, services

View = Callable[..., HttpResponse]


def members_only(view: View) -> View:
    """Signed-in members of the company (and superusers); anyone else gets 403."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not getattr(user, "is_superuser", False) and selectors.member_of(user=user) is None:
            raise PermissionDenied(gettext("Only members of the company see the directory."))
        return view(request, *args, **kwargs)

    return wrapper


def hr_only(view: View) -> View:
    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.can_manage_members(user=request.user):
            raise PermissionDenied(gettext("Only HR administrators manage members."))
        return view(request, *args, **kwargs)

    return wrapper


@require_http_methods(["GET"])
@members_only
def directory(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    department = request.GET.get("department", "")[:32]
    page = selectors.directory_search(
        query=query, department=department, page=_page_number(request)
    )
    context = {
        "page": page,
        "query": query,
        "department": department.upper(),
        "tree": selectors.department_tree(),
        "can_manage": selectors.can_manage_members(user=request.user),
    }
    return render(request, "org/directory.html", context)


@require_http_methods(["GET"])
@members_only
def member(request: HttpRequest, number: str) -> HttpResponse:
    found = selectors.member_card(employee_number=number)
    if found is None:
        raise Http404(gettext("No member has that employee number."))
    return render(request, "org/member.html", {"member": found})


@require_http_methods(["GET"])
@hr_only
def members_export(request: HttpRequest) -> HttpResponse:
    data = services.members_export(
        actor=request.user,  # type: ignore[arg-type]
        client=client_info(request),
    )
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="peeka-members.csv"'
    return response


@never_cache  # the result shows new accounts' temporary passwords once
@require_http_methods(["GET", "POST"])
@hr_only
def members_import(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"columns": services.CSV_COLUMNS}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None or upload.size is None:
            context["error"] = gettext("Choose a CSV file.")
            return render(request, "org/import.html", context, status=400)
        if upload.size > services.MAX_CSV_BYTES:
            context["error"] = gettext("The file is larger than 2 MB.")
            return render(request, "org/import.html", context, status=400)
        try:
            context["imported"] = services.members_import(
                data=upload.read(),
                actor=request.user,  # type: ignore[arg-type]
                client=client_info(request),
            )
        except services.MembersFileError as exc:
            context["error"] = localized(exc)
            context["problems"] = [
                (problem.line, localized(PeekaError(problem.message, params=problem.params)))
                for problem in exc.problems
            ]
            return render(request, "org/import.html", context, status=400)
    return render(request, "org/import.html", context)


def _page_number(request: HttpRequest) -> int:
    text = request.GET.get("page", "1")
    return int(text) if text.isdigit() and len(text) < 6 else 1
