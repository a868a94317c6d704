"""Admin view of template metadata, read-only (never template bytes)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from peeka.faces import selectors
from peeka.faces.models import FaceTemplate
from peeka.security.admin import ReadOnlyAdmin


@admin.register(FaceTemplate)
class FaceTemplateAdmin(ReadOnlyAdmin):
    list_display = ("user", "scheme", "model", "key_id", "frames_used", "created")
    list_filter = ("scheme", "model")
    exclude = ("data",)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Above the list: how many templates each face model and scheme holds, and which
        are on an older model than new enrollments (their users are asked to renew)."""
        context = {**(extra_context or {}), "status": selectors.templates_status()}
        return super().changelist_view(request, extra_context=context)
