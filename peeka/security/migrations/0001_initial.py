# The audit log moves here from `faces`: the model is adopted in Django's state over the
# existing table (faces_auditevent, with its rows), which 0002 then renames.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('faces', '0002_livenesschallenge'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('time', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('username', models.CharField(blank=True, max_length=150)),
                        ('event', models.CharField(max_length=32)),
                        ('success', models.BooleanField()),
                        ('reason', models.CharField(blank=True, max_length=64)),
                        ('ip', models.GenericIPAddressField(null=True)),
                        ('user_agent', models.CharField(blank=True, max_length=256)),
                        ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-time'],
                        'db_table': 'faces_auditevent',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
