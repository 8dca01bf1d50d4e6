"""The Celery app: reads CELERY_* settings and discovers each app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fertivision.settings.local")

app = Celery("fertivision")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
