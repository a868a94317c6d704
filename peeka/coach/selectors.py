"""Reading the coach's data."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from peeka.coach.models import (
    Company,
    CompanyLike,
    InterviewResult,
    NewsItem,
    Review,
    ReviewItem,
    ReviewReport,
)
from peeka.llm.types import Company as CompanyProfile


def company_find(*, name: str) -> Company | None:
    return Company.objects.filter(name__iexact=name.strip()).first() if name.strip() else None


def company_profile(*, name: str) -> CompanyProfile:
    """What a provider is told of the company `name`: its profile where staff keep one, else
    its name alone."""
    company = company_find(name=name)
    if company is None:
        return CompanyProfile(name=name.strip()[:200])
    return CompanyProfile(
        name=company.name,
        talent=[str(t)[:100] for t in company.talent][:20],
        description=company.description,
        positions=[str(p)[:200] for p in company.positions][:50],
    )


# --- Interview reviews ------------------------------------------------------------------------
# Readers are signed-in users. Hidden reviews are seen by staff only (not even by their author);
# the author of a review is never part of what a reader is given, only `mine` for their own.

REVIEWS_PAGE_SIZE = 20
MAX_QUERY_WORDS = 8
REVIEW_SORTS = ("new", "views")
"""Newest first, or most viewed first."""

ReviewUser = AbstractBaseUser | AnonymousUser


def is_review_moderator(*, user: ReviewUser) -> bool:
    return bool(user.is_authenticated and getattr(user, "is_staff", False))


def visible_reviews(*, user: ReviewUser) -> QuerySet[Review]:
    """The reviews `user` may read: every one for staff, the ones not hidden for other
    signed-in users, none for anyone else."""
    reviews = Review.objects.select_related("company")
    if not user.is_authenticated:
        return reviews.none()
    return reviews if is_review_moderator(user=user) else reviews.filter(hidden=False)


def review_search(
    *,
    user: ReviewUser,
    query: str = "",
    company: Company | None = None,
    position: str = "",
    result: str = "",
    sort: str = "new",
    page: int = 1,
) -> Page[Review]:
    """The reviews `user` sees with every word of `query` in the position, the advice or one of
    the questions (any case), of `company`, with `position` in the position, with `result`;
    newest or most viewed first, `REVIEWS_PAGE_SIZE` a page (a page past the end is the
    last)."""
    reviews = visible_reviews(user=user)
    if company is not None:
        reviews = reviews.filter(company=company)
    if position.strip():
        reviews = reviews.filter(position__icontains=position.strip())
    if result in InterviewResult.values:
        reviews = reviews.filter(result=result)
    for word in query.split()[:MAX_QUERY_WORDS]:
        asked = ReviewItem.objects.filter(review=OuterRef("pk"), question__icontains=word)
        reviews = reviews.filter(
            Q(position__icontains=word) | Q(advice__icontains=word) | Exists(asked)
        )
    order = ("-view_count", "-created", "-pk") if sort == "views" else ("-created", "-pk")
    return Paginator(reviews.order_by(*order), REVIEWS_PAGE_SIZE).get_page(page)


def review_detail(*, user: ReviewUser, review_id: int) -> Review | None:
    """Review `review_id` with its questions in order, if `user` may read it."""
    return (
        visible_reviews(user=user)
        .prefetch_related(Prefetch("items", ReviewItem.objects.order_by("order", "pk")))
        .filter(pk=review_id)
        .first()
    )


def review_is_mine(*, user: ReviewUser, review: Review) -> bool:
    return bool(user.is_authenticated and review.author_id == user.pk)


def review_reported(*, user: ReviewUser, review: Review) -> bool:
    """Whether `user` has reported `review` already (a reader reports a review once)."""
    return bool(
        user.is_authenticated
        and ReviewReport.objects.filter(review=review, reporter_id=user.pk).exists()
    )


def review_open_reports(*, review: Review) -> int:
    return ReviewReport.objects.filter(review=review, dismissed=False).count()


def company_get(*, company_id: int) -> Company | None:
    return Company.objects.filter(pk=company_id).first()


def company_likes(*, company: Company) -> int:
    return CompanyLike.objects.filter(company=company).count()


def company_liked(*, user: ReviewUser, company: Company) -> bool:
    return bool(
        user.is_authenticated
        and CompanyLike.objects.filter(company=company, user_id=user.pk).exists()
    )


def companies_with_reviews(*, user: ReviewUser) -> QuerySet[Company]:
    """Every company by name, with how many reviews `user` sees of it (`review_count`) and
    how many users like it (`like_count`)."""
    seen = visible_reviews(user=user).filter(company=OuterRef("pk")).order_by()
    count = seen.values("company").annotate(n=Count("pk")).values("n")
    likes = CompanyLike.objects.filter(company=OuterRef("pk")).order_by()
    like_count = likes.values("company").annotate(n=Count("pk")).values("n")
    return Company.objects.annotate(
        review_count=Coalesce(Subquery(count), 0), like_count=Coalesce(Subquery(like_count), 0)
    ).order_by("name")


def reviews_export(user: AbstractBaseUser) -> dict[str, list[dict[str, object]]]:
    """The privacy export's part: the interview reviews `user` wrote, the reviews they reported
    and the companies they like."""
    written = Review.objects.filter(author_id=user.pk).select_related("company")
    reports = ReviewReport.objects.filter(reporter_id=user.pk).order_by("created", "pk")
    likes = CompanyLike.objects.filter(user_id=user.pk).select_related("company")
    return {
        "reviews": [
            {
                "id": review.pk,
                "company": review.company.name,
                "position": review.position,
                "result": review.result,
                "year": review.year,
                "half": review.half,
                "atmosphere": review.atmosphere,
                "atmosphere_note": review.atmosphere_note,
                "regrets": review.regrets,
                "advice": review.advice,
                "items": [
                    {"question": item.question, "answer": item.answer}
                    for item in review.items.order_by("order", "pk")
                ],
                "views": review.view_count,
                "hidden": review.hidden,
                "created": review.created.isoformat(),
            }
            for review in written.order_by("created", "pk")
        ],
        "reports": [
            {"review": r.review_id, "reason": r.reason, "created": r.created.isoformat()}
            for r in reports
        ],
        "likes": [
            {"company": like.company.name, "created": like.created.isoformat()}
            for like in likes.order_by("created", "pk")
        ],
    }


# --- A company's page -------------------------------------------------------------------------

COMPANY_NEWS_MAX = 10
_ID_MAX = 2**63 - 1
"""The largest id a database keeps; a larger one in a URL names no company."""


@dataclass(frozen=True)
class CompanyPage:
    """What a company's page shows: its profile, its latest headlines (newest first, at most
    `COMPANY_NEWS_MAX`), how many users like it and whether the reader does, and how many of
    its reviews the reader sees."""

    company: Company
    talent: list[str]
    positions: list[str]
    news: list[NewsItem]
    likes: int
    liked: bool
    reviews: int

    @property
    def has_swot(self) -> bool:
        c = self.company
        return any(q.strip() for q in (c.strengths, c.weaknesses, c.opportunities, c.threats))


def company_page(*, user: ReviewUser, company_id: int) -> CompanyPage | None:
    """Company `company_id`'s page for `user` (two queries), or None if there is none."""
    if not 0 < company_id <= _ID_MAX:
        return None
    seen = visible_reviews(user=user).filter(company=OuterRef("pk")).order_by()
    review_count = seen.values("company").annotate(n=Count("pk")).values("n")
    likes = CompanyLike.objects.filter(company=OuterRef("pk")).order_by()
    like_count = likes.values("company").annotate(n=Count("pk")).values("n")
    mine = likes.filter(user_id=user.pk) if user.is_authenticated else likes.none()
    company = (
        Company.objects.annotate(
            review_count=Coalesce(Subquery(review_count), 0),
            like_count=Coalesce(Subquery(like_count), 0),
            liked=Exists(mine),
        )
        .filter(pk=company_id)
        .first()
    )
    if company is None:
        return None
    news = NewsItem.objects.filter(company=company).order_by(
        F("published").desc(nulls_last=True), "-fetched", "-pk"
    )[:COMPANY_NEWS_MAX]
    return CompanyPage(
        company=company,
        talent=_phrases(company.talent),
        positions=_phrases(company.positions),
        news=list(news),
        likes=int(company.like_count),
        liked=bool(company.liked),
        reviews=int(company.review_count),
    )


def _phrases(value: object) -> list[str]:
    """The non-blank phrases of a list kept as JSON (anything else is none)."""
    if not isinstance(value, list):
        return []
    return [text for text in (str(v).strip() for v in value) if text]
