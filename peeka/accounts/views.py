"""Account pages: register, profile, delete. Login, logout and password change are Django's
own views (login rotates the session key), wired in urls.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from peeka.accounts.forms import PasswordCheckForm, ProfileForm, RegisterForm
from peeka.accounts.models import User
from peeka.faces import abuse, services


class LoginView(auth_views.LoginView):
    """Django's login view, rate-limited per client IP."""

    template_name = "accounts/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            ip = str(request.META.get("REMOTE_ADDR") or "unknown")
            abuse.limit("password", ip, abuse.per_minute("password"))
        except abuse.ThrottledError as exc:
            context = {"form": self.get_form(), "throttled": str(exc)}
            response = render(request, self.template_name, context, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        return super().post(request, *args, **kwargs)


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if settings.PEEKA_REGISTRATION != "open":
        raise Http404("Registration is closed; ask an administrator for an account.")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome! Add your face to log in without a password.")
        return redirect("faces:enroll")
    return render(request, "accounts/register.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_http_methods(["GET"])
def export(request: HttpRequest) -> HttpResponse:
    """Everything stored about the signed-in user, as a JSON download."""
    response = JsonResponse(services.personal_data(_user(request)), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="peeka-my-data.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = PasswordCheckForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.delete_templates(user)
        services.audit("account_delete", success=True, user=user, client=services.client(request))
        logout(request)
        user.delete()
        messages.success(request, "Your account and every face template of it are deleted.")
        return redirect("web:home")
    return render(request, "accounts/delete.html", {"form": form})


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required guarantees it
    return user
