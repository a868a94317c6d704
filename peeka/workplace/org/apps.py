from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class OrgConfig(AppConfig):
    name = "peeka.workplace.org"
    label = "org"
    verbose_name = gettext_lazy("Organisation")
    default_auto_field = "django.db.models.BigAutoField"
