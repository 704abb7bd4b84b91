"""Signed download and thumbnail URLs: capabilities a page can put in ``<img src>`` or a link.

A File's ``download_url`` and ``thumbnail_url`` carry ``?sig=<expiry>.<HMAC>``,
an HMAC (Django's ``Signer``: ``SECRET_KEY``, its fallbacks, a salt of its
own) of the file's id, the purpose (``download`` or ``thumbnail``) and the
expiry, so a signature works for that one file, that one view, until then, and
nothing else. The views accept it instead of a Bearer token; an expired or
tampered signature, or one for a blocked file, is refused with 403.

With ``S3_PRESIGNED_DOWNLOADS`` on, the URLs are presigned bucket URLs for the
same time instead (the bucket checks them; a block takes effect for new URLs).
Signing is one HMAC-SHA256 per URL, no database or network access.
"""

import time
import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse

from core.storage import presigned_download_url

from . import selectors
from .errors import SignatureRefused
from .models import File
from .names import content_disposition

QUERY_PARAMETER = "sig"
DOWNLOAD = "download"
THUMBNAIL = "thumbnail"
PURPOSES = (DOWNLOAD, THUMBNAIL)
SALT = "files.signing.url"


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def _value(file_id, purpose: str, expires: int) -> str:
    return f"{file_id}:{purpose}:{expires}"


def sign(file_id, purpose: str, *, ttl: int | None = None) -> str:
    """The ``sig`` value that lets anyone fetch ``purpose`` of ``file_id`` for ``ttl`` seconds
    (default ``FILES_SIGNED_URL_TTL``)."""
    expires = int(time.time()) + (settings.FILES_SIGNED_URL_TTL if ttl is None else ttl)
    return f"{signing.b62_encode(expires)}.{_signer().signature(_value(file_id, purpose, expires))}"


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


def download_url(record: File, request=None) -> str:
    """The signed URL of ``record``'s original bytes (absolute when there is a request)."""
    return _url(record, DOWNLOAD, record.file, record.name, record.content_type, request, inline=False)


def thumbnail_url(record: File, request=None) -> str | None:
    """The signed URL of ``record``'s thumbnail; None while it has none."""
    if not record.thumbnail:
        return None
    return _url(record, THUMBNAIL, record.thumbnail, f"{record.name}.webp", "image/webp", request, inline=True)


def _url(record: File, purpose: str, field_file, name: str, content_type: str, request, *, inline: bool) -> str:
    ttl = settings.FILES_SIGNED_URL_TTL
    if not record.blocked:
        presigned = presigned_download_url(field_file.storage, field_file.name, expire=ttl, response_headers={
            "Content-Disposition": content_disposition(name, inline=inline), "Content-Type": content_type,
            "Cache-Control": "private, no-store"})
        if presigned is not None:
            return presigned
    path = reverse(f"file-{purpose}", kwargs={"pk": record.pk})
    path = f"{path}?{QUERY_PARAMETER}={sign(record.pk, purpose, ttl=ttl)}"
    return request.build_absolute_uri(path) if request is not None else path
