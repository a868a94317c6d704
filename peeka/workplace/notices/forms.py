"""The post form: its fields' syntax (lengths, choices, how many files and how large, checked
from the upload's size before a byte is read). The board's rules (who publishes notices, what a
file really is) live in the services, whose refusals the view ties to these fields."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext, gettext_lazy

from peeka.security.wording import localized
from peeka.workplace.notices import attachments
from peeka.workplace.notices.models import Attachment, Kind
from peeka.workplace.notices.services import NewFile
from peeka.workplace.org.models import Department
from peeka.workplace.org.selectors import department_tree

INDENT_CLASSES = ("ms-0", "ms-3", "ms-4", "ms-5")
"""Bootstrap margins for a department's depth in the tree (the page's CSP allows no inline
style)."""


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented recipe); a list, maybe empty."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = data if isinstance(data, list | tuple) else [data]
        single = super().clean
        return [f for f in (single(item, initial) for item in items if item) if f is not None]


class PostForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        # Translators: label of the body of a notice-board post
        label=gettext_lazy("Text"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        strip=False,
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=Kind.choices, initial=Kind.POST, required=False
    )
    pinned = forms.BooleanField(
        label=gettext_lazy("Pin to the top"),
        required=False,
        help_text=gettext_lazy("Only notices can be pinned."),
    )
    departments = forms.TypedMultipleChoiceField(
        # Translators: label of the departments a notice-board post is meant for
        label=gettext_lazy("For"),
        coerce=int,
        required=False,
        help_text=gettext_lazy(
            "Leave all unticked for the whole company. A department includes the "
            "departments below it."
        ),
    )
    uploads = MultipleFileField(
        label=gettext_lazy("Files"),
        required=False,
        help_text=gettext_lazy(
            "At most 5 files of 10 MB each: PDF, PNG, JPEG, text, CSV, Word, Excel, "
            "PowerPoint or HWP."
        ),
    )
    remove = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Remove files"), coerce=int, required=False
    )

    def __init__(self, *args: Any, attached: list[Attachment] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tree = department_tree()
        self.attached = attached or []
        departments = cast(forms.TypedMultipleChoiceField, self.fields["departments"])
        departments.choices = [(row.department.pk, row.department.name) for row in self.tree]
        remove = cast(forms.TypedMultipleChoiceField, self.fields["remove"])
        remove.choices = [(a.pk, a.name) for a in self.attached]

    def department_rows(self) -> list[tuple[int, str, str, bool]]:
        """Each department as (id, name, indent class, ticked), in tree order."""
        ticked = {str(v) for v in (self["departments"].value() or [])}
        return [
            (
                row.department.pk,
                row.department.name,
                INDENT_CLASSES[min(row.depth, len(INDENT_CLASSES) - 1)],
                str(row.department.pk) in ticked,
            )
            for row in self.tree
        ]

    def attached_rows(self) -> list[tuple[Attachment, bool]]:
        ticked = {str(v) for v in (self["remove"].value() or [])}
        return [(a, str(a.pk) in ticked) for a in self.attached]

    def clean_kind(self) -> str:
        return str(self.cleaned_data.get("kind") or Kind.POST)

    def clean_uploads(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data.get("uploads") or []
        if len(files) > attachments.MAX_FILES:
            raise forms.ValidationError(
                gettext("A post has at most %(count)d files.") % {"count": attachments.MAX_FILES}
            )
        for file in files:
            if (file.size or 0) > attachments.MAX_FILE_BYTES:
                raise forms.ValidationError(
                    gettext("%(name)s is larger than 10 MB.")
                    % {"name": attachments.display_name(file.name or "")}
                )
        problems = []
        for file in files:  # what each file is, so every problem of the form shows at once
            try:
                attachments.content_type(name=file.name or "", data=_read(file))
            except attachments.AttachmentError as exc:
                problems.append(localized(exc))
        if problems:
            raise forms.ValidationError(" ".join(problems))
        return files

    def chosen_departments(self) -> list[Department]:
        return list(Department.objects.filter(pk__in=self.cleaned_data.get("departments") or []))

    def new_files(self) -> list[NewFile]:
        """The uploads, read (each is at most 10 MB, checked from its size)."""
        return [NewFile(f.name or "", _read(f)) for f in self.cleaned_data.get("uploads") or []]


def _read(file: UploadedFile) -> bytes:
    file.seek(0)
    data: bytes = file.read()
    return data
