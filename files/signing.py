"""Signed download and thumbnail URLs: capabilities a page can put in ``<img src>`` or a link.

A File's ``download_url`` and ``thumbnail_url`` carry ``?sig=<expiry>.<HMAC>``,
an HMAC (Django's ``Signer``: ``SECRET_KEY``, its fallbacks, a salt of its
own) of the file's id, the purpose (``download`` or ``thumbnail``) and the
expiry, so a signature works for that one file, that one view, until then, and
nothing else. The views accept it instead of a Bearer token; an expired or
tampered signature, or one for a blocked file, is refused with 403.

They are always our URLs, also on S3: with ``S3_PRESIGNED_DOWNLOADS`` the view
then redirects to a presigned bucket URL, as it does for a Bearer request. So a
block takes effect at once, and a listing does not pay for presigning (botocore's
SigV4 costs about 1.5 ms per URL: 0.3 s for a page of 100 files with thumbnails;
see bench/README.md).
"""

import functools
import hashlib
import hmac
import time
import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse

from . import selectors
from .errors import SignatureRefused
from .models import File

QUERY_PARAMETER = "sig"
DOWNLOAD = "download"
THUMBNAIL = "thumbnail"
PURPOSES = (DOWNLOAD, THUMBNAIL)
SALT = "files.signing.url"
# A file id that cannot occur in a host or prefix: replaced in a reversed URL by each file's id.
PLACEHOLDER = str(uuid.UUID(int=0))


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


@functools.lru_cache(maxsize=4)
def _keyed_mac(secret: str) -> "hmac.HMAC":
    # Exactly Signer(salt=SALT).signature()'s HMAC (django.utils.crypto.salted_hmac), with the
    # key derived once per secret instead of once per URL.
    key = hashlib.sha256(f"{SALT}signer{secret}".encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def _value(file_id, purpose: str, expires: int) -> str:
    return f"{file_id}:{purpose}:{expires}"


def sign(file_id, purpose: str, *, ttl: int | None = None) -> str:
    """The ``sig`` value that lets anyone fetch ``purpose`` of ``file_id`` for ``ttl`` seconds
    (default ``FILES_SIGNED_URL_TTL``)."""
    expires = int(time.time()) + (settings.FILES_SIGNED_URL_TTL if ttl is None else ttl)
    mac = _keyed_mac(settings.SECRET_KEY).copy()
    mac.update(_value(file_id, purpose, expires).encode())
    return f"{signing.b62_encode(expires)}.{signing.b64_encode(mac.digest()).decode()}"


def is_valid(token: str, *, file_id, purpose: str) -> bool:
    """True when ``token`` was made by ``sign`` for this file and purpose and has not expired."""
    expiry, _, signature = token.partition(".")
    if not expiry or not signature:
        return False
    try:
        expires = signing.b62_decode(expiry)
        file_id = uuid.UUID(str(file_id))
    except ValueError:
        return False
    if expires < time.time():
        return False
    try:
        # ``unsign`` compares in constant time and also accepts SECRET_KEY_FALLBACKS.
        _signer().unsign(f"{_value(file_id, purpose, expires)}:{signature}")
    except signing.BadSignature:
        return False
    return True


def signed_file(*, token: str, file_id, purpose: str) -> File:
    """The file a valid signature grants ``purpose`` of; ``SignatureRefused`` (403) when expired,
    tampered with, made for another file or purpose, or the file is blocked; 404 when it is gone."""
    if not is_valid(token, file_id=file_id, purpose=purpose):
        raise SignatureRefused()
    record = selectors.file_get_granted(file_id=file_id)
    if record.blocked:
        raise SignatureRefused("This file has been blocked by a moderator.")
    return record



class FileUrls:
    """The URLs of files' endpoints for one request (absolute when there is one).

    ``reverse`` and the host check of ``build_absolute_uri`` run once per endpoint and
    request, not once per file: for a page of 100 files they were most of the time spent
    serializing it.
    """

    def __init__(self, request=None):
        self.request = request
        self._templates: dict[str, str] = {}

    def endpoint(self, name: str, file_id) -> str:
        """The URL of route ``name`` (e.g. ``file-download``) for ``file_id``."""
        template = self._templates.get(name)
        if template is None:
            path = reverse(name, kwargs={"pk": PLACEHOLDER})
            template = self.request.build_absolute_uri(path) if self.request is not None else path
            self._templates[name] = template
        return template.replace(PLACEHOLDER, str(file_id))

    def signed(self, record: File, purpose: str) -> str:
        return f"{self.endpoint(f'file-{purpose}', record.pk)}?{QUERY_PARAMETER}={sign(record.pk, purpose)}"

    def download_url(self, record: File) -> str:
        """The signed URL of ``record``'s original bytes."""
        return self.signed(record, DOWNLOAD)

    def thumbnail_url(self, record: File) -> str | None:
        """The signed URL of ``record``'s thumbnail; None while it has none."""
        return self.signed(record, THUMBNAIL) if record.thumbnail else None
