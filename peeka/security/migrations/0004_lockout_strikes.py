# Failures that count toward disabling ("strikes") are counted apart from those that only slow
# the next try down. Every failure counted so far counted toward disabling, so strikes start at
# the failure count.

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def strikes_from_failures(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Lockout = apps.get_model("security", "Lockout")
    Lockout.objects.update(strikes=models.F("failures"))


class Migration(migrations.Migration):
    dependencies = [("security", "0003_lockout")]

    operations = [
        migrations.AddField(
            model_name="lockout",
            name="strikes",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(strikes_from_failures, migrations.RunPython.noop),
    ]
