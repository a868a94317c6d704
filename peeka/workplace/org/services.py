"""Writes of the organisation: departments, members, and the members' CSV import, which checks
every row before it writes any (one transaction: a file with one bad row changes nothing)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction

from peeka.accounts.models import User
from peeka.accounts.services import password_temporary_set
from peeka.errors import PeekaError, gettext_noop
from peeka.security.client import ClientInfo
from peeka.security.services import audit_record
from peeka.security.spreadsheet import spreadsheet_cell
from peeka.workplace.org.models import Department, Member, Role

CSV_COLUMNS = (
    "employee_number",
    "name",
    "username",
    "department",
    "position",
    "role",
    "extension",
    "email",
    "hire_date",
)
"""The members' CSV: a header row with these names (any order; position, extension and email
may be left out), one member a row, UTF-8 (a spreadsheet's byte-order mark is accepted);
`department` is a department's code, `role` one of `Role`, `hire_date` YYYY-MM-DD."""
REQUIRED_COLUMNS = ("employee_number", "name", "username", "department", "role", "hire_date")
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_ROWS = 5000


@dataclass(frozen=True)
class RowProblem:
    line: int
    """The row's line in the file (the header is line 1)."""
    message: str
    params: dict[str, object] = field(default_factory=dict)


class MembersFileError(PeekaError):
    """A file that changed nothing: the problems of each row, or of the file as a whole."""

    code = "members_csv_invalid"

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        super().__init__(gettext_noop("The file has problems; nothing was imported."))
        self.problems = list(problems)


@dataclass(frozen=True)
class Imported:
    created: list[str]
    updated: list[str]
    passwords: dict[str, str]
    """Temporary passwords of the accounts the import created, shown once (only hashes are
    kept); each must be changed at the first login."""


def department_create(*, name: str, code: str, parent: Department | None = None) -> Department:
    department = Department(name=name, code=code.upper(), parent=parent)
    department.full_clean()
    department.save()
    return department


def member_create(
    *,
    user: User,
    employee_number: str,
    name: str,
    department: Department,
    role: str = Role.EMPLOYEE,
    position: str = "",
    extension: str = "",
    email: str = "",
    hire_date: dt.date,
) -> Member:
    member = Member(
        user=user,
        employee_number=employee_number,
        name=name,
        department=department,
        role=role,
        position=position,
        extension=extension,
        email=email,
        hire_date=hire_date,
    )
    member.full_clean()
    member.save()
    return member


def members_import(*, data: bytes, actor: User | None, client: ClientInfo) -> Imported:
    """Create or update the members of a CSV file (`CSV_COLUMNS`), matched by employee number;
    a username that has no account gets one, with a temporary password. All or nothing:
    `MembersFileError` lists every problem and nothing is written. Audited, refusals too."""
    try:
        return _import(data, actor, client)
    except MembersFileError as exc:
        audit_record(
            event="members_import", success=False, reason=exc.code, user=actor, client=client
        )
        raise


def _import(data: bytes, actor: User | None, client: ClientInfo) -> Imported:
    rows = _parse(data)
    departments = {d.code.upper(): d for d in Department.objects.all()}
    problems: list[RowProblem] = []
    seen_numbers: dict[str, int] = {}
    seen_users: dict[str, int] = {}
    planned: list[tuple[int, dict[str, str], dt.date]] = []
    for line, row in rows:
        number = row["employee_number"].lower()
        username = row["username"]
        missing = [c for c in REQUIRED_COLUMNS if not row.get(c)]
        if missing:
            problems.append(
                RowProblem(
                    line, gettext_noop("Empty: %(columns)s."), {"columns": ", ".join(missing)}
                )
            )
            continue
        if number in seen_numbers:
            problems.append(
                RowProblem(
                    line,
                    gettext_noop("Employee number %(number)s is also on line %(other)d."),
                    {"number": row["employee_number"], "other": seen_numbers[number]},
                )
            )
        if username in seen_users:
            problems.append(
                RowProblem(
                    line,
                    gettext_noop("Username %(username)s is also on line %(other)d."),
                    {"username": username, "other": seen_users[username]},
                )
            )
        seen_numbers[number], seen_users[username] = line, line
        if row["department"].upper() not in departments:
            problems.append(
                RowProblem(
                    line,
                    gettext_noop("No department has the code %(code)s."),
                    {"code": row["department"]},
                )
            )
        if row["role"] not in Role.values:
            problems.append(
                RowProblem(
                    line,
                    gettext_noop("Unknown role %(role)s; use one of: %(roles)s."),
                    {"role": row["role"], "roles": ", ".join(Role.values)},
                )
            )
        try:
            hired = dt.date.fromisoformat(row["hire_date"])
        except ValueError:
            problems.append(
                RowProblem(
                    line,
                    gettext_noop("Hire date %(value)s is not a date like 2024-03-02."),
                    {"value": row["hire_date"]},
                )
            )
            continue
        planned.append((line, row, hired))
    if problems:
        raise MembersFileError(problems)
    return _write(planned, departments, actor, client)


def _write(
    planned: list[tuple[int, dict[str, str], dt.date]],
    departments: dict[str, Department],
    actor: User | None,
    client: ClientInfo,
) -> Imported:
    created: list[str] = []
    updated: list[str] = []
    passwords: dict[str, str] = {}
    problems: list[RowProblem] = []
    with transaction.atomic():
        for line, row, hired in planned:
            user, new_account = User.objects.get_or_create(username=row["username"])
            member = (
                Member.objects.filter(employee_number__iexact=row["employee_number"]).first()
                or Member.objects.filter(user=user).first()
                or Member(user=user)
            )
            if member.pk and member.user_id != user.pk:
                problems.append(
                    RowProblem(
                        line,
                        gettext_noop("Employee number %(number)s belongs to another account."),
                        {"number": row["employee_number"]},
                    )
                )
                continue
            fields = {
                "employee_number": row["employee_number"],
                "name": row["name"],
                "department": departments[row["department"].upper()],
                "position": row.get("position", ""),
                "role": row["role"],
                "extension": row.get("extension", ""),
                "email": row.get("email", ""),
                "hire_date": hired,
            }
            for name, value in fields.items():
                setattr(member, name, value)
            try:
                member.full_clean(exclude=["user"])
            except Exception as exc:  # ValidationError: the row's own message
                problems.append(RowProblem(line, "%(problem)s", {"problem": _first(exc)}))
                continue
            (updated if member.pk else created).append(row["employee_number"])
            member.save()
            if new_account:
                passwords[user.username] = password_temporary_set(user=user, client=client)
        if problems:
            transaction.set_rollback(True)
            raise MembersFileError(problems)
        audit_record(
            event="members_import",
            success=True,
            reason="ok",
            user=actor,
            client=client,
        )
    return Imported(created, updated, passwords)


def _first(exc: Exception) -> str:
    messages = getattr(exc, "messages", None)
    return str(messages[0]) if messages else str(exc)


def _parse(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The rows of a members' CSV with their line numbers, or `MembersFileError` for a file that
    is too large, not UTF-8 or without the required columns."""
    if len(data) > MAX_CSV_BYTES:
        raise MembersFileError([RowProblem(0, gettext_noop("The file is larger than 2 MB."))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MembersFileError(
            [RowProblem(0, gettext_noop("The file is not UTF-8 text. Save it as CSV UTF-8."))]
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise MembersFileError(
            [
                RowProblem(
                    1,
                    gettext_noop("The header lacks: %(columns)s."),
                    {"columns": ", ".join(missing)},
                )
            ]
        )
    reader.fieldnames = header
    rows = []
    for index, raw in enumerate(reader):
        if index >= MAX_CSV_ROWS:
            raise MembersFileError(
                [RowProblem(0, gettext_noop("The file has more than 5,000 rows."))]
            )
        row = {k: (v or "").strip() for k, v in raw.items() if k in CSV_COLUMNS}
        if any(row.values()):
            rows.append((reader.line_num, row))
    return rows


def members_export(*, actor: User | None, client: ClientInfo) -> str:
    """Every member as CSV (`CSV_COLUMNS`), the format `members_import` reads back. Audited:
    it is personal data leaving the system."""
    audit_record(event="members_export", success=True, reason="csv", user=actor, client=client)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    members = Member.objects.select_related("user", "department").order_by("employee_number")
    for m in members:
        writer.writerow(
            [
                spreadsheet_cell(v)
                for v in (
                    m.employee_number,
                    m.name,
                    m.user.get_username(),
                    m.department.code,
                    m.position,
                    m.role,
                    m.extension,
                    m.email,
                    m.hire_date.isoformat(),
                )
            ]
        )
    return out.getvalue()
