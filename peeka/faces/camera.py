"""What every camera page's JSON endpoints share, here and in the applications (the kiosk,
approvals, payments): the per-address rate limit and its 429, the frames and timestamps of a
step, a new challenge, the next step and a step's answer as the camera script (`camera.js`)
reads them."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext

from peeka.biometrics.challenge import PROMPTS, Step
from peeka.faces.flows import FaceCheck
from peeka.faces.models import LivenessChallenge
from peeka.faces.services.challenges import TimestampsError, timestamps_parse
from peeka.security.client import client_ip
from peeka.security.services import ThrottledError, rate_limit
from peeka.security.wording import localized, localized_text

Endpoint = Callable[..., JsonResponse]


def throttled(view: Endpoint) -> Endpoint:
    """Rate-limit a face endpoint per client IP; answer `ThrottledError` with 429 (and
    Retry-After) and malformed timestamps with 400."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        try:
            rate_limit(scope="face", ident=client_ip(request))
            return view(request, *args, **kwargs)
        except TimestampsError as exc:
            return JsonResponse(
                {"passed": False, "code": exc.code, "message": localized(exc)}, status=400
            )
        except ThrottledError as exc:
            return throttled_response(exc, passed=False, done=True)

    return wrapper


def throttled_response(exc: ThrottledError, **fields: object) -> JsonResponse:
    response = JsonResponse({**fields, "code": exc.code, "message": str(exc)}, status=429)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


def challenge_json(row: LivenessChallenge) -> JsonResponse:
    """A new challenge: its id and first step."""
    step = row.steps[0]
    return JsonResponse(
        {
            "id": row.id,
            "step": step,
            "prompt": gettext(PROMPTS[Step(step)]),
            "index": 0,
            "count": len(row.steps),
            "expires_at": row.expires_at,
        }
    )


def next_step(checked: FaceCheck) -> dict[str, object]:
    """The step of a challenge revealed now."""
    return {
        "step": checked.next_step,
        "prompt": gettext(PROMPTS[Step(checked.next_step)]),
        "index": checked.steps_done,
        "count": checked.steps_total,
    }


def step_json(
    checked: FaceCheck, result: Mapping[str, object] | None, **failed: object
) -> JsonResponse:
    """The answer to one step of a camera page's check: the next step while it goes on; once
    it ended, the page's `result` when it passed, else the hint (and `failed`)."""
    if checked.going_on:
        return JsonResponse({"passed": False, **next_step(checked)})
    if result is None:
        return JsonResponse({"passed": False, "hint": localized_text(checked.hint), **failed})
    return JsonResponse({"passed": True, **result})


def frames_of(request: HttpRequest) -> list[bytes]:
    return [f.read() for f in request.FILES.getlist("frames")]


def timestamps_of(request: HttpRequest) -> list[int]:
    """The frames' timestamps; `TimestampsError` (answered 400 by `throttled`) when malformed."""
    return timestamps_parse(request.POST.get("timestamps", ""))
