"""After a login, a user whose face template is on an older face model is asked to renew it:
it keeps working (probes are embedded with its model), but only a new enrollment can move it
to today's model, since a protected template cannot be converted."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from peeka.faces import selectors
from peeka.faces.services.gallery import gallery_remove


def ask_to_renew(sender: Any, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any) -> None:
    if request is None or not selectors.templates_to_renew(user=user):
        return
    messages.warning(
        request,
        format_html(
            "Your face was enrolled with an older face model. It still works, but please <a "
            'href="{}" id="renew-face">renew it</a>: the new model recognises you more '
            "reliably.",
            reverse("faces:enroll"),
        ),
        fail_silently=True,  # a login without the messages middleware (a test's force_login)
    )


def leave_gallery(sender: Any, instance: AbstractBaseUser, **kwargs: Any) -> None:
    """A user deleted by any path (the admin, an API client's deletion) leaves no descriptor
    in a gallery slot: the slot is flooded before the row goes."""
    gallery_remove(user=instance)
