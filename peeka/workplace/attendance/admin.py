"""Kiosk devices (register here or with `peeka org kiosk NAME`; the key is shown once)
and punches, read-only: a correction is a request through approvals, not an edit; HR's work
schedules and the members who have one of their own."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext, gettext_lazy

from peeka.accounts.admin import StepUpAdmin
from peeka.security.admin import AppendOnlyAdmin
from peeka.workplace.attendance.models import (
    KioskDevice,
    Punch,
    ScheduleAssignment,
    WorkSchedule,
)
from peeka.workplace.attendance.services import (
    kiosk_key_issue,
    kiosk_revoke,
    schedule_make_default,
)


@admin.register(KioskDevice)
class KioskDeviceAdmin(StepUpAdmin):
    """Registering a device makes its key, shown once on the next page (only its hash is
    kept); revoking is a list action."""

    list_display = ("name", "active", "created_at")
    fields = ("name",)
    actions = ("revoke",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: KioskDevice | None = None
    ) -> tuple[str, ...]:
        return ("name",) if obj is not None else ()

    def save_model(
        self, request: HttpRequest, obj: KioskDevice, form: ModelForm[Any], change: bool
    ) -> None:
        if not change:
            key = kiosk_key_issue(device=obj)
            setattr(request, "peeka_new_key", key)  # noqa: B010 (read once, by response_add)
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: KioskDevice, post_url_continue: str | None = None
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "device": obj,
            "key": getattr(request, "peeka_new_key", ""),
            "title": gettext("Kiosk registered"),
        }
        return TemplateResponse(request, "admin/attendance/kioskdevice/created.html", context)

    @admin.action(description=gettext_lazy("Revoke the selected kiosks' keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[KioskDevice]) -> None:
        for device in queryset:
            kiosk_revoke(device=device)


@admin.register(Punch)
class PunchAdmin(AppendOnlyAdmin):
    list_display = ("at", "member", "direction", "method", "device", "open_shift")
    list_filter = ("direction", "method", "open_shift", "device")
    search_fields = ("member__name", "member__employee_number")
    date_hierarchy = "at"


@admin.register(WorkSchedule)
class WorkScheduleAdmin(StepUpAdmin):
    """HR's work schedules. The default (the schedule of every member without their own) is
    chosen with a list action, which moves it in one step; it cannot be deleted, nor can a
    schedule members still have."""

    list_display = (
        "name",
        "start",
        "end",
        "workdays",
        "break_minutes",
        "late_grace_minutes",
        "early_grace_minutes",
        "half_day_hours",
        "absent_hours",
        "default",
    )
    readonly_fields = ("default",)
    actions = ("make_default",)

    def has_delete_permission(self, request: HttpRequest, obj: WorkSchedule | None = None) -> bool:
        if obj is not None and obj.default:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=gettext_lazy("Make the selected schedule the default"))
    def make_default(self, request: HttpRequest, queryset: QuerySet[WorkSchedule]) -> None:
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            self.message_user(
                request, gettext("Choose exactly one schedule to make the default."), "error"
            )
            return
        schedule_make_default(schedule=chosen[0])
        self.message_user(
            request, gettext("%(name)s is now the default schedule.") % {"name": chosen[0].name}
        )


@admin.register(ScheduleAssignment)
class ScheduleAssignmentAdmin(StepUpAdmin):
    """Members with a schedule of their own; everyone else follows the default schedule."""

    list_display = ("member", "schedule")
    list_filter = ("schedule",)
    search_fields = ("member__name", "member__employee_number")
    autocomplete_fields = ("member",)
