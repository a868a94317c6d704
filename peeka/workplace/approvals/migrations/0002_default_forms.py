"""One form of each kind, so a new deployment can draft at once; the administrator renames,
describes, re-lines or retires them in the admin. Names are left empty: each reader sees the
kind's name in their own language."""

from typing import Any

from django.db import migrations

DEFAULTS = [
    ("leave", 1),
    ("leave_cancel", 1),
    ("correction", 1),
    ("expense", 2),
    ("general", 1),
]


def add_forms(apps: Any, schema_editor: Any) -> None:
    ApprovalForm = apps.get_model("approvals", "ApprovalForm")
    for kind, depth in DEFAULTS:
        if not ApprovalForm.objects.filter(kind=kind).exists():
            ApprovalForm.objects.create(kind=kind, line_depth=depth)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]
    operations = [migrations.RunPython(add_forms, migrations.RunPython.noop)]
