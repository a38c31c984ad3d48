"""The access log, append-only: PostgreSQL refuses UPDATE and DELETE on it (core.triggers)."""
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from core.triggers import append_only


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('organisations', '0002_roles_out_of_hours_absences'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AccessEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, help_text='When, in UTC.')),
                ('username', models.CharField(blank=True, help_text='The username at the time.', max_length=150)),
                ('action', models.CharField(choices=[('escalation_viewed', 'Viewed the escalation'), ('record_viewed', 'Viewed the written record'), ('attachment_downloaded', 'Downloaded an attachment'), ('exported', 'Exported'), ('refused', 'Refused'), ('administrative_change', 'Administrative change'), ('deleted', 'Deleted'), ('access_log_read', 'Read the access log'), ('anonymised', 'Anonymised')], max_length=30)),
                ('outcome', models.CharField(choices=[('allowed', 'Allowed'), ('forbidden', 'Refused (not allowed)'), ('not_found', 'Refused (not found or not visible)')], default='allowed', max_length=20)),
                ('status', models.PositiveSmallIntegerField(blank=True, help_text='The HTTP status answered.', null=True)),
                ('object_kind', models.CharField(blank=True, help_text='escalation, attachment, report, ...', max_length=40)),
                ('object_id', models.CharField(blank=True, max_length=64)),
                ('escalation_id', models.PositiveBigIntegerField(blank=True, help_text='The escalation it is about, if any.', null=True)),
                ('address', models.GenericIPAddressField(blank=True, help_text="The client's address.", null=True)),
                ('method', models.CharField(blank=True, max_length=10)),
                ('path', models.CharField(blank=True, help_text='Without the query string.', max_length=300)),
                ('detail', models.JSONField(blank=True, default=dict)),
                ('organisation', models.ForeignKey(blank=True, db_constraint=False, help_text="The organisation of what it is about (an escalation's raising organisation).", null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='organisations.organisation')),
                ('partner_organisation', models.ForeignKey(blank=True, db_constraint=False, help_text="An escalation's receiving organisation, on a multi-agency ladder.", null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='organisations.organisation')),
                ('user', models.ForeignKey(blank=True, db_constraint=False, help_text='Empty for an anonymous request or the system.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-at', '-pk'],
                'base_manager_name': 'objects',
                'indexes': [models.Index(fields=['organisation', '-at'], name='access_org_at'), models.Index(fields=['partner_organisation', '-at'], name='access_partner_at'), models.Index(fields=['escalation_id', '-at'], name='access_escalation_at'), models.Index(fields=['user', '-at'], name='access_user_at')],
            },
        ),
        append_only('audit_accessevent'),
    ]
