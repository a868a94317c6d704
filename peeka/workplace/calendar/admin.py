"""Events in the admin, with their scope, owner and start (members write them on the calendar's
pages; feed tokens are only hashes and stay out of it)."""

from __future__ import annotations

from django.contrib import admin

from peeka.workplace.calendar.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "scope", "department", "owner", "start", "all_day")
    list_filter = ("scope", "all_day", "department")
    search_fields = ("title", "owner__name", "owner__employee_number")
    date_hierarchy = "start"
    raw_id_fields = ("owner",)
    # The calendar's form checks a rule and a zone; the admin would store any text.
    readonly_fields = ("time_zone", "rrule", "created_at", "updated_at")
