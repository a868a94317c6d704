"""The main pages as a new user sees them in Chromium, in English and Korean, at a laptop's
1280 px and a phone's 390 px: axe-core (tests/web/axe.py) finds no serious or critical
accessibility violation, the page says its language in `html[lang]`, nothing is wider than
a phone's screen, and no script fails or breaks the Content Security Policy."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from peeka.accounts.models import User
from tests.web.axe import axe_violations, violations_report
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
from tests.webapp import PASSWORD, burst, enroll, reauthenticated

pytestmark = [needs_chromium, one_browser_at_a_time, pytest.mark.slow]

PUBLIC_PAGES = {
    "home": "/",
    "login": "/accounts/login/",
    "register": "/accounts/register/",
    "face login": "/face/login/",
}
SIGNED_IN_PAGES = {
    "home (signed in)": "/",
    "security": "/accounts/security/",
    "profile": "/accounts/profile/",
    "my face data": "/face/mine/",
    "enrollment": "/face/enroll/",
    "404": "/no-such-page/",
}


@pytest.fixture
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the test run
    # between browser steps, never concurrently with them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with chromium() as browser:
            yield browser
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def enrolled_alice(db: None, settings: SettingsWrapper, faces_dir: Path) -> User:
    """alice with a face enrolled (through the enrollment endpoint, with real photos), so "My
    face data" shows what a user with a face sees."""
    alice = User.objects.create_user("alice", password=PASSWORD)
    settings.PEEKA_LIVENESS = False  # the photos cannot blink; only for this setup
    body = enroll(reauthenticated(alice), burst((faces_dir / "obama.jpg").read_bytes()))
    assert body["status"] == 200, body
    settings.PEEKA_LIVENESS = True
    return alice


def practice_pages(user: User) -> dict[str, str]:
    """The interview coach's practice pages of `user`, with something on each: a letter, its
    questions with an answer and its feedback, a mock interview ready to start and one
    finished (its report)."""
    from peeka.coach.services import interviews, practice

    letter = practice.letter_create(
        owner=user,
        content=practice.LetterContent(
            title="네오테크 백엔드",
            company_name="네오테크",
            position="백엔드 개발자",
            items=[("지원 동기", "결제 시스템의 응답 시간을 40% 줄인 경험이 있습니다.")],
        ),
    )
    questions = practice.questions_ask(user=user, letter=letter, language="ko")
    practice.feedback_ask(
        user=user,
        question_set=questions,
        index=0,
        text="인턴십에서 주문 API의 병목을 찾아 캐시를 도입했고, 응답 시간이 40% 줄었습니다.",
    )
    ready = interviews.interview_create(user=user, question_set=questions, indexes=[0], seconds=60)
    done = interviews.interview_create(user=user, question_set=questions, indexes=[1], seconds=60)
    interviews.interview_begin(user=user, interview=done)
    interviews.interview_answer(user=user, interview=done, order=1, text="팀과 함께 해결했습니다.")
    interviews.interview_finish(user=user, interview=done)
    return {
        "practice": "/coach/letters/",
        "new cover letter": "/coach/letters/new/",
        "cover letter": f"/coach/letters/{letter.pk}/",
        "questions and feedback": f"/coach/sets/{questions.pk}/",
        "mock interview": f"/coach/interviews/{ready.pk}/",
        "interview report": f"/coach/interviews/{done.pk}/report/",
    }


class Findings:
    """What is wrong across the pages of one run, with an axe violation the pages share (the
    navigation bar's, say) reported once with the list of pages it is on."""

    def __init__(self, language: str, width: int) -> None:
        self.language, self.width = language, width
        self.problems: list[str] = []
        self.violations: dict[tuple[str, str], tuple[dict[str, Any], list[str]]] = {}

    def check(self, page: Page, url: str, name: str) -> None:
        """Open `url` and note what is wrong with it."""
        page.goto(url, wait_until="networkidle")
        self.inspect(page, name)

    def inspect(self, page: Page, name: str) -> None:
        """Note what is wrong with the page as it is now."""
        lang = page.get_attribute("html", "lang")
        if lang != self.language:
            self.problems.append(f"{name}: html[lang] is {lang!r}, not {self.language!r}")
        for violation in axe_violations(page):
            for node in violation["nodes"]:
                key = (violation["id"], node["target"])
                found = self.violations.setdefault(key, ({**violation, "nodes": [node]}, []))
                found[1].append(name)
        overflow = horizontal_overflow(page)
        if overflow:
            self.problems.append(
                f"{name}: {overflow} px wider than the window: {', '.join(widest_elements(page))}"
            )

    def report(self) -> str:
        lines = [f"{self.language} at {self.width} px:", *self.problems]
        for violation, pages in self.violations.values():
            lines.append(violations_report([violation], f"on {', '.join(pages)}: "))
        return "\n".join(lines)

    def __bool__(self) -> bool:
        return bool(self.problems or self.violations)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("language", "width"), [("ko", PHONE), ("en", DESKTOP)])
def test_the_main_pages_are_accessible(
    live_server: LiveServer, browser: Browser, enrolled_alice: User, language: str, width: int
) -> None:
    errors: list[str] = []
    findings = Findings(language, width)

    visitor = new_context(browser, language, width)
    page = watch(visitor.new_page(), errors)
    for name, path in PUBLIC_PAGES.items():
        findings.check(page, live_server.url + path, name)
    visitor.close()

    # Signed in, and just stepped up (as after the password again), so enrollment opens.
    member = new_context(browser, language, width)
    sign_in(member, reauthenticated(enrolled_alice), live_server.url)
    page = watch(member.new_page(), errors)
    for name, path in SIGNED_IN_PAGES.items():
        findings.check(page, live_server.url + path, name)
        assert page.url == live_server.url + path, f"{name} redirected to {page.url}"
    for name, path in practice_pages(enrolled_alice).items():
        findings.check(page, live_server.url + path, name)
    # "The form expired" (403, a form posted without its CSRF cookie), inside the shell.
    member.clear_cookies(name="csrftoken")
    with page.expect_navigation() as navigation:
        page.locator("#language-switcher").evaluate("(form) => form.submit()")
    response = navigation.value
    assert response is not None and response.status == 403
    findings.inspect(page, "403 (form expired)")
    member.close()

    assert not findings and not errors, "\n".join([findings.report(), *errors])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["ko"])  # a Korean browser: the docs stay English
def test_the_api_docs_fit_a_phone(live_server: LiveServer, browser: Browser, language: str) -> None:
    """Swagger UI on a 390 px phone (the docs stay English, as Swagger UI is): laid out for the
    phone's width rather than shrunk from a desktop's, no sideways scrolling of the page, each
    operation's method and path on the screen at a readable size, an opened operation within
    the screen too (wide examples scroll inside their own box), and nothing axe calls serious."""
    errors: list[str] = []
    context = new_context(browser, language, PHONE)
    page = watch(context.new_page(), errors)
    page.goto(f"{live_server.url}/api/v1/docs", wait_until="networkidle")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Peeka")
    assert page.get_attribute("html", "lang") == "en"
    assert page.evaluate("() => window.innerWidth") == PHONE  # the page has a viewport tag
    summaries = page.locator(".opblock-summary")
    assert summaries.count() >= 4
    assert horizontal_overflow(page) == 0, widest_elements(page)

    boxes = page.evaluate(
        """() => [...document.querySelectorAll(".opblock-summary")].map((s) => {
          const box = (selector) => s.querySelector(selector).getBoundingClientRect();
          const path = s.querySelector(".opblock-summary-path");
          return {path: path.textContent.trim(), left: box(".opblock-summary-method").left,
                  right: Math.max(box(".opblock-summary-path").right,
                                  box(".opblock-summary-description").right),
                  fontSize: parseFloat(getComputedStyle(path).fontSize)};
        })"""
    )
    for box in boxes:
        assert box["left"] >= 0 and box["right"] <= PHONE, box
        assert box["fontSize"] >= 12, box
    assert not axe_violations(page), violations_report(axe_violations(page))

    # An opened operation (parameters, responses, examples) stays within the screen too.
    summaries.first.click()
    expect(page.locator(".opblock.is-open .opblock-body")).to_be_visible()
    page.locator(".opblock.is-open .responses-wrapper").scroll_into_view_if_needed()
    assert horizontal_overflow(page) == 0, widest_elements(page)
    assert not axe_violations(page), violations_report(axe_violations(page))
    context.close()
    assert errors == [], errors
