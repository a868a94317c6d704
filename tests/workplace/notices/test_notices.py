"""The notice board: who reads, writes, changes and deletes what (personas member, manager, HR
administrator, outsider and anonymous), department targeting along the tree, search and pages,
readers counted once, and attached files checked by extension and content, stored under random
names outside the web root, and served only to those who may read the post."""

from __future__ import annotations

import datetime as dt
import io
import stat
import threading
import zipfile
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test import Client, RequestFactory
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.security.models import AuditEvent
from peeka.workplace.notices import attachments, selectors, services
from peeka.workplace.notices.admin import PostAdmin
from peeka.workplace.notices.models import Attachment, Kind, Post, PostView
from peeka.workplace.org import services as org
from peeka.workplace.org.models import Department, Role
from tests.webapp import PASSWORD, logged_in

pytestmark = pytest.mark.django_db
BOARD = "/workplace/notices/"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 4


@pytest.fixture(autouse=True)
def attachments_dir(settings: SettingsWrapper, tmp_path: Path) -> Path:
    folder = tmp_path / "attachments"
    settings.PEEKA_ATTACHMENTS_DIR = folder
    return folder


@pytest.fixture
def company() -> dict[str, User]:
    """HQ with Sales (and Sales Korea below it) and HR below it: a member of Sales Korea, a
    manager of Sales, an HR administrator and an HR employee, and an outsider with an account
    but no member row."""
    hq = org.department_create(name="본사", code="hq")
    sales = org.department_create(name="Sales", code="sales", parent=hq)
    korea = org.department_create(name="Sales Korea", code="sales-kr", parent=sales)
    hr = org.department_create(name="HR", code="hr", parent=hq)
    people = {}
    for username, number, name, department, role in [
        ("minji", "E001", "김민지", korea, Role.EMPLOYEE),
        ("junho", "E002", "이준호", sales, Role.MANAGER),
        ("hana", "E003", "박하나", hr, Role.HR_ADMIN),
        ("sora", "E004", "王芳", hr, Role.EMPLOYEE),
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
    people["outsider"] = User.objects.create_user("outsider", password=PASSWORD)
    return people


def department(code: str) -> Department:
    return Department.objects.get(code=code.upper())


def write(
    user: User,
    title: str = "Hello",
    body: str = "Text",
    kind: str = Kind.POST,
    departments: tuple[str, ...] = (),
    pinned: bool = False,
    files: tuple[services.NewFile, ...] = (),
) -> Post:
    return services.post_create(
        user=user,
        title=title,
        body=body,
        kind=kind,
        pinned=pinned,
        departments=[department(c) for c in departments],
        files=files,
    )


def titles(response: object) -> list[str]:
    return [p.title for p in response.context["page"]]  # type: ignore[attr-defined]


def stored_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> object:
    return SimpleUploadedFile(name, data, content_type=content_type)


def office(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<document/>")
    return buffer.getvalue()


# --- access: the personas on every page -------------------------------------------------


def test_members_read_the_board_and_outsiders_and_anonymous_cannot(
    company: dict[str, User],
) -> None:
    post = write(company["junho"], "Quarterly targets", kind=Kind.NOTICE)
    for persona in ("minji", "junho", "hana", "sora"):
        client = logged_in(company[persona])
        response = client.get(BOARD)
        assert response.status_code == 200 and titles(response) == ["Quarterly targets"]
        assert client.get(f"{BOARD}{post.pk}/").status_code == 200
        assert client.get(f"{BOARD}new/").status_code == 200
        assert f'href="{BOARD}"'.encode() in client.get("/").content  # the navigation
    outsider = logged_in(company["outsider"])
    for path in ("", f"{post.pk}/", "new/", f"{post.pk}/edit/"):
        assert outsider.get(f"{BOARD}{path}").status_code == 403
    assert outsider.post(f"{BOARD}{post.pk}/delete/").status_code == 403
    assert f'href="{BOARD}"'.encode() not in outsider.get("/").content
    anonymous = Client()
    for path in ("", f"{post.pk}/", "new/", f"{post.pk}/edit/"):
        response = anonymous.get(f"{BOARD}{path}")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert anonymous.post(f"{BOARD}{post.pk}/delete/").status_code == 302
    assert Post.objects.count() == 1
    assert logged_in(company["minji"]).get(f"{BOARD}999/").status_code == 404


def test_an_inactive_member_no_longer_reads_the_board(company: dict[str, User]) -> None:
    write(company["junho"])
    company["minji"].member.active = False
    company["minji"].member.save()
    assert logged_in(company["minji"]).get(BOARD).status_code == 403


def test_only_managers_executives_and_hr_publish_notices(company: dict[str, User]) -> None:
    member = logged_in(company["minji"])
    response = member.post(f"{BOARD}new/", {"title": "Lunch", "body": "Noodles?", "kind": "post"})
    post = Post.objects.get(title="Lunch")
    assert response.status_code == 302 and response["Location"] == f"{BOARD}{post.pk}/"
    assert post.kind == Kind.POST and post.author == company["minji"].member
    # A member's form has no kind to choose; sending one anyway is refused.
    assert b'name="kind"' not in member.get(f"{BOARD}new/").content
    refused = member.post(f"{BOARD}new/", {"title": "Rule", "body": "x", "kind": "notice"})
    assert refused.status_code == 403 and "publish notices" in refused.content.decode()
    pinned_post = member.post(f"{BOARD}new/", {"title": "Me first", "body": "x", "pinned": "on"})
    assert pinned_post.status_code == 400 and "Only notices can be pinned" in (
        pinned_post.content.decode()
    )
    assert not Post.objects.filter(title__in=["Rule", "Me first"]).exists()
    for persona in ("junho", "hana"):
        client = logged_in(company[persona])
        assert b'name="kind"' in client.get(f"{BOARD}new/").content
        data = {"title": f"Notice by {persona}", "body": "x", "kind": "notice", "pinned": "on"}
        assert client.post(f"{BOARD}new/", data).status_code == 302
        notice = Post.objects.get(title=f"Notice by {persona}")
        assert notice.kind == Kind.NOTICE and notice.pinned
    empty = member.post(f"{BOARD}new/", {"title": "", "body": ""})
    page = empty.content.decode()
    assert empty.status_code == 400 and 'aria-describedby="id_title-errors"' in page
    assert 'id="id_body-errors"' in page
    # Every problem of the form shows at once, the files' too.
    both = member.post(
        f"{BOARD}new/", {"title": "", "body": "x", "uploads": [upload("a.pdf", EXE)]}
    )
    assert both.status_code == 400 and 'id="id_title-errors"' in both.content.decode()
    assert "is not what its name says" in both.content.decode()
    assert logged_in(company["outsider"]).post(f"{BOARD}new/", {"title": "x"}).status_code == 403


def test_a_post_for_a_department_reaches_it_and_the_departments_below(
    company: dict[str, User],
) -> None:
    sales = write(company["junho"], "Sales kickoff", kind=Kind.NOTICE, departments=("sales",))
    korea = write(company["hana"], "Seoul office move", departments=("sales-kr",))
    everyone = write(company["hana"], "Company picnic", kind=Kind.NOTICE)
    seen = {
        persona: titles(logged_in(company[persona]).get(BOARD))
        for persona in ("minji", "junho", "hana", "sora")
    }
    assert seen["minji"] == ["Company picnic", "Seoul office move", "Sales kickoff"]
    # Sales does not see what is aimed below it (Sales Korea), HR sees nothing of Sales, and the
    # HR administrator sees every post.
    assert seen["junho"] == ["Company picnic", "Sales kickoff"]
    assert seen["sora"] == ["Company picnic"]
    assert seen["hana"] == ["Company picnic", "Seoul office move", "Sales kickoff"]
    sora = logged_in(company["sora"])
    assert sora.get(f"{BOARD}{sales.pk}/").status_code == 404
    assert sora.get(f"{BOARD}{everyone.pk}/").status_code == 200
    assert logged_in(company["minji"]).get(f"{BOARD}{sales.pk}/").status_code == 200
    assert logged_in(company["junho"]).get(f"{BOARD}{korea.pk}/").status_code == 404
    # Authors always see their own posts, wherever they aim them.
    own = write(company["sora"], "For sales only", departments=("sales-kr",))
    assert sora.get(f"{BOARD}{own.pk}/").status_code == 200


def test_the_body_is_plain_text_with_its_line_breaks(company: dict[str, User]) -> None:
    post = write(company["minji"], "Markup", body="<script>alert(1)</script>\nline two")
    page = logged_in(company["junho"]).get(f"{BOARD}{post.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>line two" in page
    assert "<script>alert(1)" not in page


def test_search_kind_paging_and_pinned_notices_first(company: dict[str, User]) -> None:
    for i in range(43):
        write(company["minji"], f"Post {i:02d}", body="weekly BUDGET review" if i % 2 else "x")
    write(company["junho"], "Pinned rules", kind=Kind.NOTICE, pinned=True, body="read me")
    write(company["junho"], "Old notice", kind=Kind.NOTICE)
    client = logged_in(company["sora"])
    first = client.get(BOARD)
    assert len(titles(first)) == selectors.PAGE_SIZE == 20
    assert titles(first)[:3] == ["Pinned rules", "Old notice", "Post 42"]
    assert first.context["page"].paginator.count == 45
    assert titles(client.get(BOARD, {"page": "3"})) == [f"Post {i:02d}" for i in range(4, -1, -1)]
    for bad in ("x" * 50, "0", "-1", "9" * 12):
        response = client.get(BOARD, {"page": bad})
        assert response.status_code == 200 and response.context["page"].number == 1
    assert client.get(BOARD, {"page": "99"}).context["page"].number == 3
    found = client.get(BOARD, {"q": "budget REVIEW"}).context["page"].paginator.count
    assert found == 21  # the odd ones, by words in the text, any case
    assert titles(client.get(BOARD, {"q": "post 07"})) == ["Post 07"]
    assert titles(client.get(BOARD, {"q": "pinned", "kind": "notice"})) == ["Pinned rules"]
    assert titles(client.get(BOARD, {"kind": "notice"})) == ["Pinned rules", "Old notice"]
    assert client.get(BOARD, {"kind": "nonsense"}).context["page"].paginator.count == 45
    assert titles(client.get(BOARD, {"q": "nothing like this"})) == []


def test_a_reader_is_counted_once(company: dict[str, User]) -> None:
    post = write(company["junho"], "Read me", kind=Kind.NOTICE)
    minji = logged_in(company["minji"])
    for _ in range(3):
        assert minji.get(f"{BOARD}{post.pk}/").context["post"].view_count == 1
    assert logged_in(company["sora"]).get(f"{BOARD}{post.pk}/").context["post"].view_count == 2
    assert PostView.objects.filter(post=post).count() == 2
    listed = minji.get(BOARD).context["page"][0]
    assert listed.view_count == 2
    # The database refuses a second row for the same reader.
    with pytest.raises(IntegrityError), transaction.atomic():
        PostView.objects.create(post=post, member=company["minji"].member)
    # Someone who may not read the post is no reader.
    hidden = write(company["junho"], "Sales only", departments=("sales",))
    assert logged_in(company["sora"]).get(f"{BOARD}{hidden.pk}/").status_code == 404
    assert not PostView.objects.filter(post=hidden).exists()


@pytest.mark.django_db(transaction=True)
def test_a_reader_opening_a_post_twice_at_once_is_counted_once() -> None:
    hq = org.department_create(name="HQ", code="hq")
    user = User.objects.create_user("reader", password=PASSWORD)
    org.member_create(
        user=user, employee_number="E100", name="R", department=hq, hire_date=dt.date(2024, 1, 1)
    )
    post = services.post_create(user=user, title="Twice", body="x")
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            barrier.wait()
            services.post_read(user=user, post_id=post.pk)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors and all("locked" in str(e) for e in errors):  # SQLite may refuse other writers
        assert PostView.objects.filter(post=post).count() == 1
        return
    assert errors == []
    assert PostView.objects.filter(post=post).count() == 1


def test_the_author_and_hr_edit_and_nobody_else(company: dict[str, User]) -> None:
    post = write(company["minji"], "Draft", departments=("sales",))
    path = f"{BOARD}{post.pk}/edit/"
    author = logged_in(company["minji"])
    form = author.get(path)
    assert form.status_code == 200 and 'value="Draft"' in form.content.decode()
    assert logged_in(company["junho"]).get(path).status_code == 403  # sees it, may not change
    assert logged_in(company["sora"]).get(path).status_code == 404  # does not even see it
    data = {"title": "Final", "body": "Done", "kind": "post", "departments": [department("hr").pk]}
    assert logged_in(company["junho"]).post(path, data).status_code == 403
    assert author.post(path, data).status_code == 302
    post.refresh_from_db()
    assert post.title == "Final" and [d.code for d in post.departments.all()] == ["HR"]
    data["title"] = "Moderated"
    assert logged_in(company["hana"]).post(path, data).status_code == 302
    post.refresh_from_db()
    assert post.title == "Moderated" and post.author == company["minji"].member
    assert author.post(path, {**data, "kind": "notice"}).status_code == 403
    post.refresh_from_db()
    assert post.kind == Kind.POST


def test_the_author_and_hr_delete_and_hr_deleting_others_is_audited(
    company: dict[str, User],
    attachments_dir: Path,
    django_capture_on_commit_callbacks: object,
) -> None:
    own = write(company["minji"], "Mine", files=(services.NewFile("a.pdf", PDF),))
    others = write(
        company["junho"], "Theirs", departments=("sales",), files=(services.NewFile("b.pdf", PDF),)
    )
    assert len(stored_files(attachments_dir)) == 2
    minji = logged_in(company["minji"])
    assert minji.get(f"{BOARD}{own.pk}/delete/").status_code == 405
    assert minji.post(f"{BOARD}{others.pk}/delete/").status_code == 403
    sora = logged_in(company["sora"])
    assert sora.post(f"{BOARD}{own.pk}/delete/").status_code == 403  # sees it, may not delete
    assert sora.post(f"{BOARD}{others.pk}/delete/").status_code == 404  # does not see it
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = minji.post(f"{BOARD}{own.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == BOARD
    assert not AuditEvent.objects.filter(event="post_delete").exists()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert logged_in(company["hana"]).post(f"{BOARD}{others.pk}/delete/").status_code == 302
    assert not Post.objects.exists() and not Attachment.objects.exists()
    assert stored_files(attachments_dir) == []  # deleting a post deletes its files
    trail = AuditEvent.objects.get(event="post_delete")
    assert trail.success and trail.user == company["hana"] and trail.reason == "admin"


# --- attached files ------------------------------------------------------------------------


def test_an_attached_pdf_round_trips_byte_for_byte(
    company: dict[str, User], attachments_dir: Path
) -> None:
    minji = logged_in(company["minji"])
    data = {"title": "Report", "body": "Attached.", "uploads": [upload("분기 보고서.pdf", PDF)]}
    assert minji.post(f"{BOARD}new/", data).status_code == 302
    file = Attachment.objects.get()
    assert file.name == "분기 보고서.pdf" and file.content_type == "application/pdf"
    assert file.size == len(PDF)
    (stored,) = stored_files(attachments_dir)
    assert stored.read_bytes() == PDF and stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert "보고서" not in str(stored) and "pdf" not in stored.name
    assert file.stored_name == stored.name and "보고서" not in file.stored_name
    path = f"{BOARD}{file.post_id}/files/{file.pk}/"
    assert f'href="{path}"' in minji.get(f"{BOARD}{file.post_id}/").content.decode()
    response = logged_in(company["junho"]).get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]


def test_only_those_who_may_read_the_post_download_its_files(company: dict[str, User]) -> None:
    post = write(
        company["junho"],
        "Price list",
        departments=("sales",),
        files=(services.NewFile("p.pdf", PDF),),
    )
    file = post.attachments.get()
    path = f"{BOARD}{post.pk}/files/{file.pk}/"
    assert logged_in(company["minji"]).get(path).status_code == 200
    assert logged_in(company["hana"]).get(path).status_code == 200
    assert logged_in(company["sora"]).get(path).status_code == 404
    assert logged_in(company["outsider"]).get(path).status_code == 403
    assert Client().get(path).status_code == 302
    other = write(company["junho"], "Other")
    assert logged_in(company["minji"]).get(f"{BOARD}{other.pk}/files/{file.pk}/").status_code == 404
    attachments.path_of(file.stored_name).unlink()
    assert logged_in(company["minji"]).get(path).status_code == 404  # gone from disk


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ([("invoice.pdf", EXE)], "is not what its name says"),
        ([("setup.exe", EXE)], "is not a type that may be attached"),
        ([("big.pdf", b"%PDF-" + b"0" * (11 * 1024 * 1024))], "larger than 10 MB"),
        ([(f"f{i}.pdf", PDF) for i in range(6)], "at most 5 files"),
        ([("ok.pdf", PDF), ("notes.txt", b"MZ\x00\x00binary")], "notes.txt"),
        ([("sheet.xlsx", office("word/"))], "sheet.xlsx"),
        ([("empty.txt", b"")], "empty"),
    ],
)
def test_a_refused_file_keeps_nothing(
    company: dict[str, User],
    attachments_dir: Path,
    files: list[tuple[str, bytes]],
    problem: str,
) -> None:
    data = {"title": "With files", "body": "x", "uploads": [upload(n, d) for n, d in files]}
    response = logged_in(company["minji"]).post(f"{BOARD}new/", data)
    page = response.content.decode()
    assert response.status_code == 400 and problem in page, page
    assert 'aria-describedby="id_uploads-errors id_uploads-help"' in page
    assert not Post.objects.exists() and not Attachment.objects.exists()
    assert stored_files(attachments_dir) == []


def test_a_request_over_the_budget_is_refused_before_it_is_read(
    company: dict[str, User], settings: SettingsWrapper, attachments_dir: Path
) -> None:
    settings.PEEKA_MAX_REQUEST_BYTES = 64 * 1024
    data = {"title": "Big", "body": "x", "uploads": [upload("big.pdf", b"%PDF-" + b"0" * 100_000)]}
    response = logged_in(company["minji"]).post(f"{BOARD}new/", data)
    assert response.status_code == 413 and "nothing was saved" in response.content.decode()
    assert not Post.objects.exists() and stored_files(attachments_dir) == []


def test_the_csrf_check_still_guards_the_forms(company: dict[str, User]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(company["minji"])
    assert client.post(f"{BOARD}new/", {"title": "x", "body": "y"}).status_code == 403
    assert not Post.objects.exists()


def test_editing_adds_and_removes_files(
    company: dict[str, User], attachments_dir: Path, django_capture_on_commit_callbacks: object
) -> None:
    post = write(
        company["minji"],
        "Files",
        files=tuple(services.NewFile(f"f{i}.pdf", PDF) for i in range(5)),
    )
    path = f"{BOARD}{post.pk}/edit/"
    minji = logged_in(company["minji"])
    base = {"title": "Files", "body": "x", "kind": "post"}
    full = minji.post(path, {**base, "uploads": [upload("g.png", b"\x89PNG\r\n\x1a\n0000")]})
    assert full.status_code == 400 and "at most 5 files" in full.content.decode()
    assert len(stored_files(attachments_dir)) == 5
    first = post.attachments.first()
    assert first is not None
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        swapped = minji.post(
            path,
            {**base, "remove": [first.pk], "uploads": [upload("g.png", b"\x89PNG\r\n\x1a\n0000")]},
        )
    assert swapped.status_code == 302
    names = sorted(post.attachments.values_list("name", flat=True))
    assert names == ["f1.pdf", "f2.pdf", "f3.pdf", "f4.pdf", "g.png"]
    assert len(stored_files(attachments_dir)) == 5
    assert not attachments.path_of(first.stored_name).exists()


@pytest.mark.parametrize(
    ("name", "data", "served"),
    [
        ("scan.PNG", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
        ("photo.jpeg", b"\xff\xd8\xff\xe1" + b"\x00" * 20, "image/jpeg"),
        ("메모.txt", "회의는 3시입니다.\r\n".encode(), "text/plain"),
        ("名单.csv", "姓名,部门\n王芳,人事\n".encode("gb18030"), "text/csv"),
        ("목록.csv", "이름,부서\n김민지,영업\n".encode("cp949"), "text/csv"),
        ("letter.docx", office("word/"), "application/vnd.openxmlformats-officedocument"
         ".wordprocessingml.document"),
        ("sheet.xlsx", office("xl/"), "application/vnd.openxmlformats-officedocument"
         ".spreadsheetml.sheet"),
        ("slides.pptx", office("ppt/"), "application/vnd.openxmlformats-officedocument"
         ".presentationml.presentation"),
        ("기안.hwp", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, "application/x-hwp"),
        ("기안.hwpx", office("Contents/"), "application/hwp+zip"),
    ],
)  # fmt: skip
def test_each_allowed_type_is_recognised_by_its_content(
    name: str, data: bytes, served: str
) -> None:
    assert attachments.content_type(name=name, data=data) == served


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("invoice.pdf", EXE, "attachment_content"),
        ("photo.jpg", PDF, "attachment_content"),
        ("notes.txt", EXE, "attachment_content"),
        ("notes.txt", b"\x7fELF\x02\x01\x01", "attachment_content"),
        ("letter.docx", b"PK\x03\x04 not really a zip", "attachment_content"),
        ("form.hwp", b"%PDF-1.4", "attachment_content"),
        ("script.html", b"<script>", "attachment_type"),
        ("archive.zip", office("word/"), "attachment_type"),
        ("no-extension", PDF, "attachment_type"),
        ("empty.pdf", b"", "attachment_empty"),
    ],
)
def test_a_file_whose_content_or_extension_is_not_allowed_is_refused(
    name: str, data: bytes, code: str
) -> None:
    with pytest.raises(attachments.AttachmentError) as refused:
        attachments.content_type(name=name, data=data)
    assert refused.value.code == code


def test_file_names_are_kept_for_display_only() -> None:
    assert attachments.display_name("../../etc/passwd.txt") == "passwd.txt"
    assert attachments.display_name("C:\\Users\\kim\\보고서.pdf") == "보고서.pdf"
    assert attachments.display_name("a\x00b\nc.pdf") == "abc.pdf"
    long = attachments.display_name("x" * 300 + ".pdf")
    assert len(long) == attachments.MAX_NAME_LENGTH and long.endswith(".pdf")
    with pytest.raises(ValueError, match="not a stored attachment name"):
        attachments.path_of("../secret_key")


def test_a_failed_write_leaves_no_file_behind(
    company: dict[str, User], attachments_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = iter(["a" * 32, "a" * 32])  # the second row's name clashes: the insert fails
    monkeypatch.setattr(attachments, "new_name", lambda: next(names))
    files = (services.NewFile("a.pdf", PDF), services.NewFile("b.pdf", PDF))
    with pytest.raises(IntegrityError):
        write(company["minji"], "Clash", files=files)
    assert not Post.objects.filter(title="Clash").exists()
    assert stored_files(attachments_dir) == []


# --- the dashboard's selector and the admin ----------------------------------------------


def test_latest_notices_are_the_newest_the_member_sees(company: dict[str, User]) -> None:
    for i in range(7):
        write(company["hana"], f"Notice {i}", kind=Kind.NOTICE)
    write(company["junho"], "Sales notice", kind=Kind.NOTICE, departments=("sales",))
    write(company["minji"], "A post")
    minji = company["minji"].member
    latest = [p.title for p in selectors.latest_notices(member=minji)]
    assert latest == ["Sales notice", "Notice 6", "Notice 5", "Notice 4", "Notice 3"]
    sora = company["sora"].member
    assert [p.title for p in selectors.latest_notices(member=sora, limit=2)] == [
        "Notice 6",
        "Notice 5",
    ]


def test_the_admin_lists_kind_author_pinned_departments_and_readers(
    company: dict[str, User],
) -> None:
    notice = write(
        company["junho"], "Kickoff", kind=Kind.NOTICE, pinned=True, departments=("sales", "hr")
    )
    write(company["minji"], "Lunch")
    services.post_read(user=company["minji"], post_id=notice.pk)
    services.post_read(user=company["hana"], post_id=notice.pk)
    request = RequestFactory().get("/admin/notices/post/")
    request.user = User.objects.create_superuser("root", password=PASSWORD)
    model_admin = PostAdmin(Post, admin.site)
    rows = {p.title: p for p in model_admin.get_queryset(request)}
    assert {"kind", "author", "pinned", "for_departments", "views"} <= set(model_admin.list_display)
    assert model_admin.for_departments(rows["Kickoff"]) == "HR, Sales"
    assert model_admin.for_departments(rows["Lunch"]) == "Whole company"
    assert model_admin.views(rows["Kickoff"]) == 2 and model_admin.views(rows["Lunch"]) == 0
