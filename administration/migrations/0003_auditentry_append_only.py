"""The administrators' audit log refuses UPDATE and DELETE in PostgreSQL too (core.triggers)."""
from django.db import migrations

from core.triggers import append_only


class Migration(migrations.Migration):

    dependencies = [
        ('administration', '0002_alter_auditentry_kind'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='auditentry',
            options={'base_manager_name': 'objects', 'ordering': ['-at', '-pk'], 'verbose_name_plural': 'audit entries'},
        ),
        append_only('administration_auditentry'),
    ]
