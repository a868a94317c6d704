# Lockouts become rows keyed by user and kind; the counters on the user row are carried over
# (accounts 0004 then drops those columns).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

_KINDS = ("face", "otp")


def carry_over(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    User = apps.get_model("accounts", "User")
    Lockout = apps.get_model("security", "Lockout")
    rows = []
    for kind in _KINDS:
        counted = User.objects.filter(
            models.Q(**{f"{kind}_failures__gt": 0}) | models.Q(**{f"{kind}_disabled": True})
        )
        for user in counted.values("pk", f"{kind}_failures", f"{kind}_failed_at", f"{kind}_disabled"):
            rows.append(
                Lockout(
                    user_id=user["pk"],
                    kind=kind,
                    failures=user[f"{kind}_failures"],
                    failed_at=user[f"{kind}_failed_at"],
                    disabled=user[f"{kind}_disabled"],
                )
            )
    Lockout.objects.bulk_create(rows)


def carry_back(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    User = apps.get_model("accounts", "User")
    Lockout = apps.get_model("security", "Lockout")
    for row in Lockout.objects.filter(kind__in=_KINDS):
        User.objects.filter(pk=row.user_id).update(
            **{
                f"{row.kind}_failures": row.failures,
                f"{row.kind}_failed_at": row.failed_at,
                f"{row.kind}_disabled": row.disabled,
            }
        )


class Migration(migrations.Migration):

    dependencies = [
        ('security', '0002_auditevent_table'),
        ('accounts', '0003_mfa'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Lockout',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=32)),
                ('failures', models.PositiveIntegerField(default=0)),
                ('failed_at', models.FloatField(blank=True, null=True)),
                ('disabled', models.BooleanField(default=False)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('user', 'kind'), name='unique_lockout_per_kind')],
            },
        ),
        migrations.RunPython(carry_over, carry_back),
    ]
