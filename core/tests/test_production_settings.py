"""Production differs only by environment: it refuses an insecure secret and
passes `manage.py check --deploy` without a warning."""

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
