"""Production differs only by environment: it refuses an insecure secret and
passes `manage.py check --deploy` without a warning."""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "uploads.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://uploads.example.com",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Without the test run's DJANGO_SETTINGS_MODULE manage.py loads core.settings, as production does.
    environment = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    environment.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_prints_no_warning_for_the_documented_production_environment():
    done = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION,
                  DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


@pytest.mark.parametrize(
    "secret",
    [None, "django-insecure-dev-only-change-me", "short-but-random-Xy12", "a" * 60],
    ids=["missing", "default", "short", "repetitive"],
)
def test_production_refuses_to_start_with_an_insecure_secret_key(secret):
    env = dict(PRODUCTION)
    if secret is not None:
        env["DJANGO_SECRET_KEY"] = secret
    done = manage("check", **env)
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY must be set to a random value of 50+ characters" in done.stderr


def test_cors_allows_only_the_configured_origins(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    allowed = client.options("/api/v1/auth/token/", HTTP_ORIGIN="https://app.example.com",
                             HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    other = client.options("/api/v1/auth/token/", HTTP_ORIGIN="https://evil.example.com",
                           HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Origin" not in other


def settings_of(*names: str, **env: str) -> dict:
    """The named settings of a fresh core.settings process whose environment lacks DJANGO_DEBUG unless given."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DJANGO_SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG", "JWT_SIGNING_KEY"}}
    environment.update(env)
    code = ("import json; from django.conf import settings; "
            f"print(json.dumps({{n: str(getattr(settings, n)) for n in {list(names)!r}}}))")
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=settings.BASE_DIR,
                          env=environment, capture_output=True, text=True, timeout=120)
    return {"returncode": done.returncode, "stderr": done.stderr,
            **(json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else {})}


def test_debug_is_off_when_django_debug_is_unset():
    """Finding 3: a .env without DJANGO_DEBUG runs with debug off (and so needs a real key)."""
    secret = secrets.token_urlsafe(50)
    configured = settings_of("DEBUG", "SECRET_KEY", DJANGO_SECRET_KEY=secret,
                             DJANGO_ALLOWED_HOSTS="uploads.example.com")
    assert (configured["returncode"], configured["DEBUG"], configured["SECRET_KEY"]) == (0, "False", secret)
    unconfigured = settings_of("DEBUG")
    assert unconfigured["returncode"] != 0
    assert "DJANGO_SECRET_KEY must be set to a random value of 50+ characters" in unconfigured["stderr"]


def test_make_run_turns_debug_on_explicitly(tmp_path):
    """`make run` with a stand-in python that reports the DJANGO_DEBUG each step runs with."""
    (tmp_path / "python").write_text('#!/bin/sh\necho "DJANGO_DEBUG=${DJANGO_DEBUG-unset}"\n')
    (tmp_path / "python").chmod(0o755)
    (tmp_path / "installed").touch()  # newer than the lock: make takes the install step as done
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
    done = subprocess.run(["make", "-s", "run", f"BIN={tmp_path}", f"INSTALLED={tmp_path / 'installed'}"],
                          cwd=settings.BASE_DIR,
                          env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["DJANGO_DEBUG=true"] * 4


@pytest.mark.parametrize("jwt_key", ["django-insecure-dev-only-change-me", "short-Xy12"], ids=["dev", "short"])
def test_production_refuses_a_public_or_weak_jwt_signing_key(jwt_key):
    done = settings_of("DEBUG", **PRODUCTION, DJANGO_SECRET_KEY=secrets.token_urlsafe(50), JWT_SIGNING_KEY=jwt_key)
    assert done["returncode"] != 0
    assert "JWT_SIGNING_KEY must be set to a random value of 50+ characters" in done["stderr"]


def test_jwts_are_signed_with_jwt_signing_key_when_given():
    secret, jwt_key = secrets.token_urlsafe(50), secrets.token_urlsafe(50)
    separate = settings_of("SIMPLE_JWT", **PRODUCTION, DJANGO_SECRET_KEY=secret, JWT_SIGNING_KEY=jwt_key)
    assert f"'SIGNING_KEY': '{jwt_key}'" in separate["SIMPLE_JWT"]
    shared = settings_of("SIMPLE_JWT", **PRODUCTION, DJANGO_SECRET_KEY=secret)
    assert f"'SIGNING_KEY': '{secret}'" in shared["SIMPLE_JWT"]


def test_a_worker_without_the_site_key_gets_a_random_one_of_its_own():
    worker = settings_of("SECRET_KEY", **PRODUCTION, DJANGO_EPHEMERAL_SECRET_KEY="true")
    again = settings_of("SECRET_KEY", **PRODUCTION, DJANGO_EPHEMERAL_SECRET_KEY="true")
    assert worker["returncode"] == 0, worker["stderr"]
    assert len(worker["SECRET_KEY"]) >= 50 and worker["SECRET_KEY"] != again["SECRET_KEY"]
    assert not worker["SECRET_KEY"].startswith("django-insecure-")
