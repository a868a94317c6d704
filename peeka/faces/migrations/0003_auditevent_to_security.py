# The audit log moved to `peeka.security` (which adopted the table): only Django's state
# forgets it here; no row is touched.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('faces', '0002_livenesschallenge'),
        ('security', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='AuditEvent')],
            database_operations=[],
        ),
    ]
