"""The Celery application: the deadline clock's beat and the e-mail worker."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_tracker.settings")

app = Celery("escalation_tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
