"""The drafting form (a title and the kind's fields) and the approval line form (employee
numbers, in order)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils.translation import gettext, gettext_lazy

from peeka.errors import PeekaError
from peeka.security.wording import localized
from peeka.workplace.approvals import kinds
from peeka.workplace.approvals.models import ApprovalForm
from peeka.workplace.org.models import Member


class _DateInput(forms.DateInput):
    input_type = "date"


class _TimeInput(forms.TimeInput):
    input_type = "time"


_WIDGETS: dict[str, Any] = {
    "date": _DateInput,
    "time": _TimeInput,
    "textarea": lambda: forms.Textarea(attrs={"rows": 5}),
    "number": lambda: forms.TextInput(attrs={"inputmode": "numeric"}),
}


class ContentForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)

    def __init__(
        self, approval_form: ApprovalForm, member: Member, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.specs = kinds.fields_of(kind=approval_form.kind, extra=approval_form.extra_fields)
        for spec in self.specs:
            field: forms.Field
            if spec.type == "choice":
                options = spec.choices(member) if spec.choices else []
                field = forms.ChoiceField(
                    label=spec.label, choices=[("", "—"), *options], required=spec.required
                )
            else:
                widget = _WIDGETS.get(spec.type, forms.TextInput)()
                field = forms.CharField(
                    label=spec.label,
                    required=spec.required,
                    max_length=spec.max_length,
                    widget=widget,
                )
            self.fields[spec.name] = field

    def content(self) -> dict[str, str]:
        return {spec.name: str(self.cleaned_data.get(spec.name) or "") for spec in self.specs}

    def add_problem(self, exc: PeekaError) -> None:
        """A service's refusal, on its field when it names one."""
        name = getattr(exc, "field", None)
        self.add_error(name if name in self.fields else None, localized(exc))


_SEPARATORS = re.compile(r"[\s,;]+")


def _members(text: str) -> list[Member]:
    numbers = [n for n in _SEPARATORS.split(text.strip()) if n][:50]
    rows = Member.objects.annotate(number=Lower("employee_number")).filter(
        active=True, number__in=[n.lower() for n in numbers]
    )
    found = {m.employee_number.lower(): m for m in rows}
    missing = [n for n in numbers if n.lower() not in found]
    if missing:
        raise ValidationError(
            gettext("No active member has the employee number %(numbers)s.")
            % {"numbers": ", ".join(missing)}
        )
    return [found[n.lower()] for n in numbers]


class LineForm(forms.Form):
    approvers = forms.CharField(
        label=gettext_lazy("Approvers, in order"),
        max_length=500,
        help_text=gettext_lazy("Employee numbers separated by spaces, the first approver first."),
    )
    cc = forms.CharField(
        label=gettext_lazy("CC"),
        max_length=1000,
        required=False,
        help_text=gettext_lazy("Employee numbers of those who read along without deciding."),
    )

    def clean_approvers(self) -> list[Member]:
        return _members(self.cleaned_data["approvers"])

    def clean_cc(self) -> list[Member]:
        return _members(self.cleaned_data.get("cc") or "")
