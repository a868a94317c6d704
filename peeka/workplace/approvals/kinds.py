"""What each kind of form asks and what its final approval does. Expense and general
requests are plain documents; the applications that own an effect register their kinds when
Django starts (the leave app books leave, the attendance app adds a corrected punch), so this
app never imports them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext, gettext_lazy
from django_stubs_ext import StrPromise

from peeka.errors import PeekaError, gettext_noop
from peeka.workplace.org.models import Member


class ContentError(PeekaError):
    code = "document_invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str,
        code: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, code=code, params=params)
        self.field = field


@dataclass(frozen=True)
class Field:
    name: str
    label: StrPromise | str
    """Translated for a kind's own fields; as the administrator wrote it for a form's own."""
    type: str = "text"
    """"text", "textarea", "date", "time", "number" or "choice"."""
    required: bool = True
    max_length: int = 200
    choices: Callable[[Member], list[tuple[str, str]]] | None = None
    """For "choice": the (value, label) pairs offered to the drafter."""


@dataclass(frozen=True)
class KindSpec:
    fields: tuple[Field, ...]
    check: Callable[[Member, dict[str, str]], None] | None = None
    """Checks across fields when a draft is saved and again when submitted (a leave request's
    balance, say); raises a `PeekaError`."""
    approved: Callable[[int, Member, dict[str, str]], None] | None = None
    """What the final approval does, in its transaction: (document id, drafter, content). A
    `PeekaError` refuses the approval."""
    summary: Callable[[dict[str, str]], str] | None = None
    extra: dict[str, object] = field(default_factory=dict)


SPECS: dict[str, KindSpec] = {
    "expense": KindSpec(
        fields=(
            Field("amount", gettext_lazy("Amount (KRW)"), "number"),
            Field("spent_on", gettext_lazy("Date spent"), "date"),
            Field("purpose", gettext_lazy("Purpose"), "textarea", max_length=2000),
        )
    ),
    "general": KindSpec(
        fields=(Field("body", gettext_lazy("Details"), "textarea", max_length=5000),)
    ),
}


def kind_register(kind: str, spec: KindSpec) -> None:
    """Register the fields and effects of `kind` (from the owning app's `ready`)."""
    SPECS[kind] = spec


def spec_of(kind: str) -> KindSpec:
    spec = SPECS.get(kind)
    if spec is None:  # a kind whose app is not installed: nothing can be drafted from it
        raise PeekaError(gettext_noop("This form cannot be used here."), code="form_unavailable")
    return spec


MAX_NUMBER = 10**12


EXTRA_TYPES = ("text", "textarea", "date", "number")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


def extra_fields_problem(kind: str, extra: object) -> str:
    """What is wrong with a form's own fields (its `extra_fields`), or "" when nothing is."""
    if not isinstance(extra, list) or len(extra) > 20:
        return gettext("A list of at most 20 fields.")
    taken = {f.name for f in SPECS.get(kind, KindSpec(fields=())).fields}
    for item in extra:
        if not isinstance(item, dict) or set(item) - {"name", "label", "type", "required"}:
            return gettext('Each field has "name", "label", "type" and "required" only.')
        name, label = item.get("name"), item.get("label")
        if not isinstance(name, str) or not _NAME.fullmatch(name) or name in taken:
            return gettext("Each name is a new lower-case word (letters, digits, _).")
        taken.add(name)
        if not isinstance(label, str) or not 0 < len(label) <= 100:
            return gettext("Each label has 1 to 100 characters.")
        if item.get("type", "text") not in EXTRA_TYPES:
            return gettext("A type is text, textarea, date or number.")
        if not isinstance(item.get("required", False), bool):
            return gettext("required is true or false.")
    return ""


def fields_of(*, kind: str, extra: object = ()) -> tuple[Field, ...]:
    """The kind's fields, then the form's own (when they are well-formed)."""
    own = spec_of(kind).fields
    if not isinstance(extra, list) or extra_fields_problem(kind, extra):
        return own
    added = tuple(
        Field(
            item["name"],
            item["label"],
            item.get("type", "text"),
            required=item.get("required", False),
            max_length=2000 if item.get("type") == "textarea" else 200,
        )
        for item in extra
    )
    return own + added


def content_clean(
    *, kind: str, drafter: Member, data: dict[str, str], extra: object = ()
) -> dict[str, str]:
    """The kind's fields (and the form's own, `extra`) from `data`, checked and normalised
    (dates ISO, numbers digits); `ContentError` names the first field that is wrong."""
    spec = spec_of(kind)
    cleaned: dict[str, str] = {}
    for f in fields_of(kind=kind, extra=extra):
        value = str(data.get(f.name, "")).strip()
        if not value:
            if f.required:
                raise ContentError(
                    gettext_noop("This field is required."), field=f.name, code="document_required"
                )
            cleaned[f.name] = ""
            continue
        if len(value) > f.max_length:
            raise ContentError(
                gettext_noop("At most %(count)d characters."),
                field=f.name,
                code="document_too_long",
                params={"count": f.max_length},
            )
        cleaned[f.name] = _typed(f, value, drafter)
    if spec.check is not None:
        spec.check(drafter, cleaned)
    return cleaned


def _typed(f: Field, value: str, drafter: Member) -> str:
    try:
        if f.type == "date":
            return dt.date.fromisoformat(value).isoformat()
        if f.type == "time":
            return dt.time.fromisoformat(value).strftime("%H:%M")
    except ValueError:
        raise ContentError(
            gettext_noop("Not a valid date or time."), field=f.name, code="document_date"
        ) from None
    if f.type == "number":
        digits = value.replace(",", "")
        if not digits.isdigit() or int(digits) > MAX_NUMBER:
            raise ContentError(
                gettext_noop("Enter a whole number."), field=f.name, code="document_number"
            )
        return str(int(digits))
    if f.type == "choice":
        allowed = {v for v, _ in (f.choices(drafter) if f.choices else [])}
        if value not in allowed:
            raise ContentError(
                gettext_noop("Choose one of the options."), field=f.name, code="document_choice"
            )
    return value
