from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class CalendarConfig(AppConfig):
    name = "peeka.workplace.calendar"
    # Not "calendar": that label would read as Python's calendar module in every model name.
    label = "workplace_calendar"
    verbose_name = gettext_lazy("Calendar")
    default_auto_field = "django.db.models.BigAutoField"
