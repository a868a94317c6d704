"""Who charges a card when a user tops up: a provider interface and the demo's test cards.

A real payment provider (a PG such as Toss Payments or Alipay) plugs in as a class with the
same `charge` method, named in PEEKA_WALLET_CARD_PROVIDER ("module:Class"). The wallet credits
the user only after `charge` says the money was taken."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol


@dataclass(frozen=True)
class Charge:
    ok: bool
    reference: str
    """The provider's reference of the charge (shown on the top-up's memo)."""
    decline: str = ""
    """Why the card was declined: "card_declined", "card_insufficient_funds", "card_invalid"."""


class CardProvider(Protocol):
    name: str

    def charge(self, *, number: str, amount: int, currency: str, reference: str) -> Charge:
        """Take `amount` (minor units of `currency`) from the card; `reference` is the
        wallet's own id of the attempt (an idempotency key at the provider)."""
        ...


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number]
    checksum = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    return checksum % 10 == 0


class TestCardProvider:
    """The demo's cards, as payment providers' sandboxes have them: 4242 4242 4242 4242 pays,
    4000 0000 0000 0002 is declined, 4000 0000 0000 9995 has no money; any other number is
    refused (no real card is ever charged)."""

    __test__ = False  # not a pytest class
    name = "test card"
    CARDS: ClassVar[dict[str, str]] = {
        "4242424242424242": "",
        "4000000000000002": "card_declined",
        "4000000000009995": "card_insufficient_funds",
    }

    def charge(self, *, number: str, amount: int, currency: str, reference: str) -> Charge:
        if not (number.isdigit() and 12 <= len(number) <= 19 and luhn_ok(number)):
            return Charge(False, "", "card_invalid")
        decline = self.CARDS.get(number, "card_declined")
        return Charge(not decline, f"test-{reference[:24]}" if not decline else "", decline)
