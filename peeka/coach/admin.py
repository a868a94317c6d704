"""Company profiles, kept by staff after a step-up; interview reviews and their reports,
moderated by staff (the only ones who see a review's author)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from peeka.accounts.admin import StepUpAdmin
from peeka.coach import services
from peeka.coach.models import Company, NewsItem, Review, ReviewItem, ReviewReport
from peeka.security.admin import AppendOnlyAdmin


@admin.register(Company)
class CompanyAdmin(StepUpAdmin):
    list_display = ("name", "updated")
    search_fields = ("name",)


@admin.register(NewsItem)
class NewsItemAdmin(AppendOnlyAdmin):
    """Headlines `peeka coach fetch-news` collected (read-only)."""

    list_display = ("title", "company", "published", "source", "fetched")
    list_filter = ("company",)
    search_fields = ("title",)


# --- Interview reviews: moderation ------------------------------------------------------------
# Staff see who wrote a review (readers never do), hide a review, and restore one that reports
# hid (its open reports are dismissed). Reviews and reports are not written here: what a review
# says is its author's, and the actions go through the services.


class ReviewItemInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ReviewItem
    fields = ("order", "question", "answer")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReviewReportInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ReviewReport
    fields = ("reporter", "reason", "dismissed", "created")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(StepUpAdmin):
    list_display = (
        "company",
        "position",
        "result",
        "season",
        "author",
        "view_count",
        "open_reports",
        "hidden",
        "created",
    )
    list_filter = ("hidden", "result", "company")
    search_fields = ("position", "company__name", "author__username")
    fields = (
        "company",
        "author",
        "position",
        "result",
        "year",
        "half",
        "atmosphere",
        "atmosphere_note",
        "regrets",
        "advice",
        "view_count",
        "hidden",
        "created",
        "updated",
    )
    readonly_fields = fields
    inlines = (ReviewItemInline, ReviewReportInline)
    actions = ("restore", "hide")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Review]:
        reviews: QuerySet[Review] = (
            super()
            .get_queryset(request)
            .select_related("company", "author")
            .annotate(open_count=Count("reports", filter=Q(reports__dismissed=False)))
        )
        return reviews

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=pgettext_lazy("hiring season", "period"), ordering="year")
    def season(self, review: Review) -> str:
        return review.period

    @admin.display(description=gettext_lazy("open reports"), ordering="open_count")
    def open_reports(self, review: Review) -> int:
        return int(getattr(review, "open_count", 0))

    @admin.action(
        description=gettext_lazy("Restore the selected reviews (dismiss their reports)"),
        permissions=("change",),
    )
    def restore(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        count = 0
        for review in queryset:
            services.review_restore(review=review)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d review is shown again.", "%(count)d reviews are shown again.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Hide the selected reviews"), permissions=("change",))
    def hide(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        count = 0
        for review in queryset:
            services.review_hide(review=review)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d review is hidden.", "%(count)d reviews are hidden.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ReviewReport)
class ReviewReportAdmin(StepUpAdmin):
    list_display = ("review", "reporter", "reason", "dismissed", "created")
    list_filter = ("dismissed",)
    search_fields = ("reason", "reporter__username", "review__company__name")
    fields = ("review", "reporter", "reason", "dismissed", "created")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReviewReport]:
        reports: QuerySet[ReviewReport] = (
            super().get_queryset(request).select_related("review__company", "reporter")
        )
        return reports

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
