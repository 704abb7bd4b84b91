"""Authenticated API clients: a user's bearer token, a DRF test client that sends it."""

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken


def bearer(user) -> str:
    """The ``Authorization`` header value carrying a fresh access token for ``user``."""
    return f"Bearer {RefreshToken.for_user(user).access_token}"


def client_for(user) -> APIClient:
    """An API client authenticated as ``user`` (who is also its ``.user``)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=bearer(user))
    client.user = user
    return client
