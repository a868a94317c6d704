"""The organisation: the directory and member cards for members only, members' CSV import (all
or nothing) and export for HR administrators, each with the personas member, manager, HR
administrator and outsider (an account that is not a member)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from peeka.accounts.models import User
from peeka.security.client import ClientInfo
from peeka.security.models import AuditEvent
from peeka.workplace.org import services
from peeka.workplace.org.models import Member, Role
from tests.webapp import PASSWORD, logged_in

pytestmark = pytest.mark.django_db
HEADER = ",".join(services.CSV_COLUMNS)
CLIENT = ClientInfo(ip="127.0.0.1", user_agent="test")


@pytest.fixture
def company() -> dict[str, User]:
    """HQ with Sales below it and Sales Korea below that; a member, a manager and an HR
    administrator, and an outsider with an account but no member row."""
    hq = services.department_create(name="본사", code="hq")
    sales = services.department_create(name="Sales", code="sales", parent=hq)
    korea = services.department_create(name="Sales Korea", code="sales-kr", parent=sales)
    people = {}
    for username, number, name, department, role, position in [
        ("minji", "E001", "김민지", korea, Role.EMPLOYEE, "Associate"),
        ("junho", "E002", "이준호", sales, Role.MANAGER, "Team lead"),
        ("hana", "E003", "박하나", hq, Role.HR_ADMIN, "HR"),
    ]:
        user = User.objects.create_user(username, password=PASSWORD)
        services.member_create(
            user=user,
            employee_number=number,
            name=name,
            department=department,
            role=role,
            position=position,
            extension=number[-3:],
            hire_date=dt.date(2024, 3, 2),
        )
        people[username] = user
    people["outsider"] = User.objects.create_user("outsider", password=PASSWORD)
    return people


def names(response: object) -> list[str]:
    return [m.name for m in response.context["page"]]  # type: ignore[attr-defined]


def test_members_search_the_directory_and_outsiders_cannot(company: dict[str, User]) -> None:
    member = logged_in(company["minji"])
    response = member.get("/workplace/directory/")
    assert response.status_code == 200 and names(response) == ["박하나", "이준호", "김민지"]
    assert names(member.get("/workplace/directory/", {"q": "team LEAD"})) == ["이준호"]
    assert names(member.get("/workplace/directory/", {"q": "sales korea"})) == ["김민지"]
    # A department includes the departments below it.
    assert names(member.get("/workplace/directory/", {"department": "sales"})) == [
        "이준호",
        "김민지",
    ]
    assert names(member.get("/workplace/directory/", {"department": "nope"})) == []
    assert member.get("/workplace/directory/", {"page": "x" * 50}).status_code == 200
    card = member.get("/workplace/directory/e001/")
    assert card.status_code == 200 and "김민지" in card.content.decode()
    assert member.get("/workplace/directory/E999/").status_code == 404
    assert b'href="/workplace/directory/"' in member.get("/").content  # the navigation
    outsider = logged_in(company["outsider"])
    assert outsider.get("/workplace/directory/").status_code == 403
    assert outsider.get("/workplace/directory/E001/").status_code == 403
    assert b'href="/workplace/directory/"' not in outsider.get("/").content
    anonymous = Client().get("/workplace/directory/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_only_hr_exports_members_as_csv(company: dict[str, User]) -> None:
    Member.objects.filter(employee_number="E001").update(position="=HYPERLINK(1)")
    for persona in ("minji", "junho", "outsider"):
        assert logged_in(company[persona]).get("/workplace/members/export/").status_code == 403
    response = logged_in(company["hana"]).get("/workplace/members/export/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["employee_number"] for r in rows] == ["E001", "E002", "E003"]
    assert rows[0]["position"] == "'=HYPERLINK(1)"  # not a formula in a spreadsheet
    assert rows[0]["department"] == "SALES-KR" and rows[0]["hire_date"] == "2024-03-02"
    assert AuditEvent.objects.filter(event="members_export", user=company["hana"]).count() == 1


def upload(text: str, name: str = "members.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")


def test_hr_imports_members_and_new_accounts_get_a_temporary_password(
    company: dict[str, User],
) -> None:
    hr = logged_in(company["hana"])
    text = "\n".join(
        [
            HEADER,
            "E001,김민지,minji,SALES-KR,Senior associate,employee,101,,2024-03-02",
            "E010,王芳,wangfang,sales,Sales,employee,,wf@example.org,2025-01-06",
        ]
    )
    response = hr.post("/workplace/members/import/", {"file": upload(text)})
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    imported = response.context["imported"]
    assert imported.created == ["E010"] and imported.updated == ["E001"]
    assert Member.objects.get(employee_number="E001").position == "Senior associate"
    wang = User.objects.get(username="wangfang")
    password = imported.passwords["wangfang"]
    assert password in response.content.decode() and wang.check_password(password)
    assert wang.must_change_password
    assert Member.objects.get(user=wang).department.code == "SALES"
    assert AuditEvent.objects.filter(event="members_import", success=True).count() == 1
    # What export writes, import reads back unchanged.
    exported = hr.get("/workplace/members/export/").content.decode()
    before = list(Member.objects.values_list("employee_number", "position", "department_id"))
    again = hr.post("/workplace/members/import/", {"file": upload(exported)})
    assert again.status_code == 200 and again.context["imported"].passwords == {}
    after = list(Member.objects.values_list("employee_number", "position", "department_id"))
    assert after == before


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            HEADER + "\nE011,A,anna,sales,,employee,,,2025-01-06\n"
            "E012,B,bo,nowhere,,boss,,,06/01/2025\n",
            ["Line 3:", "nowhere", "boss", "06/01/2025"],
        ),
        (
            HEADER
            + "\nE011,A,anna,sales,,employee,,,2025-01-06\ne011,B,bo,sales,,employee,,,2025-01-06",
            ["line 2"],
        ),
        (HEADER + "\nE013,,,sales,,employee,,,2025-01-06", ["name, username"]),
        ("employee_number,name\nE014,C", ["department, role, hire_date"]),
        (HEADER + "\nE001,X,junho,sales,,employee,,,2025-01-06", ["E001"]),
    ],
)
def test_a_file_with_any_bad_row_imports_nothing(
    company: dict[str, User], text: str, problem: list[str]
) -> None:
    before = (User.objects.count(), list(Member.objects.values_list("pk", "name", "user_id")))
    response = logged_in(company["hana"]).post("/workplace/members/import/", {"file": upload(text)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "nothing was imported" in page and all(p in page for p in problem), page
    after = (User.objects.count(), list(Member.objects.values_list("pk", "name", "user_id")))
    assert after == before
    refusals = AuditEvent.objects.filter(event="members_import").values_list("success", "reason")
    assert list(refusals) == [(False, "members_csv_invalid")]


def test_files_that_are_not_a_members_csv_are_refused(company: dict[str, User]) -> None:
    hr = logged_in(company["hana"])
    latin = SimpleUploadedFile("m.csv", (HEADER + "\nE020,Jos\xe9").encode("latin-1"))
    assert "UTF-8" in hr.post("/workplace/members/import/", {"file": latin}).content.decode()
    big = SimpleUploadedFile("m.csv", b"x" * (services.MAX_CSV_BYTES + 1))
    response = hr.post("/workplace/members/import/", {"file": big})
    assert response.status_code == 400 and "2 MB" in response.content.decode()
    assert hr.post("/workplace/members/import/", {}).status_code == 400
    assert (
        logged_in(company["junho"])
        .post("/workplace/members/import/", {"file": upload(HEADER)})
        .status_code
        == 403
    )


def test_import_messages_speak_the_users_language(company: dict[str, User]) -> None:
    hr = logged_in(company["hana"])
    text = HEADER + "\nE030,A,anna,nowhere,,employee,,,2025-01-06"
    response = hr.post(
        "/workplace/members/import/", {"file": upload(text)}, HTTP_ACCEPT_LANGUAGE="ko"
    )
    page = response.content.decode()
    assert response.status_code == 400 and "nowhere" in page
    assert "부서" in page and "nothing was imported" not in page
