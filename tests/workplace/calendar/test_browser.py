"""The month page in a real browser (Debian's Chromium): a grid of weeks on a laptop, a list
of the month's days on a 390 px phone (pure CSS), neither wider than the window, with no
Content Security Policy violation and no serious accessibility violation."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from peeka.accounts.models import User
from tests.web.axe import AXE_JS, axe_violations, violations_report
from tests.web.chromium import (
    DESKTOP,
    PHONE,
    chromium,
    horizontal_overflow,
    needs_chromium,
    new_context,
    one_browser_at_a_time,
    sign_in,
    watch,
    widest_elements,
)
from tests.webapp import logged_in
from tests.workplace.calendar.conftest import SEOUL, event

pytestmark = [needs_chromium, one_browser_at_a_time, pytest.mark.slow]


@pytest.fixture
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the test run
    # between browser steps, never concurrently with them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with chromium(camera=False) as launched:
            yield launched
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("language", "width"), [("ko", PHONE), ("en", DESKTOP)])
def test_the_month_is_a_grid_on_a_laptop_and_a_list_of_days_on_a_phone(
    live_server: LiveServer,
    browser: Browser,
    company: dict[str, User],
    language: str,
    width: int,
) -> None:
    start = dt.datetime(2026, 9, 10, 9, 30, tzinfo=SEOUL)
    event(
        company["minji"], "주간 회의 (a rather long title that has to wrap somewhere)", start=start
    )
    event(company["hana"], "Company picnic", scope="company", start=start + dt.timedelta(days=2))
    errors: list[str] = []
    context = new_context(browser, language, width)
    sign_in(context, logged_in(company["minji"]), live_server.url)
    page = watch(context.new_page(), errors)
    page.goto(f"{live_server.url}/workplace/calendar/?month=2026-09")
    assert horizontal_overflow(page) == 0, widest_elements(page)
    header = page.locator("#calendar thead")
    other_month = page.locator("#calendar td.cal-other").first
    chuseok = page.locator('#calendar td[data-date="2026-09-25"]')
    assert "추석" in chuseok.inner_text() or "Chuseok" in chuseok.inner_text()
    if width == PHONE:
        assert not header.is_visible() and not other_month.is_visible()
        assert chuseok.evaluate("(td) => getComputedStyle(td).display") == "block"
        assert page.locator("#calendar td.cal-day:visible").count() == 30  # September's days
        weekday = chuseok.locator(".cal-weekday")
        assert weekday.is_visible() and weekday.inner_text().startswith("금")  # a Friday
    else:
        assert header.is_visible() and other_month.is_visible()
        assert chuseok.evaluate("(td) => getComputedStyle(td).display") == "table-cell"
        assert not chuseok.locator(".cal-weekday").is_visible()
        boxes = [
            page.locator(f'#calendar td[data-date="2026-09-{d:02d}"]').bounding_box()
            for d in (21, 27)
        ]
        assert boxes[0] is not None and boxes[1] is not None
        assert boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] < boxes[1]["x"]  # one week, a row
    if AXE_JS.is_file():
        found = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
        assert not found, violations_report(found, f"month ({language}, {width} px)")
    context.close()
    assert not errors, "\n".join(errors)
