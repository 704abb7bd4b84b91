"""Every bad upload gets a clear error in the envelope and leaves nothing behind:
no row, no stored bytes, no temp file, no quota used."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from files.models import File
from testing import samples
from testing.clients import bearer
from testing.uploads import UPLOAD, stored_names, upload

pytestmark = pytest.mark.django_db

BOUNDARY = "----boundary7MA4YWxkTrZu0gW"


def multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = BOUNDARY) -> bytes:
    """A multipart/form-data body built by hand: (field, filename or None, content)."""
    body = b""
    for field, filename, content in parts:
        disposition = f'form-data; name="{field}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            body += b"Content-Type: application/octet-stream\r\n"
        body += b"\r\n" + content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def post_raw(client, body: bytes, content_type: str = f"multipart/form-data; boundary={BOUNDARY}", **extra):
    return client.generic("POST", UPLOAD, body, content_type=content_type, **extra)


@pytest.fixture
def small_limits(settings):
    settings.FILES_MAX_UPLOAD_SIZE = 10_000
    settings.FILES_USER_QUOTA = 15_000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1_000  # larger uploads spool to a temp file, which must go too


def assert_nothing_left(user, media_root):
    assert File.objects.count() == 0
    assert stored_names(media_root) == []
    user.refresh_from_db()
    assert user.storage_used == 0


BAD_UPLOADS = [
    # id, body builder, content type, status, code
    ("missing-file-field", lambda: multipart([("note", None, b"hello")]), None, 400, "file_required"),
    ("file-under-other-name", lambda: multipart([("upload", "a.txt", b"hello")]), None, 400, "file_required"),
    ("empty-file", lambda: multipart([("file", "empty.txt", b"")]), None, 400, "empty_file"),
    ("over-the-limit", lambda: multipart([("file", "big.bin", samples.random_bytes(10_001))]), None, 413,
     "file_too_large"),
    ("elf-named-png", lambda: multipart([("file", "cat.png", samples.elf())]), None, 415, "unsupported_file_type"),
    ("pe-named-jpg", lambda: multipart([("file", "cat.jpg", samples.pe())]), None, 415, "unsupported_file_type"),
    ("script-named-png", lambda: multipart([("file", "cat.png", samples.shell_script())]), None, 415,
     "unsupported_file_type"),
    ("php-named-gif", lambda: multipart([("file", "cat.gif", b"<?php system($_GET['c']); ?>\n")]), None, 415,
     "unsupported_file_type"),
    ("json-body", lambda: b'{"file": "aGVsbG8="}', "application/json", 415, "unsupported_media_type"),
    ("form-urlencoded", lambda: b"file=hello", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ("no-content-type", lambda: b"hello", "", 415, "unsupported_media_type"),
    ("broken-multipart", lambda: b"--" + BOUNDARY.encode() + b"\r\nContent-Disposition: form-data; name=\"file\"; "
     b"filename=\"a.txt\"\r\n\r\nunterminated", None, 400, "malformed_request"),
    ("multipart-without-boundary", lambda: multipart([("file", "a.txt", b"hi")]), "multipart/form-data", 400,
     "malformed_request"),
    ("thousands-of-fields", lambda: multipart([(f"f{i}", None, b"x") for i in range(2000)]
                                              + [("file", "a.txt", b"hello")]), None, 400, "malformed_request"),
    ("too-many-files", lambda: multipart([(f"file{i}", f"{i}.txt", b"x") for i in range(6)]
                                         + [("file", "a.txt", b"hello")]), None, 400, "malformed_request"),
    ("two-files-in-the-field", lambda: multipart([("file", "a.txt", b"one\n"), ("file", "b.txt", b"two\n")]), None,
     400, "invalid"),
]


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [case[1:] for case in BAD_UPLOADS],
                         ids=[case[0] for case in BAD_UPLOADS])
def test_bad_upload_is_refused_and_leaves_nothing(auth_client, user, media_root, small_limits, body, content_type,
                                                  status, code):
    kwargs = {} if content_type is None else {"content_type": content_type}
    response = post_raw(auth_client, body(), **kwargs)
    assert response.status_code == status, response.content
    payload = response.json()
    assert payload["code"] == code
    assert isinstance(payload["detail"], str) and payload["detail"]
    assert isinstance(payload["errors"], dict)
    assert_nothing_left(user, media_root)


def test_file_too_large_says_the_limit(auth_client, user, media_root, small_limits):
    response = upload(auth_client, samples.random_bytes(20_000), "big.bin")
    assert response.status_code == 413
    assert response.json() == {"code": "file_too_large", "detail": "The file is larger than the limit of 9.77 KB.",
                               "errors": {}}
    assert_nothing_left(user, media_root)


def test_huge_content_length_is_refused_before_the_body_is_read(auth_client, user, media_root, small_limits):
    body = multipart([("file", "a.txt", b"small body\n")])
    response = post_raw(auth_client, body, CONTENT_LENGTH=str(10 * 1024**3))
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert_nothing_left(user, media_root)


def test_short_content_length_truncates_and_is_malformed(auth_client, user, media_root, small_limits):
    body = multipart([("file", "a.txt", b"hello world " * 100)])
    response = post_raw(auth_client, body, CONTENT_LENGTH=str(len(body) // 2))
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    assert_nothing_left(user, media_root)


def test_over_quota_is_413_and_says_what_is_left(auth_client, user, media_root, small_limits):
    user.storage_used = 14_000
    user.save()
    response = upload(auth_client, samples.random_bytes(2_000), "a.bin")
    assert response.status_code == 413
    assert response.json() == {
        "code": "quota_exceeded",
        "detail": "The file needs 1.95 KB, but only 1000 bytes of your 14.6 KB quota is left.",
        "errors": {},
    }
    assert File.objects.count() == 0 and stored_names(media_root) == []
    user.refresh_from_db()
    assert user.storage_used == 14_000


def test_kind_not_allowed_is_415(auth_client, user, media_root, settings):
    settings.FILES_ALLOWED_KINDS = ["image"]
    response = upload(auth_client, b"just text\n", "a.txt")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_file_type"
    assert "kind 'text'" in response.json()["detail"]
    assert_nothing_left(user, media_root)


def test_a_failure_after_the_bytes_are_stored_removes_them(auth_client, user, media_root, monkeypatch):
    from files import services

    def explode(*args, **kwargs):
        raise RuntimeError("database went away mid-upload")

    # The row's insert (with the quota counter and the event: one statement on PostgreSQL).
    monkeypatch.setattr(services, "_file_insert", explode)
    response = upload(auth_client, samples.random_bytes(5_000), "a.bin")
    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "detail": response.json()["detail"], "errors": {}}
    assert "database went away" not in response.content.decode()
    assert_nothing_left(user, media_root)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_uploads_cannot_both_take_the_last_bytes(user, media_root, settings):
    settings.FILES_USER_QUOTA = 15_000
    user.storage_used = 7_000
    user.save()
    barrier = threading.Barrier(2)
    results = []

    def send(seed):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=bearer(user))
        content = samples.random_bytes(6_000, seed=seed)
        barrier.wait()
        try:
            results.append(client.post(UPLOAD, {"file": SimpleUploadedFile("a.bin", content)}, format="multipart"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r.status_code for r in results) == [201, 413]
    assert [r.json()["code"] for r in results if r.status_code == 413] == ["quota_exceeded"]
    user.refresh_from_db()
    assert user.storage_used == 13_000
    assert File.objects.count() == 1
    assert stored_names(media_root) == [File.objects.get().file.name]


@pytest.mark.parametrize(
    ("raw_name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\evil.txt", "evil.txt"),
        ("a.php\x00.png", "a.php.png"),
        ("\u202egnp.exe", "gnp.exe"),
        ("invoice\u202e\u2066txt.exe", "invoicetxt.exe"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("   ...   ", "file"),
    ],
)
def test_hostile_names_become_safe_display_names(auth_client, media_root, raw_name, expected):
    response = post_raw(auth_client, multipart([("file", raw_name, b"harmless text\n")]))
    assert response.status_code == 201, response.json()
    record = File.objects.get()
    assert response.json()["name"] == record.name == expected
    assert stored_names(media_root) == [f"uploads/{record.id.hex[:2]}/{record.id.hex}"]


def test_a_ten_thousand_character_name_is_shortened_keeping_the_extension(auth_client):
    response = upload(auth_client, b"text\n", "n" * 10_000 + ".txt")
    assert response.status_code == 201
    assert response.json()["name"] == "n" * 251 + ".txt"


TOKENS = {
    "garbage": (lambda user: "Bearer not.a.jwt", "token_not_valid"),
    "expired": (lambda user: f"Bearer {_expired_access(user)}", "token_not_valid"),
    "refresh-as-access": (lambda user: f"Bearer {_refresh(user)}", "token_not_valid"),
    "tampered": (lambda user: bearer(user)[:-4] + "abcd", "token_not_valid"),
    "wrong-scheme": (lambda user: "Token abc", "not_authenticated"),
    "empty-bearer": (lambda user: "Bearer", "authentication_failed"),
}


def _expired_access(user):
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


def _refresh(user):
    from rest_framework_simplejwt.tokens import RefreshToken

    return str(RefreshToken.for_user(user))


@pytest.mark.parametrize(("token", "code"), list(TOKENS.values()), ids=list(TOKENS))
def test_bad_tokens_are_401_and_upload_nothing(user, media_root, token, code):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=token(user))
    response = upload(client, b"text\n", "a.txt")
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert_nothing_left(user, media_root)


def test_no_token_is_401_not_authenticated(api_client, user, media_root):
    response = upload(api_client, b"text\n", "a.txt")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert_nothing_left(user, media_root)


def test_deactivated_users_token_uploads_nothing(auth_client, user, media_root):
    user.is_active = False
    user.save()
    response = upload(auth_client, b"text\n", "a.txt")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert File.objects.count() == 0 and stored_names(media_root) == []


def test_deactivated_users_refresh_token_is_refused(api_client, user):
    refresh = _refresh(user)
    user.is_active = False
    user.save()
    response = api_client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_upload_throttle_answers_429_with_retry_after(auth_client, user, media_root, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "upload", "2/min")
    assert upload(auth_client, b"one\n", "1.txt").status_code == 201
    assert upload(auth_client, b"two\n", "2.txt").status_code == 201
    response = upload(auth_client, b"three\n", "3.txt")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60
    assert File.objects.count() == 2


def test_login_throttle_answers_429(api_client, user, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "3/min")
    for _ in range(3):
        api_client.post("/api/v1/auth/token/", {"username": user.username, "password": "wrong"}, format="json")
    response = api_client.post("/api/v1/auth/token/", {"username": user.username, "password": "wrong"},
                               format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert "Retry-After" in response
