from django.urls import path

from . import stream, views

urlpatterns = [
    path("events/", views.EventFeedView.as_view(), name="event-list"),
    path("events/ticket/", views.StreamTicketView.as_view(), name="event-ticket"),
    # An async view: served by the ASGI server (core.asgi), never by a sync worker.
    path("events/stream/", stream.event_stream, name="event-stream"),
]
