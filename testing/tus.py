"""Raw tus 1.0.0 requests through the DRF test client, as a tus client sends them."""

import base64
import time

import requests

from testing.factories import PASSWORD

UPLOADS = "/api/v1/uploads/"
TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
OCTETS = "application/offset+octet-stream"


def metadata(**values: str) -> str:
    """An Upload-Metadata header value."""
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


def create(client, length: int, filename: str = "sample.bin", body: bytes | None = None, **extra):
    headers = {**TUS, "HTTP_UPLOAD_LENGTH": str(length), "HTTP_UPLOAD_METADATA": metadata(filename=filename),
               **extra}
    if body is None:
        return client.generic("POST", UPLOADS, **headers)
    return client.generic("POST", UPLOADS, body, content_type=OCTETS, **headers)


def location_path(response) -> str:
    """The path of the upload a creation answered (Location is absolute)."""
    location = response["Location"]
    return location[location.index(UPLOADS):]


def patch(client, url: str, offset: int, body: bytes, content_type: str = OCTETS, **extra):
    return client.generic("PATCH", url, body, content_type=content_type,
                          **{**TUS, "HTTP_UPLOAD_OFFSET": str(offset), **extra})


def head(client, url: str, **extra):
    return client.head(url, **{**TUS, **extra})


class LiveAccount:
    """A registered user of a running server with a bearer token, as a mobile app would be."""

    def __init__(self, base_url: str, username: str = "tus", password: str = PASSWORD):
        self.base = base_url
        self.session = requests.Session()
        registered = self.session.post(f"{base_url}/api/v1/auth/register/", timeout=10, json={
            "username": username, "email": f"{username}@example.com", "password": password})
        assert registered.status_code == 201, registered.text
        tokens = self.session.post(f"{base_url}/api/v1/auth/token/", timeout=10,
                                   json={"username": username, "password": password}).json()
        self.token = tokens["access"]
        self.authorization = f"Bearer {self.token}"
        self.session.headers["Authorization"] = self.authorization

    def wait_finished(self, file_url: str, timeout: float = 60) -> dict:
        """GET the File until its processing ended (processed or failed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.session.get(file_url, timeout=10).json()
            if body.get("status") in ("processed", "failed"):
                return body
            time.sleep(0.1)
        raise AssertionError(f"{file_url} not finished after {timeout}s: {body}")
