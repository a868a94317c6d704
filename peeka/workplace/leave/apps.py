from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class LeaveConfig(AppConfig):
    name = "peeka.workplace.leave"
    label = "leave"
    verbose_name = gettext_lazy("Leave")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Leave requests and cancellations are approval documents (their effect lives here).
        from peeka.workplace.leave.approval import register

        register()
