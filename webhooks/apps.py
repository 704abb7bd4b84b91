from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from events.services import event_extra_register
        from events.signals import event_recorded

        from .publishing import SUBSCRIBED, on_event_recorded
        from .selectors import endpoints_subscribed_subquery

        event_recorded.connect(on_event_recorded, dispatch_uid="webhooks.on_event_recorded")
        # Which endpoints take an event is read in the statement that records it.
        event_extra_register(SUBSCRIBED, endpoints_subscribed_subquery)
