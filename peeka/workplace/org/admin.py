"""Departments and members in the admin (HR's everyday tool is the directory and the CSV)."""

from __future__ import annotations

from django.contrib import admin

from peeka.workplace.org.models import Department, Member


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "parent")
    search_fields = ("code", "name")


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("employee_number", "name", "department", "position", "role", "active")
    list_filter = ("role", "active", "department")
    search_fields = ("employee_number", "name", "user__username", "email")
    raw_id_fields = ("user",)
