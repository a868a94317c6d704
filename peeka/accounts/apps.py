from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "peeka.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from peeka.accounts import selectors, signals, tokens  # noqa: F401  (signals: audit receivers)
        from peeka.security.privacy import privacy_register

        privacy_register("account", export=selectors.account_export)
        privacy_register("second_factors", export=selectors.second_factors_export)
        # Tokens go with the account (a cascade); the export lists them without secrets.
        privacy_register("access_tokens", export=tokens.tokens_export)
