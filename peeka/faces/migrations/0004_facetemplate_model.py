from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('faces', '0003_auditevent_to_security'),
    ]

    operations = [
        migrations.AddField(
            model_name='facetemplate',
            name='model',
            # Every template before this field was made with dlib's ResNet.
            field=models.CharField(default='dlib_resnet_v1', max_length=32),
            preserve_default=False,
        ),
    ]
