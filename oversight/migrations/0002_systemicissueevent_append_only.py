"""A systemic issue's history refuses UPDATE and DELETE in PostgreSQL too (core.triggers)."""
from django.db import migrations

from core.triggers import append_only


class Migration(migrations.Migration):

    dependencies = [
        ('oversight', '0001_initial'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='systemicissueevent',
            options={'base_manager_name': 'objects', 'ordering': ['at', 'pk']},
        ),
        append_only('oversight_systemicissueevent'),
    ]
