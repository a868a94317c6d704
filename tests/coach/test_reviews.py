"""Interview reviews (IPro's 면접 후기): signed-in users read them and nobody learns who wrote
one; authors write, change and delete their own; readers are counted once per session (never
the author, and all of them at once through F()); search, filters and pages of twenty; three
reports hide a review until staff restore it; a user likes a company once; bad input is refused
with the form's errors and nothing written."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import translation

from peeka.accounts.models import User
from peeka.coach import selectors, services
from peeka.coach.models import (
    Atmosphere,
    Company,
    CompanyLike,
    Half,
    InterviewResult,
    Review,
    ReviewItem,
    ReviewReport,
)
from tests.accounts.test_mfa import with_totp
from tests.webapp import PASSWORD, FrozenClock, logged_in

pytestmark = pytest.mark.django_db
REVIEWS = "/coach/reviews/"


@pytest.fixture
def people() -> dict[str, User]:
    """minji writes, junho, sora and wei read (and report), root is staff."""
    made = {}
    for name, display in [
        ("minji", "김민지"),
        ("junho", "이준호"),
        ("sora", "박소라"),
        ("wei", "王伟"),
    ]:
        made[name] = User.objects.create_user(name, password=PASSWORD, display_name=display)
    made["root"] = User.objects.create_user(
        "root", password=PASSWORD, is_staff=True, is_superuser=True
    )
    return made


@pytest.fixture
def companies() -> dict[str, Company]:
    return {
        "naver": Company.objects.create(name="네이버", description="검색과 커머스"),
        "kakao": Company.objects.create(name="카카오"),
    }


def content(company: Company, **changes: Any) -> services.ReviewContent:
    values: dict[str, Any] = {
        "company": company,
        "position": "백엔드 개발자",
        "result": InterviewResult.PASSED,
        "year": 2024,
        "half": Half.FIRST,
        "atmosphere": Atmosphere.FRIENDLY,
        "regrets": "자기소개를 너무 길게 했어요.",
        "advice": "CS 기초를 꼭 복습하세요.",
        "items": [services.QuestionAnswer("자기소개 해주세요.", "저는 백엔드 개발자입니다.")],
    }
    values.update(changes)
    return services.ReviewContent(**values)


def write(author: User, company: Company, **changes: Any) -> Review:
    return services.review_create(author=author, content=content(company, **changes))


def form_data(
    company: Company | int | str, items: list[tuple[str, str]] | None = None, **changes: Any
) -> dict[str, Any]:
    """The review form as a browser posts it: the fields and ten rows of questions, the ones
    not given left blank."""
    rows = items if items is not None else [("1분 자기소개", "협업 경험 위주로 말했습니다.")]
    data: dict[str, Any] = {
        "company": company.pk if isinstance(company, Company) else company,
        "position": "백엔드 개발자",
        "result": "passed",
        "year": "2024",
        "half": "1",
        "atmosphere": "friendly",
        "atmosphere_note": "",
        "regrets": "긴장해서 말이 빨라졌어요.",
        "advice": "프로젝트 경험을 숫자로 말하세요.",
        "items-TOTAL_FORMS": str(max(10, len(rows))),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "10",
    }
    for i in range(max(10, len(rows))):
        question, answer = rows[i] if i < len(rows) else ("", "")
        data[f"items-{i}-question"] = question
        data[f"items-{i}-answer"] = answer
    data.update(changes)
    return data


def shown(response: Any) -> list[int]:
    return [review.pk for review in response.context["page"]]


def stepped_up_staff(user: User, clock: FrozenClock) -> Client:
    """A staff session past the admin's step-up with an authenticator app (a second factor);
    `clock` is the server's (the `clock` fixture)."""
    app = with_totp(user, clock)
    client = Client()
    login = {"username": user.username, "password": PASSWORD}
    assert client.post("/accounts/login/", login)["Location"] == "/accounts/login/next/"
    second = client.post("/accounts/login/next/", {"method": "totp", "code": app.at(clock.now)})
    assert second.status_code == 302
    clock.now += 30
    step_up = {"password": PASSWORD, "code": app.at(clock.now), "next": "/admin/"}
    assert client.post("/accounts/step-up/", step_up)["Location"] == "/admin/"
    return client


# --- who reads ------------------------------------------------------------------------------


def test_signed_in_users_read_and_anonymous_visitors_are_sent_to_log_in(
    people: dict[str, User], companies: dict[str, Company]
) -> None:
    review = write(people["minji"], companies["naver"])
    reader = logged_in(people["junho"])
    for path in ("/coach/", REVIEWS, f"{REVIEWS}{review.pk}/", f"{REVIEWS}new/"):
        assert reader.get(path).status_code == 200, path
    anonymous = Client()
    for path in ("/coach/", REVIEWS, f"{REVIEWS}{review.pk}/", f"{REVIEWS}new/",
                 f"{REVIEWS}{review.pk}/edit/", f"{REVIEWS}{review.pk}/report/"):  # fmt: skip
        response = anonymous.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], path
    assert anonymous.post(f"{REVIEWS}new/", form_data(companies["naver"])).status_code == 302
    like = anonymous.post(f"{REVIEWS}companies/{companies['naver'].pk}/like/", {"liked": "1"})
    assert like.status_code == 302 and not CompanyLike.objects.exists()
    assert Review.objects.count() == 1


def test_the_index_lists_companies_with_links_to_their_reviews(
    people: dict[str, User], companies: dict[str, Company]
) -> None:
    write(people["minji"], companies["naver"])
    write(people["junho"], companies["naver"], position="프론트엔드")
    page = logged_in(people["sora"]).get("/coach/")
    html = page.content.decode()
    assert f'href="{REVIEWS}?company={companies["naver"].pk}"' in html
    assert f'href="{REVIEWS}?company={companies["kakao"].pk}"' in html
    counts = {c.name: (c.review_count, c.like_count) for c in page.context["companies"]}
    assert counts == {"네이버": (2, 0), "카카오": (0, 0)}


# --- writing, changing, deleting -----------------------------------------------------------


def test_a_user_writes_a_review_with_its_questions_in_order(
    people: dict[str, User], companies: dict[str, Company]
) -> None:
    author = logged_in(people["minji"])
    form = author.get(f"{REVIEWS}new/?company={companies['kakao'].pk}")
    assert form.status_code == 200 and form.context["form"].initial["company"] == companies["kakao"]
    assert form.context["items"].total_form_count() == 10  # one open, nine folded
    rows = [
        ("지원 동기는?", "서비스를 매일 써서요."),
        ("", ""),
        ("갈등 경험은?", "표로 정리해 합의했어요."),
    ]
    data = form_data(companies["kakao"], rows, result="waiting", half="2", year="2025",
                     atmosphere="tense", atmosphere_note="압박 질문이 많았어요.")  # fmt: skip
    response = author.post(f"{REVIEWS}new/", data)
    review = Review.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{REVIEWS}{review.pk}/"
    assert (review.company, review.author, review.result) == (
        companies["kakao"],
        people["minji"],
        InterviewResult.WAITING,
    )
    assert (review.year, review.half, review.atmosphere) == (2025, Half.SECOND, Atmosphere.TENSE)
    assert review.atmosphere_note == "압박 질문이 많았어요." and review.view_count == 0
    assert [(i.order, i.question, i.answer) for i in review.items.all()] == [
        (1, "지원 동기는?", "서비스를 매일 써서요."),
        (2, "갈등 경험은?", "표로 정리해 합의했어요."),  # the blank row is no question
    ]
    with translation.override("en"):
        page = author.get(response["Location"]).content.decode()
    assert "2025 H2" in page and "Waiting" in page and "Tense" in page
    assert page.index("지원 동기는?") < page.index("갈등 경험은?")


@pytest.mark.parametrize(
    ("language", "first", "second"),
    [
        ("en", "2024 H1", "2024 H2"),
        ("ko", "2024 상반기", "2024 하반기"),
        ("zh-hans", "2024 上半年", "2024 下半年"),
    ],
)
def test_the_period_is_shown_in_the_readers_language(
    people: dict[str, User], companies: dict[str, Company], language: str, first: str, second: str
) -> None:
    with translation.override(language):
        if language != "en" and translation.gettext("%(year)d H1") == "%(year)d H1":
            pytest.skip(f"the {language} catalog has no translations of the reviews yet")
        review = write(people["minji"], companies["naver"])
        assert review.period == first
        review.half = Half.SECOND
        assert review.period == second


def test_the_author_changes_and_deletes_a_review_and_nobody_else_does(
    people: dict[str, User], companies: dict[str, Company]
) -> None:
    review = write(people["minji"], companies["naver"])
    edit, delete = f"{REVIEWS}{review.pk}/edit/", f"{REVIEWS}{review.pk}/delete/"
    author, other, staff = (logged_in(people[p]) for p in ("minji", "junho", "root"))
    page = author.get(edit)
    assert page.status_code == 200 and "자기소개 해주세요." in page.content.decode()
    assert 'id="review-edit"' in author.get(f"{REVIEWS}{review.pk}/").content.decode()
    assert 'id="review-edit"' not in other.get(f"{REVIEWS}{review.pk}/").content.decode()
    changed = form_data(companies["kakao"], [("새 질문", "새 답변"), ("둘째", "답")], position="PM")
    for client in (other, staff):  # staff moderate in the admin, not by rewriting a review
        assert client.get(edit).status_code == 403
        assert client.post(edit, changed).status_code == 403
        assert client.get(delete).status_code == 403
        assert client.post(delete).status_code == 403
    review.refresh_from_db()
    assert review.position == "백엔드 개발자" and review.items.count() == 1
    assert author.post(edit, changed)["Location"] == f"{REVIEWS}{review.pk}/"
    review.refresh_from_db()
    assert (review.company, review.position) == (companies["kakao"], "PM")
    assert [(i.order, i.question) for i in review.items.all()] == [(1, "새 질문"), (2, "둘째")]
    # Emptying a row takes its question out.
    author.post(edit, form_data(companies["kakao"], [("", ""), ("둘째", "답")], position="PM"))
    assert list(review.items.values_list("order", "question")) == [(1, "둘째")]
    assert author.get(f"{REVIEWS}999999/edit/").status_code == 404
    assert author.get(delete).status_code == 200  # asks first
    assert author.post(delete)["Location"] == REVIEWS
    assert not Review.objects.exists() and not ReviewItem.objects.exists()
    assert author.get(f"{REVIEWS}{review.pk}/").status_code == 404
    with pytest.raises(services.ReviewForbiddenError):
        services.review_delete(
            user=people["junho"], review=write(people["minji"], companies["naver"])
        )


def test_reviews_are_anonymous_to_readers(
    people: dict[str, User], companies: dict[str, Company]
) -> None:
    review = write(people["minji"], companies["naver"])
    for name in ("junho", "root"):
        client = logged_in(people[name])
        naver = f"{REVIEWS}?company={companies['naver'].pk}"
        for path in (REVIEWS, f"{REVIEWS}{review.pk}/", naver, f"{REVIEWS}{review.pk}/report/"):
            html = client.get(path).content.decode()
            assert "Anonymous" in html or "report" in path, path
            assert "김민지" not in html and "minji" not in html, path
    mine = logged_in(people["minji"]).get(f"{REVIEWS}{review.pk}/").content.decode()
    assert "Written by you" in mine


# --- readers counted ------------------------------------------------------------------------


def test_a_reader_is_counted_once_per_session_and_the_author_never(
    people: dict[str, User], companies: dict[str, Company]
) -> None:
    review = write(people["minji"], companies["naver"])
    path = f"{REVIEWS}{review.pk}/"
    junho = logged_in(people["junho"])
    for _ in range(3):
        assert junho.get(path).context["review"].view_count == 1
    author = logged_in(people["minji"])
    for _ in range(2):
        assert author.get(path).context["review"].view_count == 1
    assert logged_in(people["sora"]).get(path).context["review"].view_count == 2
    assert logged_in(people["junho"]).get(path).context["review"].view_count == 3  # a new session
    junho.get(path)
    review.refresh_from_db()
    assert review.view_count == 3
    # The list reads without counting.
    logged_in(people["wei"]).get(REVIEWS)
    review.refresh_from_db()
    assert review.view_count == 3


@pytest.mark.django_db(transaction=True)
def test_readers_at_the_same_moment_are_all_counted() -> None:
    author = User.objects.create_user("author", password=PASSWORD)
    readers = [User.objects.create_user(f"reader{i}", password=PASSWORD) for i in range(6)]
    review = write(author, Company.objects.create(name="Toss"))
    stale = Review.objects.get(pk=review.pk)  # loaded before anyone read it
    barrier = threading.Barrier(len(readers))
    errors: list[BaseException] = []

    def read(user: User) -> None:
        try:
            barrier.wait()
            services.review_read(user=user, review_id=review.pk, session=SessionStore())
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=read, args=(user,)) for user in readers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    review.refresh_from_db()
    assert review.view_count == len(readers)
    # One more reader, through a copy loaded before all of them, still adds one to the database's
    # count (F()), not to the copy's.
    services.review_read(user=author, review_id=stale.pk, session=SessionStore())  # not counted
    extra = User.objects.create_user("late", password=PASSWORD)
    assert services.review_read(user=extra, review_id=stale.pk, session=SessionStore()) is not None
    review.refresh_from_db()
    assert stale.view_count == 0 and review.view_count == len(readers) + 1


# --- search, filters, pages -----------------------------------------------------------------


def test_search_and_filters(people: dict[str, User], companies: dict[str, Company]) -> None:
    naver, kakao = companies["naver"], companies["kakao"]
    backend = write(people["minji"], naver, position="Backend developer")
    asked = [services.QuestionAnswer("A/B test?", "p값")]
    data = write(people["junho"], naver, position="Data analyst", result="failed",
                 advice="SQL window functions", items=asked)  # fmt: skip
    design = write(people["sora"], kakao, position="Product designer", result="waiting",
                   items=[services.QuestionAnswer("Portfolio walkthrough", "Figma")])  # fmt: skip
    reader = logged_in(people["wei"])

    def found(**query: Any) -> list[int]:
        response = reader.get(REVIEWS, query)
        assert response.status_code == 200
        return sorted(shown(response))

    assert found() == sorted([backend.pk, data.pk, design.pk])
    assert found(q="backend") == [backend.pk]  # in the position, any case
    assert found(q="window") == [data.pk]  # in the advice
    assert found(q="portfolio") == [design.pk]  # in a question
    assert found(q="자기소개") == [backend.pk]  # the default question
    assert found(q="data sql") == [data.pk] and found(q="data figma") == []  # every word
    assert found(q="figma") == []  # answers are not searched
    assert found(q="backend" + " " * 200) == [backend.pk]  # a long query is cut, not dropped
    assert found(company=kakao.pk) == [design.pk]
    assert found(position="DEVELOPER") == [backend.pk]
    assert found(result="failed") == [data.pk]
    assert found(company=naver.pk, result="passed") == [backend.pk]
    # Filters that do not parse are left out, with the reason on the field.
    bad = reader.get(REVIEWS, {"company": "99999", "result": "bogus", "sort": "x", "page": "x"})
    assert bad.status_code == 200 and len(shown(bad)) == 3
    assert "Choose one of the companies listed." in bad.content.decode()
    assert reader.get(REVIEWS, {"company": "abc"}).status_code == 200
    assert reader.get(REVIEWS, {"company": "9" * 30}).status_code == 200


def test_pages_of_twenty_newest_first_or_most_viewed_first(
    people: dict[str, User], companies: dict[str, Company]
) -> None:
    made = [write(people["minji"], companies["naver"], position=f"직무 {i}") for i in range(45)]
    popular = made[10]
    Review.objects.filter(pk=popular.pk).update(view_count=50)
    Review.objects.filter(pk=made[3].pk).update(view_count=7)
    reader = logged_in(people["junho"])
    first = reader.get(REVIEWS)
    newest = [r.pk for r in reversed(made)]
    assert shown(first) == newest[:20] and first.context["page"].paginator.num_pages == 3
    assert "45 reviews" in first.content.decode()
    assert shown(reader.get(REVIEWS, {"page": "2"})) == newest[20:40]
    assert shown(reader.get(REVIEWS, {"page": "3"})) == newest[40:]
    assert shown(reader.get(REVIEWS, {"page": "999"})) == newest[40:]  # past the end: the last
    assert shown(reader.get(REVIEWS, {"page": "-1"})) == newest[:20]
    by_views = reader.get(REVIEWS, {"sort": "views"})
    assert shown(by_views)[:3] == [popular.pk, made[3].pk, made[44].pk]
    # The page links keep the filters.
    html = reader.get(REVIEWS, {"sort": "views", "q": "직무"}).content.decode()
    assert "?sort=views&amp;q=%EC%A7%81%EB%AC%B4&amp;page=2" in html


# --- reports ---------------------------------------------------------------------------------


def test_three_reports_hide_a_review_until_staff_restore_it(
    people: dict[str, User], companies: dict[str, Company], clock: FrozenClock
) -> None:
    review = write(people["minji"], companies["naver"])
    report = f"{REVIEWS}{review.pk}/report/"
    junho, sora, wei = (logged_in(people[p]) for p in ("junho", "sora", "wei"))
    author = logged_in(people["minji"])
    assert author.get(report).status_code == 403  # not one's own
    assert author.post(report, {"reason": "x"}).status_code == 403
    empty = junho.post(report, {"reason": "   "})
    assert empty.status_code == 400 and 'id="id_reason-errors"' in empty.content.decode()
    assert junho.post(report, {"reason": "광고성 글"})["Location"] == f"{REVIEWS}{review.pk}/"
    again = junho.post(report, {"reason": "또 신고"})
    assert again.status_code == 400 and "already reported" in again.content.decode()
    assert "You reported this review" in junho.get(f"{REVIEWS}{review.pk}/").content.decode()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewReport.objects.create(review=review, reporter=people["junho"], reason="dup")
    assert sora.post(report, {"reason": "욕설"}).status_code == 302
    assert Review.objects.get(pk=review.pk).hidden is False  # two reports: still shown
    assert wei.post(report, {"reason": "허위 사실"})["Location"] == REVIEWS  # the third hides it
    assert Review.objects.get(pk=review.pk).hidden is True
    assert ReviewReport.objects.filter(review=review).count() == 3
    for client in (junho, author, logged_in(people["minji"])):  # the author too
        assert client.get(f"{REVIEWS}{review.pk}/").status_code == 404
        assert review.pk not in shown(client.get(REVIEWS))
        assert client.get(f"{REVIEWS}{review.pk}/edit/").status_code == 404
    staff_page = logged_in(people["root"]).get(f"{REVIEWS}{review.pk}/")
    assert staff_page.status_code == 200 and 'id="hidden-note"' in staff_page.content.decode()
    assert review.pk in shown(logged_in(people["root"]).get(REVIEWS))

    # In the admin, staff see the author and the reports, and restore the review.
    admin = stepped_up_staff(people["root"], clock)
    listing = admin.get("/admin/coach/review/?hidden__exact=1").content.decode()
    assert "김민지" in listing  # the author, by name
    change = admin.get(f"/admin/coach/review/{review.pk}/change/").content.decode()
    assert "허위 사실" in change and "김민지" in change
    restored = admin.post(
        "/admin/coach/review/", {"action": "restore", "_selected_action": [str(review.pk)]}
    )
    assert restored.status_code == 302
    review.refresh_from_db()
    assert review.hidden is False
    assert not ReviewReport.objects.filter(review=review, dismissed=False).exists()
    assert junho.get(f"{REVIEWS}{review.pk}/").status_code == 200
    # Dismissed reports no longer count: one new report does not hide it again.
    services.review_report(user=people["root"], review=review, reason="확인 필요")
    assert Review.objects.get(pk=review.pk).hidden is False
    # Staff hide a review by hand.
    admin.post("/admin/coach/review/", {"action": "hide", "_selected_action": [str(review.pk)]})
    assert Review.objects.get(pk=review.pk).hidden is True


def test_the_admin_asks_staff_to_step_up_before_moderating(
    people: dict[str, User], companies: dict[str, Company]
) -> None:
    review = write(people["minji"], companies["naver"])
    services.review_hide(review=review)
    from peeka.accounts import otp
    from peeka.accounts.models import TotpDevice

    otp.begin_totp(people["root"])
    TotpDevice.objects.filter(user=people["root"]).update(confirmed=True)
    admin = logged_in(people["root"])  # signed in, not stepped up
    assert admin.get("/admin/coach/review/").status_code == 200
    refused = admin.post(
        "/admin/coach/review/", {"action": "restore", "_selected_action": [str(review.pk)]}
    )
    assert refused["Location"].startswith("/accounts/step-up/")
    assert Review.objects.get(pk=review.pk).hidden is True
    assert logged_in(people["junho"]).get("/admin/coach/review/").status_code == 302  # not staff


# --- likes -----------------------------------------------------------------------------------


def test_a_user_likes_a_company_once(
    people: dict[str, User], companies: dict[str, Company]
) -> None:
    naver = companies["naver"]
    like = f"{REVIEWS}companies/{naver.pk}/like/"
    junho = logged_in(people["junho"])
    page = junho.get(REVIEWS, {"company": naver.pk}).content.decode()
    assert 'aria-pressed="false"' in page and "0 likes" in page
    for _ in range(2):
        response = junho.post(like, {"liked": "1"})
        assert (
            response.status_code == 302 and response["Location"] == f"{REVIEWS}?company={naver.pk}"
        )
    assert CompanyLike.objects.filter(company=naver).count() == 1
    page = junho.get(REVIEWS, {"company": naver.pk}).content.decode()
    assert 'aria-pressed="true"' in page and "1 like" in page and 'name="liked" value="0"' in page
    logged_in(people["sora"]).post(like, {"liked": "1"})
    assert selectors.company_likes(company=naver) == 2
    assert junho.post(like, {"liked": "0"}).status_code == 302
    assert list(CompanyLike.objects.values_list("user__username", flat=True)) == ["sora"]
    assert junho.post(like, {"liked": "maybe"}).status_code == 400
    assert junho.post(f"{REVIEWS}companies/99999/like/", {"liked": "1"}).status_code == 404
    assert junho.get(like).status_code == 405
    assert services.company_like(user=people["sora"], company=naver) == 1  # already liked
    with pytest.raises(IntegrityError), transaction.atomic():
        CompanyLike.objects.create(company=naver, user=people["sora"])


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"items": []}, "items", "Add at least one question and the answer you gave."),
        ({"items": [(f"Q{i}", f"A{i}") for i in range(11)]}, "items", "at most 10 questions"),
        ({"items": [("질문만", "")]}, "items-0-answer", "Write the answer you gave"),
        ({"items": [("", "답만")]}, "items-0-question", "Write the question this answer"),
        ({"items": [("Q" * 301, "A")]}, "items-0-question", "at most 300 characters"),
        ({"year": "1800"}, "year", "Enter a year from 2000 to 2100."),
        ({"year": "2101"}, "year", "Enter a year from 2000 to 2100."),
        ({"year": "soon"}, "year", "Enter a whole number."),
        ({"company": "99999"}, "company", "Choose one of the companies listed."),
        ({"company": "9" * 30}, "company", "Choose one of the companies listed."),
        ({"company": ""}, "company", "This field is required."),
        ({"half": "3"}, "half", "Select a valid choice."),
        ({"result": "hired"}, "result", "Select a valid choice."),
        ({"atmosphere": "angry"}, "atmosphere", "Select a valid choice."),
        ({"position": "P" * 101}, "position", "at most 100 characters"),
        ({"regrets": ""}, "regrets", "This field is required."),
        ({"advice": "A" * 3001}, "advice", "at most 3000 characters"),
        ({"items-TOTAL_FORMS": None}, "items", "did not arrive complete"),
        ({"items-TOTAL_FORMS": "-1"}, "items", "Add at least one question"),
        ({"items": [("Q" * 301, "A")], "items-INITIAL_FORMS": "50"}, "items-0-question", "at most"),
    ],
)
def test_bad_input_is_refused_with_clear_errors_and_nothing_written(
    people: dict[str, User],
    companies: dict[str, Company],
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    items = change.pop("items", None)
    data = form_data(change.pop("company", companies["naver"]), items, **change)
    data = {k: v for k, v in data.items() if v is not None}
    author = logged_in(people["minji"])
    response = author.post(f"{REVIEWS}new/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="{field}-errors"' in html or f'id="id_{field}-errors"' in html, field
    assert message in html.replace("&#x27;", "'")
    assert not Review.objects.exists() and not ReviewItem.objects.exists()
    # The same refused as a change of an existing review: it stays as it was.
    review = write(people["minji"], companies["kakao"])
    assert author.post(f"{REVIEWS}{review.pk}/edit/", data).status_code == 400
    review.refresh_from_db()
    assert review.company == companies["kakao"] and review.items.count() == 1


def test_the_services_check_the_rules_without_a_form(
    people: dict[str, User], companies: dict[str, Company]
) -> None:
    naver = companies["naver"]
    QA = services.QuestionAnswer
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"items": []}, "items"),
        ({"items": [QA("q", "a")] * 11}, "items"),
        ({"items": [QA("q", " ")]}, "items"),
        ({"year": 1800}, "year"),
        ({"half": 3}, "half"),
        ({"result": "hired"}, "result"),
        ({"position": "  "}, "position"),
        ({"advice": "x" * 3001}, "advice"),
    ]
    for changes, field in refusals:
        with pytest.raises(services.ReviewError) as refused:
            write(people["minji"], naver, **changes)
        assert refused.value.field == field, changes
    assert not Review.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it too
        Review.objects.create(author=people["minji"], company=naver, position="x",
                              result="passed", year=1800, half=1, atmosphere="neutral",
                              regrets="r", advice="a")  # fmt: skip


def test_bad_ids_are_not_found(people: dict[str, User], companies: dict[str, Company]) -> None:
    reader = logged_in(people["junho"])
    huge = "9" * 25
    for path in (f"{REVIEWS}999999/", f"{REVIEWS}{huge}/", f"{REVIEWS}{huge}/edit/",
                 f"{REVIEWS}{huge}/report/", f"{REVIEWS}{huge}/delete/"):  # fmt: skip
        assert reader.get(path).status_code == 404, path
    assert reader.post(f"{REVIEWS}{huge}/delete/").status_code == 404
    assert reader.post(f"{REVIEWS}companies/{huge}/like/", {"liked": "1"}).status_code == 404
    assert reader.get(f"{REVIEWS}new/?company={huge}").status_code == 200


def test_writes_need_a_post_with_the_csrf_token(
    people: dict[str, User], companies: dict[str, Company]
) -> None:
    review = write(people["minji"], companies["naver"])
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(people["junho"])
    like = f"{REVIEWS}companies/{companies['naver'].pk}/like/"
    assert strict.post(like, {"liked": "1"}).status_code == 403
    assert strict.post(f"{REVIEWS}{review.pk}/report/", {"reason": "x"}).status_code == 403
    assert strict.post(f"{REVIEWS}new/", form_data(companies["naver"])).status_code == 403
    author = Client(enforce_csrf_checks=True)
    author.force_login(people["minji"])
    assert author.post(f"{REVIEWS}{review.pk}/delete/").status_code == 403
    assert not CompanyLike.objects.exists() and not ReviewReport.objects.exists()
    assert Review.objects.count() == 1
    # With the token the page gives, the same write goes through.
    page = author.get(f"{REVIEWS}{review.pk}/delete/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    done = author.post(f"{REVIEWS}{review.pk}/delete/", {"csrfmiddlewaretoken": token.group(1)})
    assert done.status_code == 302 and not Review.objects.exists()


def test_the_privacy_export_lists_what_a_user_wrote(
    people: dict[str, User], companies: dict[str, Company]
) -> None:
    review = write(people["minji"], companies["naver"])
    services.review_report(user=people["junho"], review=review, reason="광고")
    services.company_like(user=people["junho"], company=companies["kakao"])
    mine = selectors.reviews_export(people["minji"])
    assert [r["company"] for r in mine["reviews"]] == ["네이버"]
    assert mine["reviews"][0]["items"] == [
        {"question": "자기소개 해주세요.", "answer": "저는 백엔드 개발자입니다."}
    ]
    theirs = selectors.reviews_export(people["junho"])
    assert theirs["reviews"] == [] and theirs["reports"][0]["reason"] == "광고"
    assert [like["company"] for like in theirs["likes"]] == ["카카오"]
