"""Fixtures every app's tests share: isolated media, users, authenticated clients."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

# storage_backend (local and S3, against a real S3-compatible server) for any app's tests.
pytest_plugins = ["testing.storage_backends"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores files in its own temporary MEDIA_ROOT."""
    media = tmp_path / "media"
    (media / ".tmp").mkdir(parents=True)
    settings.MEDIA_ROOT = media
    settings.FILE_UPLOAD_TEMP_DIR = str(media / ".tmp")
    return media


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    from users.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_user(db):
    from users.tests.factories import UserFactory

    return UserFactory()


def bearer(user) -> str:
    return f"Bearer {RefreshToken.for_user(user).access_token}"


@pytest.fixture
def auth_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=bearer(user))
    client.user = user
    return client


@pytest.fixture
def other_client(other_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=bearer(other_user))
    client.user = other_user
    return client
