"""The stream is an async Django view, not a DRF one: put its documentation into the schema's endpoints."""

STREAM_PATH = "/api/v1/events/stream/"


def add_stream_endpoint(endpoints):
    """drf-spectacular preprocessing hook: document ``GET /api/v1/events/stream/`` (see ``StreamSchemaView``)."""
    from .views import StreamSchemaView

    return [*endpoints, (STREAM_PATH, r"^api/v1/events/stream/$", "GET", StreamSchemaView.as_view())]
