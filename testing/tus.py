"""Raw tus 1.0.0 requests through the DRF test client, as a tus client sends them."""

import base64

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
