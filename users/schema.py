"""OpenAPI descriptions of this app's subclasses of simplejwt's classes.

drf-spectacular describes simplejwt's own authentication and sign-in serializer
by exact class; these name ours, so the schema still shows bearer security and
the token pair. Imported by ``users.views``, before any schema is generated.
"""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme, TokenObtainPairSerializerExtension


class SessionJWTScheme(SimpleJWTScheme):
    target_class = "users.authentication.JWTAuthentication"


class SessionTokenObtainPairSerializerExtension(TokenObtainPairSerializerExtension):
    target_class = "users.serializers.TokenObtainPairSerializer"
