# The face and one-time-code counters now live in security.Lockout (carried over by
# security 0003).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_mfa'),
        ('security', '0003_lockout'),
    ]

    operations = [
        migrations.RemoveField(model_name='user', name='face_failures'),
        migrations.RemoveField(model_name='user', name='face_failed_at'),
        migrations.RemoveField(model_name='user', name='face_disabled'),
        migrations.RemoveField(model_name='user', name='otp_failures'),
        migrations.RemoveField(model_name='user', name='otp_failed_at'),
        migrations.RemoveField(model_name='user', name='otp_disabled'),
    ]
