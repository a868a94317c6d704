"""The event form: what a person types (dates, times, an all-day box, an inclusive last day),
turned into what `services.event_create` takes. The service checks the rest; its errors come
back to the fields they concern (`add_service_error`)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from peeka.workplace.calendar.models import Event, Scope
from peeka.workplace.calendar.selectors import event_dates
from peeka.workplace.org.models import Department

# The service's names of inputs, and the form fields that show their errors.
SERVICE_FIELDS = {"start": "start_date", "end": "end_date"}


class _ScopeField(forms.ChoiceField):
    """Offers the scopes the writer may use, and takes any scope: whether the writer may is
    the service's question (403), not a typing mistake."""

    def valid_value(self, value: Any) -> bool:
        return value in Scope.values


class EventForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    scope = _ScopeField(label=gettext_lazy("Visible to"), choices=Scope.choices)
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.all(),
        required=False,
        help_text=gettext_lazy("For a department's event: its members and those below it."),
    )
    all_day = forms.BooleanField(label=gettext_lazy("All day"), required=False)
    start_date = forms.DateField(
        label=gettext_lazy("Start date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    start_time = forms.TimeField(
        label=gettext_lazy("Start time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end_date = forms.DateField(
        label=gettext_lazy("End date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("For an all-day event, its last day."),
    )
    end_time = forms.TimeField(
        label=gettext_lazy("End time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    location = forms.CharField(label=gettext_lazy("Location"), max_length=200, required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    rrule = forms.CharField(
        label=gettext_lazy("Repeat rule"),
        max_length=500,
        required=False,
        help_text=gettext_lazy(
            "Optional, as in iCalendar: FREQ=WEEKLY;BYDAY=MO repeats every Monday; add "
            ";UNTIL=20271231 or ;COUNT=10 to end it. At most daily."
        ),
    )

    def __init__(
        self,
        *args: Any,
        scopes: list[str],
        departments: QuerySet[Department],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        scope_field = self.fields["scope"]
        assert isinstance(scope_field, forms.ChoiceField)
        scope_field.choices = [(v, label) for v, label in Scope.choices if v in scopes]
        # Any department is taken (the service answers who may write for which); the list
        # offers the writer's own.
        department_widget = self.fields["department"].widget
        assert isinstance(department_widget, forms.Select)
        department_widget.choices = [("", "---------"), *((d.pk, d.name) for d in departments)]
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"
        rule = self.fields["rrule"].widget
        rule.attrs.update(list="rrule-examples", autocomplete="off", spellcheck="false")

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            self._mark_invalid(name)

    def _mark_invalid(self, name: str) -> None:
        """Bootstrap's red border, and the error read out with the field."""
        if name not in self.fields:
            return
        attrs = self.fields[name].widget.attrs
        if "is-invalid" not in attrs.get("class", ""):
            attrs["class"] = attrs.get("class", "") + " is-invalid"
        attrs["aria-describedby"] = f"{self[name].auto_id}-errors"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("all_day"):
            for name in ("start_time", "end_time"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, gettext_lazy("Give a time, or tick All day."))
        if (
            data.get("scope") == Scope.DEPARTMENT
            and data.get("department") is None
            and "department" not in self.errors
        ):
            self.add_error("department", gettext_lazy("Choose the department."))
        return data

    def span(self, zone: ZoneInfo) -> tuple[dt.date, dt.date]:
        """Start and end as the service takes them: dates (the end the day after the last
        day) for an all-day event, else aware datetimes in `zone`."""
        data = self.cleaned_data
        if data.get("all_day"):
            return data["start_date"], data["end_date"] + dt.timedelta(days=1)
        start = dt.datetime.combine(data["start_date"], data["start_time"], tzinfo=zone)
        end = dt.datetime.combine(data["end_date"], data["end_time"], tzinfo=zone)
        return start, end

    def add_service_error(self, field: str | None, message: str) -> None:
        name = SERVICE_FIELDS.get(field or "", field)
        if name is not None and name in self.fields:
            self.add_error(name, message)
            self._mark_invalid(name)
        else:
            self.add_error(None, message)


def event_initial(event: Event) -> dict[str, object]:
    """The form's values for an existing event, in its own time zone."""
    zone = ZoneInfo(event.time_zone)
    start, end = event.start.astimezone(zone), event.end.astimezone(zone)
    initial: dict[str, object] = {
        "title": event.title,
        "scope": event.scope,
        "department": event.department_id,
        "all_day": event.all_day,
        "location": event.location,
        "description": event.description,
        "rrule": event.rrule,
    }
    if event.all_day:
        first, last = event_dates(event)
        initial.update(start_date=first, end_date=last)
    else:
        initial.update(
            start_date=start.date(),
            start_time=start.time().replace(second=0, microsecond=0),
            end_date=end.date(),
            end_time=end.time().replace(second=0, microsecond=0),
        )
    return initial
