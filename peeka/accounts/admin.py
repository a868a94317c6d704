"""Admin for accounts and the login policy. Adding, changing or deleting a user, the policy or
an API key is a sensitive action: the admin steps up first, by more than the password alone
(staff always have a second factor: `peeka.accounts.middleware`). "Set a temporary password"
is how a user without e-mail gets back in: shown once to the administrator, audited, and
changed by the user at the next login."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext, gettext_lazy

from peeka.accounts import mfa, otp, services
from peeka.accounts.factors import factor_enrolled
from peeka.accounts.models import LoginPolicy, User
from peeka.security.client import client_info


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
    list_filter = ("is_staff", "is_superuser", "is_active", "must_change_password")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            gettext_lazy("Peeka"),
            {"fields": ("display_name", "language", "time_zone", "must_change_password")},
        ),
    )
    actions = ("set_temporary_password",)

    @admin.display(description=gettext_lazy("Face"), boolean=True)
    def face(self, user: User) -> bool:
        return factor_enrolled("face", user)

    @admin.display(description=gettext_lazy("Authenticator app"), boolean=True)
    def authenticator_app(self, user: User) -> bool:
        return otp.has_totp(user)

    @admin.action(description=gettext_lazy("Set a temporary password"), permissions=["change"])
    def set_temporary_password(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> TemplateResponse:
        """A new random password for each selected web account, shown once on the next page;
        each user must choose their own after logging in with it. API subjects (no password)
        and inactive accounts are skipped."""
        client = client_info(request)
        issued = []
        chosen = list(queryset)
        for user in chosen:
            if user.api_client_id is not None or not user.is_active:
                continue
            password = services.password_temporary_set(user=user, client=client)
            self.log_change(request, user, gettext("Set a temporary password."))
            issued.append((user, password))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Temporary passwords"),
            "issued": issued,
            "skipped": len(chosen) - len(issued),
        }
        response = TemplateResponse(request, "admin/accounts/user/temporary_password.html", context)
        add_never_cache_headers(response)  # the page shows the passwords
        return response

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
