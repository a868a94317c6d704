"""Kiosk devices (register with `peeka org kiosk NAME`, which shows the key once; revoke here)
and punches, read-only: a correction is a request through approvals, not an edit."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from peeka.security.admin import AppendOnlyAdmin
from peeka.workplace.attendance.models import KioskDevice, Punch
from peeka.workplace.attendance.services import kiosk_revoke


@admin.register(KioskDevice)
class KioskDeviceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "active", "created_at")
    readonly_fields = ("name", "active", "created_at")
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the key must be shown once: `peeka org kiosk NAME`

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
