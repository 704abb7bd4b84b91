"""Prometheus metrics: every metric object of the project, and the ``/metrics`` exposition.

Code increments the objects defined here (one place, documented names);
nothing else creates metrics. The web server's and the workers' processes
each write their values to files in ``PROMETHEUS_MULTIPROC_DIR``
(prometheus-client's multiprocess mode), which their launcher sets before
anything imports prometheus-client: gunicorn's ``gunicorn.conf.py`` for the
web processes, ``core.celery`` for a worker and its pool. A scrape adds up
the files of every process, live and dead, so counters never go backwards
when gunicorn or Celery replaces a process.

Served at ``/metrics`` by the web server (``api.middleware``), and by each
Celery worker's main process on ``CELERY_METRICS_PORT`` (``core.celery``).

Metrics other features report (defined here, counted there):

- ``WEBHOOK_DELIVERIES`` (``uploads_webhook_deliveries_total{result}``):
  increment once per delivery attempt with ``result`` ``success`` or
  ``failure`` (timeouts and refused connections are failures).
- ``TUS_UPLOADS_IN_PROGRESS`` (``uploads_tus_uploads_in_progress``): unfinished
  resumable uploads, counted from the database at scrape time in
  ``DatabaseCollector.collect`` (a gauge kept in a process would be lost
  whenever gunicorn replaces a worker).
"""

import functools
import ipaddress
import logging
import os
import time
from collections.abc import Iterable

from django.conf import settings
from prometheus_client import REGISTRY as PROCESS_REGISTRY
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)
# No `_created` series: multiprocess mode has none, so one process alone would differ.
disable_created_metrics()

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# --- HTTP (api.middleware) -------------------------------------------------------

# Upper bounds chosen for an API whose uploads take milliseconds to seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

HTTP_REQUEST_DURATION = Histogram(
    "uploads_http_request_duration_seconds",
    "Time until a request's response is ready (a streamed body's transfer not included), by route "
    "(the URL pattern's name, never the raw path), method and status; its _count is the number of requests.",
    ["route", "method", "status"], buckets=LATENCY_BUCKETS,
)

# --- Uploads (files.views) -------------------------------------------------------

UPLOADS_ACCEPTED = Counter("uploads_upload_accepted_total", "Uploads stored (201), by kind.", ["kind"])
UPLOADS_REFUSED = Counter("uploads_upload_refused_total",
                          "Uploads refused, by the error envelope's code (file_too_large, quota_exceeded, ...).",
                          ["code"])
UPLOAD_BYTES = Counter("uploads_upload_received_bytes_total", "Bytes of the files stored by accepted uploads, by kind.",
                       ["kind"])

# --- Processing (files.processing, files.tasks) ----------------------------------

FILE_TRANSITIONS = Counter("uploads_file_transitions_total",
                           "Files that moved to a status (pending, processing, processed, failed), by kind.",
                           ["kind", "status"])
PROCESSING_DURATION = Histogram(
    "uploads_processing_duration_seconds",
    "Time a worker spent on one processing attempt, by kind and outcome (processed, failed, retry, lost).",
    ["kind", "outcome"], buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)

# --- Degraded dependencies ---------------------------------------------------------

THROTTLE_FAIL_OPEN = Counter("uploads_throttle_fail_open_total",
                             "Requests let through unthrottled because Redis could not be reached.")

# --- Resumable uploads (reported from DatabaseCollector) ---------------------------

TUS_UPLOADS_IN_PROGRESS = "uploads_tus_uploads_in_progress"

# --- Webhooks ------------------------------------------------------------------------

WEBHOOK_DELIVERIES = Counter("uploads_webhook_deliveries_total",
                             "Webhook delivery attempts, by result (success, failure).", ["result"])


class DatabaseCollector:
    """Gauges read from the database at scrape time, with two indexed queries.

    ``uploads_queue_depth{queue}``: files waiting for a worker (``pending``),
    by the queue their kind is routed to; ``uploads_queue_oldest_pending_age_seconds{queue}``:
    how long the oldest of them has waited (0 when none). Both come from the
    ``(status, status_changed_at)`` index, so a scrape costs the same whatever
    the number of processed files. ``uploads_files_processing{queue}``: files
    a worker holds now.
    """

    def collect(self) -> Iterable:
        from django.db import DatabaseError
        from django.db.models import Count, Min
        from django.utils import timezone

        from files.enums import Status
        from files.models import File, ResumableUpload
        from files.publishing import file_queues, queue_for_kind

        depth = GaugeMetricFamily("uploads_queue_depth", "Files pending processing, by queue.", labels=["queue"])
        age = GaugeMetricFamily("uploads_queue_oldest_pending_age_seconds",
                                "Seconds the oldest pending file of the queue has waited (0 when none).",
                                labels=["queue"])
        busy = GaugeMetricFamily("uploads_files_processing", "Files being processed now, by queue.", labels=["queue"])
        tus = GaugeMetricFamily(TUS_UPLOADS_IN_PROGRESS, "Resumable (tus) uploads neither complete nor expired.")
        queues = {queue: {"pending": 0, "oldest": None, "processing": 0} for queue in file_queues()}
        try:
            rows = list(File.objects.filter(status__in=[Status.PENDING, Status.PROCESSING]).order_by()
                        .values("status", "kind").annotate(count=Count("pk"), oldest=Min("status_changed_at"))
                        .values_list("status", "kind", "count", "oldest"))
            # A range scan of the expiry index: only unfinished uploads have a future expiry.
            tus.add_metric([], ResumableUpload.objects.filter(file__isnull=True, expires_at__gt=timezone.now()).count())
        except DatabaseError:
            # The process's own metrics still answer while the database is down (when they matter most).
            logger.warning("Cannot read the queue gauges from the database", exc_info=True)
            return []
        now = time.time()
        for status, kind, count, oldest in rows:
            queue = queues.setdefault(queue_for_kind(kind), {"pending": 0, "oldest": None, "processing": 0})
            if status == Status.PENDING:
                queue["pending"] += count
                if queue["oldest"] is None or oldest < queue["oldest"]:
                    queue["oldest"] = oldest
            else:
                queue["processing"] += count
        for name, values in sorted(queues.items()):
            depth.add_metric([name], values["pending"])
            age.add_metric([name], max(0.0, now - values["oldest"].timestamp()) if values["oldest"] else 0.0)
            busy.add_metric([name], values["processing"])
        return [depth, age, busy, tus]


def _multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def scrape(*, database: bool = True) -> bytes:
    """The Prometheus text of every process's metrics (and, with ``database``, the database gauges)."""
    registry = CollectorRegistry(auto_describe=False)
    if _multiprocess_dir():
        MultiProcessCollector(registry, path=_multiprocess_dir())
    else:
        registry.register(_ProcessMetrics())
    if database:
        registry.register(DatabaseCollector())
    return generate_latest(registry)


class _ProcessMetrics:
    """This process's own metrics, when not in multiprocess mode (tests in one process, a shell)."""

    def collect(self):
        return PROCESS_REGISTRY.collect()


def metrics_client_address(request) -> str:
    """The address ``/metrics`` access is decided on.

    ``REMOTE_ADDR``: the peer of the web server. Behind the production nginx
    that is nginx, which itself refuses ``/metrics`` (docker/nginx.conf).
    """
    return request.META.get("REMOTE_ADDR", "")


def metrics_allowed(address: str) -> bool:
    """Loopback always; otherwise only addresses in ``METRICS_ALLOWED_IPS`` (addresses or networks)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.is_loopback or (ip.version == 6 and ip.ipv4_mapped and ip.ipv4_mapped.is_loopback):
        return True
    return any(ip in network for network in _allowed_networks())


def _allowed_networks() -> list:
    return _networks(tuple(settings.METRICS_ALLOWED_IPS))


@functools.cache
def _networks(values: tuple[str, ...]) -> list:
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]
