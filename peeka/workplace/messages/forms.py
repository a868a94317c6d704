"""The compose form: a recipient (an employee number or a department code), an optional
subject and the message, plain text. Browsers send line breaks as CRLF: they count as one
character, as the browser counted them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from peeka.workplace.messages.models import BODY_MAX, SUBJECT_MAX


class ComposeForm(forms.Form):
    to = forms.CharField(
        label=gettext_lazy("To a member (employee number)"),
        max_length=20,
        required=False,
    )
    department = forms.CharField(
        label=gettext_lazy("Or to a department"), max_length=32, required=False
    )
    subject = forms.CharField(
        label=gettext_lazy("Subject (optional)"), max_length=SUBJECT_MAX, required=False
    )
    body = forms.CharField(
        label=gettext_lazy("Message"),
        widget=forms.Textarea,
        error_messages={"required": gettext_lazy("Write a message.")},
    )
    reply_to = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"].replace("\r\n", "\n")
        if len(body) > BODY_MAX:
            raise ValidationError(
                gettext_lazy("A message is at most %(limit)s characters (it has %(length)s)."),
                params={"limit": f"{BODY_MAX:,}", "length": f"{len(body):,}"},
            )
        return body

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors.get("to") or self.errors.get("department"):
            return data
        if bool(data.get("to")) == bool(data.get("department")):
            raise ValidationError(
                gettext_lazy("Choose one recipient: a member's employee number or a department.")
            )
        return data
