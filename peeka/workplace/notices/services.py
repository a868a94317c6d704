"""Writes of the notice board: write, change and delete a post with its files, and count a
member's reading of it (once: a unique row, not a counter read and written back).

Every file is checked (size, and extension and content agreeing) before anything is written;
the rows and the files then go together: a failed write removes the files it wrote, and a
deleted row's file goes once the deletion commits (`models._remove_file`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from peeka.errors import FieldError, gettext_noop
from peeka.security.client import ClientInfo
from peeka.security.services import audit_record
from peeka.workplace.notices import attachments, selectors
from peeka.workplace.notices.attachments import AttachmentError
from peeka.workplace.notices.models import Attachment, Kind, Post, PostView
from peeka.workplace.notices.selectors import User
from peeka.workplace.org.models import Department, Member

__all__ = ["AttachmentError", "NewFile", "NoticeError", "NoticeForbiddenError"]


class NoticeError(FieldError):
    """A post that cannot be written as asked; `field` names the form field at fault (None:
    the post as a whole). Nothing was written."""

    code = "notice_invalid"


class NoticeForbiddenError(NoticeError):
    """The user may not do this to this post (answered with 403)."""

    code = "notice_forbidden"


@dataclass(frozen=True)
class NewFile:
    name: str
    """The name the user gave it."""
    data: bytes


@dataclass(frozen=True)
class _Checked:
    name: str
    content_type: str
    data: bytes


def post_create(
    *,
    user: User,
    title: str,
    body: str,
    kind: str = Kind.POST,
    pinned: bool = False,
    departments: Sequence[Department] = (),
    files: Sequence[NewFile] = (),
) -> Post:
    """A new post by the member behind `user`, for `departments` (none: the whole company),
    with `files`. Notices (and pinning) are for managers, executives and HR administrators."""
    author = selectors.reader_of(user=user)
    if author is None:
        raise NoticeForbiddenError(gettext_noop("Only members of the company write posts."))
    _check_kind(user=user, member=author, kind=kind, pinned=pinned)
    checked = _check_files(files, keep=0)
    post = Post(author=author, title=title.strip(), body=body, kind=kind, pinned=pinned)
    with _files_written() as written, transaction.atomic():
        _save(post)
        post.departments.set(_unique(departments))
        _attach(post, checked, written)
    return post


def post_update(
    *,
    user: User,
    post: Post,
    title: str,
    body: str,
    kind: str,
    pinned: bool,
    departments: Sequence[Department] = (),
    files: Sequence[NewFile] = (),
    remove: Sequence[int] = (),
) -> Post:
    """Change `post` (its author or a moderator): its words, kind and departments; attach
    `files` and take off the attachments whose ids are in `remove`, keeping at most
    `attachments.MAX_FILES`."""
    if not selectors.may_change(user=user, post=post):
        raise NoticeForbiddenError(gettext_noop("Only the author or HR may change this post."))
    _check_kind(user=user, member=selectors.reader_of(user=user), kind=kind, pinned=pinned)
    kept = post.attachments.exclude(pk__in=list(remove))
    checked = _check_files(files, keep=kept.count())
    post.title, post.body, post.kind, post.pinned = title.strip(), body, kind, pinned
    with _files_written() as written, transaction.atomic():
        _save(post)
        post.departments.set(_unique(departments))
        for attachment in post.attachments.filter(pk__in=list(remove)):
            attachment.delete()  # its file goes when this commits
        _attach(post, checked, written)
    return post


def post_delete(*, user: User, post: Post, client: ClientInfo | None = None) -> None:
    """Delete `post`, its readers and its files (its author or a moderator). A moderator
    deleting someone else's post leaves a trail in the audit log."""
    if not selectors.may_change(user=user, post=post):
        raise NoticeForbiddenError(gettext_noop("Only the author or HR may delete this post."))
    with transaction.atomic():
        member = selectors.reader_of(user=user)
        if member is None or post.author_id != member.pk:
            audit_record(
                event="post_delete",
                success=True,
                reason="admin",
                user=user if isinstance(user, AbstractBaseUser) else None,
                client=client,
            )
        post.delete()  # attachments cascade; their files go when this commits


def post_read(*, user: User, post_id: int) -> Post | None:
    """Post `post_id` for `user` (None when they may not read it), counting the member as a
    reader of it once however often they open it, with `view_count` counted after."""
    post = selectors.post_detail(user=user, post_id=post_id)
    if post is None:
        return None
    member = selectors.reader_of(user=user)
    if member is not None:
        # The unique constraint decides, so two requests at once still count one reader.
        PostView.objects.bulk_create([PostView(post=post, member=member)], ignore_conflicts=True)
        post.view_count = PostView.objects.filter(post=post).count()  # type: ignore[attr-defined]
    return post


def _check_kind(*, user: User, member: Member | None, kind: str, pinned: bool) -> None:
    if kind not in Kind.values:
        raise NoticeError(gettext_noop("Choose a notice or a post."), field="kind")
    if kind == Kind.NOTICE and not (
        selectors.is_moderator(user=user)
        or (member is not None and selectors.may_publish_notices(member=member))
    ):
        raise NoticeForbiddenError(
            gettext_noop("Only managers, executives and HR administrators publish notices."),
            field="kind",
        )
    if pinned and kind != Kind.NOTICE:
        raise NoticeError(gettext_noop("Only notices can be pinned."), field="pinned")


def _check_files(files: Sequence[NewFile], *, keep: int) -> list[_Checked]:
    if keep + len(files) > attachments.MAX_FILES:
        raise NoticeError(
            gettext_noop("A post has at most %(count)d files."),
            field="uploads",
            code="attachments_too_many",
            params={"count": attachments.MAX_FILES},
        )
    checked = []
    for file in files:
        try:
            served = attachments.content_type(name=file.name, data=file.data)
        except AttachmentError as exc:
            raise NoticeError(
                exc.template, field="uploads", code=exc.code, params=exc.params
            ) from exc
        checked.append(_Checked(attachments.display_name(file.name), served, file.data))
    return checked


def _save(post: Post) -> None:
    try:
        post.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise NoticeError(
            "%(problem)s",
            field=None if field == "__all__" else field,
            params={"problem": str(messages[0])},
        ) from None
    post.save()


def _unique(departments: Sequence[Department]) -> list[Department]:
    return list({d.pk: d for d in departments}.values())


@contextmanager
def _files_written() -> Iterator[list[str]]:
    """The stored names of the files written inside; removed again if the block fails (the
    transaction inside rolled back, so no row points at them)."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for stored_name in written:
            attachments.remove(stored_name)
        raise


def _attach(post: Post, checked: Sequence[_Checked], written: list[str]) -> None:
    for file in checked:
        stored_name = attachments.new_name()
        Attachment.objects.create(
            post=post,
            name=file.name,
            stored_name=stored_name,
            content_type=file.content_type,
            size=len(file.data),
        )
        attachments.write(stored_name=stored_name, data=file.data)
        written.append(stored_name)
