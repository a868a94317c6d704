from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class WalletConfig(AppConfig):
    name = "peeka.wallet"
    label = "wallet"
    verbose_name = gettext_lazy("Wallet")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The wallet's API joins /api/v1 (and its OpenAPI schema) as /api/v1/wallet.
        from peeka.api.api import api
        from peeka.security.privacy import privacy_register
        from peeka.wallet import selectors
        from peeka.wallet.api import router
        from peeka.wallet.services.ledger import account_close

        api.add_router("/wallet", router)
        privacy_register("wallet", export=selectors.wallet_export, delete=account_close)
