"""SystemicIssue, moved from escalations with its rows (see escalations.0003), and its audit trail."""
import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def content_type_follows(apps, schema_editor):
    """Point the model's content type (its permissions, admin history) at the oversight app."""
    ContentType = apps.get_model('contenttypes', 'ContentType')
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label='oversight', model='systemicissue').exists():
        ContentType.objects.using(db).filter(app_label='escalations', model='systemicissue').update(
            app_label='oversight')


def content_type_returns(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label='escalations', model='systemicissue').exists():
        ContentType.objects.using(db).filter(app_label='oversight', model='systemicissue').update(
            app_label='escalations')


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('escalations', '0003_systemicissue_moved_to_oversight'),
        ('organisations', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table exists already: escalations.0003 renamed it to oversight_systemicissue.
            state_operations=[
                migrations.CreateModel(
                    name='SystemicIssue',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('bureaucracy', 'Obstructive bureaucratic processes'), ('it', 'IT problems'), ('environment', 'Environmental constraints of the workplace'), ('relations', 'Ineffective or toxic communications or working relations'), ('other', 'Other')], max_length=20)),
                        ('title', models.CharField(max_length=200)),
                        ('description', models.TextField()),
                        ('status', models.CharField(choices=[('open', 'Open'), ('in_progress', 'In progress'), ('resolved', 'Resolved')], default='open', max_length=20)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('resolution', models.TextField(blank=True)),
                        ('escalations', models.ManyToManyField(blank=True, related_name='systemic_issues', to='escalations.escalation')),
                        ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='systemic_issues', to='organisations.organisation')),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='systemic_issues_owned', to=settings.AUTH_USER_MODEL)),
                        ('raised_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-created_at'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_follows, content_type_returns),
        migrations.CreateModel(
            name='SystemicIssueEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('created', 'Recorded'), ('status_changed', 'Status changed'), ('owner_changed', 'Owner changed'), ('resolution_changed', 'Resolution changed'), ('escalations_linked', 'Escalations linked'), ('escalations_unlinked', 'Escalations unlinked')], max_length=30)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('params', models.JSONField(blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder)),
                ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('issue', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='oversight.systemicissue')),
            ],
            options={
                'ordering': ['at', 'pk'],
                'indexes': [models.Index(fields=['issue', 'at'], name='systemic_event_issue_at')],
            },
        ),
    ]
