"""The coach's template filters: times as m:ss (`{{ 75|clock }}` → "1:15"), the seconds between
two server times, shares as whole percents, lateness and a provider error's message."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.translation import gettext

from peeka.coach.services.interviews import GRACE_SECONDS
from peeka.coach.services.practice import LLM_MESSAGES
from peeka.security.clock import now

register = template.Library()


@register.filter
def clock(seconds: int | float | None) -> str:
    """Seconds as minutes:seconds, "1:05"; a negative time with a minus sign; "" for None."""
    if seconds is None:
        return ""
    whole = round(seconds)
    sign = "\u2212" if whole < 0 else ""  # a minus sign, not a hyphen
    minutes, rest = divmod(abs(whole), 60)
    return f"{sign}{minutes}:{rest:02d}"


@register.filter
def seconds_after(moment: datetime | None, start: datetime | None) -> int | None:
    """Whole seconds from `start` to `moment` (negative when `moment` came first)."""
    if moment is None or start is None:
        return None
    return round((moment - start).total_seconds())


@register.filter
def seconds_since(moment: datetime | None) -> int:
    """Whole seconds from `moment` to now, by the server's clock (0 for None or the future)."""
    if moment is None:
        return 0
    return max(0, round(now() - moment.timestamp()))


@register.filter
def percent(share: float | None) -> int:
    """A share from 0 to 1 as a whole percent."""
    return round((share or 0.0) * 100)


@register.filter
def late(seconds_taken: int | None, allowed: int) -> bool:
    """Whether an answer came after its time (and the network's grace)."""
    return seconds_taken is not None and seconds_taken > allowed + GRACE_SECONDS


@register.filter
def llm_message(code: str) -> str:
    """A provider error code in the reader's words."""
    message = LLM_MESSAGES.get(code)
    if message is None:
        return gettext("The AI service could not give feedback on this answer.")
    return gettext(message)
