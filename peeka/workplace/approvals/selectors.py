"""Reads of electronic approval: the default line, whose turn it is, the inboxes (to approve —
only when it is the reader's turn —, drafted, CC, done), who may read a document, and a
document with its line, signatures and history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, QuerySet, Subquery

from peeka.workplace.approvals import signing
from peeka.workplace.approvals.models import (
    ApprovalForm,
    Cc,
    Decision,
    Document,
    History,
    State,
    Step,
)
from peeka.workplace.org.models import Department, Member, Role

PAGE_SIZE = 20
BOXES = ("to_approve", "drafted", "cc", "done")
APPROVING_ROLES = (Role.MANAGER, Role.EXECUTIVE)


def forms_in_use() -> list[ApprovalForm]:
    return list(ApprovalForm.objects.filter(active=True))


def default_line(*, form: ApprovalForm, drafter: Member) -> list[Member]:
    """The managers (and executives) up the drafter's department chain, nearest first, up to
    the form's `line_depth` of them, then the form's final approvers; never the drafter,
    nobody twice."""
    line: list[Member] = []
    department: Department | None = drafter.department
    seen = {drafter.pk}
    while department is not None and len(line) < form.line_depth:
        heads = Member.objects.filter(
            department=department, role__in=APPROVING_ROLES, active=True
        ).order_by("role", "employee_number")
        for head in heads:
            if head.pk not in seen:
                line.append(head)
                seen.add(head.pk)
                break
        department = department.parent
    for member in form.final_approvers.filter(active=True).order_by("employee_number"):
        if member.pk not in seen:
            line.append(member)
            seen.add(member.pk)
    return line


def default_cc(*, form: ApprovalForm, drafter: Member) -> list[Member]:
    return [m for m in form.cc.filter(active=True) if m.pk != drafter.pk]


def current_step(*, document: Document) -> Step | None:
    """The first step still waiting, if the document is in progress."""
    if document.state != State.IN_PROGRESS:
        return None
    return document.steps.filter(decision=Decision.PENDING).order_by("order").first()


def _waiting_on(member: Member) -> QuerySet[Document, dict[str, Any]]:
    """The ids of documents in progress whose first waiting step is `member`'s."""
    first_pending = (
        Step.objects.filter(document=OuterRef("pk"), decision=Decision.PENDING)
        .order_by("order")
        .values("approver")[:1]
    )
    return (
        Document.objects.filter(state=State.IN_PROGRESS)
        .annotate(next_approver=Subquery(first_pending))
        .filter(next_approver=member.pk)
        .values("pk")
    )


def inbox(*, member: Member, box: str) -> QuerySet[Document]:
    documents = Document.objects.select_related("form", "drafter", "department")
    if box == "to_approve":
        return documents.filter(pk__in=_waiting_on(member)).order_by("submitted_at", "pk")
    if box == "cc":
        return documents.filter(cc__member=member).exclude(state=State.DRAFT)
    if box == "done":
        decided = Step.objects.filter(document=OuterRef("pk"), approver=member).exclude(
            decision=Decision.PENDING
        )
        return documents.filter(Exists(decided))
    return documents.filter(drafter=member)


def inbox_page(*, member: Member, box: str, page: int) -> Page[Document]:
    return Paginator(inbox(member=member, box=box), PAGE_SIZE).get_page(page)


def to_approve_count(*, member: Member) -> int:
    return inbox(member=member, box="to_approve").count()


def can_read(*, member: Member, document: Document) -> bool:
    """The drafter, the approvers of its line, its CC (once submitted) and HR admins."""
    if member.role == Role.HR_ADMIN and member.active:
        return True
    if document.drafter_id == member.pk or document.steps.filter(approver=member).exists():
        return True
    return (
        document.state != State.DRAFT
        and Cc.objects.filter(document=document, member=member).exists()
    )


@dataclass(frozen=True)
class SignedStep:
    step: Step
    current: bool
    signature_ok: bool | None
    """None while undecided; False when the document changed after the decision."""


@dataclass(frozen=True)
class DocumentView:
    document: Document
    steps: list[SignedStep]
    cc: list[Member]
    history: list[History]

    @property
    def signatures_ok(self) -> bool:
        return all(s.signature_ok is not False for s in self.steps)


def document_view(*, document_id: int) -> DocumentView | None:
    document = (
        Document.objects.select_related("form", "drafter__department", "department")
        .filter(pk=document_id)
        .first()
    )
    if document is None:
        return None
    steps = list(document.steps.select_related("approver__department").order_by("order"))
    current = current_step(document=document)
    return DocumentView(
        document=document,
        steps=[
            SignedStep(
                step=step,
                current=current is not None and step.pk == current.pk,
                signature_ok=(
                    None if step.decision == Decision.PENDING else signing.verify(document, step)
                ),
            )
            for step in steps
        ],
        cc=[cc.member for cc in document.cc.select_related("member").order_by("member__name")],
        history=list(document.history.select_related("actor").order_by("at", "pk")),
    )
