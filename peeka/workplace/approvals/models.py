"""Electronic approval (전자결재): forms kept by the administrator, documents drafted from them
with an ordered approval line and a CC list, their states through a state machine
(django-fsm-2), each decision signed (an HMAC over the document's content and version, citing
the live face check that preceded it), a number per department and year at final approval,
and an append-only history."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy
from django_fsm import FSMField, transition

from peeka.workplace.org.models import Department, Member


class Kind(models.TextChoices):
    LEAVE = "leave", gettext_lazy("Leave request")
    LEAVE_CANCEL = "leave_cancel", gettext_lazy("Leave cancellation")
    CORRECTION = "correction", gettext_lazy("Attendance correction")
    EXPENSE = "expense", gettext_lazy("Expense report")
    GENERAL = "general", gettext_lazy("General request")


class ApprovalForm(models.Model):
    """A form (양식) documents are drafted from: its kind decides the fields and what a final
    approval does (book leave, add a punch, ...); the line defaults come from here."""

    kind = models.CharField(gettext_lazy("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(
        gettext_lazy("name"),
        max_length=100,
        blank=True,
        help_text=gettext_lazy("Leave empty to show the kind's name in each reader's language."),
    )
    description = models.TextField(gettext_lazy("description"), blank=True)
    line_depth = models.PositiveSmallIntegerField(
        gettext_lazy("managers in the line"),
        default=1,
        help_text=gettext_lazy(
            "How many managers up the drafter's department chain approve, nearest first."
        ),
    )
    final_approvers = models.ManyToManyField(
        Member,
        verbose_name=gettext_lazy("final approvers"),
        blank=True,
        related_name="+",
        help_text=gettext_lazy("Added after the managers, in this order of employee numbers."),
    )
    cc = models.ManyToManyField(
        Member, verbose_name=gettext_lazy("CC"), blank=True, related_name="+"
    )
    extra_fields = models.JSONField(
        gettext_lazy("more fields"),
        default=list,
        blank=True,
        help_text=gettext_lazy(
            'Asked after the kind\'s own fields, e.g. [{"name": "project", "label": "Project", '
            '"type": "text", "required": true}]; types: text, textarea, date, number.'
        ),
    )
    active = models.BooleanField(gettext_lazy("active"), default=True)

    class Meta:
        verbose_name = gettext_lazy("approval form")
        verbose_name_plural = gettext_lazy("approval forms")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        from peeka.workplace.approvals.kinds import extra_fields_problem

        problem = extra_fields_problem(self.kind, self.extra_fields)
        if problem:
            raise ValidationError({"extra_fields": problem})

    @property
    def display_name(self) -> str:
        return self.name or str(Kind(self.kind).label)


class State(models.TextChoices):
    DRAFT = "draft", gettext_lazy("Draft")
    IN_PROGRESS = "in_progress", gettext_lazy("In progress")
    APPROVED = "approved", gettext_lazy("Approved")
    REJECTED = "rejected", gettext_lazy("Rejected")
    WITHDRAWN = "withdrawn", gettext_lazy("Withdrawn")


class Document(models.Model):
    form = models.ForeignKey(
        ApprovalForm, verbose_name=gettext_lazy("form"), on_delete=models.PROTECT
    )
    drafter = models.ForeignKey(
        Member, verbose_name=gettext_lazy("drafter"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=gettext_lazy("department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    """The drafter's department when drafted: the document number counts per department."""
    title = models.CharField(gettext_lazy("title"), max_length=200)
    content = models.JSONField(gettext_lazy("content"), default=dict)
    """The kind's fields, as text: what the approvers read and sign."""
    state = FSMField(
        gettext_lazy("state"), default=State.DRAFT, choices=State.choices, protected=True
    )
    version = models.PositiveIntegerField(gettext_lazy("version"), default=1)
    """Each edit of a draft adds one; a signature covers one version."""
    number = models.CharField(gettext_lazy("document number"), max_length=48, blank=True)
    redraft_of = models.ForeignKey(
        "self",
        verbose_name=gettext_lazy("re-draft of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(gettext_lazy("drafted"), auto_now_add=True)
    submitted_at = models.DateTimeField(gettext_lazy("submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(gettext_lazy("decided"), null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("approval document")
        verbose_name_plural = gettext_lazy("approval documents")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["number"], condition=~models.Q(number=""), name="approvals_number_unique"
            )
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk} {self.title}"

    # The state machine: a draft is submitted; in progress it is approved (by the last step),
    # rejected (by any step) or withdrawn (by the drafter, before any step has approved).
    # Rejected and withdrawn documents are re-drafted as new drafts, never reopened.

    @transition(field=state, source=State.DRAFT, target=State.IN_PROGRESS)
    def submit(self) -> None:
        pass

    @transition(field=state, source=State.IN_PROGRESS, target=State.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=state, source=State.IN_PROGRESS, target=State.REJECTED)
    def reject(self) -> None:
        pass

    @transition(field=state, source=State.IN_PROGRESS, target=State.WITHDRAWN)
    def withdraw(self) -> None:
        pass


class Decision(models.TextChoices):
    PENDING = "pending", gettext_lazy("Waiting")
    APPROVED = "approved", gettext_lazy("Approved")
    REJECTED = "rejected", gettext_lazy("Rejected")


class Step(models.Model):
    """One approver of a document's line, in order; a decision is signed."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(gettext_lazy("order"))
    approver = models.ForeignKey(
        Member, verbose_name=gettext_lazy("approver"), on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(
        gettext_lazy("decision"), max_length=10, choices=Decision.choices, default="pending"
    )
    comment = models.CharField(gettext_lazy("comment"), max_length=500, blank=True)
    decided_at = models.DateTimeField(gettext_lazy("decided"), null=True, blank=True)
    face_check = models.PositiveBigIntegerField(gettext_lazy("face check"), null=True, blank=True)
    """The audit row of the live face check that preceded the decision."""
    signed_version = models.PositiveIntegerField(null=True, blank=True)
    signature = models.CharField(max_length=64, blank=True)
    """HMAC-SHA256 over the document's content and version and this decision (`signing`)."""

    class Meta:
        verbose_name = gettext_lazy("approval step")
        verbose_name_plural = gettext_lazy("approval steps")
        ordering = ["document", "order"]
        constraints = [
            models.UniqueConstraint(fields=["document", "order"], name="approvals_step_order"),
            models.UniqueConstraint(
                fields=["document", "approver"], name="approvals_step_approver_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} {self.order}: {self.approver} {self.decision}"


class Cc(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="cc")
    member = models.ForeignKey(
        Member, verbose_name=gettext_lazy("member"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = gettext_lazy("CC")
        verbose_name_plural = gettext_lazy("CC")
        constraints = [
            models.UniqueConstraint(fields=["document", "member"], name="approvals_cc_once")
        ]


class Action(models.TextChoices):
    DRAFTED = "drafted", gettext_lazy("Drafted")
    EDITED = "edited", gettext_lazy("Edited")
    SUBMITTED = "submitted", gettext_lazy("Submitted")
    APPROVED = "approved", gettext_lazy("Approved")
    REJECTED = "rejected", gettext_lazy("Rejected")
    WITHDRAWN = "withdrawn", gettext_lazy("Withdrawn")
    REDRAFTED = "redrafted", gettext_lazy("Re-drafted")
    NUMBERED = "numbered", gettext_lazy("Numbered")


class AppendOnlyError(Exception):
    """A history row was to be changed or deleted."""


class History(models.Model):
    """The document's timeline: appended, never changed."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(gettext_lazy("time"), auto_now_add=True)
    actor = models.ForeignKey(
        Member,
        verbose_name=gettext_lazy("by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    action = models.CharField(gettext_lazy("action"), max_length=12, choices=Action.choices)
    note = models.CharField(gettext_lazy("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = gettext_lazy("document history")
        verbose_name_plural = gettext_lazy("document history")
        ordering = ["at", "pk"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("document history is never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("document history is never deleted")


class NumberSequence(models.Model):
    """The last document number given in a department and year (locked to give the next)."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["department", "year"], name="approvals_sequence_once")
        ]
