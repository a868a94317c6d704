from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class AttendanceConfig(AppConfig):
    name = "peeka.workplace.attendance"
    label = "attendance"
    verbose_name = gettext_lazy("Attendance")
    default_auto_field = "django.db.models.BigAutoField"
