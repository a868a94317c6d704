from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class SecurityConfig(AppConfig):
    name = "peeka.security"
    label = "security"
    verbose_name = gettext_lazy("Security")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from peeka.security import privacy, selectors

        privacy.privacy_register("audit_events", export=selectors.audit_export)
