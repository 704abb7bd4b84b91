"""The upload view of bench/reference/views.py, written against the minimal project, and a liveness answer.

The same row (kind ``other``, no hashing, no sniffing), the same storage write
and the same message (the app's processing task on the ``default`` queue). The
reference's module cannot be reused: it imports ``files.tasks``, which needs the
app's settings; here the task is published by name.
"""

import functools

from django.contrib.auth import get_user_model
from django.http import JsonResponse

from files.models import File

from .celery import app

OWNER_USERNAME = "bench-minimal"
PROCESS_FILE = "files.tasks.process_file"


@functools.cache
def owner_id():
    user, _ = get_user_model().objects.get_or_create(
        username=OWNER_USERNAME, defaults={"email": f"{OWNER_USERNAME}@example.com"})
    return user.pk


def upload(request):
    """No CSRF exemption needed: there is no CSRF middleware."""
    upload = request.FILES["file"]
    record = File(owner_id=owner_id(), name=upload.name[:255], size=upload.size,
                  content_type="application/octet-stream", kind="other", sha256="")
    record.file.save(upload.name, upload, save=False)
    record.save(force_insert=True)
    # ignore_result as the app's task has it (CELERY_TASK_IGNORE_RESULT): the same message headers.
    app.send_task(PROCESS_FILE, args=[str(record.pk)], queue="default", ignore_result=True)
    return JsonResponse({"id": str(record.pk)}, status=201)


def live(request):
    """What bench.stack waits for before measuring."""
    return JsonResponse({"status": "ok"})
