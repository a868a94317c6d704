"""`/api/v1`: what other apps call instead of a cloud face API. Thin views over
`peeka.faces.services`; every error is a 4xx JSON body `{"code", "message"}`.

Subjects ("user" in requests) live in the calling client's namespace: a client can enroll,
verify, identify and delete only its own subjects, never a web account or another client's.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from ninja import File, Form, NinjaAPI, Schema, Status, UploadedFile
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyHeader
from pydantic import Field

from peeka.accounts.models import User
from peeka.api.models import ApiClient, hash_key
from peeka.errors import PeekaError
from peeka.faces import abuse, liveness, services
from peeka.faces.models import LivenessChallenge

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
            abuse.limit("api", str(client.pk), abuse.per_minute("api"))
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
    frames = _read(images)
    with transaction.atomic():
        subject = _subject(client, subject_id, create=True)
        assert subject is not None
        result = services.enroll(subject, frames, scheme, min_frames=1)
    return Status(201, EnrollmentOut(user=subject_id, scheme=result.template.scheme, templates=1))


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
    subject = _subject(client, _subject_id(user), create=False)
    if image is None and not challenge:
        raise _ProblemError(422, "invalid_request", "Send an image, a passed challenge, or both.")
    match, reason = True, "ok"
    if challenge:
        vouched = liveness.consume(challenge, user=subject, api_client=client)
        match, reason = (vouched is not None and subject is not None), "liveness_not_passed"
        reason = "ok" if match else reason
    if match and image is not None:
        match, reason = services.verify(subject, _read([image])[0])
    services.audit(
        "api_verify", success=match, reason=reason, user=subject, username=user,
        client=services.client(request),
    )  # fmt: skip
    return VerifyOut(match=match)


@api.post("/identify", response={200: IdentifyOut, **ERRORS}, summary="Who is this? (1:N)")
def identify(
    request: HttpRequest, image: File[UploadedFile | None] = None, challenge: Form[str] = ""
) -> IdentifyOut:
    """With `challenge`, the subject a passed identification challenge of this client found
    (once); with `image` alone, 1:N on the image."""
    client = _client(request)
    subject: User | None
    if challenge:
        vouched = liveness.consume(challenge, api_client=client)
        subject = vouched.matched_user if vouched is not None else None
        reason = "ok" if subject is not None else "liveness_not_passed"
        if subject is not None and image is not None:
            matched, reason = services.verify(subject, _read([image])[0])
            subject = subject if matched else None
    elif image is not None:
        subject, reason = services.identify(_read([image])[0], api_client=client)
    else:
        raise _ProblemError(422, "invalid_request", "Send an image, a passed challenge, or both.")
    services.audit(
        "api_identify", success=subject is not None, reason=reason, user=subject,
        client=services.client(request),
    )  # fmt: skip
    return IdentifyOut(user=subject.api_subject if subject is not None else None)


@api.delete(
    "/enrollments/{user}",
    response={204: None, **ERRORS},
    summary="Delete a subject and every template of it",
)
def delete_enrollment(request: HttpRequest, user: str) -> Status[Any]:
    client = _client(request)
    subject = _subject(client, _subject_id(user), create=False)
    if subject is None:
        raise _ProblemError(
            404, "user_not_found", f"No subject {user!r} is enrolled by this client."
        )
    services.delete_templates(subject)
    subject.delete()
    return Status(204, None)


class ChallengeOut(Schema):
    id: str
    steps: list[str] = Field(description="What to do, in order: blink, turn_left, ...")
    expires_at: float = Field(description="Unix time after which answers are refused")


class LivenessOut(Schema):
    passed: bool
    user: str | None = Field(description="The matched subject, or null")


@api.post(
    "/liveness/challenges",
    response={201: ChallengeOut, **ERRORS},
    summary="Start a liveness challenge (for one subject, or for identification)",
)
def create_challenge(request: HttpRequest, user: Form[str] = "") -> Status[Any]:
    client = _client(request)
    subject = _subject(client, _subject_id(user), create=False) if user else None
    # An unknown subject gets a challenge like any other; its answer cannot pass.
    row = liveness.new_challenge("api", user=subject, claimed=user, api_client=client)
    return Status(201, ChallengeOut(id=row.id, steps=row.steps, expires_at=row.expires_at))


@api.post(
    "/liveness/challenges/{challenge_id}/frames",
    response={200: LivenessOut, **ERRORS},
    summary="Answer a challenge with the recorded frames (JPEG, in order) and timestamps (ms)",
)
def answer_challenge(
    request: HttpRequest,
    challenge_id: str,
    frames: File[list[UploadedFile]],
    timestamps: Form[str],
) -> LivenessOut:
    client = _client(request)
    row = LivenessChallenge.objects.filter(pk=challenge_id, api_client=client).first()
    if row is None:
        raise _ProblemError(404, "challenge_not_found", "No such challenge for this client.")
    try:
        stamps = [int(v) for v in timestamps.split(",") if v.strip()]
    except ValueError:
        raise _ProblemError(
            422, "invalid_timestamps", "timestamps must be comma-separated milliseconds."
        ) from None
    result = liveness.answer(
        row, _read(frames, limit=liveness.MAX_FRAMES), stamps, client=services.client(request)
    )
    found = result.user.api_subject if result.passed and result.user is not None else None
    return LivenessOut(passed=found is not None, user=found)


class _ProblemError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message}, status=status)


@api.exception_handler(_ProblemError)
def _on_problem(request: HttpRequest, exc: _ProblemError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message)


@api.exception_handler(abuse.ThrottledError)
def _on_throttled(request: HttpRequest, exc: abuse.ThrottledError) -> HttpResponse:
    response = _error(request, 429, exc.code, str(exc))
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(PeekaError)
def _on_peeka_error(request: HttpRequest, exc: PeekaError) -> HttpResponse:
    return _error(request, 400, exc.code, str(exc))


@api.exception_handler(ValidationError)
def _on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    parts = []
    for error in exc.errors:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "form"))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return _error(request, 422, "invalid_request", "; ".join(parts) or "Invalid request.")


@api.exception_handler(AuthenticationError)
def _on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthorized", "Send a valid API key in the X-API-Key header.")


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(RequestDataTooBig)
def _on_too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(
        request, 413, "request_too_large", "The request is too large; send smaller images."
    )


@api.exception_handler(TooManyFilesSent)
def _on_too_many(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 413, "too_many_files", f"Send at most {MAX_IMAGES} images.")


@api.exception_handler(TooManyFieldsSent)
def _on_too_many_fields(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 413, "too_many_fields", "The request has too many form fields.")


@api.exception_handler(MultiPartParserError)
def _on_bad_body(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A multipart Content-Type without a usable boundary, an undecodable base64 part, ...:
    # without this, Django's HTML 400 page would answer instead of the API's JSON.
    return _error(
        request, 400, "malformed_body", "The request body is not valid multipart/form-data."
    )


def _client(request: HttpRequest) -> ApiClient:
    client: Any = getattr(request, "auth", None)
    assert isinstance(client, ApiClient)  # the API's auth guarantees it
    return client


def _subject_id(user: str) -> str:
    if not _SUBJECT.fullmatch(user):
        raise _ProblemError(
            422, "invalid_user", "user must be 1-100 of letters, digits and _ . @ -."
        )
    return user


def _subject(client: ApiClient, subject_id: str, *, create: bool) -> User | None:
    subject = User.objects.filter(api_client=client, api_subject=subject_id).first()
    if subject is None and create:
        subject = User(
            username=f"{client.pk}/{subject_id}", api_client=client, api_subject=subject_id
        )
        subject.set_unusable_password()
        subject.save()
    return subject


def _read(images: list[UploadedFile], limit: int = MAX_IMAGES) -> list[bytes]:
    if not images:
        raise _ProblemError(422, "no_image", "Send at least one image.")
    if len(images) > limit:
        raise _ProblemError(413, "too_many_files", f"Send at most {limit} images.")
    return [image.read() for image in images]
