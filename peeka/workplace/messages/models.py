"""Messages and their deliveries. A message is written once by its sender; each recipient has
a delivery row of their own, which says when they first read it and whether they deleted it
from their inbox (the message stays for the sender and the other recipients)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext, gettext_lazy

from peeka.workplace.org.models import Department, Member

SUBJECT_MAX = 200
BODY_MAX = 5000


class Message(models.Model):
    sender = models.ForeignKey(
        Member,
        verbose_name=gettext_lazy("sender"),
        # Members leave by being made inactive; their messages stay in the recipients' inboxes.
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject = models.CharField(gettext_lazy("subject"), max_length=SUBJECT_MAX, blank=True)
    body = models.TextField(gettext_lazy("message"), max_length=BODY_MAX)
    """Plain text, shown escaped with its line breaks."""
    sent_at = models.DateTimeField(gettext_lazy("sent"), db_index=True)
    department = models.ForeignKey(
        Department,
        verbose_name=gettext_lazy("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=gettext_lazy("Set when the message was sent to a whole department."),
    )
    reply_to = models.ForeignKey(
        "self",
        verbose_name=gettext_lazy("in reply to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
    )

    class Meta:
        verbose_name = gettext_lazy("message")
        verbose_name_plural = gettext_lazy("messages")
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["sender", "-sent_at"], name="messaging_sender_sent")]

    def __str__(self) -> str:
        # Not the subject: the admin lists messages without their content.
        return gettext("Message %(number)s") % {"number": self.pk}


class Delivery(models.Model):
    message = models.ForeignKey(
        Message,
        verbose_name=gettext_lazy("message"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    recipient = models.ForeignKey(
        Member,
        verbose_name=gettext_lazy("recipient"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    read_at = models.DateTimeField(gettext_lazy("read"), null=True, blank=True)
    """When the recipient first opened the message; never moved by a later opening."""
    deleted_by_recipient = models.BooleanField(
        gettext_lazy("deleted by the recipient"), default=False
    )

    class Meta:
        verbose_name = gettext_lazy("delivery")
        verbose_name_plural = gettext_lazy("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "recipient"], name="messaging_delivery_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "deleted_by_recipient", "read_at"],
                name="messaging_delivery_inbox",
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.recipient_id}"
