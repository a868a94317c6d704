"""Annual leave grants as a pure function of the hire date and the rules. The default rules
are the Korean statutory ones (근로기준법 제60조): in the first year one day for each full month
worked (at most 11); from the first anniversary 15 days a year, one more for every two further
years (the 3rd year 16, the 5th 17, ...), at most 25; what is left expires after a year. Each
grant falls due on its date: the monthly days on each monthly anniversary of the hire date in
the first year, the yearly days on each anniversary. An administrator may change the numbers
(`peeka.workplace.leave.models.LeavePolicy`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

FIRST_YEAR_MAX = 11
BASE_DAYS = 15
MAX_DAYS = 25


@dataclass(frozen=True)
class Rules:
    first_year_max: int = FIRST_YEAR_MAX
    """Days earned in the first year, one a full month, at most this many."""
    base_days: int = BASE_DAYS
    """Days granted at the first anniversary."""
    every_years: int = 2
    """One more day each this many further years (0: never more)."""
    max_days: int = MAX_DAYS
    expires: bool = True
    """Leave left at an anniversary expires (granted before it, not taken)."""


STATUTORY = Rules()


@dataclass(frozen=True)
class Grant:
    due: dt.date
    days: int
    period: str
    """What the grant is for: "M01".."M11" (the first year's months) or "Y01", "Y02", ...
    (the years from the first anniversary): one grant per period, so accruing twice adds
    nothing."""


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus `months` calendar months, on the last day of a shorter month."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def yearly_days(years_worked: int, rules: Rules = STATUTORY) -> int:
    """Days granted at the `years_worked`-th anniversary (1, 2, ...)."""
    if years_worked < 1:
        return 0
    more = (years_worked - 1) // rules.every_years if rules.every_years else 0
    return min(rules.max_days, rules.base_days + more)


def grants(hire_date: dt.date, through: dt.date, rules: Rules = STATUTORY) -> list[Grant]:
    """Every grant due from `hire_date` up to and including `through`, oldest first."""
    found: list[Grant] = []
    for month in range(1, rules.first_year_max + 1):
        due = add_months(hire_date, month)
        if due > through:
            return found
        found.append(Grant(due, 1, f"M{month:02d}"))
    year = 1
    while (due := add_months(hire_date, 12 * year)) <= through:
        found.append(Grant(due, yearly_days(year, rules), f"Y{year:02d}"))
        year += 1
    return found


def anniversaries(hire_date: dt.date, through: dt.date) -> list[tuple[int, dt.date]]:
    """(k, the k-th anniversary) up to and including `through`: the days leave expires."""
    found = []
    year = 1
    while (day := add_months(hire_date, 12 * year)) <= through:
        found.append((year, day))
        year += 1
    return found
