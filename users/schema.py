"""OpenAPI descriptions of this app's subclasses of simplejwt's classes.

drf-spectacular describes simplejwt's own authentication and sign-in serializer
by exact class; these name ours, so the schema still shows bearer security and
the token pair. Imported by ``users.views``, before any schema is generated.
"""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme, TokenObtainPairSerializerExtension
from drf_spectacular.openapi import AutoSchema


class SessionJWTScheme(SimpleJWTScheme):
    target_class = "users.authentication.JWTAuthentication"


class SessionTokenObtainPairSerializerExtension(TokenObtainPairSerializerExtension):
    target_class = "users.serializers.TokenObtainPairSerializer"


class DeleteWithBodySchema(AutoSchema):
    """drf-spectacular documents request bodies for PUT, PATCH and POST only; the account's
    DELETE takes ``{password}`` (API.md, "Account"), so its body is documented the same way."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"
