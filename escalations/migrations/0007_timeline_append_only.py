"""The timeline refuses UPDATE and DELETE in PostgreSQL too; retention may only blank its notes (core.triggers)."""
from django.db import migrations

from core.triggers import append_only


class Migration(migrations.Migration):

    dependencies = [
        ('escalations', '0006_escalation_anonymised_at'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='timelineentry',
            options={'base_manager_name': 'objects', 'ordering': ['at', 'pk'], 'verbose_name_plural': 'timeline entries'},
        ),
        append_only('escalations_timelineentry', erasable=('note', 'params')),
    ]
