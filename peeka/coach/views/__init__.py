"""The coach's pages. For now: the index (the companies, each with its reviews) and the
interview reviews (IPro's 면접 후기): the list (search, filters, pages, newest or most viewed),
a review, writing, changing and deleting one's own, reporting one, and liking a company.
Signed-in users only; a review never shows who wrote it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peeka.accounts.models import User
from peeka.coach import selectors, services
from peeka.coach.forms import ReportForm, ReviewFilter, ReviewForm, item_formset
from peeka.coach.models import Company, Half, Review
from peeka.security.wording import localized


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _review(request: HttpRequest, review_id: int) -> Review:
    """Review `review_id` if the user may read it (without counting a reading), else 404."""
    review = selectors.review_detail(user=request.user, review_id=review_id)
    if review is None:
        raise Http404(gettext("No such review, or it is hidden."))
    return review


def _own_review(request: HttpRequest, review_id: int) -> Review:
    review = _review(request, review_id)
    if not selectors.review_is_mine(user=request.user, review=review):
        raise PermissionDenied(gettext("Only its author may change this review."))
    return review


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    companies = selectors.companies_with_reviews(user=request.user)
    return render(request, "coach/home.html", {"companies": companies})


@login_required
@require_GET
def reviews(request: HttpRequest) -> HttpResponse:
    form = ReviewFilter(request.GET)
    filters = form.filters()
    page = selectors.review_search(user=request.user, page=_page_number(request), **filters)
    company: Company | None = filters["company"]
    context: dict[str, Any] = {"form": form, "page": page, "company": company}
    if company is not None:
        context["likes"] = selectors.company_likes(company=company)
        context["liked"] = selectors.company_liked(user=request.user, company=company)
    return render(request, "coach/reviews.html", context)


@login_required
@require_GET
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    review = services.review_read(user=_user(request), review_id=review_id, session=request.session)
    if review is None:
        raise Http404(gettext("No such review, or it is hidden."))
    context = {
        "review": review,
        "mine": selectors.review_is_mine(user=request.user, review=review),
        "reported": selectors.review_reported(user=request.user, review=review),
    }
    return render(request, "coach/review_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def review_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _write(request, None)
    today = timezone.localdate()
    initial: dict[str, Any] = {
        "year": today.year,
        "half": Half.FIRST if today.month <= 6 else Half.SECOND,
    }
    chosen = request.GET.get("company", "")
    if chosen.isdigit() and len(chosen) < 12:
        initial["company"] = selectors.company_get(company_id=int(chosen))
    context = {"form": ReviewForm(initial=initial), "items": item_formset(), "review": None}
    return render(request, "coach/review_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _own_review(request, review_id)
    if request.method == "POST":
        return _write(request, review)
    initial = {
        "company": review.company,
        "position": review.position,
        "result": review.result,
        "year": review.year,
        "half": review.half,
        "atmosphere": review.atmosphere,
        "atmosphere_note": review.atmosphere_note,
        "regrets": review.regrets,
        "advice": review.advice,
    }
    rows = [{"question": i.question, "answer": i.answer} for i in review.items.all()]
    context = {
        "form": ReviewForm(initial=initial),
        "items": item_formset(initial=rows),
        "review": review,
    }
    return render(request, "coach/review_form.html", context)


def _write(request: HttpRequest, review: Review | None) -> HttpResponse:
    """A posted review: written (new) or saved (`review`), or its form again with every
    problem at once (400)."""
    form = ReviewForm(request.POST)
    items = item_formset(request.POST)
    items_error = ""
    valid = form.is_valid()
    if items.is_valid() and valid:
        content = form.content(items.items())
        try:
            if review is None:
                written = services.review_create(author=_user(request), content=content)
            else:
                written = services.review_update(
                    user=_user(request), review=review, content=content
                )
        except services.ReviewForbiddenError as exc:
            raise PermissionDenied(localized(exc)) from None
        except services.ReviewError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, localized(exc))
            elif exc.field == "items":
                items_error = localized(exc)
            else:
                form.add_error(None, localized(exc))
        else:
            done = (
                gettext("Your review is published.")
                if review is None
                else gettext("Your review is saved.")
            )
            messages.success(request, done)
            return redirect("coach:review_detail", review_id=written.pk)
    context = {"form": form, "items": items, "items_error": items_error, "review": review}
    return render(request, "coach/review_form.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def review_delete(request: HttpRequest, review_id: int) -> HttpResponse:
    """GET: asks to be sure; POST: deletes the review (its author only)."""
    review = _own_review(request, review_id)
    if request.method == "POST":
        try:
            services.review_delete(user=_user(request), review=review)
        except services.ReviewForbiddenError as exc:
            raise PermissionDenied(localized(exc)) from None
        messages.success(request, gettext("Your review is deleted."))
        return redirect("coach:reviews")
    return render(request, "coach/review_delete.html", {"review": review})


@login_required
@require_http_methods(["GET", "POST"])
def review_report(request: HttpRequest, review_id: int) -> HttpResponse:
    """GET: the report form; POST: the report (a reader once per review, not its author)."""
    review = _review(request, review_id)
    if selectors.review_is_mine(user=request.user, review=review):
        raise PermissionDenied(gettext("You cannot report your own review."))
    form = ReportForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.review_report(
                    user=_user(request), review=review, reason=form.cleaned_data["reason"]
                )
            except services.ReviewForbiddenError as exc:
                raise PermissionDenied(localized(exc)) from None
            except services.ReviewError as exc:
                form.add_error("reason", localized(exc))
            else:
                messages.success(request, gettext("Thank you. Staff will look at your report."))
                if review.hidden and not selectors.is_review_moderator(user=request.user):
                    return redirect("coach:reviews")
                return redirect("coach:review_detail", review_id=review.pk)
    context = {
        "form": form,
        "review": review,
        "reported": selectors.review_reported(user=request.user, review=review),
    }
    return render(request, "coach/review_report.html", context, status=status)


@login_required
@require_POST
def company_like(request: HttpRequest, company_id: int) -> HttpResponse:
    """Like (liked=1) or stop liking (liked=0) a company, then back to its reviews (or to its
    page, with back=company)."""
    company = selectors.company_get(company_id=company_id)
    if company is None:
        raise Http404(gettext("No such company."))
    wanted = request.POST.get("liked", "")
    if wanted == "1":
        services.company_like(user=_user(request), company=company)
    elif wanted == "0":
        services.company_unlike(user=_user(request), company=company)
    else:
        return HttpResponseBadRequest(gettext("Say whether you like the company."))
    if request.POST.get("back") == "company":  # liked on the company's own page
        return redirect("coach:company", company_id=company.pk)
    return redirect(f"{reverse('coach:reviews')}?{urlencode({'company': company.pk})}")


def _page_number(request: HttpRequest) -> int:
    text = request.GET.get("page", "1")
    number = int(text) if text.isdigit() and len(text) < 6 else 1
    return max(number, 1)


@login_required
@require_GET
def company_detail(request: HttpRequest, company_id: int) -> HttpResponse:
    """A company's page: its profile, 인재상, SWOT, open positions, latest news, likes and how
    many reviews of it the user may read."""
    page = selectors.company_page(user=request.user, company_id=company_id)
    if page is None:
        raise Http404(gettext("No such company."))
    return render(request, "coach/company.html", {"page": page, "company": page.company})
