"""The notice board: posts (notices from managers, executives and HR, or any member's post),
aimed at the whole company or at departments (and everything below them), with files attached
and a count of the members who read each."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy

from peeka.workplace.notices import attachments
from peeka.workplace.org.models import Department, Member


class Kind(models.TextChoices):
    # Translators: an official announcement on the notice board (a noun)
    NOTICE = "notice", gettext_lazy("Notice")
    # Translators: a message any member writes on the notice board (a noun, not the verb)
    POST = "post", gettext_lazy("Post")


class Post(models.Model):
    title = models.CharField(gettext_lazy("title"), max_length=200)
    # Translators: the body of a notice-board post
    body = models.TextField(gettext_lazy("text"), max_length=20_000)
    """Plain text: always shown escaped, with its line breaks."""
    author = models.ForeignKey(
        Member, verbose_name=gettext_lazy("author"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(
        gettext_lazy("kind"), max_length=8, choices=Kind.choices, default=Kind.POST
    )
    pinned = models.BooleanField(gettext_lazy("pinned"), default=False)
    """Notices only: shown above everything else."""
    departments = models.ManyToManyField(
        Department,
        verbose_name=gettext_lazy("for departments"),
        blank=True,
        related_name="+",
        help_text=gettext_lazy(
            "None: the whole company. A department includes the departments below it."
        ),
    )
    created_at = models.DateTimeField(gettext_lazy("written at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(gettext_lazy("changed"), auto_now=True)

    class Meta:
        # Translators: a message on the notice board (a noun)
        verbose_name = gettext_lazy("post")
        # Translators: messages on the notice board (a noun)
        verbose_name_plural = gettext_lazy("posts")
        ordering = ["-pinned", "-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pinned=False) | models.Q(kind="notice"),
                name="notices_only_notices_pinned",
            )
        ]

    def __str__(self) -> str:
        return self.title


class PostView(models.Model):
    """A member has read a post: one row per member and post, so the count is the rows'."""

    post = models.ForeignKey(
        Post, verbose_name=gettext_lazy("post"), on_delete=models.CASCADE, related_name="views"
    )
    member = models.ForeignKey(
        Member, verbose_name=gettext_lazy("member"), on_delete=models.CASCADE, related_name="+"
    )
    viewed_at = models.DateTimeField(gettext_lazy("read at"), auto_now_add=True)

    class Meta:
        # Translators: a member who has opened a notice-board post
        verbose_name = gettext_lazy("reader")
        verbose_name_plural = gettext_lazy("readers")
        constraints = [
            models.UniqueConstraint(fields=["post", "member"], name="notices_one_view_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.post}"


class Attachment(models.Model):
    post = models.ForeignKey(
        Post,
        verbose_name=gettext_lazy("post"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    name = models.CharField(gettext_lazy("file name"), max_length=attachments.MAX_NAME_LENGTH)
    """The name the user gave the file: shown and offered on download, never a path."""
    # Translators: the random name a file is saved under on the server
    stored_name = models.CharField(gettext_lazy("stored as"), max_length=32, unique=True)
    """The random name of the file under PEEKA_ATTACHMENTS_DIR (`attachments.new_name`)."""
    # Translators: an attached file's media type, e.g. application/pdf
    content_type = models.CharField(gettext_lazy("type"), max_length=100)
    size = models.PositiveIntegerField(gettext_lazy("size (bytes)"))

    class Meta:
        verbose_name = gettext_lazy("attachment")
        verbose_name_plural = gettext_lazy("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


@receiver(post_delete, sender=Attachment)
def _remove_file(sender: type[Attachment], instance: Attachment, **kwargs: Any) -> None:
    """However a row goes (a post deleted on the board or in the admin, a file removed from a
    post), its file goes once the deletion is committed; a rolled-back deletion keeps it."""
    stored_name = instance.stored_name
    transaction.on_commit(lambda: attachments.remove(stored_name))
