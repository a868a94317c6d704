from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class CoachConfig(AppConfig):
    name = "peeka.coach"
    label = "coach"
    verbose_name = gettext_lazy("Interview coach")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from peeka.coach import selectors
        from peeka.security.privacy import privacy_register

        # Reviews, reports and likes go with the account (a cascade); the export lists them.
        privacy_register("coach_reviews", export=selectors.reviews_export)
        # Cover letters, questions, answers, feedback and mock interviews go with the account
        # too (a cascade from the owner); the export lists them.
        privacy_register("coach_practice", export=selectors.practice_export)
