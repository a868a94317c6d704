"""Admin for accounts and the login policy. Adding, changing or deleting a user, the policy or
an API key is a sensitive action: the admin steps up first, by more than the password alone
(staff always have a second factor: `peeka.accounts.middleware`)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy

from peeka.accounts import mfa, otp
from peeka.accounts.factors import factor_enrolled
from peeka.accounts.models import LoginPolicy, User


class StepUpAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Adding, changing or deleting an object, and running a list action, need a step-up with a
    second factor (viewing lists does not)."""

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not mfa.stepped_up(request, second_factor=True):
            return _step_up(request)
        return super().changeform_view(request, *args, **kwargs)

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not mfa.stepped_up(request, second_factor=True):
            return _step_up(request)
        return super().delete_view(request, *args, **kwargs)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.method == "POST" and not mfa.stepped_up(request, second_factor=True):
            return _step_up(request)  # an action, such as deleting the selected objects
        return super().changelist_view(request, extra_context)


def _step_up(request: HttpRequest) -> HttpResponse:
    back = request.get_full_path() if request.method == "GET" else request.path
    return redirect(mfa.step_up_url(back))


@admin.register(User)
class PeekaUserAdmin(StepUpAdmin, UserAdmin):  # type: ignore[type-arg]
    list_display = (
        "username",
        "display_name",
        "email",
        "face",
        "authenticator_app",
        "last_login",
        "is_staff",
        "is_active",
    )
    list_filter = ("is_staff", "is_superuser", "is_active")

    @admin.display(description=gettext_lazy("Face"), boolean=True)
    def face(self, user: User) -> bool:
        return factor_enrolled("face", user)

    @admin.display(description=gettext_lazy("Authenticator app"), boolean=True)
    def authenticator_app(self, user: User) -> bool:
        return otp.has_totp(user)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        if not mfa.stepped_up(request, second_factor=True):
            return redirect(mfa.step_up_url(request.path))
        return super().user_change_password(request, id, form_url)


@admin.register(LoginPolicy)
class LoginPolicyAdmin(StepUpAdmin):
    """The one policy row: which factors together log in."""

    fields = ("password_face", "password_totp", "face_totp", "face_only", "password_only")
    list_display = (
        "__str__",
        "password_face",
        "password_totp",
        "face_totp",
        "face_only",
        "password_only",
        "changed",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        policy = LoginPolicy.current()  # there is always exactly one
        return redirect("admin:accounts_loginpolicy_change", policy.pk)
