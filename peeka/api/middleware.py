"""Every answer under /api/ is JSON `{"code", "message"}`, including those made outside the API's
own views: an unknown route, a wrong method, a body Django refused before any view ran."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

PREFIX = "/api/"
_ERRORS = {
    400: ("malformed_body", "The request could not be read."),
    403: ("forbidden", "This request is not allowed."),
    404: ("not_found", "No such API endpoint; the endpoints are listed at /api/v1/docs."),
    405: ("method_not_allowed", "This endpoint does not take that method."),
    413: ("request_too_large", "The request is too large; send smaller images."),
    500: ("server_error", "Something went wrong on the server; try again."),
}
_KEPT_HEADERS = ("Allow", "Retry-After")


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not request.path.startswith(PREFIX)
            or response.status_code < 400
            or str(response.get("Content-Type", "")).startswith("application/json")
        ):
            return response
        status = response.status_code
        code, message = _ERRORS.get(status, ("http_error", f"The request failed ({status})."))
        answer = JsonResponse({"code": code, "message": message}, status=status)
        for header in _KEPT_HEADERS:
            if header in response:
                answer[header] = response[header]
        return answer
