"""Departments and members. A member is an account's place in the company: the account logs in
(with its face and factors), the member row says who they are at work."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy


class Department(models.Model):
    name = models.CharField(gettext_lazy("name"), max_length=100)
    code = models.SlugField(
        gettext_lazy("code"),
        max_length=32,
        unique=True,
        help_text=gettext_lazy("Short and unique, e.g. SALES; used in CSV files and numbers."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=gettext_lazy("parent department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    class Meta:
        verbose_name = gettext_lazy("department")
        verbose_name_plural = gettext_lazy("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    EMPLOYEE = "employee", gettext_lazy("Employee")
    MANAGER = "manager", gettext_lazy("Manager")
    EXECUTIVE = "executive", gettext_lazy("Executive")
    HR_ADMIN = "hr_admin", gettext_lazy("HR administrator")


class Member(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("account"),
        on_delete=models.CASCADE,
        related_name="member",
    )
    employee_number = models.CharField(gettext_lazy("employee number"), max_length=20)
    name = models.CharField(gettext_lazy("name"), max_length=100)
    department = models.ForeignKey(
        Department,
        verbose_name=gettext_lazy("department"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    position = models.CharField(gettext_lazy("position"), max_length=50, blank=True)
    role = models.CharField(
        gettext_lazy("role"), max_length=16, choices=Role.choices, default=Role.EMPLOYEE
    )
    extension = models.CharField(gettext_lazy("extension"), max_length=20, blank=True)
    email = models.EmailField(gettext_lazy("e-mail"), blank=True)
    hire_date = models.DateField(gettext_lazy("hire date"))
    active = models.BooleanField(gettext_lazy("active"), default=True)

    class Meta:
        verbose_name = gettext_lazy("member")
        verbose_name_plural = gettext_lazy("members")
        ordering = ["department__code", "employee_number"]
        constraints = [
            models.UniqueConstraint(
                Lower("employee_number"), name="org_member_employee_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_number})"
