"""Admin view of template metadata, read-only (never template bytes)."""

from __future__ import annotations

from django.contrib import admin

from peeka.faces.models import FaceTemplate
from peeka.security.admin import ReadOnlyAdmin


@admin.register(FaceTemplate)
class FaceTemplateAdmin(ReadOnlyAdmin):
    list_display = ("user", "scheme", "model", "key_id", "frames_used", "created")
    list_filter = ("scheme", "model")
    exclude = ("data",)
