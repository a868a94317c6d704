from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class MessagesConfig(AppConfig):
    name = "peeka.workplace.messages"
    # Not "messages": that label is django.contrib.messages'.
    label = "messaging"
    verbose_name = gettext_lazy("Messages")
    default_auto_field = "django.db.models.BigAutoField"
