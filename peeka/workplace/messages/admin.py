"""Messages in the admin: who sent one, to how many and when, never what it says (the
subject and body are the members' private correspondence). Read-only: nothing is added,
changed or deleted here."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from peeka.security.admin import AppendOnlyAdmin
from peeka.workplace.messages.models import Message


@admin.register(Message)
class MessageAdmin(AppendOnlyAdmin):
    list_display = ("__str__", "sender", "department", "recipients_count", "sent_at")
    list_filter = ("department",)
    search_fields = ("sender__name", "sender__employee_number")
    date_hierarchy = "sent_at"
    fields = ("sender", "department", "reply_to", "sent_at", "recipients_count")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        queryset: QuerySet[Message] = super().get_queryset(request)
        return (
            queryset.select_related("sender", "department")
            .annotate(recipients=Count("deliveries"))
            .defer("subject", "body")
        )

    @admin.display(description=gettext_lazy("recipients"), ordering="recipients")
    def recipients_count(self, obj: Message) -> int:
        return int(getattr(obj, "recipients", 0))
