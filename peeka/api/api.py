"""`/api/v1`: what other apps call instead of a cloud face API. Each endpoint parses, calls one
flow of `peeka.faces.flows` and answers; every error is a 4xx JSON body `{"code", "message"}`:
the code is stable, the message follows the request's language (Accept-Language).

Subjects ("user" in requests) live in the calling client's namespace: a client can enroll,
verify, identify and delete only its own subjects, never a web account or another client's.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext
from ninja import File, Form, NinjaAPI, Schema, Status, UploadedFile
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyHeader
from pydantic import Field

from peeka.api.docs import docs
from peeka.api.models import ApiClient, hash_key
from peeka.api.services import subject_enroll, subject_get
from peeka.biometrics.challenge import PROMPTS, Step
from peeka.errors import PeekaError
from peeka.faces import flows
from peeka.faces.flows import FaceCheck
from peeka.faces.models import LivenessChallenge
from peeka.faces.services.challenges import MAX_STEP_FRAMES, TimestampsError, timestamps_parse
from peeka.security.client import client_info
from peeka.security.services import ThrottledError, rate_limit
from peeka.security.wording import localized

MAX_IMAGES = 10
_SUBJECT = re.compile(r"[A-Za-z0-9_.@-]{1,100}")


class ApiKey(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiClient | None:
        if not key:
            return None
        client = ApiClient.objects.filter(key_hash=hash_key(key), active=True).first()
        if client is not None:
            ApiClient.objects.filter(pk=client.pk).update(last_used=timezone.now())
            rate_limit(scope="api", ident=str(client.pk))
        return client


api = NinjaAPI(
    title="Peeka",
    version="1",
    description="Face enrollment, verification and identification over protected templates. "
    "Authenticate with the header `X-API-Key` (`peeka apikey create NAME` prints a key). "
    "Responses never contain scores or face data.",
    auth=ApiKey(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=docs,
)


class Error(Schema):
    code: str = Field(description="Stable machine-readable error code")
    message: str = Field(description="What went wrong and what to do, for a human")


class EnrollmentOut(Schema):
    user: str
    scheme: str
    templates: int = Field(description="Protected templates now stored for the subject")


class VerifyOut(Schema):
    match: bool


class IdentifyOut(Schema):
    user: str | None = Field(description="The one matching subject, or null")


ERRORS: dict[int, type[Error]] = {
    400: Error, 401: Error, 404: Error, 413: Error, 422: Error, 429: Error
}  # fmt: skip


@api.post(
    "/enrollments",
    response={201: EnrollmentOut, **ERRORS},
    summary="Enroll a subject from one or more photos (replaces their template)",
)
def create_enrollment(
    request: HttpRequest,
    user: Form[str],
    images: File[list[UploadedFile]],
    scheme: Form[str] = "ckks",
) -> Status[Any]:
    client = _client(request)
    subject_id = _subject_id(user)
    result = subject_enroll(
        client=client,
        subject_id=subject_id,
        frames=_read(images),
        scheme=scheme,
        caller=client_info(request),
    )
    template = result.template
    return Status(201, EnrollmentOut(user=subject_id, scheme=template.scheme, templates=1))


@api.post("/verify", response={200: VerifyOut, **ERRORS}, summary="Is this the subject? (1:1)")
def verify(
    request: HttpRequest,
    user: Form[str],
    image: File[UploadedFile | None] = None,
    challenge: Form[str] = "",
) -> VerifyOut:
    """With `challenge`, a liveness challenge this client started that passed for this subject
    vouches for it (once); with `image`, the image is matched too. One of them is needed."""
    client = _client(request)
    subject = subject_get(client=client, subject_id=_subject_id(user))
    if image is None and not challenge:
        raise ApiProblemError(422, "invalid_request", gettext(_IMAGE_OR_CHALLENGE))
    checked = flows.face_verify(
        user=subject,
        claimed=user,
        frame=_read([image])[0] if image is not None else None,
        client=client_info(request),
        channel="api",
        challenge_id=challenge,
        api_client_id=client.pk,
        accountable=True,
    )
    return VerifyOut(match=_answered(checked))


@api.post("/identify", response={200: IdentifyOut, **ERRORS}, summary="Who is this? (1:N)")
def identify(
    request: HttpRequest, image: File[UploadedFile | None] = None, challenge: Form[str] = ""
) -> IdentifyOut:
    """With `challenge`, the subject a passed identification challenge of this client found
    (once); with `image` alone, 1:N on the image."""
    client = _client(request)
    if image is None and not challenge:
        raise ApiProblemError(422, "invalid_request", gettext(_IMAGE_OR_CHALLENGE))
    checked = flows.face_identify(
        frame=_read([image])[0] if image is not None else None,
        client=client_info(request),
        channel="api",
        challenge_id=challenge,
        api_client_id=client.pk,
    )
    found = checked.user if _answered(checked) else None
    return IdentifyOut(user=found.api_subject if found is not None else None)


@api.delete(
    "/enrollments/{user}",
    response={204: None, **ERRORS},
    summary="Delete a subject and every template of it",
)
def delete_enrollment(request: HttpRequest, user: str) -> Status[Any]:
    client = _client(request)
    subject = subject_get(client=client, subject_id=_subject_id(user))
    if subject is None:
        message = gettext("No subject %(user)s is enrolled by this client.") % {"user": repr(user)}
        raise ApiProblemError(404, "user_not_found", message)
    flows.face_delete(user=subject, client=client_info(request), channel="api")
    return Status(204, None)


class ChallengeOut(Schema):
    id: str
    steps: list[str] = Field(
        description="The steps revealed so far (one: the next is revealed when it passes)"
    )
    step: str = Field(description="The step to do now: blink, turn_left, open_palm, ...")
    prompt: str = Field(description="The step in words, for the user")
    steps_total: int = Field(description="How many steps the challenge has")
    expires_at: float = Field(description="Unix time after which answers are refused")


class LivenessOut(Schema):
    passed: bool
    user: str | None = Field(description="The matched subject, or null")
    done: bool = Field(description="The challenge is over (passed or failed)")
    step: str | None = Field(description="When not done: the step revealed now, to do next")
    prompt: str | None = Field(description="That step in words, for the user")
    steps_done: int = Field(description="Steps passed so far")
    steps_total: int


def challenge_created(row: LivenessChallenge) -> Status[Any]:
    """201 with a new challenge, its first step revealed (every router's challenges)."""
    step = row.steps[0]
    out = ChallengeOut(
        id=row.id,
        steps=row.revealed,
        step=step,
        prompt=gettext(PROMPTS[Step(step)]),
        steps_total=len(row.steps),
        expires_at=row.expires_at,
    )
    return Status(201, out)


def step_answer(frames: list[UploadedFile], timestamps: str) -> tuple[list[bytes], list[int]]:
    """One step's frames (at most a step's worth) and their timestamps, or the API's error."""
    if not frames or len(frames) > MAX_STEP_FRAMES:
        raise ApiProblemError(413, "too_many_files", gettext("Send the frames of one step."))
    try:
        stamps = timestamps_parse(timestamps)
    except TimestampsError as exc:
        raise ApiProblemError(422, exc.code, localized(exc)) from None
    return [frame.read() for frame in frames], stamps


def next_prompt(checked: FaceCheck) -> tuple[str | None, str | None]:
    """The step a going-on challenge revealed, and its prompt (None, None when it ended)."""
    step = checked.next_step or None
    return step, gettext(PROMPTS[Step(step)]) if step else None


@api.post(
    "/liveness/challenges",
    response={201: ChallengeOut, **ERRORS},
    summary="Start a liveness challenge (for one subject, or for identification)",
)
def create_challenge(request: HttpRequest, user: Form[str] = "") -> Status[Any]:
    """The challenge's first step is revealed now, on the server's clock; record the user
    doing it and send its frames within seconds. Each start counts toward the subject's face
    lockout until a challenge passes."""
    client = _client(request)
    subject = subject_get(client=client, subject_id=_subject_id(user)) if user else None
    # An unknown subject gets a challenge like any other; its answer cannot pass.
    row = flows.challenge_start(
        purpose="api",
        client=client_info(request),
        user=subject,
        claimed=user,
        api_client_id=client.pk,
        accountable=True,
    )
    return challenge_created(row)


@api.post(
    "/liveness/challenges/{challenge_id}/frames",
    response={200: LivenessOut, **ERRORS},
    summary="Answer the revealed step with its frames (JPEG, in order) and timestamps (ms)",
)
def answer_challenge(
    request: HttpRequest,
    challenge_id: str,
    frames: File[list[UploadedFile]],
    timestamps: Form[str],
) -> LivenessOut:
    client = _client(request)
    try:
        stamps = timestamps_parse(timestamps)
    except TimestampsError as exc:
        raise ApiProblemError(422, exc.code, localized(exc)) from None
    checked = flows.challenge_answer(
        challenge_id=challenge_id,
        purpose="api",
        frames=_read(frames, limit=MAX_STEP_FRAMES),
        timestamps_ms=stamps,
        client=client_info(request),
        api_client_id=client.pk,
    )
    if checked.reason == "challenge_not_found":
        message = gettext("No such challenge for this client.")
        raise ApiProblemError(404, "challenge_not_found", message)
    found = checked.user.api_subject if checked.passed and checked.user is not None else None
    step, prompt = next_prompt(checked)
    return LivenessOut(
        passed=found is not None,
        user=found,
        done=not checked.going_on,
        step=step,
        prompt=prompt,
        steps_done=checked.steps_done,
        steps_total=checked.steps_total,
    )


def _answered(checked: FaceCheck) -> bool:
    """The flow's answer, or the upload's image error (400 with its code: the attempt is
    audited and counted all the same)."""
    if checked.image_error is not None:
        raise checked.image_error
    return checked.passed


class ApiProblemError(Exception):
    """An answer other than 200: `status` with the JSON body {"code", "message"}; routers
    mounted on this API (the applications') raise it too, from their auth classes as well."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message}, status=status)


@api.exception_handler(ApiProblemError)
def _on_problem(request: HttpRequest, exc: ApiProblemError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message)


@api.exception_handler(ThrottledError)
def _on_throttled(request: HttpRequest, exc: ThrottledError) -> HttpResponse:
    response = _error(request, 429, exc.code, str(exc))
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(PeekaError)
def _on_peeka_error(request: HttpRequest, exc: PeekaError) -> HttpResponse:
    return _error(request, 400, exc.code, localized(exc))


_IMAGE_OR_CHALLENGE = gettext_noop("Send an image, a passed challenge, or both.")
# What pydantic found wrong with a field (its error `type`), in words that translate; the
# field's name stays as the client sent it.
_FIELD_PROBLEMS: dict[str, str] = {
    "missing": gettext_noop("%(field)s is required."),
    "string_type": gettext_noop("%(field)s must be text."),
    "string_too_short": gettext_noop("%(field)s is too short."),
    "string_too_long": gettext_noop("%(field)s is too long."),
    "string_pattern_mismatch": gettext_noop("%(field)s has characters it may not have."),
    "int_type": gettext_noop("%(field)s must be a whole number."),
    "int_parsing": gettext_noop("%(field)s must be a whole number."),
    "int_from_float": gettext_noop("%(field)s must be a whole number."),
    "float_type": gettext_noop("%(field)s must be a number."),
    "float_parsing": gettext_noop("%(field)s must be a number."),
    "bool_type": gettext_noop("%(field)s must be true or false."),
    "bool_parsing": gettext_noop("%(field)s must be true or false."),
    "list_type": gettext_noop("%(field)s must be a list."),
    "too_short": gettext_noop("%(field)s has too few items."),
    "too_long": gettext_noop("%(field)s has too many items."),
}
_FIELD_INVALID = gettext_noop("%(field)s is not valid.")
_LOCATIONS = frozenset({"body", "form", "file", "query", "path", "header", "cookie"})


@api.exception_handler(ValidationError)
def _on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Which fields are missing or wrong, in the request's language (pydantic's own messages
    are English only)."""
    parts = []
    for error in exc.errors:
        field = ".".join(str(p) for p in error.get("loc", ()) if p not in _LOCATIONS)
        problem = _FIELD_PROBLEMS.get(str(error.get("type", "")), _FIELD_INVALID)
        parts.append(gettext(problem) % {"field": field or gettext("the request")})
    message = " ".join(parts) or gettext("The request is not valid.")
    return _error(request, 422, "invalid_request", message)


@api.exception_handler(AuthenticationError)
def _on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = gettext("Send a valid API key in the X-API-Key header.")
    return _error(request, 401, "unauthorized", message)


_HTTP_ERRORS = {
    400: gettext_noop("The request could not be read."),
    403: gettext_noop("This request is not allowed."),
    404: gettext_noop("No such API endpoint; the endpoints are listed at /api/v1/docs."),
    405: gettext_noop("This endpoint does not take that method."),
}


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # django-ninja's own refusals (a body it cannot parse, ...) carry English text only.
    status = exc.status_code
    known = _HTTP_ERRORS.get(status)
    message = (
        gettext(known)
        if known
        else gettext("The request failed (%(status)d).") % {"status": status}
    )
    return _error(request, status, "http_error", message)


@api.exception_handler(RequestDataTooBig)
def _on_too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    message = gettext("The request is too large; send smaller images.")
    return _error(request, 413, "request_too_large", message)


@api.exception_handler(TooManyFilesSent)
def _on_too_many(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 413, "too_many_files", _at_most(MAX_IMAGES))


@api.exception_handler(TooManyFieldsSent)
def _on_too_many_fields(request: HttpRequest, exc: Exception) -> HttpResponse:
    message = gettext("The request has too many form fields.")
    return _error(request, 413, "too_many_fields", message)


@api.exception_handler(MultiPartParserError)
def _on_bad_body(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A multipart Content-Type without a usable boundary, an undecodable base64 part, ...:
    # without this, Django's HTML 400 page would answer instead of the API's JSON.
    message = gettext("The request body is not valid multipart/form-data.")
    return _error(request, 400, "malformed_body", message)


def _client(request: HttpRequest) -> ApiClient:
    client: Any = getattr(request, "auth", None)
    assert isinstance(client, ApiClient)  # the API's auth guarantees it
    return client


def _subject_id(user: str) -> str:
    if not _SUBJECT.fullmatch(user):
        message = gettext("user must be 1-100 of letters, digits and _ . @ -.")
        raise ApiProblemError(422, "invalid_user", message)
    return user


def _read(images: list[UploadedFile], limit: int = MAX_IMAGES) -> list[bytes]:
    if not images:
        raise ApiProblemError(422, "no_image", gettext("Send at least one image."))
    if len(images) > limit:
        raise ApiProblemError(413, "too_many_files", _at_most(limit))
    return [image.read() for image in images]


def _at_most(limit: int) -> str:
    return ngettext("Send at most %(count)d image.", "Send at most %(count)d images.", limit) % {
        "count": limit
    }
