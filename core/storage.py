"""Where file bytes live: the local disk or an S3-compatible bucket (``STORAGE_BACKEND``).

Code touches stored bytes only through Django's storage API and the helpers
here, so none of it assumes a local path: ``open_stream`` for downloads that
start at once, ``presigned_download_url`` for redirects to the bucket,
``local_path_available`` for the nginx shortcut, ``storage_check`` for readiness.
"""

import os
from pathlib import Path
from typing import IO

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

# What a storage may raise when it, not the file, is the problem: the disk
# (OSError) or the object store and the network to it (botocore's errors).
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)

MIB = 1024 * 1024
# S3's smallest part size (except the last part).
MIN_PART_SIZE = 5 * MIB


class S3MediaStorage(S3Storage):
    """django-storages' S3 backend with bounded memory and bounded waits.

    Uploads larger than ``upload_part_size`` go up as a multipart upload,
    ``upload_concurrency`` parts at a time. A spooled upload (a temporary file
    on disk) is sent from its path, so each part is read from the file as it
    is sent and never held whole in memory; any other file object is read one
    part at a time, at most ``upload_concurrency`` parts in memory at once.
    Reads (``open``) spool to a temporary file beyond ``max_memory_size``.
    """

    def __init__(self, *, upload_part_size: int = 8 * MIB, upload_concurrency: int = 4,
                 connect_timeout: float = 5, read_timeout: float = 60, **options):
        if upload_part_size < MIN_PART_SIZE:
            raise ValueError(f"upload_part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum part).")
        transfer = TransferConfig(
            multipart_threshold=upload_part_size, multipart_chunksize=upload_part_size,
            max_concurrency=upload_concurrency,
        )
        # Not a constructor argument of boto3's TransferConfig, but read by s3transfer:
        # the number of parts read into memory ahead of their upload.
        transfer.max_in_memory_upload_chunks = upload_concurrency
        options.setdefault("transfer_config", transfer)
        options.setdefault("client_config", Config(
            signature_version="s3v4",
            s3={"addressing_style": options.pop("addressing_style", None) or "auto"},
            connect_timeout=connect_timeout, read_timeout=read_timeout,
            retries={"max_attempts": 3, "mode": "standard"},
        ))
        options.setdefault("max_memory_size", settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
        self.upload_part_size = upload_part_size
        super().__init__(**options)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_health_client_cached", None)  # a boto3 client does not pickle
        return state

    def _key(self, name: str) -> str:
        return self._normalize_name(clean_name(name))

    def _get_write_parameters(self, name, content=None):
        # The object's Content-Type comes from its name (thumbnails are .webp),
        # never from the client's declared type: uploads are octet-streams.
        return super()._get_write_parameters(name, None)

    def _save(self, name, content):
        path = getattr(content, "temporary_file_path", None)
        if path is None:
            return super()._save(name, content)
        cleaned = clean_name(name)
        self.bucket.Object(self._normalize_name(cleaned)).upload_file(
            path(), ExtraArgs=self._get_write_parameters(cleaned), Config=self.transfer_config,
        )
        return cleaned

    def stream(self, name: str) -> tuple[IO[bytes], int]:
        """The object's body as a stream read straight from the bucket, and its size."""
        try:
            response = self.connection.meta.client.get_object(Bucket=self.bucket_name, Key=self._key(name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(f"File does not exist: {name}") from exc
            raise
        return response["Body"], response["ContentLength"]

    def presigned_get_url(self, name: str, *, expire: int, response_headers: dict[str, str]) -> str:
        """A GET URL valid for ``expire`` seconds whose response carries ``response_headers``
        (``Content-Disposition``, ``Content-Type``, ``Cache-Control``)."""
        params = {f"Response{header.replace('-', '')}": value for header, value in response_headers.items()}
        return self.url(name, parameters=params, expire=expire)

    def check_bucket(self) -> None:
        """Raise unless the bucket exists and these credentials may use it (one HEAD request)."""
        self._health_client().head_bucket(Bucket=self.bucket_name)

    def _health_client(self):
        # Its own client: a readiness probe must answer within seconds, without retries.
        client = getattr(self, "_health_client_cached", None)
        if client is None:
            client = self._create_session().client(
                "s3", region_name=self.region_name, endpoint_url=self.endpoint_url, use_ssl=self.use_ssl,
                verify=self.verify,
                config=self.client_config.merge(Config(connect_timeout=2, read_timeout=5,
                                                       retries={"max_attempts": 1, "mode": "standard"})),
            )
            self._health_client_cached = client
        return client


def local_path_available(storage) -> bool:
    """Whether stored files are files on this host's disk (so nginx can send them)."""
    try:
        storage.path("probe")
    except NotImplementedError:
        return False
    return True


def open_stream(storage, name: str) -> tuple[IO[bytes], int | None]:
    """An open binary stream of a stored file and its size when known, for a response body.

    On S3 the bytes flow from the bucket as they are sent, instead of being
    downloaded whole before the first byte goes out.
    """
    stream = getattr(storage, "stream", None)
    if stream is not None:
        return stream(name)
    return storage.open(name, "rb"), None


def presigned_download_url(storage, name: str, *, response_headers: dict[str, str]) -> str | None:
    """A short-lived URL the client may fetch the file from, or None to stream it ourselves.

    Only when ``S3_PRESIGNED_DOWNLOADS`` is on and the storage can sign URLs.
    """
    sign = getattr(storage, "presigned_get_url", None)
    if not settings.S3_PRESIGNED_DOWNLOADS or sign is None:
        return None
    return sign(name, expire=settings.S3_PRESIGNED_EXPIRY, response_headers=response_headers)


def storage_check(storage) -> None:
    """Raise unless files can be stored: the bucket answers on S3; on local disk the
    media folder exists and this process may create files in it.

    Nothing is written: a probe answered on every call (every few seconds, from
    anyone who can reach it) must not churn the disk.
    """
    check_bucket = getattr(storage, "check_bucket", None)
    if check_bucket is not None:
        check_bucket()
        return
    # The media folder is created with the first upload; until then, its parent must let us.
    folder = Path(storage.location)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise OSError(f"{folder} is not a folder this process may create files in")
