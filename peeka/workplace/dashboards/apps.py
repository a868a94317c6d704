from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class DashboardsConfig(AppConfig):
    name = "peeka.workplace.dashboards"
    label = "dashboards"
    verbose_name = gettext_lazy("Dashboards")
    default_auto_field = "django.db.models.BigAutoField"
