# The adopted audit table takes this app's name (a rename: the rows stay).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('security', '0001_initial'),
        ('faces', '0003_auditevent_to_security'),
    ]

    operations = [
        migrations.AlterModelTable(name='auditevent', table=None),
    ]
