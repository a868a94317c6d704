"""Admin views: the audit log and template metadata, read-only (never template bytes)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from peeka.faces.models import AuditEvent, FaceTemplate


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(_ReadOnly):
    list_display = ("time", "event", "username", "success", "reason", "ip")
    list_filter = ("event", "success", "reason")
    search_fields = ("username", "ip")
    date_hierarchy = "time"


@admin.register(FaceTemplate)
class FaceTemplateAdmin(_ReadOnly):
    list_display = ("user", "scheme", "key_id", "frames_used", "created")
    list_filter = ("scheme",)
    exclude = ("data",)
