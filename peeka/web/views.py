from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from peeka.faces.models import FaceTemplate


def home(request: HttpRequest) -> HttpResponse:
    enrolled = (
        request.user.is_authenticated
        and FaceTemplate.objects.filter(user_id=request.user.pk).exists()
    )
    return render(request, "web/home.html", {"enrolled": enrolled})
