"""The wallet's forms. Amounts are typed in the currency's major unit ("12.50", "5000") and
converted to minor units by the services, which refuse more decimals than the currency has."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from peeka.wallet.models import CURRENCY_DIGITS, TransactionKind


class _DateInput(forms.DateInput):
    input_type = "date"


def _amount_field(currency: str, *, required: bool) -> forms.CharField:
    digits = CURRENCY_DIGITS[currency]
    return forms.CharField(
        label=gettext_lazy("Amount (%(currency)s)") % {"currency": currency},
        required=required,
        max_length=24,
        widget=forms.TextInput(
            attrs={
                "inputmode": "decimal" if digits else "numeric",
                "autocomplete": "off",
                "pattern": rf"[0-9]+([.,][0-9]{{1,{digits}}})?" if digits else "[0-9]+",
            }
        ),
    )


class ReceiveForm(forms.Form):
    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"] = _amount_field(currency, required=False)
        self.fields["amount"].help_text = gettext_lazy("Leave it empty to let the payer enter it.")


class _Pin(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            min_length=6,
            max_length=6,
            strip=True,
            widget=forms.PasswordInput(
                attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{6}"}
            ),
            **kwargs,
        )


class ConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    pin = _Pin(label=gettext_lazy("Wallet PIN"), required=False)

    def __init__(self, *args: Any, fixed: bool, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not fixed:
            self.fields["amount"] = _amount_field(currency, required=True)
            self.order_fields(["amount", "pin", "token"])


class TopUpForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Card number"),
        max_length=23,
        help_text=gettext_lazy(
            "A demo: the test card 4242 4242 4242 4242 pays. No real card is charged."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number"}),
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"] = _amount_field(currency, required=True)
        self.order_fields(["amount", "number", "token"])


class PinForm(forms.Form):
    pin = _Pin(label=gettext_lazy("New wallet PIN (6 digits)"))
    again = _Pin(label=gettext_lazy("The same PIN again"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("pin") and data.get("again") and data["pin"] != data["again"]:
            self.add_error("again", gettext_lazy("The two PINs differ."))
        return data


class HistoryFilter(forms.Form):
    """The history's filters (GET): what kind, which way, between which dates."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("All")), *TransactionKind.choices],
    )
    direction = forms.ChoiceField(
        label=gettext_lazy("Direction"),
        required=False,
        choices=[
            ("", gettext_lazy("In and out")),
            ("in", gettext_lazy("Money in")),
            ("out", gettext_lazy("Money out")),
        ],
    )
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=_DateInput)
    until = forms.DateField(label=gettext_lazy("Until"), required=False, widget=_DateInput)
