"""Security alerts in the admin, to read (they are raised by `alerts_check` and acknowledged
on the security view, which audits it)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from peeka.workplace.dashboards.models import Alert


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("window_start", "kind", "count", "baseline", "acknowledged_at")
    list_filter = ("kind", ("acknowledged_at", admin.EmptyFieldListFilter))
    date_hierarchy = "window_start"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
