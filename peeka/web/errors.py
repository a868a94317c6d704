"""JSON errors where clients expect JSON. The camera pages' endpoints (/face/) and the API
(/api/) get their request bodies parsed here, before the CSRF check or a view would parse them,
so a body too large, with too many files or fields, or not multipart at all is answered with
JSON `{"code", "message"}` (413/400) instead of Django's HTML page; and every error answer
under /api/, whichever layer made it (an unknown route, a wrong method), is JSON too."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

JSON_PREFIXES = ("/api/", "/face/")
API_PREFIX = "/api/"
# Codes stay the same in every language; messages follow the request's language.
_ERRORS = {
    400: ("malformed_body", gettext_noop("The request could not be read.")),
    403: ("forbidden", gettext_noop("This request is not allowed.")),
    404: (
        "not_found",
        gettext_noop("No such API endpoint; the endpoints are listed at /api/v1/docs."),
    ),
    405: ("method_not_allowed", gettext_noop("This endpoint does not take that method.")),
    413: ("request_too_large", gettext_noop("The request is too large; send smaller images.")),
    500: ("server_error", gettext_noop("Something went wrong on the server; try again.")),
}
_PARSE_ERRORS: tuple[tuple[type[Exception], int, str, str], ...] = (
    (RequestDataTooBig, 413, "request_too_large", gettext_noop(
        "The request is too large; send fewer or smaller pictures (40 MB in all, 20 MB each).")),
    (TooManyFilesSent, 413, "too_many_files", gettext_noop("The request has too many files.")),
    (TooManyFieldsSent, 413, "too_many_fields", gettext_noop(
        "The request has too many form fields.")),
    (MultiPartParserError, 400, "malformed_body", gettext_noop(
        "The request body is not valid multipart/form-data.")),
)  # fmt: skip
_KEPT_HEADERS = ("Allow", "Retry-After")


class JsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(JSON_PREFIXES) and request.method == "POST":
            refused = _parse(request)
            if refused is not None:
                return refused
        response = self.get_response(request)
        if (
            not request.path.startswith(API_PREFIX)
            or response.status_code < 400
            or str(response.get("Content-Type", "")).startswith("application/json")
        ):
            return response
        status = response.status_code
        code, message = _ERRORS.get(status, ("http_error", ""))
        if message:
            text = gettext(message)
        else:
            text = gettext("The request failed (%(status)d).") % {"status": status}
        answer = JsonResponse({"code": code, "message": text}, status=status)
        for header in _KEPT_HEADERS:
            if header in response:
                answer[header] = response[header]
        return answer


def _parse(request: HttpRequest) -> JsonResponse | None:
    """Parse the body now (Django keeps the result for the view); its refusal as JSON."""
    try:
        request.POST  # noqa: B018  (parses the body, files included)
    except Exception as exc:
        for kind, status, code, message in _PARSE_ERRORS:
            if isinstance(exc, kind):
                # A failed parse leaves the request without a body; nothing may read it again.
                # This runs before the locale middleware: the language comes from the request.
                with translation.override(translation.get_language_from_request(request)):
                    text = gettext(message)
                return JsonResponse({"code": code, "message": text}, status=status)
        raise
    return None
