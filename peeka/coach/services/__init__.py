"""The coach's use cases over the deployment's LLM provider (PEEKA_LLM_*: an OpenAI-compatible
server, or the offline default). Each answer says which provider produced it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from peeka.accounts.models import User
from peeka.coach import selectors
from peeka.coach.feeds import FeedError, FeedparserSource, NewsSource
from peeka.coach.models import (
    REPORTS_TO_HIDE,
    REVIEW_ITEMS_MAX,
    Company,
    CompanyLike,
    NewsItem,
    Review,
    ReviewItem,
    ReviewReport,
)
from peeka.errors import FieldError, gettext_noop
from peeka.llm.base import Provider
from peeka.llm.providers import provider_for
from peeka.llm.types import Company as CompanyProfile
from peeka.llm.types import (
    Feedback,
    FeedbackRequest,
    Language,
    QuestionKind,
    QuestionRequest,
    Questions,
)


def provider() -> Provider:
    """A provider for one use (its `calls` record that use only)."""
    return provider_for(settings.PEEKA_LLM)


@dataclass(frozen=True)
class Asked:
    questions: Questions
    provider: str


@dataclass(frozen=True)
class Judged:
    feedback: Feedback
    provider: str


def language_of(text: str) -> Language:
    """The language a text is written in, by its script: Hangul → ko, Han → zh-hans, else en."""
    hangul = sum("\uac00" <= c <= "\ud7a3" or "\u3131" <= c <= "\u318e" for c in text)
    han = sum("\u4e00" <= c <= "\u9fff" for c in text)
    if hangul and hangul >= han:
        return "ko"
    return "zh-hans" if han else "en"


def questions_generate(
    *,
    cover_letter: str,
    company: CompanyProfile,
    position: str,
    language: Language,
    exclude: tuple[str, ...] = (),
) -> Asked:
    """Three job questions from the company and position, three personality questions from the
    cover letter (`LLMError` when the provider cannot answer)."""
    chosen = provider()
    request = QuestionRequest(
        cover_letter=cover_letter,
        company=company,
        position=position,
        language=language,
        exclude=list(exclude),
    )
    return Asked(chosen.questions(request), chosen.name)


def feedback_give(
    *,
    question: str,
    answer: str,
    company: CompanyProfile | None = None,
    kind: QuestionKind | None = None,
    language: Language | None = None,
) -> Judged:
    """Feedback on an answer: strengths, improvements, a suggestion, an example rewrite, a score
    per criterion and follow-up questions."""
    chosen = provider()
    request = FeedbackRequest(
        question=question,
        answer=answer,
        kind=kind,
        company=company,
        language=language or language_of(answer or question),
    )
    return Judged(chosen.feedback(request), chosen.name)


@dataclass(frozen=True)
class FeedFailure:
    company: str
    feed: str
    error: str


@dataclass(frozen=True)
class Fetched:
    companies: int
    feeds: int
    new: int
    failures: list[FeedFailure]


def news_fetch(*, source: NewsSource | None = None) -> Fetched:
    """Read every company's feeds and keep the headlines not seen before (the same link is kept
    once per company). A feed that fails is reported and the others go on; run it from a
    scheduler (`peeka coach fetch-news`)."""
    reader = source or FeedparserSource()
    companies = feeds = new = 0
    failures = []
    for company in Company.objects.exclude(feeds=[]).order_by("pk"):
        companies += 1
        for url in [str(u) for u in company.feeds][:20]:
            feeds += 1
            try:
                headlines = reader.fetch(url)
            except FeedError as exc:
                failures.append(FeedFailure(company.name, url, str(exc)))
                continue
            known = set(
                NewsItem.objects.filter(
                    company=company, link__in=[h.link for h in headlines]
                ).values_list("link", flat=True)
            )
            fresh = {h.link: h for h in headlines if h.link not in known}
            NewsItem.objects.bulk_create(
                [
                    NewsItem(company=company, title=h.title, link=h.link, summary=h.summary,
                             published=h.published, source=h.source)
                    for h in fresh.values()
                ],
                ignore_conflicts=True,  # a parallel fetch kept it first (coach_news_once)
            )  # fmt: skip
            new += len(fresh)
    return Fetched(companies, feeds, new, failures)


# --- Interview reviews ------------------------------------------------------------------------
# Writing, changing and deleting a review (its author), counting its readers, reporting it (a
# reader once; REPORTS_TO_HIDE open reports hide it), restoring or hiding it (staff, from the
# admin), and liking a company. Uniqueness is the database's: one report per reader and
# review, one like per user and company.

REVIEWS_SEEN_KEY = "coach_reviews_seen"
"""The session's list of the reviews it has been counted as a reader of."""
REVIEWS_SEEN_MAX = 500
"""How many of them a session remembers (the oldest are forgotten first)."""


class ReviewError(FieldError):
    """A review (or report) that cannot be written as asked; `field` names the form field at
    fault (None: the review as a whole, "items": its questions). Nothing was written."""

    code = "review_invalid"


class ReviewForbiddenError(ReviewError):
    """The user may not do this to this review (answered with 403)."""

    code = "review_forbidden"


@dataclass(frozen=True)
class QuestionAnswer:
    question: str
    answer: str


@dataclass(frozen=True)
class ReviewContent:
    """What a review says, as its form gives it."""

    company: Company
    position: str
    result: str
    year: int
    half: int
    atmosphere: str
    regrets: str
    advice: str
    items: Sequence[QuestionAnswer]
    atmosphere_note: str = ""


def review_create(*, author: User, content: ReviewContent) -> Review:
    """A new review by `author` (shown to readers without their name)."""
    review = Review(author=author)
    items = _fill(review, content)
    with transaction.atomic():
        review.save()
        _write_items(review, items)
    return review


def review_update(*, user: User, review: Review, content: ReviewContent) -> Review:
    """Change `review` (its author only): every field and its questions, which replace the
    old ones in the order given."""
    if review.author_id != user.pk:
        raise ReviewForbiddenError(gettext_noop("Only its author may change this review."))
    items = _fill(review, content)
    with transaction.atomic():
        review.save()
        review.items.all().delete()
        _write_items(review, items)
    return review


def review_delete(*, user: User, review: Review) -> None:
    """Delete `review` with its questions and reports (its author only)."""
    if review.author_id != user.pk:
        raise ReviewForbiddenError(gettext_noop("Only its author may delete this review."))
    review.delete()


def review_read(*, user: User, review_id: int, session: SessionBase) -> Review | None:
    """Review `review_id` for `user` (None when they may not read it), counting a reader once
    per session; the author's own readings do not count. The count is raised in the database
    (F()), so readers at the same moment all count; `view_count` is read back after."""
    review = selectors.review_detail(user=user, review_id=review_id)
    if review is None or review.author_id == user.pk:
        return review
    raw = session.get(REVIEWS_SEEN_KEY)
    seen = [n for n in raw if isinstance(n, int)] if isinstance(raw, list) else []
    if review.pk not in seen:
        Review.objects.filter(pk=review.pk).update(view_count=F("view_count") + 1)
        session[REVIEWS_SEEN_KEY] = [*seen, review.pk][-REVIEWS_SEEN_MAX:]
        review.refresh_from_db(fields=["view_count"])
    return review


def review_report(*, user: User, review: Review, reason: str) -> ReviewReport:
    """`user` reports `review` for `reason` (once; not their own). The report that makes
    `REPORTS_TO_HIDE` open ones hides the review (`review.hidden` says so after)."""
    if review.author_id == user.pk:
        raise ReviewForbiddenError(gettext_noop("You cannot report your own review."))
    report = ReviewReport(review=review, reporter=user, reason=reason.strip())
    if not report.reason:
        raise ReviewError(gettext_noop("Say why you are reporting this review."), field="reason")
    _clean(report, validate_constraints=False)
    with transaction.atomic():
        # Reports of one review take turns, so the one that makes three is seen making three.
        Review.objects.select_for_update().filter(pk=review.pk).values_list("pk").first()
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:
            raise ReviewError(
                gettext_noop("You have already reported this review."),
                field="reason",
                code="review_reported",
            ) from None
        if selectors.review_open_reports(review=review) >= REPORTS_TO_HIDE:
            Review.objects.filter(pk=review.pk).update(hidden=True)
            review.hidden = True
    return report


def review_restore(*, review: Review) -> None:
    """Show `review` again (staff, in the admin): its open reports are dismissed, so it takes
    `REPORTS_TO_HIDE` new ones to hide it again."""
    with transaction.atomic():
        ReviewReport.objects.filter(review=review, dismissed=False).update(dismissed=True)
        Review.objects.filter(pk=review.pk).update(hidden=False)
    review.hidden = False


def review_hide(*, review: Review) -> None:
    """Hide `review` from everyone but staff (staff, in the admin)."""
    Review.objects.filter(pk=review.pk).update(hidden=True)
    review.hidden = True


def company_like(*, user: User, company: Company) -> int:
    """`user` likes `company` (once, however often asked); the number of users who do."""
    # The unique constraint decides, so two requests at once still make one like.
    like = CompanyLike(company=company, user=user)
    CompanyLike.objects.bulk_create([like], ignore_conflicts=True)
    return selectors.company_likes(company=company)


def company_unlike(*, user: User, company: Company) -> int:
    """`user` no longer likes `company`; the number of users who do."""
    CompanyLike.objects.filter(company=company, user_id=user.pk).delete()
    return selectors.company_likes(company=company)


def _fill(review: Review, content: ReviewContent) -> list[ReviewItem]:
    """Set `review`'s fields from `content` and check them and its questions; the questions
    as rows to write (checked, not saved)."""
    review.company = content.company
    review.position = content.position.strip()
    review.result = content.result
    review.year = content.year
    review.half = content.half
    review.atmosphere = content.atmosphere
    review.atmosphere_note = content.atmosphere_note.strip()
    review.regrets = content.regrets.strip()
    review.advice = content.advice.strip()
    _clean(review, exclude=["author"])
    pairs = [(qa.question.strip(), qa.answer.strip()) for qa in content.items]
    if not pairs:
        raise ReviewError(
            gettext_noop("Add at least one question and the answer you gave."), field="items"
        )
    if len(pairs) > REVIEW_ITEMS_MAX:
        raise ReviewError(
            gettext_noop("A review has at most %(count)d questions."),
            field="items",
            params={"count": REVIEW_ITEMS_MAX},
        )
    items = []
    for order, (question, answer) in enumerate(pairs, start=1):
        if not question or not answer:
            raise ReviewError(gettext_noop("Write each question with your answer."), field="items")
        item = ReviewItem(order=order, question=question, answer=answer)
        _clean(item, exclude=["review"], field="items")
        items.append(item)
    return items


def _write_items(review: Review, items: list[ReviewItem]) -> None:
    for item in items:
        item.review = review
    ReviewItem.objects.bulk_create(items)


def _clean(
    row: Review | ReviewItem | ReviewReport,
    *,
    exclude: list[str] | None = None,
    field: str | None = None,
    validate_constraints: bool = True,
) -> None:
    """The model's own checks (lengths, choices, the year's range), the first failure as a
    ReviewError on its field (or on `field`)."""
    try:
        row.full_clean(exclude=exclude, validate_constraints=validate_constraints)
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise ReviewError(
            "%(problem)s",
            field=field or (None if name == "__all__" else name),
            params={"problem": str(messages[0])},
        ) from None
