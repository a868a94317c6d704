"""Message pages for the company's active members: inbox, sent (with read receipts), compose
(to a member, or to a department), one message (opening it as a recipient marks it read), and
delete from one's own inbox. A message is shown only to its sender and its recipients; anyone
else gets 404, as if it did not exist."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from peeka.security.client import client_info
from peeka.security.services import ThrottledError
from peeka.security.wording import localized
from peeka.workplace.messages import selectors, services
from peeka.workplace.messages.forms import ComposeForm
from peeka.workplace.org.models import Member

View = Callable[..., HttpResponse]
MAX_ID = 2**63 - 1
"""Larger numbers in the address are no message (and no database integer)."""


def members_only(view: View) -> View:
    """Signed-in active members of the company, passed to the view as `member`; anyone else
    gets 403 (an account without a member row has no inbox, superusers included)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        member = selectors.messaging_member(user=request.user)
        if member is None:
            raise PermissionDenied(gettext("Only members of the company have messages."))
        return view(request, *args, member=member, **kwargs)

    return wrapper


@require_http_methods(["GET"])
@members_only
def inbox(request: HttpRequest, member: Member) -> HttpResponse:
    page = selectors.inbox(member=member, page=_page_number(request))
    return render(request, "messaging/inbox.html", {"page": page, "box": "inbox"})


@require_http_methods(["GET"])
@members_only
def sent(request: HttpRequest, member: Member) -> HttpResponse:
    page = selectors.sent(member=member, page=_page_number(request))
    return render(request, "messaging/sent.html", {"page": page, "box": "sent"})


@require_http_methods(["GET", "POST"])
@members_only
def compose(request: HttpRequest, member: Member) -> HttpResponse:
    if request.method == "POST":
        form = ComposeForm(request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                message = services.message_send(
                    sender=member,
                    to=data["to"],
                    department=data["department"],
                    subject=data["subject"],
                    body=data["body"],
                    reply_to=data["reply_to"],
                    client=client_info(request),
                )
            except ThrottledError as exc:
                return _compose_page(request, member, form, 429, throttled=exc)
            except services.MessageError as exc:
                form.add_error(exc.field or None, localized(exc))
                status = 403 if isinstance(exc, services.MessageForbiddenError) else 400
            else:
                flash.success(request, gettext("Your message was sent."))
                return redirect("messaging:detail", message_id=message.pk)
        return _compose_page(request, member, form, status)
    reply = request.GET.get("reply", "")
    draft = selectors.compose_draft(
        member=member,
        to=request.GET.get("to", "")[:20],
        department=request.GET.get("department", "")[:32],
        reply=int(reply) if reply.isdigit() and len(reply) < 19 else None,
    )
    if draft is None:
        raise Http404(gettext("No such message."))
    form = ComposeForm(
        initial={
            "to": draft.to,
            "department": draft.department,
            "subject": draft.subject,
            "reply_to": draft.reply_to.pk if draft.reply_to else None,
        }
    )
    return render(request, "messaging/compose.html", {"form": form, "draft": draft, "box": "new"})


def _compose_page(
    request: HttpRequest,
    member: Member,
    form: ComposeForm,
    status: int,
    *,
    throttled: ThrottledError | None = None,
) -> HttpResponse:
    """The compose page again with what was typed, and why it was not sent."""
    context: dict[str, Any] = {
        "form": form,
        "draft": selectors.compose_draft(member=member),
        "box": "new",
    }
    if throttled is not None:
        context |= {
            "throttled": str(throttled),
            "throttled_code": throttled.code,
            "retry_after": throttled.retry_after,
        }
    response = render(request, "messaging/compose.html", context, status=status)
    if throttled is not None and throttled.retry_after:
        response["Retry-After"] = str(throttled.retry_after)
    return response


@require_http_methods(["GET"])
@members_only
def detail(request: HttpRequest, member: Member, message_id: int) -> HttpResponse:
    shown = None
    if message_id <= MAX_ID:
        shown = services.message_open(member=member, message_id=message_id)
    if shown is None:
        raise Http404(gettext("No such message."))
    return render(request, "messaging/detail.html", {"shown": shown, "box": ""})


@require_http_methods(["POST"])
@members_only
def delete(request: HttpRequest, member: Member, message_id: int) -> HttpResponse:
    if message_id > MAX_ID or not services.message_delete(member=member, message_id=message_id):
        raise Http404(gettext("No such message in your inbox."))
    flash.success(request, gettext("The message was deleted from your inbox."))
    return redirect("messaging:inbox")


def _page_number(request: HttpRequest) -> int:
    text = request.GET.get("page", "1")
    return int(text) if text.isdigit() and len(text) < 6 else 1
