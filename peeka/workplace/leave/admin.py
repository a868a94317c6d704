"""The leave ledger, read-only: balances change only by new rows (grants, leave taken,
expiries, adjustments), never by editing one; the leave policy, edited after a step-up."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from peeka.accounts.admin import StepUpAdmin
from peeka.security.admin import AppendOnlyAdmin
from peeka.workplace.leave.models import LeaveEntry, LeavePolicy


@admin.register(LeaveEntry)
class LeaveEntryAdmin(AppendOnlyAdmin):
    list_display = ("on_date", "member", "kind", "half_days", "period", "note")
    list_filter = ("kind",)
    search_fields = ("member__name", "member__employee_number")


@admin.register(LeavePolicy)
class LeavePolicyAdmin(StepUpAdmin):
    list_display = ("__str__", "first_year_max", "base_days", "every_years", "max_days", "expires")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not LeavePolicy.objects.exists()  # one row

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
