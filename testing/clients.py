"""Authenticated API clients: a user's bearer token, a DRF test client that sends it, a live server's client."""

import time

import requests
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


LIVE_PASSWORD = "correct-horse-battery-42"
LIVE_PROCESS_TIMEOUT = 60


class LiveClient:
    """A client of the running server, as a mobile or SPA app would be."""

    def __init__(self, base_url: str, username: str = "e2e"):
        self.base = base_url
        self.session = requests.Session()
        registered = self.session.post(f"{base_url}/api/v1/auth/register/", timeout=10, json={
            "username": username, "email": f"{username}@example.com", "password": LIVE_PASSWORD})
        assert registered.status_code == 201, registered.text
        tokens = self.session.post(f"{base_url}/api/v1/auth/token/", timeout=10,
                                   json={"username": username, "password": LIVE_PASSWORD}).json()
        self.session.headers["Authorization"] = f"Bearer {tokens['access']}"

    def upload(self, content: bytes, name: str, timeout: float = 60) -> dict:
        response = self.session.post(f"{self.base}/api/v1/upload/", files={"file": (name, content)},
                                     timeout=timeout)
        assert response.status_code == 201, response.text
        return response.json()

    def get(self, file_id: str) -> dict:
        return self.session.get(f"{self.base}/api/v1/files/{file_id}/", timeout=10).json()

    def wait_finished(self, file_id: str, timeout: float = LIVE_PROCESS_TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.get(file_id)
            if body["status"] in ("processed", "failed"):
                return body
            time.sleep(0.1)
        raise AssertionError(f"file {file_id} not finished after {timeout}s: {self.get(file_id)}")
