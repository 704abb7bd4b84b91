"""Settings for the test run: ``core.settings`` with a fast password hasher and DEBUG off.

pytest runs with it (``DJANGO_SETTINGS_MODULE`` in pyproject.toml), and the
servers and workers the tests start inherit it from the environment, so a
password hashed by a factory here is checked by the same hasher there. Tests
that prove what production or ``make run`` does start their processes with
``core.settings`` itself.
"""

from .settings import *  # noqa: F403

# PBKDF2's default iterations cost a noticeable fraction of a second for every
# user a test creates or logs in; the hash's strength is no concern here.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Only DEBUG itself: what core.settings derives from it (static files found in
# the apps, no HTTPS redirect) stays a developer machine's, so a test server
# started with these settings serves the admin's and the docs' assets over HTTP.
DEBUG = False
