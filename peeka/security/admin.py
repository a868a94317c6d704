"""Admin views of the audit log (read-only, filterable, exportable as CSV) and of lockouts."""

from __future__ import annotations

import csv

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy

from peeka.security.models import AuditEvent, Lockout


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


CSV_FIELDS = ("time", "event", "username", "success", "reason", "ip", "user_agent")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log cannot be edited or deleted here: rows leave only by the retention
    command (`peeka audit prune`), which is itself run by someone with the server."""

    list_display = ("time", "event", "username", "success", "reason", "ip")
    list_filter = ("event", "success", "reason")
    search_fields = ("username", "ip")
    date_hierarchy = "time"
    actions = ("export_csv",)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Export the selected events as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="peeka-audit.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_FIELDS)
        for event in queryset.order_by("time"):
            writer.writerow([_cell(getattr(event, name)) for name in CSV_FIELDS])
        return response


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A leading =, +, - or @ would run as a formula in a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@admin.register(Lockout)
class LockoutAdmin(ReadOnlyAdmin):
    """Who is locked out of what; deleting a row lets the account try again at once."""

    list_display = ("user", "kind", "failures", "strikes", "disabled")
    list_filter = ("kind", "disabled")
    search_fields = ("user__username",)
