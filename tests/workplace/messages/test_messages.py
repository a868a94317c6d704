"""Messages: every page for the personas member, manager, HR administrator, outsider (an
account that is not a member) and anonymous; one-to-one and department messages and who
receives them; read receipts kept from the first reading; per-recipient delete; the unread
badge in the navigation bar; the sending rate limit; bad input refused with nothing stored."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from peeka.accounts import otp
from peeka.accounts.models import TotpDevice, User
from peeka.security.models import AuditEvent
from peeka.workplace.messages import selectors, services
from peeka.workplace.messages.models import Delivery, Message
from peeka.workplace.org import services as org
from peeka.workplace.org.models import Member, Role
from tests.webapp import PASSWORD, FrozenClock, logged_in

pytestmark = pytest.mark.django_db
NEW = "/workplace/messages/new/"


@pytest.fixture
def company() -> dict[str, User]:
    """HQ with Sales (and Sales Korea below it) and Finance below it. minji (employee, Sales
    Korea), junho (manager, Sales), hana (HR administrator, HQ), soyeon (employee, Sales),
    wei (employee, Finance), an inactive member of Sales Korea, and an outsider: an account
    with no member row."""
    hq = org.department_create(name="본사", code="hq")
    sales = org.department_create(name="Sales", code="sales", parent=hq)
    korea = org.department_create(name="Sales Korea", code="sales-kr", parent=sales)
    finance = org.department_create(name="财务", code="fin", parent=hq)
    people = {}
    for username, number, name, department, role in [
        ("minji", "E001", "김민지", korea, Role.EMPLOYEE),
        ("junho", "E002", "이준호", sales, Role.MANAGER),
        ("hana", "E003", "박하나", hq, Role.HR_ADMIN),
        ("soyeon", "E004", "최소연", sales, Role.EMPLOYEE),
        ("wei", "E005", "王伟", finance, Role.EMPLOYEE),
        ("gone", "E006", "정퇴사", korea, Role.EMPLOYEE),
    ]:
        user = User.objects.create_user(username, password=PASSWORD)
        org.member_create(
            user=user,
            employee_number=number,
            name=name,
            department=department,
            role=role,
            hire_date=dt.date(2024, 3, 2),
        )
        people[username] = user
    Member.objects.filter(employee_number="E006").update(active=False)
    people["outsider"] = User.objects.create_user("outsider", password=PASSWORD)
    return people


def member(user: User) -> Member:
    return Member.objects.get(user=user)


def send(user: User, **data: str) -> Any:
    return logged_in(user).post(NEW, {"subject": "", "to": "", "department": "", **data})


def inbox_of(user: User) -> list[int]:
    return [
        d.message_id
        for d in Delivery.objects.filter(recipient__user=user, deleted_by_recipient=False)
    ]


def badge(html: str) -> str | None:
    """The badge's number and its words for screen readers ("2 unread messages")."""
    found = re.search(
        r'id="unread-badge"><span aria-hidden="true">(\d+)</span>'
        r'<span class="visually-hidden">([^<]*)</span>',
        html,
    )
    if found is None:
        return None
    assert found.group(2).startswith(found.group(1) + " ")  # the same number, in words
    return found.group(2)


@pytest.fixture
def note(company: dict[str, User]) -> Message:
    """A one-to-one message from minji to junho."""
    return services.message_send(
        sender=member(company["minji"]), to="E002", subject="Lunch", body="At noon?"
    )


# --- access: every page, every persona -----------------------------------------------------


@pytest.mark.parametrize("persona", ["minji", "junho", "hana"])
def test_members_open_their_message_pages(company: dict[str, User], persona: str) -> None:
    client = logged_in(company[persona])
    for url in ("/workplace/messages/", "/workplace/messages/sent/", NEW):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b'id="nav-messages"' in response.content


def test_outsiders_and_anonymous_visitors_have_no_messages(
    company: dict[str, User], note: Message
) -> None:
    pages = [
        "/workplace/messages/",
        "/workplace/messages/sent/",
        NEW,
        f"/workplace/messages/{note.pk}/",
    ]
    outsider = logged_in(company["outsider"])
    anonymous = Client()
    for url in pages:
        assert outsider.get(url).status_code == 403, url
        redirected = anonymous.get(url)
        assert redirected.status_code == 302 and "/accounts/login/" in redirected["Location"]
    delete = f"/workplace/messages/{note.pk}/delete/"
    assert outsider.post(delete).status_code == 403
    assert outsider.post(NEW, {"to": "E002", "body": "hi"}).status_code == 403
    assert "/accounts/login/" in anonymous.post(delete)["Location"]
    assert Message.objects.count() == 1 and inbox_of(company["junho"]) == [note.pk]
    # An inactive member has no inbox either.
    assert logged_in(company["gone"]).get("/workplace/messages/").status_code == 403


def test_only_the_sender_and_the_recipients_see_a_message(
    company: dict[str, User], note: Message
) -> None:
    url = f"/workplace/messages/{note.pk}/"
    sender = logged_in(company["minji"]).get(url)
    assert sender.status_code == 200 and "At noon?" in sender.text
    recipient = logged_in(company["junho"]).get(url)
    assert recipient.status_code == 200 and "At noon?" in recipient.text
    for persona in ("hana", "wei", "soyeon"):  # HR administrators too: it is private
        client = logged_in(company[persona])
        assert client.get(url).status_code == 404
        assert client.get(NEW, {"reply": note.pk}).status_code == 404
        assert client.post(f"{url}delete/").status_code == 404
    assert logged_in(company["junho"]).get("/workplace/messages/99999/").status_code == 404
    assert (
        logged_in(company["junho"]).get("/workplace/messages/" + "9" * 30 + "/").status_code == 404
    )
    assert logged_in(company["junho"]).get(f"{url}delete/").status_code == 405
    assert Delivery.objects.get().read_at is not None  # only junho's opening counted


# --- sending --------------------------------------------------------------------------------


def test_a_one_to_one_message_reaches_the_recipients_inbox(company: dict[str, User]) -> None:
    response = send(company["minji"], to="e002", subject="Report", body="Line 1\r\nLine 2")
    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/workplace/messages/{message.pk}/"
    assert message.body == "Line 1\nLine 2" and message.department is None
    assert inbox_of(company["junho"]) == [message.pk]
    junho = member(company["junho"])
    assert selectors.unread_count(member=junho) == 1
    assert selectors.unread_count(member=member(company["minji"])) == 0
    page = logged_in(company["junho"]).get("/workplace/messages/")
    assert page.status_code == 200 and '<tr class="fw-bold unread">' in page.text
    assert "김민지" in page.text and "Report" in page.text
    sent = logged_in(company["minji"]).get("/workplace/messages/sent/").text
    assert "이준호" in sent and "Not read yet" in sent
    assert not AuditEvent.objects.exists()  # one-to-one messages are not audited


def test_the_compose_page_is_prefilled_from_the_address(company: dict[str, User]) -> None:
    client = logged_in(company["hana"])
    to = client.get(NEW, {"to": "E005"})
    assert to.status_code == 200 and 'name="to" id="id_to" value="E005"' in to.text
    department = client.get(NEW, {"department": "sales"})
    assert '<option value="SALES" selected>' in department.text
    assert client.get(NEW, {"reply": "x" * 40}).status_code == 200  # not a number: ignored


def test_a_department_message_reaches_the_departments_below_and_not_the_sender(
    company: dict[str, User],
) -> None:
    response = send(company["junho"], department="sales", body="Team meeting at 3")
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.department is not None and message.department.code == "SALES"
    receivers = set(
        Delivery.objects.filter(message=message).values_list("recipient__user__username", flat=True)
    )
    # Sales Korea is below Sales; junho sent it; Finance and HQ are elsewhere; E006 left.
    assert receivers == {"minji", "soyeon"}
    assert AuditEvent.objects.filter(event="message_send", success=True).count() == 1
    page = logged_in(company["minji"]).get("/workplace/messages/").text
    assert "To Sales" in page


def test_hr_writes_to_any_department_and_an_employee_to_their_own(
    company: dict[str, User],
) -> None:
    assert send(company["hana"], department="FIN", body="Payroll").status_code == 302
    assert inbox_of(company["wei"]) == [Message.objects.get().pk]
    assert send(company["soyeon"], department="SALES", body="Cake!").status_code == 302
    cake = Message.objects.get(body="Cake!")
    assert set(cake.deliveries.values_list("recipient__employee_number", flat=True)) == {
        "E001",
        "E002",
    }


def test_an_employee_cannot_write_to_another_department(company: dict[str, User]) -> None:
    for department in ("FIN", "SALES"):  # another branch, and minji's parent department
        response = send(company["minji"], department=department, body="Hello all")
        assert response.status_code == 403
        assert "You may send a message to your own department only" in response.text
        assert "Hello all" in response.text  # what was typed is not lost
    assert not Message.objects.exists() and not Delivery.objects.exists()
    refusals = AuditEvent.objects.filter(event="message_send", success=False)
    assert list(refusals.values_list("reason", flat=True)) == ["message_forbidden"] * 2
    # The compose page offers an employee their own department only.
    page = logged_in(company["minji"]).get(NEW).text
    assert 'value="SALES-KR"' in page and 'value="FIN"' not in page
    assert 'value="FIN"' in logged_in(company["junho"]).get(NEW).text


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"to": "E002", "body": ""}, "body", "Write a message."),
        ({"to": "E002", "body": "   \r\n "}, "body", "Write a message."),
        ({"to": "E002", "body": "가" * 5001}, "body", "at most 5,000 characters"),
        ({"to": "E999", "body": "hi"}, "to", "No active member has the employee number E999."),
        ({"to": "E006", "body": "hi"}, "to", "No active member has the employee number E006."),
        ({"to": "E001", "body": "hi"}, "to", "You cannot send a message to yourself."),
        ({"department": "NOWHERE", "body": "hi"}, "department", "No department has the code"),
        ({"body": "hi"}, None, "Choose one recipient"),
        ({"to": "E002", "department": "SALES-KR", "body": "hi"}, None, "Choose one recipient"),
        ({"to": "E002", "subject": "s" * 201, "body": "hi"}, "subject", "at most 200"),
        ({"to": "E002", "body": "hi", "reply_to": "abc"}, "reply_to", "whole number"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    company: dict[str, User], data: dict[str, str], field: str | None, error: str
) -> None:
    response = send(company["minji"], **data)
    assert response.status_code == 400
    form = response.context["form"]
    if field is None:
        assert error in " ".join(form.non_field_errors())
    else:
        assert error in " ".join(form.errors[field])
    assert error.replace("'", "&#x27;") in response.text
    assert not Message.objects.exists() and not Delivery.objects.exists()


def test_a_message_of_exactly_5000_characters_with_line_breaks_is_accepted(
    company: dict[str, User],
) -> None:
    body = ("가" * 99 + "\r\n") * 50  # 5,000 characters once a line break counts as one
    assert send(company["minji"], to="E002", body=body).status_code == 302
    assert len(Message.objects.get().body) == 4999  # the last line break is trimmed


def test_a_department_with_no_one_else_is_refused(company: dict[str, User]) -> None:
    # Sales Korea is minji and a member who left.
    response = send(company["minji"], department="sales-kr", body="Anyone?")
    assert response.status_code == 400 and "no other active member" in response.text
    assert not Message.objects.exists()


def test_the_body_is_shown_as_text_with_its_line_breaks(company: dict[str, User]) -> None:
    send(company["minji"], to="E002", body="<script>alert(1)</script>\nsecond line")
    page = logged_in(company["junho"]).get(f"/workplace/messages/{Message.objects.get().pk}/")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>second line" in page.text


def test_sending_is_rate_limited_per_member(company: dict[str, User], clock: FrozenClock) -> None:
    client = logged_in(company["minji"])
    for i in range(services.MESSAGES_PER_MINUTE):
        assert client.post(NEW, {"to": "E002", "body": f"spam {i}"}).status_code == 302
    refused = client.post(NEW, {"to": "E002", "body": "one too many"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert 'id="throttled"' in refused.text and "one too many" in refused.text
    assert Message.objects.count() == services.MESSAGES_PER_MINUTE
    assert not Message.objects.filter(body="one too many").exists()
    assert client.post(NEW, {"to": "E002", "body": "again"}).status_code == 429
    # One audit row a window, not one a refused message.
    assert AuditEvent.objects.filter(event="message_send", reason="rate_limited").count() == 1
    # Another member is not slowed down, and the next minute minji may write again.
    assert send(company["soyeon"], to="E002", body="hello").status_code == 302
    clock.now += 60
    assert client.post(NEW, {"to": "E002", "body": "a minute later"}).status_code == 302


# --- reading, replying, deleting ----------------------------------------------------------


def test_the_first_reading_is_the_one_kept(
    company: dict[str, User], note: Message, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=5)
    monkeypatch.setattr(services, "_now", lambda: first)
    junho = logged_in(company["junho"])
    url = f"/workplace/messages/{note.pk}/"
    assert junho.get(url).status_code == 200
    monkeypatch.setattr(services, "_now", lambda: first + dt.timedelta(hours=2))
    assert junho.get(url).status_code == 200
    assert Delivery.objects.get().read_at == first
    assert logged_in(company["minji"]).get(url).status_code == 200  # the sender reads nothing
    assert Delivery.objects.get().read_at == first
    assert selectors.unread_count(member=member(company["junho"])) == 0
    sent = logged_in(company["minji"]).get("/workplace/messages/sent/").text
    assert "Read at" in sent and "Not read yet" not in sent
    inbox = junho.get("/workplace/messages/").text
    assert "fw-bold" not in inbox


def test_department_receipts_count_the_readers(company: dict[str, User]) -> None:
    send(company["junho"], department="SALES", subject="Plan", body="Q3 plan")
    message = Message.objects.get()
    logged_in(company["soyeon"]).get(f"/workplace/messages/{message.pk}/")
    sent = logged_in(company["junho"]).get("/workplace/messages/sent/").text
    assert "Read by 1 of 2" in sent
    detail = logged_in(company["junho"]).get(f"/workplace/messages/{message.pk}/").text
    assert "Read by 1 of 2" in detail and 'id="receipts"' in detail
    rows = detail.split('id="receipts"', 1)[1]
    assert "김민지" in rows and "최소연" in rows and rows.count("Not read yet") == 1


def test_a_recipient_replies_to_the_sender(company: dict[str, User], note: Message) -> None:
    junho = logged_in(company["junho"])
    page = junho.get(NEW, {"reply": note.pk})
    assert page.status_code == 200
    assert page.context["form"].initial["to"] == "E001"
    assert 'value="Re: Lunch"' in page.text
    response = junho.post(
        NEW, {"to": "E001", "subject": "Re: Lunch", "body": "Yes", "reply_to": note.pk}
    )
    assert response.status_code == 302
    reply = Message.objects.get(body="Yes")
    assert reply.reply_to == note and inbox_of(company["minji"]) == [reply.pk]
    # Nobody replies to a message that is not theirs.
    refused = send(company["wei"], to="E001", body="sneaky", reply_to=str(note.pk))
    assert refused.status_code == 400 and not Message.objects.filter(body="sneaky").exists()


def test_delete_hides_the_message_for_that_recipient_only(company: dict[str, User]) -> None:
    send(company["junho"], department="SALES", body="Offsite on Friday")
    message = Message.objects.get()
    minji = logged_in(company["minji"])
    response = minji.post(f"/workplace/messages/{message.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/workplace/messages/"
    assert inbox_of(company["minji"]) == [] and inbox_of(company["soyeon"]) == [message.pk]
    assert "Offsite" not in minji.get("/workplace/messages/").text
    assert minji.get(f"/workplace/messages/{message.pk}/").status_code == 404
    assert minji.post(f"/workplace/messages/{message.pk}/delete/").status_code == 404
    assert selectors.unread_count(member=member(company["minji"])) == 0
    assert "Offsite" in logged_in(company["soyeon"]).get("/workplace/messages/").text
    sender = logged_in(company["junho"])
    assert sender.get(f"/workplace/messages/{message.pk}/").status_code == 200
    assert "Read by 0 of 2" in sender.get("/workplace/messages/sent/").text
    # The sender has no inbox copy to delete.
    assert sender.post(f"/workplace/messages/{message.pk}/delete/").status_code == 404
    assert Message.objects.count() == 1 and Delivery.objects.count() == 2


def test_the_inbox_pages_by_twenty_newest_first(
    company: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    start = timezone.now()
    minji = member(company["minji"])
    for i in range(23):
        monkeypatch.setattr(services, "_now", lambda i=i: start + dt.timedelta(minutes=i))
        services.message_send(sender=minji, to="E002", subject=f"n{i:02}", body="x")
    junho = logged_in(company["junho"])
    first = junho.get("/workplace/messages/")
    subjects = [d.message.subject for d in first.context["page"]]
    assert len(subjects) == 20 and subjects[0] == "n22" and subjects[-1] == "n03"
    second = junho.get("/workplace/messages/", {"page": "2"})
    assert [d.message.subject for d in second.context["page"]] == ["n02", "n01", "n00"]
    assert junho.get("/workplace/messages/", {"page": "x" * 40}).status_code == 200
    latest = selectors.recent_unread(member=member(company["junho"]))
    assert [d.message.subject for d in latest] == ["n22", "n21", "n20", "n19", "n18"]
    assert len(selectors.recent_unread(member=member(company["junho"]), limit=2)) == 2


# --- the navigation bar's badge -----------------------------------------------------------


def test_the_badge_counts_unread_messages(
    company: dict[str, User], django_assert_max_num_queries: Any
) -> None:
    junho = logged_in(company["junho"])
    home = junho.get("/").text
    assert 'href="/workplace/messages/"' in home and badge(home) is None
    first = services.message_send(sender=member(company["minji"]), to="E002", body="one")
    services.message_send(sender=member(company["soyeon"]), to="E002", body="two")
    home = junho.get("/").text
    assert badge(home) == "2 unread messages"
    junho.get(f"/workplace/messages/{first.pk}/")
    home = junho.get("/").text
    assert badge(home) == "1 unread message"
    assert badge(logged_in(company["minji"]).get("/").text) is None  # the sender's is 0
    outsider = logged_in(company["outsider"]).get("/").text
    assert 'id="nav-messages"' not in outsider and badge(outsider) is None
    assert 'id="nav-messages"' not in Client().get("/").text
    with django_assert_max_num_queries(1):
        assert selectors.unread_count_of(user=company["junho"]) == 1


# --- the admin ----------------------------------------------------------------------------


def test_the_admin_lists_metadata_but_never_the_content(
    company: dict[str, User], note: Message
) -> None:
    root = User.objects.create_superuser("root", password=PASSWORD)
    otp.begin_totp(root)  # staff reach the admin only with a second factor
    TotpDevice.objects.filter(user=root).update(confirmed=True)
    admin = logged_in(root)
    listing = admin.get("/admin/messaging/message/")
    assert listing.status_code == 200
    assert "김민지" in listing.text and "Lunch" not in listing.text
    change = admin.get(f"/admin/messaging/message/{note.pk}/change/")
    assert change.status_code == 200
    assert "At noon?" not in change.text and "Lunch" not in change.text
    assert admin.get("/admin/messaging/message/add/").status_code == 403
    assert admin.get(f"/admin/messaging/message/{note.pk}/delete/").status_code == 403
    assert admin.post(f"/admin/messaging/message/{note.pk}/change/", {}).status_code == 403
    assert Message.objects.get().body == "At noon?"
