from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.schema import error_response
from api.throttling import UserRateThrottle

from . import selectors, services
from .serializers import (
    DeliverySerializer,
    EndpointCreatedSerializer,
    EndpointCreateSerializer,
    EndpointSerializer,
    EndpointUpdateSerializer,
)

NOT_FOUND = {404: error_response("not_found: unknown id, or another user's webhook")}
URL_REFUSED = {400: error_response("invalid: bad fields; a URL that is not http(s), does not resolve, or "
                                   "resolves to a loopback, private or link-local address")}


def _refused_url(exc: services.WebhookUrlRefused) -> ValidationError:
    return ValidationError({"url": [exc.detail]})


@extend_schema_view(
    list=extend_schema(operation_id="listWebhooks", summary="List your webhooks",
                       description="The caller's webhook endpoints (without their secrets).",
                       responses={200: EndpointSerializer(many=True)}),
    create=extend_schema(operation_id="createWebhook", summary="Create a webhook",
                         description="Deliver the named event types to `url`, signed per Standard Webhooks with "
                                     "the `secret` of this answer (shown only here). The URL must resolve to "
                                     "public addresses unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is on.",
                         request=EndpointCreateSerializer, responses={201: EndpointCreatedSerializer, **URL_REFUSED}),
    retrieve=extend_schema(operation_id="getWebhook", summary="Get a webhook",
                           description="One endpoint; `disabled_reason` says why it was deactivated, if it was.",
                           responses={200: EndpointSerializer, **NOT_FOUND}),
    partial_update=extend_schema(operation_id="updateWebhook", summary="Change a webhook",
                                 description="Change `url`, `events` or `active`; turning a deactivated endpoint "
                                             "back on clears its reason.",
                                 request=EndpointUpdateSerializer,
                                 responses={200: EndpointSerializer, **URL_REFUSED, **NOT_FOUND}),
    destroy=extend_schema(operation_id="deleteWebhook", summary="Delete a webhook",
                          description="Remove the endpoint and its delivery log; queued deliveries stop.",
                          responses={204: None, **NOT_FOUND}),
)
@extend_schema(tags=["webhooks"])
class EndpointViewSet(viewsets.ViewSet):
    """The caller's webhook endpoints, their recent deliveries, and a ping."""

    throttle_classes = [UserRateThrottle]
    pagination_class = None
    lookup_value_regex = "[^/]+"

    def list(self, request):
        endpoints = selectors.endpoint_list(owner=request.user)
        return Response(EndpointSerializer(endpoints, many=True).data)

    def create(self, request):
        data = EndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            endpoint = services.endpoint_create(owner=request.user, **data.validated_data)
        except services.WebhookUrlRefused as exc:
            raise _refused_url(exc) from exc
        return Response(EndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        return Response(EndpointSerializer(selectors.endpoint_get(owner=request.user, endpoint_id=pk)).data)

    def partial_update(self, request, pk=None):
        endpoint = selectors.endpoint_get(owner=request.user, endpoint_id=pk)
        data = EndpointUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            endpoint = services.endpoint_update(endpoint=endpoint, **data.validated_data)
        except services.WebhookUrlRefused as exc:
            raise _refused_url(exc) from exc
        return Response(EndpointSerializer(endpoint).data)

    def destroy(self, request, pk=None):
        services.endpoint_delete(endpoint=selectors.endpoint_get(owner=request.user, endpoint_id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(operation_id="listWebhookDeliveries", summary="List a webhook's deliveries",
                   description="The endpoint's most recent delivery attempts (100), newest first.",
                   responses={200: DeliverySerializer(many=True), **NOT_FOUND})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        endpoint = selectors.endpoint_get(owner=request.user, endpoint_id=pk)
        return Response(DeliverySerializer(selectors.delivery_list(endpoint=endpoint), many=True).data)

    @extend_schema(operation_id="pingWebhook", summary="Ping a webhook",
                   description="Queue a signed `ping` delivery to the endpoint; its webhook-id is answered.",
                   request=None, responses={
        202: inline_serializer("WebhookPing", {"webhook_id": serializers.CharField()}), **NOT_FOUND})
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        endpoint = selectors.endpoint_get(owner=request.user, endpoint_id=pk)
        return Response({"webhook_id": services.endpoint_ping(endpoint=endpoint)}, status=status.HTTP_202_ACCEPTED)
