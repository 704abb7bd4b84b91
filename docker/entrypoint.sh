#!/bin/sh
# One image, several roles: the first argument picks what this container runs.
#   web              gunicorn on $HOST:$PORT (0.0.0.0:8000 by default)
#   events           uvicorn (ASGI) on $HOST:$PORT for the event stream (nginx routes
#                    /api/v1/events/stream/ here); an open stream holds no gunicorn worker
#   worker [ARGS]    a Celery worker; ARGS go to `celery worker` (e.g. -Q images)
#   beat             Celery beat (the periodic sweeper)
#   release          migrate, collectstatic, create the DJANGO_SUPERUSER_* account:
#                    once per deploy, from the one-shot `migrate` service
#   anything else    run as given (e.g. `python manage.py shell`)
set -eu

role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
  web)
    # Only nginx (its fixed address on the compose network) may set the
    # forwarded scheme gunicorn believes.
    exec gunicorn core.wsgi \
      --bind "${HOST:-0.0.0.0}:${PORT:-8000}" \
      --workers "${WEB_CONCURRENCY:-2}" \
      --timeout "${GUNICORN_TIMEOUT:-60}" \
      --graceful-timeout 20 \
      --max-requests 1000 --max-requests-jitter 100 \
      --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
      --worker-tmp-dir /dev/shm \
      --access-logfile - \
      "$@"
    ;;
  events)
    exec uvicorn core.asgi:application \
      --host "${HOST:-0.0.0.0}" --port "${PORT:-8001}" \
      --workers "${EVENTS_CONCURRENCY:-1}" \
      --proxy-headers --forwarded-allow-ips "*" \
      --timeout-graceful-shutdown 10 \
      --no-server-header \
      "$@"
    ;;
  worker)
    exec celery -A core worker --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
  beat)
    exec celery -A core beat --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
  release)
    python manage.py migrate --no-input
    python manage.py collectstatic --no-input -v0
    exec python manage.py ensure_superuser
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
