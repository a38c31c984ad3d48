"""Hand the SystemicIssue model to the oversight app, keeping its rows.

The database keeps the table and its link table, renamed to the names oversight's model expects;
only the migration state forgets the model here (``oversight.0001_initial`` takes it up).
"""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('escalations', '0002_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # Renames escalations_systemicissue and its link table escalations_systemicissue_escalations;
            # the rows, their ids and the foreign keys to escalations, organisations and users stay.
            database_operations=[
                migrations.AlterModelTable(name='systemicissue', table='oversight_systemicissue'),
            ],
            state_operations=[
                migrations.DeleteModel(name='SystemicIssue'),
            ],
        ),
    ]
