"""Electronic approval pages: the inboxes, drafting from a form, a document with its line,
signatures and history, the drafter's actions (edit, line, submit, withdraw, re-draft), the
approver's decision after a live face check (JSON endpoints the capture component calls),
and a print view."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from peeka.errors import PeekaError
from peeka.faces import flows
from peeka.faces.camera import (
    challenge_json,
    frames_of,
    step_json,
    throttled,
    timestamps_of,
)
from peeka.security.client import client_info
from peeka.security.wording import localized
from peeka.workplace.approvals import kinds, selectors, services
from peeka.workplace.approvals.forms import ContentForm, LineForm
from peeka.workplace.approvals.models import ApprovalForm, Document, State
from peeka.workplace.org.access import member_required
from peeka.workplace.org.models import Member

View = Callable[..., HttpResponse]


member_only = member_required(gettext_noop("Only members of the company use approvals."))


def _document(member: Member, document_id: int) -> selectors.DocumentView:
    """The document if `member` may read it; 404 alike for a missing one and another's."""
    found = selectors.document_view(document_id=document_id)
    if found is None or not selectors.can_read(member=member, document=found.document):
        raise Http404(gettext("No such document, or it is not for you."))
    return found


@require_http_methods(["GET"])
@member_only
def inbox(request: HttpRequest, member: Member) -> HttpResponse:
    box = request.GET.get("box", "to_approve")
    if box not in selectors.BOXES:
        box = "to_approve"
    text = request.GET.get("page", "1")
    page = int(text) if text.isdigit() and len(text) < 6 else 1
    context = {
        "box": box,
        "page": selectors.inbox_page(member=member, box=box, page=page),
        "to_approve": selectors.to_approve_count(member=member),
    }
    return render(request, "approvals/inbox.html", context)


@require_http_methods(["GET"])
@member_only
def new(request: HttpRequest, member: Member) -> HttpResponse:
    return render(request, "approvals/new.html", {"forms": selectors.forms_in_use()})


@require_http_methods(["GET", "POST"])
@member_only
def draft(request: HttpRequest, member: Member, form_id: int) -> HttpResponse:
    form_row = ApprovalForm.objects.filter(pk=form_id, active=True).first()
    if form_row is None:
        raise Http404(gettext("No such form."))
    form = ContentForm(form_row, member, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            document = services.document_draft(
                drafter=member,
                form=form_row,
                title=form.cleaned_data["title"],
                data=form.content(),
            )
        except PeekaError as exc:
            form.add_problem(exc)
        else:
            messages.success(request, gettext("The draft is saved. Check the line and submit it."))
            return redirect("approvals:document", document.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "approval_form": form_row}
    return render(request, "approvals/edit.html", context, status=status)


@require_http_methods(["GET"])
@member_only
def document(request: HttpRequest, member: Member, document_id: int) -> HttpResponse:
    view = _document(member, document_id)
    current = next((s for s in view.steps if s.current), None)
    context = {
        "view": view,
        "doc": view.document,
        "fields": _fields(view.document),
        "is_drafter": view.document.drafter_id == member.pk,
        "my_turn": current is not None and current.step.approver_id == member.pk,
    }
    return render(request, "approvals/document.html", context)


@require_http_methods(["GET"])
@member_only
def print_view(request: HttpRequest, member: Member, document_id: int) -> HttpResponse:
    view = _document(member, document_id)
    context = {"view": view, "doc": view.document, "fields": _fields(view.document)}
    return render(request, "approvals/print.html", context)


def _fields(document: Document) -> list[tuple[str, str]]:
    """The content as (label, value) in the kind's order; a choice shown by its label."""
    try:
        fields = kinds.fields_of(kind=document.form.kind, extra=document.form.extra_fields)
    except PeekaError:
        return [(name, str(value)) for name, value in document.content.items()]
    rows = []
    for field in fields:
        value = str(document.content.get(field.name, ""))
        if field.type == "choice" and field.choices is not None:
            labels = dict(field.choices(document.drafter))
            value = labels.get(value, value)
        rows.append((str(field.label), value))
    return rows


@require_http_methods(["GET", "POST"])
@member_only
def edit(request: HttpRequest, member: Member, document_id: int) -> HttpResponse:
    view = _document(member, document_id)
    doc = view.document
    if doc.drafter_id != member.pk or doc.state != State.DRAFT:
        raise PermissionDenied(gettext("Only the drafter edits a draft."))
    initial = {"title": doc.title, **doc.content}
    form = ContentForm(doc.form, member, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_update(
                document=doc, actor=member, title=form.cleaned_data["title"], data=form.content()
            )
        except PeekaError as exc:
            form.add_problem(exc)
        else:
            messages.success(request, gettext("The draft is saved."))
            return redirect("approvals:document", doc.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "approval_form": doc.form, "doc": doc}
    return render(request, "approvals/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@member_only
def line(request: HttpRequest, member: Member, document_id: int) -> HttpResponse:
    view = _document(member, document_id)
    doc = view.document
    if doc.drafter_id != member.pk or doc.state != State.DRAFT:
        raise PermissionDenied(gettext("Only the drafter changes a draft's line."))
    initial = {
        "approvers": " ".join(s.step.approver.employee_number for s in view.steps),
        "cc": " ".join(m.employee_number for m in view.cc),
    }
    form = LineForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_line_set(
                document=doc,
                actor=member,
                approvers=form.cleaned_data["approvers"],
                cc=form.cleaned_data["cc"],
            )
        except PeekaError as exc:
            form.add_error("approvers", localized(exc))
        else:
            messages.success(request, gettext("The approval line is saved."))
            return redirect("approvals:document", doc.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "approvals/line.html", {"form": form, "doc": doc}, status=status)


def _act(action: Callable[..., Document], done: str) -> View:
    @require_POST
    @member_only
    def view(request: HttpRequest, member: Member, document_id: int) -> HttpResponse:
        doc = _document(member, document_id).document
        try:
            result = action(document=doc, actor=member)
        except PeekaError as exc:
            messages.error(request, localized(exc))
            return redirect("approvals:document", doc.pk)
        messages.success(request, gettext(done))
        return redirect("approvals:document", result.pk)

    return view


submit = _act(
    services.document_submit, gettext_noop("The document is submitted to its approval line.")
)
withdraw = _act(services.document_withdraw, gettext_noop("The document is withdrawn."))
redraft = _act(
    services.document_redraft,
    gettext_noop("A new draft is made from it. Edit it and submit it."),
)


@require_POST
@member_only
@throttled
def decide_challenge(request: HttpRequest, member: Member, document_id: int) -> JsonResponse:
    """A face check for a decision, only when it is the member's turn."""
    doc = _document(member, document_id).document
    current = selectors.current_step(document=doc)
    if current is None or current.approver_id != member.pk:
        message = gettext("It is not your turn to decide on this document.")
        return JsonResponse({"code": "not_your_turn", "message": message}, status=409)
    row = flows.challenge_start(
        purpose="approval", client=client_info(request), user=member.user, accountable=True
    )
    return challenge_json(row)


@require_POST
@member_only
@throttled
def decide_frames(request: HttpRequest, member: Member, document_id: int) -> JsonResponse:
    doc = _document(member, document_id).document
    try:
        checked, decided = services.document_decide_step(
            document=doc,
            approver=member,
            decision=request.POST.get("decision", ""),
            comment=request.POST.get("comment", ""),
            challenge_id=request.POST.get("challenge", ""),
            frames=frames_of(request),
            timestamps_ms=timestamps_of(request),
            client=client_info(request),
        )
    except PeekaError as exc:
        status = 409 if exc.code == "not_your_turn" else 400
        return JsonResponse(
            {"passed": False, "done": True, "code": exc.code, "message": localized(exc)},
            status=status,
        )
    signed = (
        {
            "decision": decided.step.decision,
            "state": decided.document.state,
            "number": decided.document.number,
        }
        if decided is not None
        else None
    )
    return step_json(checked, signed)
