from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class AttendanceConfig(AppConfig):
    name = "peeka.workplace.attendance"
    label = "attendance"
    verbose_name = gettext_lazy("Attendance")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The kiosk devices' API joins /api/v1 (and its OpenAPI schema) as /api/v1/workplace.
        from peeka.api.api import api
        from peeka.workplace.attendance.api import router
        from peeka.workplace.attendance.approval import register

        api.add_router("/workplace", router)
        # Corrections are approval documents (their effect, a punch, lives here).
        register()
