from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from peeka.faces.models import FaceTemplate


def home(request: HttpRequest) -> HttpResponse:
    enrolled = (
        request.user.is_authenticated
        and FaceTemplate.objects.filter(user_id=request.user.pk).exists()
    )
    return render(request, "web/home.html", {"enrolled": enrolled})


def admin_login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """The admin's login page: Peeka's login, then back to the admin."""
    target = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")
