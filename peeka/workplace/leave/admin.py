"""The leave ledger, read-only: balances change only by new rows (grants, leave taken,
expiries, adjustments), never by editing one."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from peeka.workplace.leave.models import LeaveEntry


@admin.register(LeaveEntry)
class LeaveEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("on_date", "member", "kind", "half_days", "period", "note")
    list_filter = ("kind",)
    search_fields = ("member__name", "member__employee_number")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
