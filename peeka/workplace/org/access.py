"""Who may open a workplace page: the decorator every workplace app puts on its members'
views, so "an active member of the company" is decided in one place."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from peeka.workplace.org.selectors import member_of

View = Callable[..., HttpResponse]


def member_required(refusal: str) -> Callable[[View], View]:
    """For views of active members, which receive the `Member` after the request: anonymous
    visitors go to the login page; other accounts (no member row, or a member who left) get
    403 with `refusal` (an English message marked with `gettext_noop`, shown translated)."""

    def decorator(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            member = member_of(user=request.user)
            if member is None or not member.active:
                raise PermissionDenied(gettext(refusal))
            return view(request, member, *args, **kwargs)

        return wrapper

    return decorator
