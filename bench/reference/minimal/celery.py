"""The minimal project's Celery app: it publishes, it defines no task.

The message names the app's task (``files.tasks.process_file``), so the app's
``default`` worker processes what this project publishes exactly as it
processes the reference's.
"""

from celery import Celery

app = Celery("minimal")
app.config_from_object("django.conf:settings", namespace="CELERY")
