"""The interview-review forms: a review with its questions (a formset of up to ten rows, blank
rows left out), a report, and the list's filters. They check the syntax (lengths, choices,
the year's range, a company that exists); the services check the rules again and write."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy, ngettext_lazy, pgettext_lazy

from peeka.coach.models import (
    ANSWER_MAX,
    LETTER_ITEMS_MAX,
    LETTER_TITLE_MAX,
    NOTE_MAX,
    POSITION_MAX,
    QUESTION_MAX,
    REASON_MAX,
    REVIEW_ITEMS_MAX,
    REVIEW_YEAR_MAX,
    REVIEW_YEAR_MIN,
    TEXT_MAX,
    Atmosphere,
    Company,
    Half,
    InterviewResult,
)
from peeka.coach.services import QuestionAnswer, ReviewContent


def _year_message() -> str:
    return gettext("Enter a year from %(min)d to %(max)d.") % {
        "min": REVIEW_YEAR_MIN,
        "max": REVIEW_YEAR_MAX,
    }


_YEAR_MESSAGE = lazy(_year_message, str)()


def _company_field(*, required: bool) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    """Companies staff keep (in the admin); a reviewer picks one, never makes one."""
    return forms.ModelChoiceField(
        label=pgettext_lazy("interview review", "Company"),
        queryset=Company.objects.order_by("name"),
        required=required,
        empty_label=gettext_lazy("Choose a company") if required else gettext_lazy("All companies"),
        error_messages={"invalid_choice": gettext_lazy("Choose one of the companies listed.")},
    )


class ReviewForm(forms.Form):
    company = _company_field(required=True)
    position = forms.CharField(
        label=pgettext_lazy("job applied for", "Position"),
        max_length=POSITION_MAX,
        help_text=gettext_lazy("For example: backend developer, marketing, sales."),
    )
    result = forms.ChoiceField(
        label=pgettext_lazy("interview", "Result"),
        choices=InterviewResult.choices,
        widget=forms.RadioSelect,
    )
    year = forms.IntegerField(
        label=gettext_lazy("Year"),
        min_value=REVIEW_YEAR_MIN,
        max_value=REVIEW_YEAR_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"min_value": _YEAR_MESSAGE, "max_value": _YEAR_MESSAGE},
    )
    half = forms.TypedChoiceField(
        label=pgettext_lazy("half of a year", "Half"),
        choices=Half.choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
    atmosphere = forms.ChoiceField(
        label=gettext_lazy("Atmosphere"), choices=Atmosphere.choices, widget=forms.RadioSelect
    )
    atmosphere_note = forms.CharField(
        label=gettext_lazy("About the atmosphere"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    regrets = forms.CharField(
        label=gettext_lazy("What I regret"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    advice = forms.CharField(
        label=gettext_lazy("Advice for the next candidates"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def content(self, items: list[QuestionAnswer]) -> ReviewContent:
        data = self.cleaned_data
        return ReviewContent(
            company=data["company"],
            position=data["position"],
            result=data["result"],
            year=data["year"],
            half=data["half"],
            atmosphere=data["atmosphere"],
            atmosphere_note=data["atmosphere_note"],
            regrets=data["regrets"],
            advice=data["advice"],
            items=items,
        )


class ItemForm(forms.Form):
    """One question with the answer given; a row left blank is no question (and, on a
    review being changed, takes that question out)."""

    question = forms.CharField(
        label=gettext_lazy("Question asked"),
        required=False,
        max_length=QUESTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    answer = forms.CharField(
        label=gettext_lazy("Your answer"),
        required=False,
        max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        question, answer = data.get("question", ""), data.get("answer", "")
        if question and not answer and "answer" not in self.errors:
            self.add_error("answer", gettext_lazy("Write the answer you gave to this question."))
        if answer and not question and "question" not in self.errors:
            self.add_error("question", gettext_lazy("Write the question this answer was for."))
        return data

    def filled(self) -> bool:
        """Whether the row says anything (as typed, before it is checked)."""
        return bool(
            str(self["question"].value() or "").strip() or str(self["answer"].value() or "").strip()
        )


class BaseItemFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    default_error_messages: ClassVar[dict[str, Any]] = {
        **forms.BaseFormSet.default_error_messages,
        "too_many_forms": ngettext_lazy(
            "A review has at most %(num)d question.",
            "A review has at most %(num)d questions.",
            "num",
        ),
        "missing_management_form": gettext_lazy(
            "The questions did not arrive complete. Reload the page and try again."
        ),
    }

    def clean(self) -> None:
        if not self.management_form.is_valid() or any(self.errors):
            return
        if not self.items():
            raise forms.ValidationError(
                gettext_lazy("Add at least one question and the answer you gave."),
                code="too_few_forms",
            )

    def items(self) -> list[QuestionAnswer]:
        """The rows that say something, in their order (once the formset is valid)."""
        return [
            QuestionAnswer(form.cleaned_data["question"], form.cleaned_data["answer"])
            for form in self.forms
            if form.cleaned_data.get("question") or form.cleaned_data.get("answer")
        ]

    def rows(self) -> list[tuple[int, forms.Form, bool]]:
        """Each row as (number from 1, form, open): the rows that say something or have an
        error are open, and at least the first; the others wait folded."""
        shown = [form.filled() or bool(form.errors) for form in self.forms]
        last = max([i for i, s in enumerate(shown) if s], default=0)
        return [(i + 1, form, i <= last) for i, form in enumerate(self.forms)]


ItemFormSet = forms.formset_factory(
    ItemForm,
    formset=BaseItemFormSet,
    extra=REVIEW_ITEMS_MAX,
    max_num=REVIEW_ITEMS_MAX,
    absolute_max=REVIEW_ITEMS_MAX,
    validate_max=True,
)
ITEMS_PREFIX = "items"


def item_formset(data: Any = None, *, initial: list[dict[str, str]] | None = None) -> Any:
    """The questions' formset: bound to `data` on a POST, else `initial` rows and blank ones
    up to ten."""
    return ItemFormSet(data, prefix=ITEMS_PREFIX, initial=initial)


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why are you reporting this review?"),
        max_length=REASON_MAX,
        help_text=gettext_lazy(
            "For example: insults, personal information, advertising or made-up content."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


SORTS = [
    # Translators: sort order of the interview reviews
    ("new", gettext_lazy("Newest first")),
    # Translators: sort order of the interview reviews
    ("views", gettext_lazy("Most viewed first")),
]


class ReviewFilter(forms.Form):
    """The list's search and filters (GET); a field that does not parse is left out."""

    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Words in the position, the advice or the questions."),
    )
    company = _company_field(required=False)
    position = forms.CharField(
        label=pgettext_lazy("job applied for", "Position"), required=False, max_length=100
    )
    result = forms.ChoiceField(
        label=pgettext_lazy("interview", "Result"),
        required=False,
        choices=[("", gettext_lazy("All results")), *InterviewResult.choices],
    )
    sort = forms.ChoiceField(
        label=pgettext_lazy("sort order", "Order"), required=False, choices=SORTS
    )

    def filters(self) -> dict[str, Any]:
        """The filters that parsed, as `selectors.review_search` takes them."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        query = data["q"] if "q" in data else str(self.data.get("q", ""))[:100]
        return {
            "query": query,
            "company": data.get("company"),
            "position": data.get("position") or "",
            "result": data.get("result") or "",
            "sort": data.get("sort") or "new",
        }


# --- Practice ---------------------------------------------------------------------------------


class LetterForm(forms.Form):
    """A cover letter's heading; its items come as the lists `item_question` and `item_answer`
    (`letter_items`)."""

    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=LETTER_TITLE_MAX,
        help_text=gettext_lazy("For example: Samsung Electronics 2025 H1, software."),
    )
    company_name = forms.CharField(
        label=gettext_lazy("Company"),
        max_length=200,
        help_text=gettext_lazy(
            "A company with a profile here gets questions on what it looks for."
        ),
    )
    position = forms.CharField(
        label=pgettext_lazy("job applied for", "Position"), max_length=POSITION_MAX
    )


def letter_items(data: Any) -> list[tuple[str, str]]:
    """The (question, answer) rows of a posted letter, at most one more than a letter may have
    (so that too many is refused with its own message, not cut silently)."""
    questions = data.getlist("item_question")[: LETTER_ITEMS_MAX + 1]
    answers = data.getlist("item_answer")[: LETTER_ITEMS_MAX + 1]
    answers += [""] * (len(questions) - len(answers))
    return list(zip(questions, answers, strict=False))


LANGUAGES = [
    ("ko", "한국어"),
    ("zh-hans", "简体中文"),
    ("en", "English"),
]


class AskForm(forms.Form):
    language = forms.ChoiceField(
        # Translators: the language the interview questions are written in
        label=gettext_lazy("Questions in"),
        choices=LANGUAGES,
    )
    regenerate = forms.BooleanField(required=False)


class InterviewForm(forms.Form):
    questions = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Questions"),
        coerce=int,
        choices=[(i, str(i + 1)) for i in range(6)],
        widget=forms.CheckboxSelectMultiple,
    )
    seconds = forms.TypedChoiceField(
        label=gettext_lazy("Time for each question"),
        coerce=int,
        choices=[
            (60, gettext_lazy("1 minute")),
            (90, gettext_lazy("1 minute 30 seconds")),
            (120, gettext_lazy("2 minutes")),
            (180, gettext_lazy("3 minutes")),
        ],
        initial=90,
    )
