"""A company's page: its information, 인재상 as badges, the SWOT quadrants that are filled in,
its open positions, its ten latest headlines (newest first, escaped, opened apart), its likes
and the user's own, and how many reviews of it the user reads; signed-in users only, and an
unknown or impossible id is not found."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import translation
from django.utils.timezone import localtime

from peeka.accounts.models import User
from peeka.coach import selectors, services
from peeka.coach.models import Atmosphere, Company, Half, InterviewResult, NewsItem
from tests.webapp import PASSWORD, logged_in

pytestmark = pytest.mark.django_db
HOME = "/coach/"
REVIEWS = "/coach/reviews/"


def page_of(company: Company) -> str:
    return f"/coach/companies/{company.pk}/"


@pytest.fixture
def people() -> dict[str, User]:
    return {
        name: User.objects.create_user(name, password=PASSWORD, display_name=display)
        for name, display in [("minji", "김민지"), ("junho", "이준호"), ("sora", "박소라")]
    }


@pytest.fixture
def naver() -> Company:
    return Company.objects.create(
        name="네이버",
        description="검색과 커머스\n그리고 AI",
        talent=["도전", "  ", "customer focus", "협업"],
        strengths="국내 검색 점유율 1위",
        weaknesses="",
        opportunities="생성형 AI 수요",
        threats="   ",
        positions=["백엔드 개발자", "데이터 엔지니어"],
    )


def review(author: User, company: Company) -> None:
    services.review_create(
        author=author,
        content=services.ReviewContent(
            company=company,
            position="백엔드 개발자",
            result=InterviewResult.PASSED,
            year=2024,
            half=Half.FIRST,
            atmosphere=Atmosphere.FRIENDLY,
            regrets="긴장했어요.",
            advice="기초를 복습하세요.",
            items=[services.QuestionAnswer("자기소개 해주세요.", "백엔드 개발자입니다.")],
        ),
    )


def between(html: str, start: str, end: str) -> str:
    """The page's text from the first `start` to the next `end`."""
    begin = html.index(start)
    return html[begin : html.index(end, begin)]


def test_the_page_shows_the_profile_talent_swot_and_positions(
    people: dict[str, User], naver: Company
) -> None:
    with translation.override("en"):
        response = logged_in(people["junho"]).get(page_of(naver))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="h3" id="company-name">네이버</h1>' in html
    assert "검색과 커머스<br>그리고 AI" in html
    talent = between(html, 'id="talent"', "</ul>")
    assert re.findall(r'<span class="badge[^"]*">([^<]+)</span>', talent) == [
        "도전",
        "customer focus",
        "협업",
    ]  # the blank one is left out
    swot = between(html, 'id="swot"', "</section>")
    assert 'id="swot-strengths"' in swot and "국내 검색 점유율 1위" in swot
    assert 'id="swot-opportunities"' in swot and "생성형 AI 수요" in swot
    assert 'id="swot-weaknesses"' not in swot and "Weaknesses" not in swot  # empty: omitted
    assert 'id="swot-threats"' not in swot and "Threats" not in swot  # blank: omitted
    assert "No analysis yet." not in html
    assert "col-12 col-md-6" in swot  # stacked on a phone, two by two on a wide screen
    positions = between(html, 'id="positions"', "</ul>")
    assert positions.index("백엔드 개발자") < positions.index("데이터 엔지니어")


def test_a_company_with_nothing_filled_in_says_so(people: dict[str, User]) -> None:
    kakao = Company.objects.create(name="카카오")
    with translation.override("en"):
        html = logged_in(people["junho"]).get(page_of(kakao)).content.decode()
    assert "No analysis yet." in html
    assert not re.search(r'id="swot-(strengths|weaknesses|opportunities|threats)"', html)
    assert "No open positions listed." in html and "No news yet." in html
    assert 'class="badge rounded-pill' not in html and "0 likes" in html and "0 reviews" in html


def test_the_ten_latest_headlines_newest_first_opened_apart(
    people: dict[str, User], naver: Company
) -> None:
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    for day in range(12):  # written out of order
        n = (day * 5) % 12
        NewsItem.objects.create(
            company=naver,
            title=f"헤드라인 {n:02d}",
            link=f"https://news.example.com/{n}",
            source="테크 뉴스",
            published=start + timedelta(days=n),
        )
    NewsItem.objects.create(
        company=naver, title="날짜 없는 기사", link="https://news.example.com/undated"
    )
    other = Company.objects.create(name="카카오")
    NewsItem.objects.create(
        company=other, title="카카오 소식", link="https://news.example.com/kakao", published=start
    )
    response = logged_in(people["junho"]).get(page_of(naver))
    html = response.content.decode()
    titles = re.findall(r">(헤드라인 \d\d|날짜 없는 기사|카카오 소식)</a>", html)
    assert titles == [f"헤드라인 {n:02d}" for n in range(11, 1, -1)]  # 11 … 2: ten, newest first
    assert [item.title for item in response.context["page"].news][:2] == [
        "헤드라인 11",
        "헤드라인 10",
    ]
    link = (
        '<a class="fw-semibold" href="https://news.example.com/11" '
        'rel="noopener noreferrer" target="_blank">헤드라인 11</a>'
    )
    assert link in html
    newest = between(html, "헤드라인 11", "</li>")
    stamp = localtime(start + timedelta(days=11)).isoformat()
    assert "테크 뉴스" in newest and f'datetime="{stamp}"' in newest
    # With fewer than ten dated headlines, an undated one comes last.
    NewsItem.objects.filter(company=naver, title__in=["헤드라인 11", "헤드라인 10"]).delete()
    html = logged_in(people["junho"]).get(page_of(naver)).content.decode()
    titles = re.findall(r">(헤드라인 \d\d|날짜 없는 기사)</a>", html)
    assert titles == [f"헤드라인 {n:02d}" for n in range(9, -1, -1)]
    NewsItem.objects.filter(company=naver, title="헤드라인 00").delete()
    html = logged_in(people["junho"]).get(page_of(naver)).content.decode()
    assert re.findall(r">(헤드라인 \d\d|날짜 없는 기사)</a>", html)[-1] == "날짜 없는 기사"


def test_a_headline_with_markup_is_shown_as_text(people: dict[str, User], naver: Company) -> None:
    NewsItem.objects.create(
        company=naver,
        title='<script>alert("x")</script> 네이버 <b>속보</b>',
        link="https://news.example.com/a?b=1&c=<2>",
        source="<i>소스</i>",
        published=datetime(2026, 12, 1, tzinfo=UTC),
    )
    html = logged_in(people["junho"]).get(page_of(naver)).content.decode()
    assert "<script>alert" not in html and "<b>속보</b>" not in html and "<i>소스</i>" not in html
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; 네이버 &lt;b&gt;속보&lt;/b&gt;" in html
    )
    assert 'href="https://news.example.com/a?b=1&amp;c=&lt;2&gt;"' in html
    assert "&lt;i&gt;소스&lt;/i&gt;" in html


def test_likes_and_reviews_are_counted_and_the_users_like_is_shown(
    people: dict[str, User], naver: Company
) -> None:
    other = Company.objects.create(name="카카오")
    review(people["minji"], naver)
    review(people["sora"], naver)
    review(people["sora"], other)
    services.company_like(user=people["sora"], company=naver)
    services.company_like(user=people["junho"], company=other)
    junho = logged_in(people["junho"])
    with translation.override("en"):
        html = junho.get(page_of(naver)).content.decode()
    assert 'aria-pressed="false"' in html and 'name="liked" value="1"' in html
    assert '<span class="small" id="like-count">1 like</span>' in html
    assert f'action="/coach/reviews/companies/{naver.pk}/like/"' in html
    reviews_link = between(html, 'id="company-reviews"', "</a>")
    assert f'href="{REVIEWS}?company={naver.pk}"' in reviews_link and "2 reviews" in reviews_link
    # Liking through the existing like view shows on the page.
    liked = junho.post(f"{REVIEWS}companies/{naver.pk}/like/", {"liked": "1", "back": "company"})
    assert liked.status_code == 302 and liked["Location"] == page_of(naver)
    with translation.override("en"):
        response = junho.get(page_of(naver))
    html = response.content.decode()
    assert 'aria-pressed="true"' in html and 'name="liked" value="0"' in html
    assert '<span class="small" id="like-count">2 likes</span>' in html
    page = response.context["page"]
    assert (page.likes, page.liked, page.reviews) == (2, True, 2)
    # A hidden review is not counted for readers (as on the index).
    first = naver.reviews.first()
    assert first is not None
    services.review_hide(review=first)
    found = selectors.company_page(user=people["junho"], company_id=naver.pk)
    assert found is not None and found.reviews == 1


def test_the_index_links_each_company_to_its_page(people: dict[str, User], naver: Company) -> None:
    kakao = Company.objects.create(name="카카오")
    html = logged_in(people["junho"]).get(HOME).content.decode()
    for company in (naver, kakao):
        assert f'href="{page_of(company)}">{company.name}</a>' in html
        assert f'href="{REVIEWS}?company={company.pk}"' in html


def test_anonymous_visitors_log_in_and_unknown_ids_are_not_found(
    people: dict[str, User], naver: Company
) -> None:
    response = Client().get(page_of(naver))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    reader = logged_in(people["junho"])
    for path in ("/coach/companies/999999/", "/coach/companies/0/",
                 f"/coach/companies/{'9' * 20}/", f"/coach/companies/{'9' * 30}/"):  # fmt: skip
        assert reader.get(path).status_code == 404, path
    assert reader.get("/coach/companies/-1/").status_code == 404
    assert reader.post(page_of(naver)).status_code == 405
    assert selectors.company_page(user=people["junho"], company_id=10**20) is None
