"""Settings of the minimal project: what its one view needs, nothing the app adds.

Every value the stack sets for the app comes from the same environment variable
(``bench.stack.Stack.env``), so the row, the stored bytes and the Celery message
land in the same database, directory and Redis database as the app's. No
migrations are run from here: the benchmark database is migrated by
``bench.run`` with the app's settings.
"""

from pathlib import Path

import environ

env = environ.Env()

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.contenttypes",  # auth's Permission points at ContentType
    "django.contrib.auth",  # users.User is an AbstractUser (groups, permissions)
    "users",  # AUTH_USER_MODEL, the target of File.owner
    "files",  # File
]
AUTH_USER_MODEL = "users.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# CommonMiddleware alone, as every startproject keeps it: it sets Content-Length on
# the response, so the answer is framed as the app's and the reference's are (without
# it gunicorn sends the body chunked). No sessions, CSRF, auth or security middleware:
# the view needs none of them.
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "bench.reference.minimal.urls"
WSGI_APPLICATION = "bench.reference.minimal.wsgi.application"

# As the app: a persistent connection, health-checked before each request's first query.
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

USE_TZ = True
TIME_ZONE = "UTC"

# The app's local storage: files under MEDIA_ROOT, upload temp files beside them.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT"))
FILE_UPLOAD_TEMP_DIR = str(MEDIA_ROOT / ".tmp")
STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}

# Read by the Celery app of .celery; publishing only (no result backend, as the app).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
