"""Posts in the admin: kind, author, pinned, departments and readers at a glance; their files
are listed, not uploaded here (the board checks what a file is)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy

from peeka.workplace.notices.models import Attachment, Post


class AttachmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Attachment
    fields = ("name", "content_type", "size")
    readonly_fields = ("name", "content_type", "size")
    extra = 0
    can_delete = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "kind", "author", "pinned", "for_departments", "views", "created_at")
    list_filter = ("kind", "pinned", "departments")
    search_fields = ("title", "body", "author__name", "author__employee_number")
    raw_id_fields = ("author",)
    filter_horizontal = ("departments",)
    inlines = (AttachmentInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Post]:
        posts: QuerySet[Post] = (
            super()
            .get_queryset(request)
            .select_related("author")
            .prefetch_related("departments")
            .annotate(view_count=Count("views", distinct=True))
        )
        return posts

    @admin.display(description=gettext_lazy("for departments"))
    def for_departments(self, post: Post) -> str:
        names = [d.name for d in post.departments.all()]
        return ", ".join(names) if names else gettext("Whole company")

    @admin.display(description=gettext_lazy("readers"), ordering="view_count")
    def views(self, post: Post) -> int:
        return int(getattr(post, "view_count", 0))
