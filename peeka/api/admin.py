from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from peeka.accounts.admin import StepUpAdmin
from peeka.api.models import ApiClient, hash_key, new_key


@admin.register(ApiClient)
class ApiClientAdmin(StepUpAdmin):
    """Creating a client makes its key, shown once on the next page (never stored)."""

    list_display = ("name", "key_hint", "active", "created", "last_used")
    readonly_fields = ("key_hint", "created", "last_used")
    exclude = ("key_hash",)

    def save_model(
        self, request: HttpRequest, obj: ApiClient, form: ModelForm[Any], change: bool
    ) -> None:
        if not change:
            key = new_key()
            obj.key_hash, obj.key_hint = hash_key(key), key[:10]
            setattr(request, "peeka_new_key", key)  # noqa: B010 (read once, by response_add)
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: ApiClient, post_url_continue: str | None = None
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "client": obj,
            "key": getattr(request, "peeka_new_key", ""),
            "title": gettext("API key created"),
        }
        return TemplateResponse(request, "admin/api/apiclient/created.html", context)
