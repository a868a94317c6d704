from __future__ import annotations

from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "peeka.security"
    label = "security"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from peeka.security import privacy, selectors

        privacy.privacy_register("audit_events", export=selectors.audit_export)
