"""Reads of the messages: a member's inbox and sent messages (with read receipts), one message
as its sender or a recipient sees it, the unread count of the navigation bar's badge, the
latest unread messages for the dashboard, and whom a member may write to."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Min, Q, QuerySet

from peeka.workplace.messages.models import Delivery, Message
from peeka.workplace.org.models import Department, Member, Role
from peeka.workplace.org.selectors import department_tree

PAGE_SIZE = 20
DEPARTMENT_SENDERS = frozenset({Role.MANAGER, Role.EXECUTIVE, Role.HR_ADMIN})
"""Roles that may write to any department; an employee writes to their own department only."""


def messaging_member(*, user: AbstractBaseUser | AnonymousUser) -> Member | None:
    """The active member of a signed-in account, who has an inbox; None for anyone else."""
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("department").filter(user_id=user.pk, active=True).first()


def may_write_to_department(*, member: Member, department: Department) -> bool:
    return member.role in DEPARTMENT_SENDERS or department.pk == member.department_id


def _inbox(member_filter: Q) -> QuerySet[Delivery]:
    return Delivery.objects.filter(member_filter, deleted_by_recipient=False)


def unread_count(*, member: Member) -> int:
    """How many messages in the member's inbox they have not opened yet (one COUNT query)."""
    return _inbox(Q(recipient=member)).filter(read_at__isnull=True).count()


def unread_count_of(*, user: AbstractBaseUser | AnonymousUser) -> int:
    """`unread_count` of the account's member, in one COUNT query without loading the member
    (the navigation bar asks on every page); 0 for an account that is no active member."""
    if not user.is_authenticated:
        return 0
    who = Q(recipient__user_id=user.pk, recipient__active=True)
    return _inbox(who).filter(read_at__isnull=True).count()


def recent_unread(*, member: Member, limit: int = 5) -> list[Delivery]:
    """The member's latest unread messages, newest first (for the dashboard)."""
    deliveries = (
        _inbox(Q(recipient=member))
        .filter(read_at__isnull=True)
        .select_related("message", "message__sender", "message__department")
        .order_by("-message__sent_at", "-message_id")
    )
    return list(deliveries[: max(0, limit)])


def inbox(*, member: Member, page: int = 1) -> Page[Delivery]:
    """The member's received messages (not those they deleted), newest first."""
    deliveries = (
        _inbox(Q(recipient=member))
        .select_related("message", "message__sender", "message__department")
        .order_by("-message__sent_at", "-message_id")
    )
    return Paginator(deliveries, PAGE_SIZE).get_page(page)


def sent(*, member: Member, page: int = 1) -> Page[Message]:
    """The member's sent messages, newest first, each with `recipients` and `readers` (how
    many of them opened it); a one-to-one message also with `recipient_name` and
    `first_read_at` (its one recipient's)."""
    messages: QuerySet[Message] = (
        Message.objects.filter(sender=member)
        .select_related("department")
        .annotate(
            recipients=Count("deliveries"),
            readers=Count("deliveries", filter=Q(deliveries__read_at__isnull=False)),
            first_read_at=Min("deliveries__read_at"),
            recipient_name=Max("deliveries__recipient__name"),
        )
        .order_by("-sent_at", "-pk")
    )
    return Paginator(messages, PAGE_SIZE).get_page(page)


@dataclass(frozen=True)
class Shown:
    """One message as the member who opens it sees it."""

    message: Message
    delivery: Delivery | None
    """The member's own copy when they are a recipient (None for its sender)."""
    receipts: list[Delivery] = field(default_factory=list)
    """Every recipient's delivery, for the sender: who has read it, and when."""

    @property
    def is_sender(self) -> bool:
        return self.delivery is None

    @property
    def readers(self) -> int:
        return sum(1 for d in self.receipts if d.read_at is not None)


def message_shown(*, member: Member, message_id: int) -> Shown | None:
    """Message `message_id` as `member` sees it, or None when it is not theirs to see: only its
    sender and its recipients (who have not deleted it) see a message."""
    message = (
        Message.objects.select_related("sender", "sender__department", "department", "reply_to")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return None
    if message.sender_id == member.pk:
        receipts = list(
            Delivery.objects.filter(message=message)
            .select_related("recipient", "recipient__department")
            .order_by("recipient__name", "recipient_id")
        )
        return Shown(message, None, receipts)
    delivery = Delivery.objects.filter(
        message=message, recipient=member, deleted_by_recipient=False
    ).first()
    if delivery is None:
        return None
    return Shown(message, delivery)


@dataclass(frozen=True)
class Draft:
    """What the compose page starts with: the chosen recipient (an employee number or a
    department code), the subject and the message replied to, and the departments the member
    may write to."""

    to: str = ""
    department: str = ""
    subject: str = ""
    reply_to: Message | None = None
    departments: list[tuple[str, str]] = field(default_factory=list)
    """(code, name indented by depth) of each department the member may write to."""


def compose_draft(
    *, member: Member, to: str = "", department: str = "", reply: int | None = None
) -> Draft | None:
    """The compose page's start: `to` (an employee number) or `department` (a code) as given,
    or, replying to message `reply`, its sender and subject. None when the message replied to
    is not the member's to see."""
    reply_to = None
    subject = ""
    if reply is not None:
        shown = message_shown(member=member, message_id=reply)
        if shown is None:
            return None
        reply_to = shown.message
        if not shown.is_sender:
            to, department = reply_to.sender.employee_number, ""
        subject = _reply_subject(reply_to.subject)
    choices = [
        (row.department.code, "\u00a0\u00a0" * row.depth + row.department.name)
        for row in department_tree()
        if may_write_to_department(member=member, department=row.department)
    ]
    return Draft(to, department.upper(), subject, reply_to, choices)


def _reply_subject(subject: str) -> str:
    if not subject or subject.lower().startswith("re:"):
        return subject
    return f"Re: {subject}"[:200]
