"""Reads of the organisation: the directory (search by name, number, position, department or
extension), a member card, the department tree and who may manage members."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from peeka.workplace.org.models import Department, Member, Role

PAGE_SIZE = 24


def member_of(*, user: AbstractBaseUser | AnonymousUser) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("department").filter(user_id=user.pk).first()


def can_manage_members(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """HR administrators and the deployment's superusers import, export and edit members."""
    if getattr(user, "is_superuser", False):
        return True
    member = member_of(user=user)
    return member is not None and member.active and member.role == Role.HR_ADMIN


def directory_search(*, query: str = "", department: str = "", page: int = 1) -> Page[Member]:
    """Active members matching every word of `query` (in name, employee number, position,
    extension, e-mail or department name), in department `department` (a code) and the
    departments below it; `PAGE_SIZE` a page."""
    members: QuerySet[Member] = Member.objects.filter(active=True).select_related(
        "department", "user"
    )
    if department:
        codes = department_subtree(code=department)
        members = members.filter(department__code__in=codes)
    for word in query.split()[:8]:
        members = members.filter(
            Q(name__icontains=word)
            | Q(employee_number__icontains=word)
            | Q(position__icontains=word)
            | Q(extension__icontains=word)
            | Q(email__icontains=word)
            | Q(department__name__icontains=word)
        )
    members = members.order_by("department__code", "name")
    return Paginator(members, PAGE_SIZE).get_page(page)


def department_subtree(*, code: str) -> list[str]:
    """The codes of department `code` and every department below it ([] for no such one)."""
    return [row.department.code for row in department_tree(root=code)]


@dataclass(frozen=True)
class TreeRow:
    department: Department
    depth: int
    members: int


def department_tree(*, root: str = "") -> list[TreeRow]:
    """Every department in tree order (parents before their children), with its depth and its
    own active members' count; with `root` (a code), that department and those below it."""
    departments = list(Department.objects.all().order_by("code"))
    counts = dict(
        Member.objects.filter(active=True)
        .order_by()
        .values_list("department_id")
        .annotate(n=Count("pk"))
    )
    children: dict[int | None, list[Department]] = {}
    for d in departments:
        children.setdefault(d.parent_id, []).append(d)
    top = [d for d in departments if d.code == root.upper()] if root else children.get(None, [])
    rows: list[TreeRow] = []

    def walk(level: list[Department], depth: int) -> None:
        for d in level:
            rows.append(TreeRow(d, depth, counts.get(d.pk, 0)))
            walk(children.get(d.pk, []), depth + 1)

    walk(top, 0)
    return rows


def member_card(*, employee_number: str) -> Member | None:
    return (
        Member.objects.select_related("department", "user")
        .filter(employee_number__iexact=employee_number, active=True)
        .first()
    )
