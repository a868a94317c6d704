from django.contrib import admin

from peeka.api.models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin[ApiClient]):
    list_display = ("name", "key_hint", "active", "created", "last_used")
    readonly_fields = ("key_hash", "key_hint", "created", "last_used")
