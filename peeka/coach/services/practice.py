"""Practice: cover letters in versions, question sets generated from them, answers saved as
the candidate types, and feedback on an answer (streamed while the provider writes it).

What the candidate typed is written before any provider is asked, so a provider that is down,
slow or confused loses nothing: its error comes back as a `PracticeError` with the provider's
code (`LLM_MESSAGES` says each in the user's words)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import transaction

from peeka.accounts.models import User
from peeka.coach import selectors
from peeka.coach.models import (
    ANSWER_MAX,
    LETTER_ANSWER_MAX,
    LETTER_ITEMS_MAX,
    LETTER_QUESTION_MAX,
    LETTER_TITLE_MAX,
    POSITION_MAX,
    Answer,
    AnswerFeedback,
    CoverLetter,
    CoverLetterVersion,
    QuestionSet,
)
from peeka.coach.services import feedback_give, provider, questions_generate
from peeka.errors import FieldError, gettext_noop
from peeka.llm.base import LLMError
from peeka.llm.types import Feedback, FeedbackRequest, Language, QuestionKind

LLM_MESSAGES = {
    "llm_unavailable": gettext_noop(
        "The AI service is not answering right now. Your text is saved; try again in a moment."
    ),
    "llm_timeout": gettext_noop(
        "The AI service took too long to answer. Your text is saved; try again."
    ),
    "llm_malformed": gettext_noop(
        "The AI service gave an answer that could not be read, even after a second try. "
        "Your text is saved; try again."
    ),
    "llm_wrong_language": gettext_noop(
        "The AI service answered in another language. Your text is saved; try again."
    ),
    "llm_refused": gettext_noop(
        "The AI service declined to answer this. Your text is saved; change it and try again."
    ),
    "llm_config": gettext_noop(
        "The AI service is not set up correctly. Your text is saved; tell your administrator."
    ),
    "llm_unsupported": gettext_noop(
        "The AI service here cannot write down speech. Type your answer instead; your text is kept."
    ),
}


class PracticeError(FieldError):
    """A practice request that cannot be done as asked; nothing the user typed was lost."""


def llm_failed(exc: LLMError) -> PracticeError:
    """The provider's error in the user's words, with its stable code."""
    return PracticeError(LLM_MESSAGES[exc.code], code=exc.code)


@dataclass(frozen=True)
class LetterContent:
    title: str
    company_name: str
    position: str
    items: Sequence[tuple[str, str]]
    """(question, answer) pairs, in order."""


def letter_create(*, owner: User, content: LetterContent) -> CoverLetter:
    """A new cover letter, version 1."""
    letter = CoverLetter(owner=owner)
    _fill(letter, content)
    with transaction.atomic():
        letter.save()
        _snapshot(letter)
    return letter


def letter_update(*, user: User, letter: CoverLetter, content: LetterContent) -> bool:
    """Save `content` as the letter's next version; False (nothing written) when it changes
    nothing."""
    owned(user, letter.owner_id)
    before = (letter.title, letter.company_name, letter.position, letter.items)
    _fill(letter, content)
    if (letter.title, letter.company_name, letter.position, letter.items) == before:
        return False
    with transaction.atomic():
        locked = CoverLetter.objects.select_for_update().get(pk=letter.pk)
        letter.version = locked.version + 1
        letter.save()
        _snapshot(letter)
    return True


def letter_delete(*, user: User, letter: CoverLetter) -> None:
    """The letter, its versions, question sets, answers, feedback and mock interviews."""
    owned(user, letter.owner_id)
    letter.delete()


def _fill(letter: CoverLetter, content: LetterContent) -> None:
    title = content.title.strip()
    company_name = content.company_name.strip()
    position = content.position.strip()
    if not title:
        raise PracticeError(gettext_noop("Give the cover letter a title."), field="title")
    if not company_name:
        raise PracticeError(gettext_noop("Name the company."), field="company_name")
    if not position:
        raise PracticeError(gettext_noop("Name the position."), field="position")
    for value, most, field in (
        (title, LETTER_TITLE_MAX, "title"),
        (company_name, 200, "company_name"),
        (position, POSITION_MAX, "position"),
    ):
        if len(value) > most:
            raise PracticeError(
                gettext_noop("At most %(count)d characters."), field=field, params={"count": most}
            )
    items = [(q.strip(), a.strip()) for q, a in content.items if q.strip() or a.strip()]
    if not items:
        raise PracticeError(
            gettext_noop("Add at least one question of the letter with your answer."),
            field="items",
        )
    if len(items) > LETTER_ITEMS_MAX:
        raise PracticeError(
            gettext_noop("A cover letter has at most %(count)d items."),
            field="items",
            params={"count": LETTER_ITEMS_MAX},
        )
    for question, answer in items:
        if not question or not answer:
            raise PracticeError(gettext_noop("Write each question with its answer."), field="items")
        if len(question) > LETTER_QUESTION_MAX or len(answer) > LETTER_ANSWER_MAX:
            raise PracticeError(
                gettext_noop(
                    "A question has at most %(question)d characters and an answer at most "
                    "%(answer)d."
                ),
                field="items",
                params={"question": LETTER_QUESTION_MAX, "answer": LETTER_ANSWER_MAX},
            )
    letter.title = title
    letter.company_name = company_name
    letter.company = selectors.company_find(name=company_name)
    letter.position = position
    letter.items = [{"question": q, "answer": a} for q, a in items]


def _snapshot(letter: CoverLetter) -> None:
    CoverLetterVersion.objects.create(
        letter=letter,
        number=letter.version,
        title=letter.title,
        company_name=letter.company_name,
        position=letter.position,
        items=letter.items,
    )


def questions_ask(
    *, user: User, letter: CoverLetter, language: Language, regenerate: bool = False
) -> QuestionSet:
    """A new question set for the letter as it stands, in `language`. `regenerate` asks for
    questions other than the ones its earlier sets asked. `PracticeError` with the provider's
    code when it cannot answer (nothing is written then)."""
    owned(user, letter.owner_id)
    exclude = selectors.letter_questions_asked(letter=letter) if regenerate else ()
    try:
        asked = questions_generate(
            cover_letter=letter.text(),
            company=selectors.company_profile(name=letter.company_name),
            position=letter.position,
            language=language,
            exclude=tuple(exclude[-100:]),
        )
    except LLMError as exc:
        raise llm_failed(exc) from None
    return QuestionSet.objects.create(
        owner=user,
        letter=letter,
        letter_version=letter.version,
        company_name=letter.company_name,
        position=letter.position,
        language=language,
        provider=asked.provider,
        job=asked.questions.job,
        personality=asked.questions.personality,
    )


def answer_save(*, user: User, question_set: QuestionSet, index: int, text: str) -> Answer:
    """Keep the answer to question `index` as typed (at most `ANSWER_MAX` characters; an empty
    one is kept too: the candidate cleared it)."""
    owned(user, question_set.owner_id)
    if question_set.question(index) is None:
        raise PracticeError(gettext_noop("No such question."), code="no_such_question")
    answer_length_check(text)
    answer, _ = Answer.objects.update_or_create(
        question_set=question_set, index=index, defaults={"text": text}
    )
    return answer


def answer_length_check(text: str) -> None:
    """`PracticeError` ("answer_too_long") for an answer over `ANSWER_MAX` characters."""
    if len(text) > ANSWER_MAX:
        raise PracticeError(
            gettext_noop(
                "An answer has at most %(count)d characters; this one has %(length)d. Shorten "
                "it: nothing was saved, and your text is still on the page."
            ),
            field="text",
            code="answer_too_long",
            params={"count": ANSWER_MAX, "length": len(text)},
        )


def set_language(question_set: QuestionSet) -> Language:
    """The language a set's questions were asked in (Korean for anything unknown)."""
    if question_set.language == "en":
        return "en"
    return "zh-hans" if question_set.language == "zh-hans" else "ko"


def feedback_request(*, question_set: QuestionSet, index: int, text: str) -> FeedbackRequest:
    """What a provider is asked about the answer `text` to question `index`."""
    kind_text = question_set.question(index)
    if kind_text is None:
        raise PracticeError(gettext_noop("No such question."), code="no_such_question")
    kind, question = kind_text
    if not text.strip():
        raise PracticeError(
            gettext_noop("Write an answer first: there is nothing to give feedback on."),
            field="text",
            code="answer_empty",
        )
    language = set_language(question_set)
    question_kind: QuestionKind = "job" if kind == "job" else "personality"
    return FeedbackRequest(
        question=question[:1000],
        answer=text,
        kind=question_kind,
        company=selectors.company_profile(name=question_set.company_name),
        language=language,
    )


def feedback_stream(
    *, user: User, question_set: QuestionSet, index: int, text: str
) -> Iterator[str | AnswerFeedback]:
    """Save the answer, then the provider's feedback on it: its text as it is written, then
    the kept `AnswerFeedback` last. `PracticeError` before anything is yielded for an answer
    that cannot be judged, and at any point for a provider's error (the answer stays saved)."""
    answer = answer_save(user=user, question_set=question_set, index=index, text=text)
    request = feedback_request(question_set=question_set, index=index, text=text)
    return _streamed(answer, request)


def _streamed(answer: Answer, request: FeedbackRequest) -> Iterator[str | AnswerFeedback]:
    chosen = provider()
    try:
        for piece in chosen.feedback_stream(request):
            if isinstance(piece, Feedback):
                yield _keep(answer, chosen.name, piece)
            else:
                yield piece
    except LLMError as exc:
        raise llm_failed(exc) from None


def feedback_ask(*, user: User, question_set: QuestionSet, index: int, text: str) -> AnswerFeedback:
    """Save the answer, then the provider's feedback on it, kept (no streaming: a page without
    JavaScript, a test)."""
    answer = answer_save(user=user, question_set=question_set, index=index, text=text)
    request = feedback_request(question_set=question_set, index=index, text=text)
    try:
        judged = feedback_give(
            question=request.question,
            answer=request.answer,
            company=request.company,
            kind=request.kind,
            language=request.language,
        )
    except LLMError as exc:
        raise llm_failed(exc) from None
    return _keep(answer, judged.provider, judged.feedback)


def _keep(answer: Answer, provider_name: str, feedback: Feedback) -> AnswerFeedback:
    return AnswerFeedback.objects.create(
        answer=answer,
        answer_text=answer.text[:ANSWER_MAX],
        provider=provider_name,
        content=feedback.model_dump(mode="json"),
    )


def owned(user: User, owner_id: int) -> None:
    """`PracticeError` ("forbidden") unless `user` owns what `owner_id` names."""
    if user.pk != owner_id:
        raise PracticeError(gettext_noop("This is not yours."), code="forbidden")
