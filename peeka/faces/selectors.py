"""Reads about faces: whether and with which model a user is enrolled, what the "My face data"
page and the data export show of the templates, and the challenge an answer names."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count

from peeka.accounts.models import User
from peeka.faces.models import FaceTemplate, LivenessChallenge
from peeka.faces.services.protection import enrollment_model, scheme_for
from peeka.protection.envelope import JsonValue
from peeka.protection.schemes import TemplatePreview


def template_exists(*, user: AbstractBaseUser) -> bool:
    return FaceTemplate.objects.filter(user_id=user.pk).exists()


def template_models(*, user: User) -> list[str]:
    """The embedding models of `user`'s templates (one template per user today)."""
    return list(FaceTemplate.objects.filter(user=user).values_list("model", flat=True))


def challenge_find(
    *,
    challenge_id: str,
    purpose: str,
    user: User | None = None,
    api_client_id: int | None = None,
    scope: str = "",
) -> LivenessChallenge | None:
    """The challenge an answer names, if it is of `purpose`, issued to `user` when given, and
    started by API client `api_client_id` (None: on the web pages) in `scope` (an application's
    device, "" for none)."""
    rows = LivenessChallenge.objects.filter(
        pk=challenge_id, purpose=purpose, api_client_id=api_client_id, scope=scope
    )
    return (rows.filter(user=user) if user is not None else rows).first()


_NOT_SHOWN = ("center_sha256", "model")
"""A fingerprint of deployment data, and the model (shown on its own)."""


@dataclass(frozen=True)
class TemplateView:
    """What the "My face data" page shows of one template."""

    template: FaceTemplate
    scheme: str
    model: str
    params: dict[str, JsonValue]
    key_id: str
    size: int
    sha256: str
    preview: TemplatePreview
    must_renew: bool
    """Made with another face model than new enrollments use: it still works, but the user
    should enroll again (the engine cannot convert a protected template)."""


def template_views(*, user: AbstractBaseUser) -> list[TemplateView]:
    views = []
    for template in FaceTemplate.objects.filter(user_id=user.pk):
        protection = scheme_for(template.scheme, model=template.model)
        data = bytes(template.data)
        info = protection.describe(data)
        views.append(
            TemplateView(
                template=template,
                scheme=info.scheme,
                model=template.model,
                params={
                    k: v for k, v in info.params.items() if k not in ("center_sha256", "model")
                },
                key_id=info.key_id,
                size=info.size,
                sha256=info.sha256,
                preview=protection.preview(data),
                must_renew=template.model != enrollment_model(),
            )
        )
    return views


def templates_to_renew(*, user: AbstractBaseUser) -> int:
    """How many of `user`'s templates are on another face model than new enrollments."""
    return FaceTemplate.objects.filter(user_id=user.pk).exclude(model=enrollment_model()).count()


@dataclass(frozen=True)
class TemplateCount:
    model: str
    scheme: str
    templates: int
    current: bool
    """On the model new enrollments use."""


def templates_status() -> list[TemplateCount]:
    """How many templates each (face model, scheme) holds, web users and API subjects alike."""
    today = enrollment_model()
    rows = (
        FaceTemplate.objects.values("model", "scheme")
        .annotate(templates=Count("id"))
        .order_by("model", "scheme")
    )
    return [
        TemplateCount(r["model"], r["scheme"], int(r["templates"]), r["model"] == today)
        for r in rows
    ]


def templates_export(user: AbstractBaseUser) -> list[dict[str, object]]:
    """The templates' metadata and fingerprints for the user's data export: they are
    protected, and no face can be read from them. (The privacy registry's exporter.)"""
    return [
        {
            "scheme": view.scheme,
            "model": view.model,
            "params": view.params,
            "key_id": view.key_id,
            "size": view.size,
            "sha256": view.sha256,
            "created": view.template.created.isoformat(),
            "frames_used": view.template.frames_used,
            "consent_version": view.template.consent_version,
            "consented_at": view.template.created.isoformat(),
        }
        for view in template_views(user=user)
    ]
