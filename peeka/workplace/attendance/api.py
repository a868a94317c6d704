"""`/api/v1/workplace`: a kiosk device's API (a hardware terminal, or a kiosk app on a
tablet). It authenticates with the header `X-Device-Key` (the key `peeka org kiosk NAME`
printed once); a wrong or revoked key is 401. Errors are the API's JSON `{"code", "message"}`.

A punch needs a passed identification challenge of that device (the member confirmed the name
the challenge's answer gave), or, where the deployment turned liveness off, an image."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.security import APIKeyHeader
from pydantic import Field

from peeka.api.api import (
    ERRORS,
    ApiProblemError,
    ChallengeOut,
    challenge_created,
    next_prompt,
    step_answer,
)
from peeka.faces import flows
from peeka.security.client import client_info
from peeka.workplace.attendance import selectors, services
from peeka.workplace.attendance.models import KioskDevice


class DeviceKey(APIKeyHeader):
    param_name = "X-Device-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> KioskDevice:
        device = selectors.kiosk_find(key=key or "")
        if device is None:
            message = gettext("Send an active kiosk's device key in the X-Device-Key header.")
            raise ApiProblemError(401, "unauthorized", message)
        return device


router = Router(auth=DeviceKey(), tags=["workplace"])


class PunchOut(Schema):
    member: str | None = Field(description="The member's username, or null for an unknown face")
    direction: Literal["in", "out"] | None = Field(description="null when nobody was punched")
    at: dt.datetime = Field(description="When, on the server's clock")


class KioskLivenessOut(Schema):
    passed: bool
    member: str | None = Field(description="The member found, to confirm before the punch")
    name: str | None = Field(description="The member's name, to show")
    done: bool = Field(description="The challenge is over (passed or failed)")
    step: str | None = Field(description="When not done: the step revealed now, to do next")
    prompt: str | None = Field(description="That step in words, for the member")
    steps_done: int
    steps_total: int


def _device(request: HttpRequest) -> KioskDevice:
    device: Any = getattr(request, "auth", None)
    assert isinstance(device, KioskDevice)  # DeviceKey guarantees it
    return device


@router.post(
    "/challenges",
    response={201: ChallengeOut, **ERRORS},
    summary="Start an identification challenge on this kiosk",
)
def create_challenge(request: HttpRequest) -> Status[Any]:
    device = _device(request)
    row = flows.challenge_start(purpose="kiosk", client=client_info(request), scope=device.scope)
    return challenge_created(row)


@router.post(
    "/challenges/{challenge_id}/frames",
    response={200: KioskLivenessOut, **ERRORS},
    summary="Answer the revealed step; after the last, the member to confirm",
)
def answer_challenge(
    request: HttpRequest,
    challenge_id: str,
    frames: File[list[UploadedFile]],
    timestamps: Form[str],
) -> KioskLivenessOut:
    device = _device(request)
    images, stamps = step_answer(frames, timestamps)
    checked, member = services.kiosk_identify_step(
        device=device,
        challenge_id=challenge_id,
        frames=images,
        timestamps_ms=stamps,
        client=client_info(request),
    )
    if checked.reason == "challenge_not_found":
        message = gettext("No such challenge for this kiosk.")
        raise ApiProblemError(404, "challenge_not_found", message)
    step, prompt = next_prompt(checked)
    return KioskLivenessOut(
        passed=member is not None,
        member=member.user.get_username() if member is not None else None,
        name=member.name if member is not None else None,
        done=not checked.going_on,
        step=step,
        prompt=prompt,
        steps_done=checked.steps_done,
        steps_total=checked.steps_total,
    )


@router.post("/punch", response={200: PunchOut, **ERRORS}, summary="Punch a member in or out")
def punch(
    request: HttpRequest, image: File[UploadedFile | None] = None, challenge: Form[str] = ""
) -> PunchOut:
    """With `challenge`: the member a passed identification challenge of this kiosk found
    (once). With `image` (only where liveness is off): the member in the picture. The
    direction follows the member's state; an unknown face punches nobody."""
    device = _device(request)
    if (image is None) == (not challenge):
        message = gettext("Send either a passed challenge or an image.")
        raise ApiProblemError(422, "invalid_request", message)
    client = client_info(request)
    if challenge:
        try:
            punched = services.kiosk_face_punch(
                device=device, challenge_id=challenge, client=client
            )
        except services.KioskError as exc:
            if exc.code != "face_not_confirmed":
                raise
            punched = None
    else:
        assert image is not None
        punched = services.kiosk_image_punch(device=device, image=image.read(), client=client)
    if punched is None:
        return PunchOut(member=None, direction=None, at=timezone.now())
    return PunchOut(
        member=punched.member.user.get_username(),
        direction=punched.punch.direction,  # type: ignore[arg-type]
        at=punched.punch.at,
    )
