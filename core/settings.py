"""Settings for the upload platform.

Every value comes from the environment (a ``.env`` file beside ``manage.py`` is
read when present) through one django-environ helper. The defaults are safe for
a developer's machine: SQLite and a filesystem Celery broker under ``var/``.
Production differs only by environment variables and refuses to start with a
missing or default secret key.
"""

import ipaddress
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from core.logs import logging_config
from core.sentry import init_sentry
from files.enums import Kind

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

# --- Core -------------------------------------------------------------------

DEV_SECRET_KEY = "django-insecure-dev-only-change-me"  # noqa: S105 - refused when DEBUG is off
# Off unless asked for: `make run` and the development compose file set DJANGO_DEBUG=true.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or DEV_SECRET_KEY
if env.bool("DJANGO_EPHEMERAL_SECRET_KEY", default=False) and SECRET_KEY == DEV_SECRET_KEY:
    # Processes that sign nothing (the Celery workers, which parse untrusted files)
    # are not given the site's key; a random one of their own satisfies Django.
    SECRET_KEY = secrets.token_urlsafe(50)
# JWTs are signed with their own key when one is given (rotating it ends every
# session without touching sessions, CSRF or password-reset tokens).
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="") or SECRET_KEY


def _refuse_public_key(name: str, value: str) -> None:
    """The same bar as Django's security.W009 check, but refusing to start: with DEBUG
    off, a key anyone can read in this repository would let anyone sign tokens."""
    if value.startswith("django-insecure-") or len(value) < 50 or len(set(value)) < 5:
        raise ImproperlyConfigured(
            f"{name} must be set to a random value of 50+ characters when DJANGO_DEBUG=false "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )


if not DEBUG:
    _refuse_public_key("DJANGO_SECRET_KEY", SECRET_KEY)
    _refuse_public_key("JWT_SIGNING_KEY", JWT_SIGNING_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "corsheaders",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "users",
    "files",
    "events",
    "webhooks",
    "api",
]

MIDDLEWARE = [
    # First: the request id, request metrics and the request log line cover every
    # other middleware; /metrics is answered here (see api.middleware).
    "api.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "api.middleware.ApiErrorEnvelopeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out admin login into api.lockout's 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "core.urls"
WSGI_APPLICATION = "core.wsgi.application"
AUTH_USER_MODEL = "users.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, whose health check reads the socket instead of sending SELECT 1.
    DATABASES["default"]["ENGINE"] = "core.postgresql"
    # "off" in Celery workers (core.celery sets it; README "Processing"): a commit returns before
    # its WAL reaches the disk, and one lost in a crash is redone by the pipeline. Web: "on".
    DB_SYNCHRONOUS_COMMIT = env.str("DB_SYNCHRONOUS_COMMIT", default="on")
    if DB_SYNCHRONOUS_COMMIT != "on":
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c synchronous_commit={DB_SYNCHRONOUS_COMMIT}"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE
    # transactions plus a busy timeout make writers queue instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Sign-in lockout (django-axes) --------------------------------------------

# AxesStandaloneBackend refuses a locked-out username before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Per username, whatever addresses the attempts come from (the address throttles are
# THROTTLE_AUTH's and nginx's job); on auth/token/ and the admin login alike. A callable
# rather than a list: axes' check W006 asks for ip_address in a list, against lockouts
# by user agent or cookie that rotate; a username does not rotate, and locking a shared
# address (an office's NAT) out for everyone behind it is not wanted here.
AXES_LOCKOUT_PARAMETERS = "users.lockout.lockout_parameters"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("LOGIN_LOCKOUT_SECONDS", default=900))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "api.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "api.throttling.client_address"
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Upload temp files live beside the media so that saving one is a rename,
# not a second copy of the bytes.
FILE_UPLOAD_TEMP_DIR = str(MEDIA_ROOT / ".tmp")
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1_048_576)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=100)
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DATA_UPLOAD_MAX_NUMBER_FILES", default=5)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = DEBUG

# Uploads and thumbnails: "local" (MEDIA_ROOT, one host or a shared volume) or
# "s3" (an S3-compatible bucket that every web and worker host reaches).
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="local")
# On S3, downloads answer 302 to a presigned bucket URL valid this many seconds
# (the owner check comes first); off, the web process streams the bytes.
S3_PRESIGNED_DOWNLOADS = env.bool("S3_PRESIGNED_DOWNLOADS", default=False)
S3_PRESIGNED_EXPIRY = env.int("S3_PRESIGNED_EXPIRY", default=300)
if STORAGE_BACKEND == "s3":
    S3_ENDPOINT_URL = env.str("S3_ENDPOINT_URL", default="") or None
    STORAGES["default"] = {
        "BACKEND": "core.storage.S3MediaStorage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": S3_ENDPOINT_URL,
            "region_name": env.str("S3_REGION", default="us-east-1"),
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("S3_PREFIX", default="").strip("/"),
            # MinIO and most self-hosted services need path-style URLs.
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="path" if S3_ENDPOINT_URL else "auto"),
            "upload_part_size": env.int("S3_UPLOAD_PART_SIZE", default=8_388_608),
            "upload_concurrency": env.int("S3_UPLOAD_CONCURRENCY", default=4),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": True,  # names are generated from ids; no existence check needed
        },
    }
elif STORAGE_BACKEND != "local":
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be 'local' or 's3', not {STORAGE_BACKEND!r}.")

# --- Files domain -----------------------------------------------------------

FILES_MAX_UPLOAD_SIZE = env.int("FILES_MAX_UPLOAD_SIZE", default=104_857_600)
FILES_USER_QUOTA = env.int("FILES_USER_QUOTA", default=1_073_741_824)
FILES_ALLOWED_KINDS = env.list("FILES_ALLOWED_KINDS", default=list(Kind.values))
# kind -> Celery queue (files.publishing routes by it); kinds not named here go to the default queue.
FILES_QUEUE_BY_KIND = env.dict(
    "FILES_QUEUE_BY_KIND", default={Kind.IMAGE.value: "images", Kind.DOCUMENT.value: "documents",
                                    Kind.VIDEO.value: "media", Kind.AUDIO.value: "media"}
)
FILES_DEFAULT_QUEUE = env.str("FILES_DEFAULT_QUEUE", default="default")
FILES_MAX_PROCESSING_ATTEMPTS = env.int("FILES_MAX_PROCESSING_ATTEMPTS", default=5)
FILES_SWEEP_PENDING_AFTER = env.int("FILES_SWEEP_PENDING_AFTER", default=300)
FILES_IDEMPOTENCY_TTL = env.int("FILES_IDEMPOTENCY_TTL", default=86_400)
# Seconds an unfinished resumable (tus) upload lives after its last PATCH.
FILES_TUS_EXPIRY = env.int("FILES_TUS_EXPIRY", default=86_400)
# Processing limits (see the README for why each default).
FILES_IMAGE_MAX_PIXELS = env.int("FILES_IMAGE_MAX_PIXELS", default=64_000_000)
FILES_IMAGE_MAX_FRAMES = env.int("FILES_IMAGE_MAX_FRAMES", default=1_000)
FILES_IMAGE_MAX_DECODE_BYTES = env.int("FILES_IMAGE_MAX_DECODE_BYTES", default=268_435_456)
FILES_ARCHIVE_MAX_ENTRIES = env.int("FILES_ARCHIVE_MAX_ENTRIES", default=100_000)
FILES_JSON_MAX_PARSE_SIZE = env.int("FILES_JSON_MAX_PARSE_SIZE", default=20_971_520)
# Video and audio (files.processors.ffmpeg): checked from the header before any frame is decoded.
FILES_MEDIA_MAX_DURATION = env.int("FILES_MEDIA_MAX_DURATION", default=10_800)
FILES_MEDIA_MAX_STREAMS = env.int("FILES_MEDIA_MAX_STREAMS", default=16)
FILES_VIDEO_MAX_DIMENSION = env.int("FILES_VIDEO_MAX_DIMENSION", default=8_192)
FILES_MEDIA_TIMEOUT = env.int("FILES_MEDIA_TIMEOUT", default=60)
FILES_JSON_MAX_PARSE_MEMORY = env.int("FILES_JSON_MAX_PARSE_MEMORY", default=67_108_864)
FILES_CSV_MAX_ROW_CHARS = env.int("FILES_CSV_MAX_ROW_CHARS", default=1_048_576)
# When set (e.g. "/protected/"), downloads answer with X-Accel-Redirect to
# this internal nginx location instead of streaming from Python.
FILES_ACCEL_REDIRECT_PREFIX = env.str("FILES_ACCEL_REDIRECT_PREFIX", default="")
# Seconds a File's signed download_url / thumbnail_url stays valid (files.signing).
FILES_SIGNED_URL_TTL = env.int("FILES_SIGNED_URL_TTL", default=3600)

# --- Events ------------------------------------------------------------------

EVENTS_RETENTION = env.int("EVENTS_RETENTION", default=604_800)
# Webhook URLs on loopback/private/link-local addresses are refused unless this is on (development only).
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)
# An endpoint whose deliveries have all failed for this many seconds is deactivated.
WEBHOOKS_DISABLE_AFTER = env.int("WEBHOOKS_DISABLE_AFTER", default=432_000)
WEBHOOKS_QUEUE = env.str("WEBHOOKS_QUEUE", default="webhooks")

# --- Celery -----------------------------------------------------------------

BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    if CELERY_BROKER_URL.startswith("redis://"):
        # kombu's Redis transport, reusing its Redis client per channel (core/broker.py).
        CELERY_BROKER_TRANSPORT = "core.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_WORKER_PREFETCH_MULTIPLIER", default=1)
CELERY_TASK_DEFAULT_QUEUE = FILES_DEFAULT_QUEUE
CELERY_TASK_QUEUES = [
    Queue(name, routing_key=name)
    for name in dict.fromkeys([FILES_DEFAULT_QUEUE, *FILES_QUEUE_BY_KIND.values(), WEBHOOKS_QUEUE])
]
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fixup closes the database connection before and after every
# task unless this is set; then it does so only every this many tasks, and
# core.celery applies Django's CONN_MAX_AGE and health checks around each task.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_BEAT_SCHEDULE = {
    "sweep-files": {
        "task": "files.tasks.sweep_files",
        "schedule": env.int("FILES_SWEEP_INTERVAL", default=60),
    },
    "expire-uploads": {
        "task": "files.tasks.expire_uploads",
        "schedule": env.int("FILES_SWEEP_INTERVAL", default=60),
    },
}
CELERY_BEAT_SCHEDULE["sweep-events"] = {
    "task": "events.tasks.sweep_events",
    "schedule": env.int("EVENTS_SWEEP_INTERVAL", default=3600),
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Cache (throttling state) -----------------------------------------------

REDIS_CACHE_URL = env.str("REDIS_CACHE_URL", default="")
if REDIS_CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- REST framework and JWT -------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["users.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.NumberedPagination",
    "EXCEPTION_HANDLER": "api.exception_handlers.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.UserRateThrottle"],
    # How many proxies in front append to X-Forwarded-For: the client is the address
    # the last of them saw. 0 (make run): the socket's address, the header is ignored.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_THROTTLE_RATES": {
        "auth": env.str("THROTTLE_AUTH", default="20/min"),
        "upload": env.str("THROTTLE_UPLOAD", default="600/min"),
        "user": env.str("THROTTLE_USER", default="3000/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env.int("JWT_ACCESS_LIFETIME", default=300)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env.int("JWT_REFRESH_LIFETIME", default=86_400)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "TOKEN_OBTAIN_SERIALIZER": "users.serializers.TokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "users.serializers.TokenRefreshSerializer",
}
# Rotating refresh tokens never extends a session past this many seconds after sign-in.
JWT_SESSION_LIFETIME = env.int("JWT_SESSION_LIFETIME", default=2_592_000)

SPECTACULAR_SETTINGS = {
    "TITLE": "Upload platform API",
    "DESCRIPTION": "Upload files, get them processed asynchronously by kind, list your own files.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's assets are served from this app (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": True},
    "ENUM_NAME_OVERRIDES": {"FileStatusEnum": "files.enums.Status", "FileKindEnum": "files.enums.Kind",
                            "EventTypeEnum": "events.enums.EventType"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
        "api.schema.explicit_anonymous_security",
        "api.schema.shared_parameter_enums",
        "api.schema.add_request_id_header",
    ],
    "PREPROCESSING_HOOKS": ["events.schema.add_stream_endpoint"],
}

# --- CORS and security ------------------------------------------------------

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
# The one complete list of what the contract lets a browser send (django-cors-headers'
# defaults, then the retry, range, validator, event-stream and tus headers)...
CORS_ALLOW_HEADERS = [
    "accept", "accept-encoding", "authorization", "content-type", "dnt", "origin", "user-agent",
    "x-csrftoken", "x-requested-with",
    "idempotency-key", "range", "if-range", "if-none-match", "last-event-id",
    "tus-resumable", "upload-length", "upload-offset", "upload-metadata", "upload-defer-length",
    "upload-concat", "x-http-method-override",
]
CORS_ALLOW_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
# ...and of every response header it names that a page may read.
CORS_EXPOSE_HEADERS = [
    "Location", "Retry-After", "ETag", "Content-Range", "Accept-Ranges", "Content-Length", "Content-Disposition",
    "File-Location", "Upload-Offset", "Upload-Length", "Upload-Expires", "Upload-Metadata",
    "Upload-Defer-Length", "Upload-Concat", "Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size",
    "X-Request-ID",
]
# Preflights are cached by the browser this long (its own cap applies: Chromium 2 h).
CORS_PREFLIGHT_MAX_AGE = 86_400

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Logging, metrics, error reports ------------------------------------------

# "json": one JSON object per line (production); "plain": lines for people (make run).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'plain', not {LOG_FORMAT!r}.")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))

# Who may read /metrics besides loopback: addresses or networks (CIDR), comma-separated.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
try:
    [ipaddress.ip_network(value, strict=False) for value in METRICS_ALLOWED_IPS]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {exc}") from exc
# A Celery worker's main process serves its pool's metrics on this port (0: off).
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0)
CELERY_METRICS_ADDR = env.str("CELERY_METRICS_ADDR", default="127.0.0.1")

SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    init_sentry(dsn=SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"),
                traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0))
