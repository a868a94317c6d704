"""Writes of the messages: send (to one member, or to a department and the departments below
it, all deliveries in one transaction, rate-limited per sender), open (the first reading is
the one kept) and delete from one's own inbox.

    MessageError                  message_invalid    (400: fix the form)
    └── MessageForbiddenError     message_forbidden  (403: not this member's to send)

Each error names the form `field` it is about ("" for the whole form)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from peeka.errors import PeekaError, gettext_noop
from peeka.security.client import ClientInfo
from peeka.security.services import ThrottledError, audit_record, rate_limit
from peeka.workplace.messages import selectors
from peeka.workplace.messages.models import BODY_MAX, SUBJECT_MAX, Delivery, Message
from peeka.workplace.org.models import Department, Member
from peeka.workplace.org.selectors import department_subtree

MESSAGES_PER_MINUTE = 30
"""Messages one member may send a minute (a department message counts once): enough for
anyone writing by hand, too few to flood the company."""


class MessageError(PeekaError):
    code = "message_invalid"

    def __init__(self, message: str, *, field: str = "", params: dict[str, object] | None = None):
        super().__init__(message, params=params)
        self.field = field


class MessageForbiddenError(MessageError):
    code = "message_forbidden"


def _now() -> dt.datetime:
    """The time of sending and reading; tests replace it."""
    return timezone.now()


def message_send(
    *,
    sender: Member,
    to: str = "",
    department: str = "",
    subject: str = "",
    body: str,
    reply_to: int | None = None,
    client: ClientInfo | None = None,
) -> Message:
    """Send a message from `sender` to the active member with employee number `to`, or to
    every active member of department `department` (a code) and the departments below it
    except the sender. Employees write to their own department only (`selectors.
    DEPARTMENT_SENDERS` to any). Raises `ThrottledError` past `MESSAGES_PER_MINUTE` (every
    attempt counts), `MessageForbiddenError` or `MessageError`; then nothing is stored.
    Department messages and refusals are audited."""
    try:
        rate_limit(
            scope="message_send",
            ident=str(sender.pk),
            limit=MESSAGES_PER_MINUTE,
            window_seconds=60,
        )
    except ThrottledError as exc:
        if exc.first:  # one row a window, not one a refused message
            _audit(sender, client, success=False, reason=exc.code)
        raise
    subject, body = subject.strip(), body.replace("\r\n", "\n").strip()
    if not body:
        raise MessageError(gettext_noop("Write a message."), field="body")
    if len(body) > BODY_MAX:
        raise MessageError(
            gettext_noop("A message is at most %(limit)s characters."),
            field="body",
            params={"limit": f"{BODY_MAX:,}"},
        )
    if len(subject) > SUBJECT_MAX:
        raise MessageError(
            gettext_noop("A subject is at most %(limit)s characters."),
            field="subject",
            params={"limit": SUBJECT_MAX},
        )
    answered = _answered(sender, reply_to)
    to, department = to.strip(), department.strip()
    if bool(to) == bool(department):
        raise MessageError(
            gettext_noop("Choose one recipient: a member's employee number or a department.")
        )
    if to:
        recipients, chosen = _member(sender, to), None
    else:
        chosen = _department(sender, department, client)
        recipients = list(
            Member.objects.filter(
                active=True, department__code__in=department_subtree(code=chosen.code)
            ).exclude(pk=sender.pk)
        )
        if not recipients:
            raise MessageError(
                gettext_noop("Department %(code)s has no other active member to receive it."),
                field="department",
                params={"code": chosen.code},
            )
    with transaction.atomic():
        message = Message.objects.create(
            sender=sender,
            subject=subject,
            body=body,
            sent_at=_now(),
            department=chosen,
            reply_to=answered,
        )
        Delivery.objects.bulk_create(
            [Delivery(message=message, recipient=recipient) for recipient in recipients]
        )
        if chosen is not None:
            _audit(sender, client, success=True, reason="ok")
    return message


def _answered(sender: Member, reply_to: int | None) -> Message | None:
    if reply_to is None:
        return None
    shown = selectors.message_shown(member=sender, message_id=reply_to)
    if shown is None:
        raise MessageError(gettext_noop("The message you reply to is not in your messages."))
    return shown.message


def _member(sender: Member, number: str) -> list[Member]:
    found = Member.objects.filter(employee_number__iexact=number, active=True).first()
    if found is None:
        raise MessageError(
            gettext_noop("No active member has the employee number %(number)s."),
            field="to",
            params={"number": number[:20]},
        )
    if found.pk == sender.pk:
        raise MessageError(gettext_noop("You cannot send a message to yourself."), field="to")
    return [found]


def _department(sender: Member, code: str, client: ClientInfo | None) -> Department:
    found = Department.objects.filter(code__iexact=code).first()
    if found is None:
        raise MessageError(
            gettext_noop("No department has the code %(code)s."),
            field="department",
            params={"code": code[:32]},
        )
    if not selectors.may_write_to_department(member=sender, department=found):
        exc = MessageForbiddenError(
            gettext_noop(
                "You may send a message to your own department only; managers, executives "
                "and HR administrators may write to any department."
            ),
            field="department",
        )
        _audit(sender, client, success=False, reason=exc.code)
        raise exc
    return found


def _audit(sender: Member, client: ClientInfo | None, *, success: bool, reason: str) -> None:
    audit_record(
        event="message_send", success=success, reason=reason, user=sender.user, client=client
    )


def message_open(*, member: Member, message_id: int) -> selectors.Shown | None:
    """Message `message_id` as `member` sees it (None: not theirs to see). A recipient's first
    opening marks it read; later ones keep that time (an UPDATE only while it is unread, so
    two openings at once cannot both set it)."""
    shown = selectors.message_shown(member=member, message_id=message_id)
    if shown is None or shown.delivery is None or shown.delivery.read_at is not None:
        return shown
    delivery = shown.delivery
    Delivery.objects.filter(pk=delivery.pk, read_at__isnull=True).update(read_at=_now())
    delivery.read_at = Delivery.objects.values_list("read_at", flat=True).get(pk=delivery.pk)
    return shown


def message_delete(*, member: Member, message_id: int) -> bool:
    """Remove message `message_id` from `member`'s inbox (their copy only: the sender and the
    other recipients keep theirs); False when it is not in their inbox."""
    hidden = Delivery.objects.filter(
        message_id=message_id, recipient=member, deleted_by_recipient=False
    ).update(deleted_by_recipient=True)
    return hidden > 0
