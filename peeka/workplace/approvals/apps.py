from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class ApprovalsConfig(AppConfig):
    name = "peeka.workplace.approvals"
    label = "approvals"
    verbose_name = gettext_lazy("Electronic approval")
    default_auto_field = "django.db.models.BigAutoField"
