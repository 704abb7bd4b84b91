"""A client developer's first flow with the Python client openapi-python-client generates from
openapi.yaml (the package ``uploads_client``, in a temporary directory on PYTHONPATH):
register → token → upload → wait until processed → list with filters → download → delete.

api/tests/test_generated_clients.py type-checks it with ``mypy --strict`` and runs it against a
live server: ``python flow_python.py API_URL SAMPLE_PNG USERNAME`` (SAMPLE_PNG: a PNG to upload).
"""

import io
import sys
import time
from pathlib import Path
from uuid import UUID

import httpx
from uploads_client import AuthenticatedClient, Client
from uploads_client.api.auth import obtain_token, register
from uploads_client.api.files import (
    delete_file,
    download_file,
    get_file,
    get_thumbnail,
    list_files,
    upload_file,
)
from uploads_client.api.users import get_me
from uploads_client.models import (
    ApiError,
    FileKindEnum,
    FileStatusEnum,
    PaginatedStoredFileList,
    RegisterRequest,
    StoredFile,
    TokenObtainPairRequest,
    UploadRequest,
)
from uploads_client.types import File

PASSWORD = "correct-horse-battery-42"


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"flow failed: {message}")


def stored_file(answer: StoredFile | ApiError | None, what: str) -> StoredFile:
    check(isinstance(answer, StoredFile), f"{what} answered {answer!r}")
    assert isinstance(answer, StoredFile)
    return answer


def wait_processed(client: AuthenticatedClient, file_id: UUID) -> StoredFile:
    deadline = time.monotonic() + 60
    while True:
        record = stored_file(get_file.sync(client=client, id=file_id), "getFile")
        if record.status in (FileStatusEnum.PROCESSED, FileStatusEnum.FAILED):
            return record
        check(time.monotonic() < deadline, f"file {file_id} still {record.status} after 60 s")
        time.sleep(0.2)


def main() -> None:
    base_url, sample, username = sys.argv[1:4]
    png = Path(sample).read_bytes()

    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    registered = register.sync_detailed(client=anonymous, body=RegisterRequest(
        username=username, email=f"{username}@example.com", password=PASSWORD))
    check(registered.status_code == 201, f"register answered {registered.status_code}")
    tokens = obtain_token.sync(client=anonymous, body=TokenObtainPairRequest(username=username, password=PASSWORD))
    check(tokens is not None and not isinstance(tokens, ApiError), f"obtainToken answered {tokens!r}")
    assert tokens is not None and not isinstance(tokens, ApiError)

    client = AuthenticatedClient(base_url=base_url, token=tokens.access, raise_on_unexpected_status=True)
    me = get_me.sync(client=client)
    check(me is not None and not isinstance(me, ApiError) and me.username == username, "getMe answers the caller")

    def upload() -> StoredFile:
        answer = upload_file.sync_detailed(
            client=client, idempotency_key=f"{username}-first-upload",
            body=UploadRequest(file=File(payload=io.BytesIO(png), file_name="sdk photo.png", mime_type="image/png")))
        check(answer.status_code == 201, f"upload answered {answer.status_code}")
        return stored_file(answer.parsed, "uploadFile")

    created = upload()
    check(upload().id == created.id, "a repeated Idempotency-Key answers the first file")
    file_id = created.id

    processed = wait_processed(client, file_id)
    check(processed.status == FileStatusEnum.PROCESSED and processed.kind == FileKindEnum.IMAGE,
          f"processed as {processed.status}")

    listed = list_files.sync(client=client, status=[FileStatusEnum.PROCESSED],
                             kind=[FileKindEnum.IMAGE, FileKindEnum.DOCUMENT], search="sdk photo",
                             ordering="-uploaded_at")
    check(isinstance(listed, PaginatedStoredFileList) and listed.count == 1 and listed.results[0].id == created.id,
          f"the filtered list has it: {listed!r}")
    none = list_files.sync(client=client, status=[FileStatusEnum.FAILED])
    check(isinstance(none, PaginatedStoredFileList) and none.count == 0, "a status filter excludes it")

    downloaded = download_file.sync_detailed(client=client, id=file_id)
    check(downloaded.status_code == 200 and downloaded.content == png, "the download is the uploaded bytes")
    check(downloaded.headers["Content-Disposition"].startswith("attachment;"), "the download is an attachment")
    thumbnail = get_thumbnail.sync_detailed(client=client, id=file_id)
    check(thumbnail.status_code == 200 and thumbnail.headers["Content-Type"] == "image/webp", "thumbnail is WebP")

    # The signed URL works without a token, as a link or an <img src> would use it.
    check(isinstance(processed.thumbnail_url, str), "a processed image has a thumbnail_url")
    assert isinstance(processed.thumbnail_url, str)
    signed = httpx.get(processed.thumbnail_url, timeout=10)
    check(signed.status_code == 200 and signed.content == thumbnail.content, "the signed thumbnail URL works")

    deleted = delete_file.sync_detailed(client=client, id=file_id)
    check(deleted.status_code == 204, f"delete answered {deleted.status_code}")
    gone = get_file.sync(client=client, id=file_id)
    check(isinstance(gone, ApiError) and gone.code == "not_found", f"a deleted file is 404 not_found: {gone!r}")

    print(f"FLOW OK {file_id}")


if __name__ == "__main__":
    main()
