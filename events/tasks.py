"""Celery tasks of the event log (thin)."""

from celery import shared_task

from . import services


@shared_task
def sweep_events() -> dict:
    """Periodic (Celery beat): see ``services.events_sweep``."""
    return services.events_sweep()
