"""Practice pages: cover letters (list, write, change, versions), question sets (generate,
regenerate, history), answers (autosaved) and feedback (streamed while it is written).

The feedback endpoint answers a script that asks for `application/x-ndjson` with one JSON
object a line: {"text": ...} pieces as the provider writes them, then {"done": true, "url": ...}
or {"code": ..., "message": ...}. Without it (no JavaScript) the answer is saved, the feedback
given, and the page shown again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext, override
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peeka.accounts.models import User
from peeka.coach import selectors
from peeka.coach.forms import AskForm, InterviewForm, LetterForm, letter_items
from peeka.coach.models import ANSWER_MAX, LETTER_ITEMS_MAX, CoverLetter, QuestionSet
from peeka.coach.services import practice
from peeka.coach.services.practice import LetterContent, PracticeError
from peeka.llm.types import CRITERIA
from peeka.security.wording import localized

NDJSON = "application/x-ndjson"
MAX_ANSWER_BYTES = 16 * 1024
"""An autosave or feedback request's body: 1,000 characters of Korean or Chinese are 3,000
bytes in UTF-8, percent-encoded at most 9,000; anything longer is refused from its
Content-Length before the answer is looked at (the CSRF check has parsed the form by then,
within Django's DATA_UPLOAD_MAX_MEMORY_SIZE)."""


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _letter(request: HttpRequest, letter_id: int) -> CoverLetter:
    letter = selectors.letter_get(user=request.user, letter_id=letter_id)
    if letter is None:
        raise Http404(gettext("No such cover letter."))
    return letter


def _set(request: HttpRequest, set_id: int) -> QuestionSet:
    question_set = selectors.question_set_get(user=request.user, set_id=set_id)
    if question_set is None:
        raise Http404(gettext("No such question set."))
    return question_set


def _language() -> str:
    language = (get_language() or "ko").lower()
    if language.startswith("zh"):
        return "zh-hans"
    return "en" if language.startswith("en") else "ko"


@login_required
@require_GET
def letters(request: HttpRequest) -> HttpResponse:
    context = {
        "letters": selectors.letters_of(user=request.user),
        "interviews": selectors.interviews_of(user=request.user)[:20],
    }
    return render(request, "coach/letters.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def letter_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _write(request, None)
    form = LetterForm(initial={"company_name": request.GET.get("company", "")[:200]})
    return _form(request, form, [("", "")] * 3, None)


@login_required
@require_http_methods(["GET", "POST"])
def letter_edit(request: HttpRequest, letter_id: int) -> HttpResponse:
    letter = _letter(request, letter_id)
    if request.method == "POST":
        return _write(request, letter)
    form = LetterForm(
        initial={
            "title": letter.title,
            "company_name": letter.company_name,
            "position": letter.position,
        }
    )
    items = [(i["question"], i["answer"]) for i in letter.items]
    return _form(request, form, items, letter)


def _form(
    request: HttpRequest,
    form: LetterForm,
    items: list[tuple[str, str]],
    letter: CoverLetter | None,
    *,
    items_error: str = "",
    status: int = 200,
) -> HttpResponse:
    rows = list(items[:LETTER_ITEMS_MAX])
    context = {
        "form": form,
        "rows": rows,
        "spare": range(len(rows) + 1, LETTER_ITEMS_MAX + 1),
        "items_error": items_error,
        "letter": letter,
    }
    return render(request, "coach/letter_form.html", context, status=status)


def _write(request: HttpRequest, letter: CoverLetter | None) -> HttpResponse:
    form = LetterForm(request.POST)
    items = letter_items(request.POST)
    if form.is_valid():
        content = LetterContent(items=items, **form.cleaned_data)
        try:
            if letter is None:
                letter = practice.letter_create(owner=_user(request), content=content)
                messages.success(request, gettext("Your cover letter is saved."))
            elif practice.letter_update(user=_user(request), letter=letter, content=content):
                messages.success(
                    request,
                    gettext("Saved as version %(number)d.") % {"number": letter.version},
                )
            else:
                messages.info(request, gettext("Nothing changed."))
        except PracticeError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, localized(exc))
            elif exc.field == "items":
                return _form(request, form, items, letter, items_error=localized(exc), status=400)
            else:
                form.add_error(None, localized(exc))
        else:
            return redirect("coach:letter", letter_id=letter.pk)
    return _form(request, form, items, letter, status=400)


@login_required
@require_GET
def letter_detail(request: HttpRequest, letter_id: int) -> HttpResponse:
    letter = _letter(request, letter_id)
    context = {
        "letter": letter,
        "versions": letter.versions.all(),
        "sets": letter.question_sets.all(),
        "ask": AskForm(initial={"language": _language()}),
    }
    return render(request, "coach/letter.html", context)


@login_required
@require_GET
def letter_version(request: HttpRequest, letter_id: int, number: int) -> HttpResponse:
    letter = _letter(request, letter_id)
    version = selectors.letter_version(letter=letter, number=number)
    if version is None:
        raise Http404(gettext("No such version."))
    return render(request, "coach/letter_version.html", {"letter": letter, "version": version})


@login_required
@require_http_methods(["GET", "POST"])
def letter_delete(request: HttpRequest, letter_id: int) -> HttpResponse:
    letter = _letter(request, letter_id)
    if request.method == "POST":
        practice.letter_delete(user=_user(request), letter=letter)
        messages.success(request, gettext("The cover letter is deleted."))
        return redirect("coach:letters")
    return render(request, "coach/letter_delete.html", {"letter": letter})


@login_required
@require_POST
def questions_ask(request: HttpRequest, letter_id: int) -> HttpResponse:
    """Generate (or, with regenerate=1, regenerate) the letter's questions."""
    letter = _letter(request, letter_id)
    form = AskForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose the language of the questions."))
        return redirect("coach:letter", letter_id=letter.pk)
    try:
        question_set = practice.questions_ask(
            user=_user(request),
            letter=letter,
            language=form.cleaned_data["language"],
            regenerate=form.cleaned_data["regenerate"],
        )
    except PracticeError as exc:
        messages.error(request, localized(exc))
        return redirect("coach:letter", letter_id=letter.pk)
    return redirect("coach:set", set_id=question_set.pk)


@never_cache
@login_required
@require_GET
def set_detail(request: HttpRequest, set_id: int) -> HttpResponse:
    question_set = _set(request, set_id)
    page = selectors.question_set_page(question_set=question_set)
    answered = [p.index for p in page if p.answered]
    interview = InterviewForm(initial={"questions": answered[:2] or [0, 3], "seconds": 90})
    context = {
        "question_set": question_set,
        "page": page,
        "answered": len(answered),
        "interview_form": interview,
        "criteria": CRITERIA,
        "answer_max": ANSWER_MAX,
        "interviews": question_set.interviews.all(),
    }
    return render(request, "coach/set.html", context)


def content_length(request: HttpRequest) -> int:
    """The request's Content-Length; one that is not a number counts as larger than any limit
    (it is refused, never a 500)."""
    text = request.headers.get("Content-Length") or "0"
    return int(text) if text.isdigit() and len(text) < 16 else 2**62


def posted_answer(request: HttpRequest) -> str | JsonResponse:
    """The posted answer, or the 400/413 answer to give instead (decided from the length)."""
    if content_length(request) > MAX_ANSWER_BYTES:
        message = gettext("An answer has at most %(count)d characters.") % {"count": ANSWER_MAX}
        return JsonResponse({"code": "answer_too_long", "message": message}, status=413)
    text = request.POST.get("text")
    if text is None:
        return JsonResponse(
            {"code": "invalid_request", "message": gettext("Send the answer as text.")},
            status=400,
        )
    return text.replace("\r\n", "\n")


@login_required
@require_POST
def answer_save(request: HttpRequest, set_id: int, index: int) -> JsonResponse:
    """Autosave: {"saved": true, "length": n} or {"code", "message"} (nothing saved)."""
    question_set = _set(request, set_id)
    text = posted_answer(request)
    if isinstance(text, JsonResponse):
        return text
    try:
        answer = practice.answer_save(
            user=_user(request), question_set=question_set, index=index, text=text
        )
    except PracticeError as exc:
        return JsonResponse({"code": exc.code, "message": localized(exc)}, status=400)
    return JsonResponse({"saved": True, "length": len(answer.text)})


@login_required
@require_POST
def answer_feedback(request: HttpRequest, set_id: int, index: int) -> HttpResponseBase:
    question_set = _set(request, set_id)
    text = posted_answer(request)
    back = f"{reverse('coach:set', args=[question_set.pk])}#q{index}"
    streaming = NDJSON in request.headers.get("Accept", "")
    if isinstance(text, JsonResponse):
        if streaming:
            return text
        messages.error(request, json.loads(text.content)["message"])
        return redirect(back)
    if not streaming:
        try:
            practice.feedback_ask(
                user=_user(request), question_set=question_set, index=index, text=text
            )
        except PracticeError as exc:
            messages.error(request, localized(exc))
        return redirect(back)
    try:
        pieces = practice.feedback_stream(
            user=_user(request), question_set=question_set, index=index, text=text
        )
    except PracticeError as exc:
        return JsonResponse({"code": exc.code, "message": localized(exc)}, status=400)
    lines = _lines(pieces, back, get_language())
    response = StreamingHttpResponse(lines, content_type=NDJSON)
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # a proxy in front passes each line on at once
    return response


def _lines(pieces: Iterator[Any], back: str, language: str | None) -> Iterator[bytes]:
    """The response's lines; the request's language again, as they are made after the view."""
    try:
        for piece in pieces:
            if isinstance(piece, str):
                yield _line({"text": piece})
            else:
                yield _line({"done": True, "url": back})
    except PracticeError as exc:
        with override(language):
            yield _line({"code": exc.code, "message": localized(exc)})


def _line(body: dict[str, Any]) -> bytes:
    return (json.dumps(body, ensure_ascii=False) + "\n").encode()
