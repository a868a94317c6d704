"""The leave ledger, read-only: balances change only by new rows (grants, leave taken,
expiries, adjustments), never by editing one."""

from __future__ import annotations

from django.contrib import admin

from peeka.security.admin import AppendOnlyAdmin
from peeka.workplace.leave.models import LeaveEntry


@admin.register(LeaveEntry)
class LeaveEntryAdmin(AppendOnlyAdmin):
    list_display = ("on_date", "member", "kind", "half_days", "period", "note")
    list_filter = ("kind",)
    search_fields = ("member__name", "member__employee_number")
