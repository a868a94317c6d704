"""Admin views of the audit log (read-only, filterable, exportable as CSV) and of lockouts. Codes
are shown in words (`peeka.security.labels`); the raw codes stay filterable and in the CSV."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy

from peeka.security.labels import event_title, lockout_kind_label, reason_label
from peeka.security.models import AuditEvent, Lockout
from peeka.security.spreadsheet import spreadsheet_cell


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class AppendOnlyAdmin(ReadOnlyAdmin):
    """A record whose rows are never changed or deleted by hand (the audit log, the
    workplace's punches and leave ledger): a mistake is corrected by a new row."""

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


CSV_FIELDS = ("time", "event", "username", "success", "reason", "ip", "user_agent")


class _CodeFilter(admin.SimpleListFilter):
    """A filter on a code column whose choices are the codes in use, shown in words."""

    field = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = model_admin.get_queryset(request).order_by().values_list(self.field, flat=True)
        choices = [(code, self.words(code)) for code in set(codes) if code]
        return sorted(choices, key=lambda choice: choice[1].casefold())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(**{self.field: value}) if value else queryset

    def words(self, code: str) -> str:
        raise NotImplementedError


class EventFilter(_CodeFilter):
    title = gettext_lazy("what happened")
    parameter_name = field = "event"

    def words(self, code: str) -> str:
        return f"{event_title(code, True)} ({code})"


class KindFilter(_CodeFilter):
    title = gettext_lazy("kind")
    parameter_name = field = "kind"

    def words(self, code: str) -> str:
        return lockout_kind_label(code)


@admin.register(AuditEvent)
class AuditEventAdmin(AppendOnlyAdmin):
    """The audit log cannot be edited or deleted here: rows leave only by the retention
    command (`peeka audit prune`), which is itself run by someone with the server."""

    list_display = ("time", "what_happened", "username", "success", "reason_text", "ip")
    list_display_links = ("time", "what_happened")
    list_filter = (EventFilter, "success", "reason")
    search_fields = ("username", "ip")
    date_hierarchy = "time"
    actions = ("export_csv",)
    fields = (
        "time",
        "what_happened",
        "reason_text",
        "user",
        "username",
        "success",
        "event",
        "reason",
        "ip",
        "user_agent",
    )
    readonly_fields = ("what_happened", "reason_text")

    @admin.display(description=gettext_lazy("What happened"), ordering="event")
    def what_happened(self, event: AuditEvent) -> str:
        return event_title(event.event, event.success)

    @admin.display(description=gettext_lazy("Reason"), ordering="reason")
    def reason_text(self, event: AuditEvent) -> str:
        return reason_label(event.reason, event=event.event)

    @admin.action(description=gettext_lazy("Export the selected events as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="peeka-audit.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_FIELDS)
        for event in queryset.order_by("time"):
            writer.writerow([spreadsheet_cell(getattr(event, name)) for name in CSV_FIELDS])
        return response


@admin.register(Lockout)
class LockoutAdmin(ReadOnlyAdmin):
    """Who is locked out of what; deleting a row lets the account try again at once."""

    list_display = ("user", "kind_text", "failures", "strikes", "disabled")
    list_filter = (KindFilter, "disabled")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    fields = ("user", "kind_text", "kind", "failures", "strikes", "failed_at", "disabled")
    readonly_fields = ("kind_text",)

    @admin.display(description=gettext_lazy("Kind"), ordering="kind")
    def kind_text(self, lockout: Lockout) -> str:
        return lockout_kind_label(lockout.kind)
