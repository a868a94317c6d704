"""Reading the coach's data."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from peeka.coach.models import (
    AnswerFeedback,
    CheckMoment,
    Company,
    CompanyLike,
    CoverLetter,
    CoverLetterVersion,
    IdentityCheck,
    InterviewResult,
    InterviewState,
    MockInterview,
    NewsItem,
    QuestionSet,
    Review,
    ReviewItem,
    ReviewReport,
)
from peeka.llm.types import Company as CompanyProfile
from peeka.security.clock import now


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


# --- Practice ---------------------------------------------------------------------------------
# A candidate's letters, question sets, answers and mock interviews are theirs alone: every
# reader below takes the user and finds nothing of anybody else's.


def letters_of(*, user: ReviewUser) -> QuerySet[CoverLetter]:
    return CoverLetter.objects.filter(owner_id=user.pk).annotate(
        set_count=Count("question_sets", distinct=True)
    )


def letter_get(*, user: ReviewUser, letter_id: int) -> CoverLetter | None:
    return CoverLetter.objects.filter(owner_id=user.pk, pk=letter_id).first()


def letter_version(*, letter: CoverLetter, number: int) -> CoverLetterVersion | None:
    return letter.versions.filter(number=number).first()


def letter_questions_asked(*, letter: CoverLetter) -> list[str]:
    """Every question the letter's sets asked, oldest first (a regeneration avoids them)."""
    asked: list[str] = []
    for question_set in letter.question_sets.order_by("created", "pk"):
        asked.extend(str(q) for q in [*question_set.job, *question_set.personality])
    return list(dict.fromkeys(asked))


def question_set_get(*, user: ReviewUser, set_id: int) -> QuestionSet | None:
    return QuestionSet.objects.select_related("letter").filter(owner_id=user.pk, pk=set_id).first()


@dataclass(frozen=True)
class Practised:
    """One question of a set, with the answer saved and the feedback on it (newest first)."""

    index: int
    kind: str
    question: str
    answer: str
    feedback: list[AnswerFeedback]

    @property
    def answered(self) -> bool:
        return bool(self.answer.strip())


def question_set_page(*, question_set: QuestionSet) -> list[Practised]:
    answers = {
        a.index: a
        for a in question_set.answers.prefetch_related(
            Prefetch("feedback", queryset=AnswerFeedback.objects.order_by("-created", "-pk"))
        )
    }
    page = []
    for index, kind, text in question_set.questions():
        answer = answers.get(index)
        page.append(
            Practised(
                index=index,
                kind=kind,
                question=text,
                answer=answer.text if answer else "",
                feedback=list(answer.feedback.all()) if answer else [],
            )
        )
    return page


def interviews_of(*, user: ReviewUser) -> QuerySet[MockInterview]:
    return MockInterview.objects.filter(owner_id=user.pk).select_related("question_set")


def interview_get(*, user: ReviewUser, interview_id: int) -> MockInterview | None:
    return (
        MockInterview.objects.select_related("question_set")
        .filter(owner_id=user.pk, pk=interview_id)
        .first()
    )


@dataclass(frozen=True)
class Verification:
    """Whether the account holder practised, as the server recorded it: `verified` only with a
    passed live check at the start, every later check passed, an end check, and no gap longer
    than twice the check interval from the start to the end. `problems` say what is missing
    (codes: "no_start", "start_failed", "check_failed", "gap", "no_end", "not_finished")."""

    verified: bool
    problems: list[str]
    checks: list[IdentityCheck]
    longest_gap: int
    """Seconds, the longest time the face went unchecked while the interview ran."""


def interview_verification(*, interview: MockInterview, interval: int) -> Verification:
    checks = list(interview.checks.all())
    problems: list[str] = []
    starts = [c for c in checks if c.moment == CheckMoment.START]
    if not starts:
        problems.append("no_start")
    elif not starts[-1].passed or not starts[-1].live:
        problems.append("start_failed")
    later = [c for c in checks if c.moment != CheckMoment.START]
    if any(not c.passed for c in later):
        problems.append("check_failed")
    if not any(c.moment == CheckMoment.END for c in later):
        problems.append("no_end")
    if interview.started is None or interview.finished is None:
        problems.append("not_finished")
        return Verification(False, problems, checks, 0)
    times = [interview.started, *(c.at for c in later if c.passed), interview.finished]
    times.sort()
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    longest = round(max(gaps, default=0.0))
    if longest > 2 * interval:
        problems.append("gap")
    return Verification(not problems, problems, checks, longest)


@dataclass(frozen=True)
class Delivery:
    frames: int
    faces: int
    facing: int
    mean_abs_yaw: float

    @property
    def face_share(self) -> float:
        return self.faces / self.frames if self.frames else 0.0

    @property
    def facing_share(self) -> float:
        return self.facing / self.faces if self.faces else 0.0


def interview_delivery(*, interview: MockInterview) -> Delivery:
    totals = interview.delivery or {}
    faces = int(totals.get("faces", 0))
    return Delivery(
        frames=int(totals.get("frames", 0)),
        faces=faces,
        facing=int(totals.get("facing", 0)),
        mean_abs_yaw=float(totals.get("yaw_sum", 0.0)) / faces if faces else 0.0,
    )


def question_remaining(*, interview: MockInterview) -> int:
    """Seconds left, by the server's clock, for the question on screen."""
    if interview.state != InterviewState.RUNNING or interview.question_shown is None:
        return interview.seconds
    spent = now() - interview.question_shown.timestamp()
    return max(0, round(interview.seconds - spent))


def practice_export(user: AbstractBaseUser) -> dict[str, list[dict[str, object]]]:
    """The privacy export's part: the user's cover letters with their versions, question sets
    with answers and feedback, and mock interviews with their answers and identity checks (each
    check's moment, time and outcome; there is no picture to export)."""
    letters = CoverLetter.objects.filter(owner_id=user.pk).order_by("created", "pk")
    sets = QuestionSet.objects.filter(owner_id=user.pk).order_by("created", "pk")
    interviews = MockInterview.objects.filter(owner_id=user.pk).order_by("created", "pk")
    return {
        "cover_letters": [
            {
                "id": letter.pk,
                "versions": [
                    {
                        "number": v.number,
                        "title": v.title,
                        "company": v.company_name,
                        "position": v.position,
                        "items": v.items,
                        "saved": v.created.isoformat(),
                    }
                    for v in letter.versions.order_by("number")
                ],
            }
            for letter in letters
        ],
        "question_sets": [
            {
                "id": s.pk,
                "letter": s.letter_id,
                "provider": s.provider,
                "language": s.language,
                "job": s.job,
                "personality": s.personality,
                "answers": [
                    {
                        "question": a.index,
                        "text": a.text,
                        "feedback": [
                            {"provider": f.provider, "answer": f.answer_text, "content": f.content}
                            for f in a.feedback.order_by("created", "pk")
                        ],
                    }
                    for a in s.answers.order_by("index")
                ],
                "created": s.created.isoformat(),
            }
            for s in sets
        ],
        "mock_interviews": [
            {
                "id": i.pk,
                "question_set": i.question_set_id,
                "state": i.state,
                "started": i.started.isoformat() if i.started else None,
                "finished": i.finished.isoformat() if i.finished else None,
                "delivery": i.delivery,
                "questions": [
                    {
                        "question": q.question,
                        "answer": q.answer,
                        "seconds": q.seconds_taken,
                        "feedback": q.feedback,
                    }
                    for q in i.questions.all()
                ],
                "checks": [
                    {"moment": c.moment, "at": c.at.isoformat(), "passed": c.passed, "live": c.live}
                    for c in i.checks.all()
                ],
            }
            for i in interviews
        ],
    }


def question_on_screen(*, interview: MockInterview) -> str:
    """The text of the question to answer now ("" before the start and after the last)."""
    if interview.state != InterviewState.RUNNING:
        return ""
    question = interview.questions.filter(order=interview.current + 1).first()
    return question.question if question else ""
