from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import error_response
from api.throttling import UserRateThrottle

from . import selectors, services
from .enums import EventType
from .serializers import EventPageSerializer, EventSerializer, EventTypesField, TicketSerializer


class EventQuery(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, max_value=2**63 - 1, required=False, default=0)
    type = EventTypesField(required=False)


class EventFeedView(APIView):
    """The caller's event log, for clients that poll: oldest first after ``after``."""

    throttle_classes = [UserRateThrottle]

    @extend_schema(
        operation_id="listEvents", tags=["events"], summary="List your files' events",
        description="What happened to the caller's files after event `after`, oldest first, at most 100 "
                    "per answer; poll again with `last_id` as `after`. Events are kept `EVENTS_RETENTION`.",
        parameters=[
            OpenApiParameter("after", OpenApiTypes.STR, description="Return events with a greater id "
                                                                    "(the `last_id` of the previous answer)."),
            OpenApiParameter("type", OpenApiTypes.STR, many=True, enum=EventType.values,
                             description="Only these types; repeat the parameter for several."),
        ],
        responses={200: EventPageSerializer, 400: error_response("invalid: bad `after` or `type`"),
                   401: error_response("not_authenticated: no or bad token")},
    )
    def get(self, request):
        query = EventQuery(data={"after": request.query_params.get("after", 0),
                                 "type": request.query_params.getlist("type")})
        query.is_valid(raise_exception=True)
        after = query.validated_data["after"]
        events = selectors.event_list(owner=request.user, after=after, types=query.validated_data.get("type"))
        last_id = events[-1].id if events else after
        results = EventSerializer(events, many=True, context={"request": request}).data
        return Response({"results": results, "last_id": str(last_id)})


class StreamTicketView(APIView):
    """A single-use ticket for the event stream (``EventSource`` cannot send an Authorization header)."""

    throttle_classes = [UserRateThrottle]

    @extend_schema(operation_id="createStreamTicket", tags=["events"], summary="Get a stream ticket",
                   description="A single-use ticket, valid 60 s, for `GET /api/v1/events/stream/?ticket=`: a "
                               "browser's EventSource cannot send an Authorization header.",
                   request=None, responses={201: TicketSerializer,
                                            401: error_response("not_authenticated: no or bad token")})
    def post(self, request):
        ticket, ttl = services.ticket_issue(owner=request.user)
        return Response({"ticket": ticket, "expires_in": ttl}, status=status.HTTP_201_CREATED)


class StreamSchemaView(APIView):
    """Documents ``GET /events/stream/`` in the schema; the stream itself is ``events.stream.event_stream``
    (an async Django view), added to the schema's endpoints by ``events.schema.add_stream_endpoint``."""

    @extend_schema(
        operation_id="streamEvents", tags=["events"], summary="Follow your files' events live",
        description="Server-Sent Events: each event as `id:`, `event: <type>`, `data: <event JSON>`; resumes after "
                    "`Last-Event-ID` (or `after`); a `: keep-alive` comment every 15 s. Served by the asynchronous "
                    "server, so an open stream never holds a web worker.",
        parameters=[
            OpenApiParameter("ticket", OpenApiTypes.STR, description="From `POST /api/v1/events/ticket/` "
                                                                     "(or send a Bearer header)."),
            OpenApiParameter("after", OpenApiTypes.STR, description="Start after this event id."),
            OpenApiParameter("Last-Event-ID", OpenApiTypes.STR, OpenApiParameter.HEADER,
                             description="Sent by EventSource on reconnection; wins over `after`."),
        ],
        responses={(200, "text/event-stream"): OpenApiResponse(OpenApiTypes.STR),
                   400: error_response("invalid: `after` or `Last-Event-ID` is not an event id"),
                   401: error_response("not_authenticated: no ticket or token; a bad, expired or used ticket")},
    )
    def get(self, request):  # pragma: no cover - never routed
        raise NotImplementedError
