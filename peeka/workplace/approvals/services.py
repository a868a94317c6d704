"""Writes of electronic approval. Every change of state goes through the document's state
machine under a row lock (`select_for_update`), so two people acting at once are one after
the other: the second finds the turn gone. A decision needs a live face check of the approver
at that moment (`document_decide_step`), and is signed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_fsm import can_proceed

from peeka.errors import PeekaError, gettext_noop
from peeka.faces import flows
from peeka.faces.flows import FaceCheck
from peeka.security.client import ClientInfo
from peeka.workplace.approvals import kinds, selectors, signing
from peeka.workplace.approvals.models import (
    Action,
    ApprovalForm,
    Cc,
    Decision,
    Document,
    History,
    NumberSequence,
    State,
    Step,
)
from peeka.workplace.org.models import Member

MAX_LINE = 10
MAX_CC = 30
TITLE_MAX = 200
COMMENT_MAX = 500


class ApprovalError(PeekaError):
    code = "approval_invalid"


def _locked(document: Document) -> Document:
    """The document's row, locked until the transaction ends, as it is now."""
    return (
        Document.objects.select_for_update()
        .select_related("form", "department")
        .get(pk=document.pk)
    )


def _history(document: Document, actor: Member | None, action: str, note: str = "") -> None:
    History.objects.create(document=document, actor=actor, action=action, note=note[:500])


def _title(title: str) -> str:
    title = " ".join(title.split())
    if not title or len(title) > TITLE_MAX:
        raise ApprovalError(
            gettext_noop("A title has 1 to %(count)d characters."),
            code="document_title",
            params={"count": TITLE_MAX},
        )
    return title


def document_draft(
    *, drafter: Member, form: ApprovalForm, title: str, data: dict[str, str]
) -> Document:
    """A new draft of `form` with the default line (`selectors.default_line`) and CC."""
    if not form.active:
        raise ApprovalError(gettext_noop("This form is not in use."), code="form_unavailable")
    content = kinds.content_clean(
        kind=form.kind, drafter=drafter, data=data, extra=form.extra_fields
    )
    with transaction.atomic():
        document = Document.objects.create(
            form=form,
            drafter=drafter,
            department=drafter.department,
            title=_title(title),
            content=content,
        )
        _line_write(document, selectors.default_line(form=form, drafter=drafter))
        for member in selectors.default_cc(form=form, drafter=drafter):
            Cc.objects.create(document=document, member=member)
        _history(document, drafter, Action.DRAFTED)
    return document


def document_update(
    *, document: Document, actor: Member, title: str, data: dict[str, str]
) -> Document:
    """Edit a draft (its drafter only): a new version. In progress or decided, refused."""
    with transaction.atomic():
        row = _locked(document)
        _drafter_only(row, actor)
        if row.state != State.DRAFT:
            raise ApprovalError(
                gettext_noop("Only a draft can be edited: withdraw it or re-draft it first."),
                code="document_locked",
            )
        row.content = kinds.content_clean(
            kind=row.form.kind, drafter=actor, data=data, extra=row.form.extra_fields
        )
        row.title = _title(title)
        row.version = F("version") + 1
        row.save(update_fields=["content", "title", "version"])
        row.refresh_from_db(fields=["version"])
        _history(row, actor, Action.EDITED)
        return row


def document_line_set(
    *, document: Document, actor: Member, approvers: Sequence[Member], cc: Sequence[Member]
) -> None:
    """Set a draft's approval line (in order) and CC list: at least one approver, nobody
    twice, not the drafter, active members only."""
    line = list(approvers)
    ids = [m.pk for m in line]
    if not line or len(line) > MAX_LINE:
        raise ApprovalError(
            gettext_noop("An approval line has 1 to %(count)d approvers."),
            code="line_invalid",
            params={"count": MAX_LINE},
        )
    if len(set(ids)) != len(ids) or actor.pk in ids or not all(m.active for m in line):
        raise ApprovalError(
            gettext_noop(
                "Each approver appears once, is an active member, and is not the drafter."
            ),
            code="line_invalid",
        )
    if len(cc) > MAX_CC:
        raise ApprovalError(
            gettext_noop("At most %(count)d people in CC."),
            code="line_invalid",
            params={"count": MAX_CC},
        )
    with transaction.atomic():
        row = _locked(document)
        _drafter_only(row, actor)
        if row.state != State.DRAFT:
            raise ApprovalError(
                gettext_noop("Only a draft's line can be changed."), code="document_locked"
            )
        row.steps.all().delete()
        _line_write(row, line)
        row.cc.all().delete()
        for member in dict.fromkeys(cc):
            if member.pk != actor.pk:
                Cc.objects.create(document=row, member=member)
        row.version = F("version") + 1
        row.save(update_fields=["version"])
        _history(row, actor, Action.EDITED)


def _line_write(document: Document, approvers: Sequence[Member]) -> None:
    Step.objects.bulk_create(
        Step(document=document, order=i, approver=member)
        for i, member in enumerate(approvers, start=1)
    )


def _drafter_only(document: Document, actor: Member) -> None:
    if document.drafter_id != actor.pk:
        raise ApprovalError(gettext_noop("Only the drafter can do this."), code="not_drafter")


def document_submit(*, document: Document, actor: Member) -> Document:
    """Send a draft to its line; its content is checked again (a leave balance may have
    changed since it was drafted)."""
    with transaction.atomic():
        row = _locked(document)
        _drafter_only(row, actor)
        _transition(row.submit)
        if not row.steps.exists():
            raise ApprovalError(
                gettext_noop("Add at least one approver first."), code="line_invalid"
            )
        kinds.content_clean(
            kind=row.form.kind, drafter=actor, data=row.content, extra=row.form.extra_fields
        )
        row.submitted_at = timezone.now()
        row.save(update_fields=["state", "submitted_at"])
        _history(row, actor, Action.SUBMITTED)
        return row


def document_withdraw(*, document: Document, actor: Member) -> Document:
    """회수: the drafter takes back a document in progress before any approver approved."""
    with transaction.atomic():
        row = _locked(document)
        _drafter_only(row, actor)
        if row.steps.exclude(decision=Decision.PENDING).exists():
            raise ApprovalError(
                gettext_noop("An approver has decided already: it cannot be withdrawn."),
                code="document_locked",
            )
        _transition(row.withdraw)
        row.decided_at = timezone.now()
        row.save(update_fields=["state", "decided_at"])
        _history(row, actor, Action.WITHDRAWN)
        return row


def document_redraft(*, document: Document, actor: Member) -> Document:
    """재기안: a new draft from a rejected or withdrawn document, with its content, line and
    CC; the old one stays as it was."""
    with transaction.atomic():
        row = _locked(document)
        _drafter_only(row, actor)
        if row.state not in (State.REJECTED, State.WITHDRAWN):
            raise ApprovalError(
                gettext_noop("Only a rejected or withdrawn document can be re-drafted."),
                code="document_locked",
            )
        new = Document.objects.create(
            form=row.form,
            drafter=actor,
            department=actor.department,
            title=row.title,
            content=row.content,
            redraft_of=row,
        )
        _line_write(new, [step.approver for step in row.steps.select_related("approver")])
        for cc in row.cc.all():
            Cc.objects.create(document=new, member_id=cc.member_id)
        _history(new, actor, Action.REDRAFTED, note=str(row))
        return new


def _transition(method: Callable[[], None]) -> None:
    """Run a transition of the document's state machine, or refuse when its state has none."""
    if not can_proceed(method):
        raise ApprovalError(
            gettext_noop("The document is not in a state that allows this."),
            code="document_state",
        )
    method()


@dataclass(frozen=True)
class Decided:
    document: Document
    step: Step


def document_decide_step(
    *,
    document: Document,
    approver: Member,
    decision: str,
    comment: str,
    challenge_id: str,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    client: ClientInfo,
) -> tuple[FaceCheck, Decided | None]:
    """A step of the approver's live face check; after the last passed step, the decision,
    signed and citing that check. Refused before any face work when it is not the
    approver's turn."""
    if decision not in (Decision.APPROVED, Decision.REJECTED):
        raise ApprovalError(gettext_noop("Approve or reject."), code="decision_invalid")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise ApprovalError(
            gettext_noop("A comment has at most %(count)d characters."),
            code="comment_too_long",
            params={"count": COMMENT_MAX},
        )
    if decision == Decision.REJECTED and not comment:
        raise ApprovalError(gettext_noop("Say why you reject it."), code="comment_required")
    _turn(document, approver)
    checked = flows.face_check(
        user=approver.user,
        purpose="approval",
        challenge_id=challenge_id,
        frames=frames,
        timestamps_ms=timestamps_ms,
        client=client,
    )
    if not checked.passed:
        return checked, None
    return checked, _decide(document, approver, decision, comment, checked.audit_id)


def _turn(document: Document, approver: Member) -> Step:
    step = selectors.current_step(document=document)
    if document.state != State.IN_PROGRESS or step is None:
        raise ApprovalError(
            gettext_noop("This document is not waiting for a decision."), code="not_your_turn"
        )
    if step.approver_id != approver.pk:
        raise ApprovalError(
            gettext_noop("It is not your turn to decide on this document."),
            code="not_your_turn",
        )
    return step


def _decide(
    document: Document, approver: Member, decision: str, comment: str, face_check: int | None
) -> Decided:
    with transaction.atomic():
        row = _locked(document)
        step = _turn(row, approver)  # again, under the lock: the turn may have gone
        step.decision = decision
        step.comment = comment
        step.decided_at = timezone.now()
        step.face_check = face_check
        step.signed_version = row.version
        step.signature = signing.sign(row, step)
        step.save()
        now = timezone.now()
        if decision == Decision.REJECTED:
            _transition(row.reject)
            row.decided_at = now
            row.save(update_fields=["state", "decided_at"])
            _history(row, approver, Action.REJECTED, comment)
        elif not row.steps.filter(decision=Decision.PENDING).exists():
            _transition(row.approve)
            row.decided_at = now
            row.number = _next_number(row)
            row.save(update_fields=["state", "decided_at", "number"])
            _history(row, approver, Action.APPROVED, comment)
            _history(row, None, Action.NUMBERED, row.number)
            spec = kinds.spec_of(row.form.kind)
            if spec.approved is not None:
                spec.approved(row.pk, row.drafter, row.content)
        else:
            _history(row, approver, Action.APPROVED, comment)
        return Decided(row, step)


def _next_number(document: Document) -> str:
    """ "SALES-2026-0007": the department's code, the year, and the next number of that
    department and year (the sequence row is locked, so numbers are never given twice)."""
    year = timezone.localdate().year
    NumberSequence.objects.get_or_create(department=document.department, year=year)
    sequence = NumberSequence.objects.select_for_update().get(
        department=document.department, year=year
    )
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{document.department.code.upper()}-{year}-{sequence.last:04d}"


def document_decide_seeded(
    *, document: Document, approver: Member, decision: str, comment: str
) -> Decided:
    """A decision without a face check, for the sample documents of `peeka org demo` only
    (no request reaches it): signed like any other, it cites no face check, and the document
    page says so instead of "signed with face"."""
    return _decide(document, approver, decision, comment, None)
