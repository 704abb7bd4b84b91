"""Fixtures every app's tests share: isolated media, users, authenticated clients.

Only fixtures live here; what they are built from is in the ``testing`` package.
"""

import pytest
from rest_framework.test import APIClient

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


@pytest.fixture
def broker_url(settings):
    """The test run's Redis broker, emptied before and after: for tests that start real workers."""
    from testing.brokers import flush_redis

    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        pytest.skip("end-to-end worker tests need the Redis broker (make test sets CELERY_BROKER_URL)")
    flush_redis(url)
    yield url
    flush_redis(url)


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    from testing.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_user(db):
    from testing.factories import UserFactory

    return UserFactory()


@pytest.fixture
def auth_client(user):
    from testing.clients import client_for

    return client_for(user)


@pytest.fixture
def other_client(other_user):
    from testing.clients import client_for

    return client_for(other_user)
