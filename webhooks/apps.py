from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from events.signals import event_recorded

        from .publishing import on_event_recorded

        event_recorded.connect(on_event_recorded, dispatch_uid="webhooks.on_event_recorded")
