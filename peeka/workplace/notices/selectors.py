"""Reads of the notice board: who may read, write and change what, the posts a member sees
(search, kind, pages of `PAGE_SIZE`, pinned notices first), one post, one attached file, and
the latest notices for the dashboard.

A member sees a post aimed at the whole company (no department), at their department or at any
department above it, and their own posts; HR administrators and superusers see every post."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from peeka.workplace.notices.models import Attachment, Kind, Post
from peeka.workplace.org.models import Department, Member, Role
from peeka.workplace.org.selectors import can_manage_members, member_of

PAGE_SIZE = 20
MAX_QUERY_WORDS = 8
NOTICE_ROLES = frozenset({Role.MANAGER, Role.EXECUTIVE, Role.HR_ADMIN})
"""Who may publish notices (and pin them); every member may write posts."""

User = AbstractBaseUser | AnonymousUser


def reader_of(*, user: User) -> Member | None:
    """The active member behind `user`, who may read the board; None for anyone else."""
    member = member_of(user=user)
    return member if member is not None and member.active else None


def may_read_board(*, user: User) -> bool:
    return getattr(user, "is_superuser", False) or reader_of(user=user) is not None


def may_publish_notices(*, member: Member) -> bool:
    return member.active and member.role in NOTICE_ROLES


def is_moderator(*, user: User) -> bool:
    """HR administrators (and superusers) see, change and delete every post."""
    return can_manage_members(user=user)


def may_change(*, user: User, post: Post) -> bool:
    """The author, or a moderator, may edit or delete `post`."""
    if is_moderator(user=user):
        return True
    member = reader_of(user=user)
    return member is not None and post.author_id == member.pk


def department_and_above(*, department_id: int) -> list[int]:
    """The department and every department above it, following `parent` to the top."""
    parents = dict(Department.objects.values_list("pk", "parent_id"))
    chain: list[int] = []
    current: int | None = department_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def visible_posts(*, user: User) -> QuerySet[Post]:
    """Every post `user` may read (none for someone who may not read the board), with its
    number of readers as `view_count`, pinned notices first and then the newest."""
    posts = Post.objects.select_related("author", "author__department").annotate(
        view_count=Count("views", distinct=True)
    )
    if is_moderator(user=user):
        return posts.order_by("-pinned", "-created_at", "-pk")
    member = reader_of(user=user)
    if member is None:
        return posts.none()
    targets = Post.departments.through.objects.filter(post_id=OuterRef("pk"))
    ours = department_and_above(department_id=member.department_id)
    return posts.filter(
        ~Exists(targets) | Exists(targets.filter(department_id__in=ours)) | Q(author=member)
    ).order_by("-pinned", "-created_at", "-pk")


def post_search(*, user: User, query: str = "", kind: str = "", page: int = 1) -> Page[Post]:
    """The posts `user` sees with every word of `query` in the title or the text (any case),
    of `kind` (one of `Kind`, or any), `PAGE_SIZE` a page; a page past the end is the last."""
    posts = visible_posts(user=user)
    if kind in Kind.values:
        posts = posts.filter(kind=kind)
    for word in query.split()[:MAX_QUERY_WORDS]:
        posts = posts.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return Paginator(posts, PAGE_SIZE).get_page(page)


def post_detail(*, user: User, post_id: int) -> Post | None:
    """Post `post_id` with its departments and attachments, if `user` may read it."""
    return (
        visible_posts(user=user)
        .prefetch_related("departments", "attachments")
        .filter(pk=post_id)
        .first()
    )


def attachment_for(*, user: User, post_id: int, attachment_id: int) -> Attachment | None:
    """File `attachment_id` of post `post_id`, if `user` may read that post."""
    visible = visible_posts(user=user).filter(pk=post_id)
    return Attachment.objects.filter(pk=attachment_id, post__in=visible.values("pk")).first()


def latest_notices(*, member: Member, limit: int = 5) -> list[Post]:
    """The newest notices `member` sees, at most `limit` (for the dashboard)."""
    posts = visible_posts(user=member.user).filter(kind=Kind.NOTICE)
    return list(posts.order_by("-created_at", "-pk")[: max(limit, 0)])
