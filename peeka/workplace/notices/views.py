"""The notice board's pages: the list (search, kind, pages), a post, writing and changing one
(its author, or HR), deleting one, and downloading an attached file; members of the company
only, and each sees only the posts aimed at them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from peeka.security.client import client_info
from peeka.security.wording import localized
from peeka.workplace.notices import attachments, selectors, services
from peeka.workplace.notices.forms import PostForm
from peeka.workplace.notices.models import Kind

View = Callable[..., HttpResponseBase]
FORM_ALLOWANCE = 1024 * 1024
"""What a post's words and the form's fields may add to its files in one request."""


def readers_only(view: View) -> View:
    """Signed-in active members of the company (and superusers); anyone else gets 403."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not selectors.may_read_board(user=request.user):
            raise PermissionDenied(gettext("Only members of the company read the notice board."))
        return view(request, *args, **kwargs)

    return wrapper


def request_limit() -> int:
    """The largest body a post's form may send: its files at their largest, within the
    deployment's budget for any request."""
    budget = attachments.MAX_FILES * attachments.MAX_FILE_BYTES + FORM_ALLOWANCE
    return min(int(settings.PEEKA_MAX_REQUEST_BYTES), budget)


def body_limited(view: View) -> View:
    """Refuse a body over `request_limit` with 413 from its Content-Length, before a byte is
    read. The CSRF check reads the body, so it runs after this one (Django's documented way
    for views that look at a request before its upload is parsed)."""
    protected = csrf_protect(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST":
            text = request.META.get("CONTENT_LENGTH") or "0"
            length = int(text) if text.isdigit() else 0
            if length > request_limit():
                return _too_large(request)
        try:
            return protected(request, *args, **kwargs)
        except RequestDataTooBig:  # one file past the upload handler's limit as it arrived
            return _too_large(request)

    return csrf_exempt(wrapper)


def _too_large(request: HttpRequest) -> HttpResponse:
    context = {"limit": request_limit() // 2**20}
    return render(request, "notices/too_large.html", context, status=413)


@require_http_methods(["GET"])
@readers_only
def board(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    kind = request.GET.get("kind", "")
    kind = kind if kind in Kind.values else ""
    page = selectors.post_search(
        user=request.user, query=query, kind=kind, page=_page_number(request)
    )
    context = {
        "page": page,
        "query": query,
        "kind": kind,
        "kinds": Kind.choices,
        "can_write": selectors.reader_of(user=request.user) is not None,
    }
    return render(request, "notices/board.html", context)


@require_http_methods(["GET"])
@readers_only
def detail(request: HttpRequest, post_id: int) -> HttpResponse:
    post = services.post_read(user=request.user, post_id=post_id)
    if post is None:
        raise Http404(gettext("No such post, or it is not for you."))
    context = {
        "post": post,
        "can_change": selectors.may_change(user=request.user, post=post),
    }
    return render(request, "notices/detail.html", context)


@require_http_methods(["GET", "POST"])
@readers_only
@body_limited
def new(request: HttpRequest) -> HttpResponse:
    member = selectors.reader_of(user=request.user)
    if member is None:
        raise PermissionDenied(gettext("Only members of the company write posts."))
    can_notice = selectors.may_publish_notices(member=member)
    form = PostForm(*_bound(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                post = services.post_create(
                    user=request.user,
                    title=data["title"],
                    body=data["body"],
                    kind=data["kind"],
                    pinned=data["pinned"],
                    departments=form.chosen_departments(),
                    files=form.new_files(),
                )
            except services.NoticeError as exc:
                form.add_error(exc.field, localized(exc))
                status = 403 if isinstance(exc, services.NoticeForbiddenError) else 400
            else:
                messages.success(request, gettext("Your post is published."))
                return redirect("notices:detail", post_id=post.pk)
    context = {"form": form, "can_notice": can_notice, "post": None}
    return render(request, "notices/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@readers_only
@body_limited
def edit(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_detail(user=request.user, post_id=post_id)
    if post is None:
        raise Http404(gettext("No such post, or it is not for you."))
    if not selectors.may_change(user=request.user, post=post):
        raise PermissionDenied(gettext("Only the author or HR may change this post."))
    member = selectors.reader_of(user=request.user)
    can_notice = selectors.is_moderator(user=request.user) or (
        member is not None and selectors.may_publish_notices(member=member)
    )
    attached = list(post.attachments.all())
    initial = {
        "title": post.title,
        "body": post.body,
        "kind": post.kind,
        "pinned": post.pinned,
        "departments": [d.pk for d in post.departments.all()],
    }
    form = PostForm(*_bound(request), initial=initial, attached=attached)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.post_update(
                    user=request.user,
                    post=post,
                    title=data["title"],
                    body=data["body"],
                    kind=data["kind"],
                    pinned=data["pinned"],
                    departments=form.chosen_departments(),
                    files=form.new_files(),
                    remove=data["remove"],
                )
            except services.NoticeError as exc:
                form.add_error(exc.field, localized(exc))
                status = 403 if isinstance(exc, services.NoticeForbiddenError) else 400
            else:
                messages.success(request, gettext("The post is saved."))
                return redirect("notices:detail", post_id=post.pk)
    context = {"form": form, "can_notice": can_notice, "post": post}
    return render(request, "notices/form.html", context, status=status)


@require_http_methods(["POST"])
@readers_only
def delete(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_detail(user=request.user, post_id=post_id)
    if post is None:
        raise Http404(gettext("No such post, or it is not for you."))
    try:
        services.post_delete(user=request.user, post=post, client=client_info(request))
    except services.NoticeForbiddenError as exc:
        raise PermissionDenied(localized(exc)) from None
    messages.success(request, gettext("The post is deleted."))
    return redirect("notices:board")


@never_cache
@require_http_methods(["GET"])
@readers_only
def download(request: HttpRequest, post_id: int, file_id: int) -> FileResponse:
    found = selectors.attachment_for(user=request.user, post_id=post_id, attachment_id=file_id)
    handle = attachments.open_stored(found.stored_name) if found is not None else None
    if found is None or handle is None:
        raise Http404(gettext("No such file, or it is not for you."))
    response = FileResponse(
        handle, as_attachment=True, filename=found.name, content_type=found.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _bound(request: HttpRequest) -> tuple[Any, ...]:
    """The form's data and files on a POST (an empty POST is a form with errors), else none."""
    return (request.POST, request.FILES) if request.method == "POST" else ()


def _page_number(request: HttpRequest) -> int:
    text = request.GET.get("page", "1")
    number = int(text) if text.isdigit() and len(text) < 6 else 1
    return max(number, 1)
