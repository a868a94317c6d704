"""`{{ amount|money:currency }}`: minor units written as money ("₩12,000", "$12.50")."""

from __future__ import annotations

from django import template

from peeka.wallet.models import CURRENCY_DIGITS, to_major

register = template.Library()
SYMBOLS = {"KRW": "₩", "CNY": "¥", "USD": "$"}


@register.filter
def money(amount: int | None, currency: str) -> str:
    if amount is None:
        return ""
    digits = CURRENCY_DIGITS.get(currency, 2)
    sign = "\u2212" if amount < 0 else ""  # a minus sign, not a hyphen
    # Korean, Chinese and English money alike: commas between thousands, a decimal point
    # (Django's zh-Hans number format has no grouping, which no payment app in China omits).
    text = f"{to_major(abs(amount), currency):,.{digits}f}"
    return f"{sign}{SYMBOLS.get(currency, '')}{text}"
