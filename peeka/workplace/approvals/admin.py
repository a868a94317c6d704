"""Forms are kept here by the administrator; documents, their steps and history are read-only
(a document changes only through its state machine, a signature never)."""

from __future__ import annotations

from django.contrib import admin

from peeka.accounts.admin import StepUpAdmin
from peeka.security.admin import AppendOnlyAdmin
from peeka.workplace.approvals.models import ApprovalForm, Document, History, Step


@admin.register(ApprovalForm)
class ApprovalFormAdmin(StepUpAdmin):
    list_display = ("display_name", "kind", "line_depth", "active")
    list_filter = ("kind", "active")
    filter_horizontal = ("final_approvers", "cc")


class StepInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Step
    extra = 0
    can_delete = False
    fields = ("order", "approver", "decision", "decided_at", "comment", "face_check")
    readonly_fields = fields

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(AppendOnlyAdmin):
    list_display = ("__str__", "form", "drafter", "state", "created_at", "decided_at")
    list_filter = ("state", "form")
    search_fields = ("number", "title", "drafter__name")
    inlines = (StepInline,)


@admin.register(History)
class HistoryAdmin(AppendOnlyAdmin):
    list_display = ("at", "document", "actor", "action", "note")
    list_filter = ("action",)
