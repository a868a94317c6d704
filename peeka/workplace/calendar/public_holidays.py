"""The deployment's public holidays (PEEKA_HOLIDAY_COUNTRY, Korea by default) from the
`holidays` package, named in the page's language where the package has it, else in English.
The calendar shows them; the attendance rules read them too."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import holidays
from django.conf import settings

# Django's language codes that the package spells otherwise. Simplified Chinese is never
# replaced by Traditional: English reads better to a mainland reader than the wrong script.
_PACKAGE_LANGUAGES: dict[str, tuple[str, ...]] = {
    "zh-hans": ("zh_CN",),
    "zh-cn": ("zh_CN",),
    "zh-hant": ("zh_TW",),
    "zh-tw": ("zh_TW",),
    "en": ("en_US", "en_GB"),
}


@dataclass(frozen=True)
class Holiday:
    date: dt.date
    name: str
    country: str
    """The ISO 3166 code of the country it is a public holiday of ("KR")."""


def public_holidays(
    *, start: dt.date, end: dt.date, language: str, country: str | None = None
) -> list[Holiday]:
    """The public holidays on `start` <= day < `end`, in date order (one entry per holiday:
    two on one day are two entries), named in `language` (a Django language code such as
    "ko" or "zh-hans"). `country` defaults to the PEEKA_HOLIDAY_COUNTRY setting."""
    code = (country or settings.PEEKA_HOLIDAY_COUNTRY).upper()
    found: list[Holiday] = []
    if end <= start:
        return found
    for year in range(start.year, (end - dt.timedelta(days=1)).year + 1):
        found.extend(h for h in _year(code, year, language) if start <= h.date < end)
    return found


@lru_cache(maxsize=256)
def _year(country: str, year: int, language: str) -> tuple[Holiday, ...]:
    supported = holidays.country_holidays(country).supported_languages
    wanted = package_language(language, supported)
    calendar = holidays.country_holidays(country, years=year, language=wanted)
    return tuple(
        Holiday(day, name, country) for day in sorted(calendar) for name in calendar.get_list(day)
    )


def package_language(language: str, supported: tuple[str, ...]) -> str | None:
    """The `holidays` package's name for Django language `language` among `supported`: the
    language itself ("ko"), its regional spelling ("zh_CN" for "zh-hans"), else English,
    else None (the country's own language)."""
    code = language.lower().replace("_", "-")
    base = code.partition("-")[0]
    candidates = [
        *_PACKAGE_LANGUAGES.get(code, ()),
        *(s for s in supported if s.lower().replace("_", "-") == code),
        *(s for s in supported if base != "zh" and s.lower().partition("_")[0] == base),
        "en_US",
    ]
    return next((c for c in candidates if c in supported), None)
