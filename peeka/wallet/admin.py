"""The wallet's ledger in the admin, read-only: money moves only through the wallet's services
(a top-up by `peeka wallet topup`, payments by their owners' faces); a mistake is corrected by
a reversing transaction, never by editing a row."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from peeka.security.admin import AppendOnlyAdmin
from peeka.wallet.models import Account, Payment, PaymentRequest, Posting, Transaction


class PostingInline(admin.TabularInline[Posting, Transaction]):
    model = Posting
    fields = ("account", "amount", "currency")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(AppendOnlyAdmin):
    list_display = ("pk", "kind", "owner", "currency", "balance", "closed", "created")
    list_filter = ("kind", "currency", "closed")
    search_fields = ("owner__username",)


@admin.register(Transaction)
class TransactionAdmin(AppendOnlyAdmin):
    list_display = ("pk", "kind", "created", "memo", "reverses")
    list_filter = ("kind",)
    date_hierarchy = "created"
    inlines = (PostingInline,)


@admin.register(Payment)
class PaymentAdmin(AppendOnlyAdmin):
    list_display = (
        "pk",
        "payer",
        "payee",
        "amount",
        "currency",
        "state",
        "created",
        "face_audit_id",
    )
    list_filter = ("state", "currency", "pin_checked")
    date_hierarchy = "created"


@admin.register(PaymentRequest)
class PaymentRequestAdmin(AppendOnlyAdmin):
    list_display = ("pk", "payee", "amount", "created", "expires_at")
