"""A minimal upload view: save ``request.FILES["file"]`` to storage, insert one row, publish one message.

No authentication, no checks, no hashing, no sniffing: what is left is the cost
of Django's multipart parsing, the storage write, one INSERT and one Celery
publish — the ceiling the real upload endpoint is compared with. The message
is the same processing task on the same queue as an upload of kind ``other``,
so the workers do the same work behind both.
"""

import functools

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from files.models import File
from files.tasks import process_file

OWNER_USERNAME = "bench-reference"


@functools.cache
def owner_id():
    user, _ = get_user_model().objects.get_or_create(
        username=OWNER_USERNAME, defaults={"email": f"{OWNER_USERNAME}@example.com"})
    return user.pk


@csrf_exempt
def upload(request):
    upload = request.FILES["file"]
    record = File(owner_id=owner_id(), name=upload.name[:255], size=upload.size,
                  content_type="application/octet-stream", kind="other", sha256="")
    record.file.save(upload.name, upload, save=False)
    record.save(force_insert=True)
    process_file.apply_async(args=[str(record.pk)], queue="default")
    return JsonResponse({"id": str(record.pk)}, status=201)
