from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class ApiConfig(AppConfig):
    name = "peeka.api"
    label = "api"
    verbose_name = gettext_lazy("API")
    default_auto_field = "django.db.models.BigAutoField"
