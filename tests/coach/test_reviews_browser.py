"""The review board on a 390 px phone in Chromium: long names, long words and ten long
questions wrap instead of widening the page; no script error or Content Security Policy
violation, and no serious accessibility violation (axe-core)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django.live_server_helper import LiveServer

from peeka.accounts.models import User
from peeka.coach import services
from peeka.coach.models import Company
from tests.coach.test_reviews import REVIEWS, write
from tests.web.axe import AXE_JS, axe_violations, violations_report
from tests.web.chromium import (
    PHONE,
    chromium,
    horizontal_overflow,
    needs_chromium,
    new_context,
    one_browser_at_a_time,
    sign_in,
    watch,
)
from tests.webapp import PASSWORD, logged_in

pytestmark = [needs_chromium, one_browser_at_a_time, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_every_page_fits_a_390_px_phone(
    live_server: LiveServer, tmp_path: Path, async_unsafe: None
) -> None:
    author = User.objects.create_user("minji", password=PASSWORD)
    reader = User.objects.create_user("junho", password=PASSWORD)
    long_name = "한국디지털금융서비스주식회사(Korea Digital Financial Services Incorporated)"
    company = Company.objects.create(name=long_name, description="핀테크 " * 80)
    long_word = "https://example.com/" + "a" * 120  # one word that cannot break
    review = write(author, company, position="데이터 엔지니어 " * 6, advice=long_word,
                   atmosphere_note="편안했어요 " * 40, regrets=long_word,
                   items=[services.QuestionAnswer(f"질문 {i} " * 20 + long_word, "답변 " * 60)
                          for i in range(10)])  # fmt: skip
    for i in range(25):
        write(author, company, position=f"직무 {i}")
    errors: list[str] = []
    with chromium(camera=False) as browser:
        phone = new_context(browser, "ko", PHONE)
        sign_in(phone, logged_in(reader), live_server.url)
        page = watch(phone.new_page(), errors)
        pages = {
            "index": "/coach/",
            "list": f"{REVIEWS}?company={company.pk}",
            "detail": f"{REVIEWS}{review.pk}/",
            "write": f"{REVIEWS}new/?company={company.pk}",
            "report": f"{REVIEWS}{review.pk}/report/",
        }
        for name, path in pages.items():
            page.goto(f"{live_server.url}{path}")
            if name == "list":
                page.click("#review-search summary")  # the filters open
                assert page.locator("#id_sort").is_visible()
                assert page.locator("#reviews li").count() == 20
            if name == "write":
                page.click("#submit")  # every field's error shown
                assert page.locator(".invalid-feedback:visible").count() >= 5
                page.locator("#items details summary").first.click()  # a folded question opens
            assert horizontal_overflow(page) == 0, name
            page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
            if AXE_JS.is_file():
                found = axe_violations(page)
                assert not found, violations_report(found, f"{name} ({PHONE} px)")
    assert not errors, "\n".join(errors)
