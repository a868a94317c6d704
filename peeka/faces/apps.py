from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings


class FacesConfig(AppConfig):
    name = "peeka.faces"
    label = "faces"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import pre_delete

        from peeka.accounts.factors import factor_register
        from peeka.faces import selectors
        from peeka.faces.services.enrollment import templates_delete_all
        from peeka.faces.signals import ask_to_renew, leave_gallery
        from peeka.security.privacy import privacy_register

        factor_register("face", enrolled=lambda user: selectors.template_exists(user=user))
        privacy_register(
            "face_templates", export=selectors.templates_export, delete=templates_delete_all
        )
        user_logged_in.connect(ask_to_renew, dispatch_uid="peeka.faces.ask_to_renew")
        pre_delete.connect(
            leave_gallery, sender=settings.AUTH_USER_MODEL, dispatch_uid="peeka.faces.gallery"
        )
