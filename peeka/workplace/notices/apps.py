from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class NoticesConfig(AppConfig):
    name = "peeka.workplace.notices"
    label = "notices"
    verbose_name = gettext_lazy("Notice board")
    default_auto_field = "django.db.models.BigAutoField"
