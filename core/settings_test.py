"""Settings for the test run: ``core.settings`` with a fast password hasher and DEBUG off.

pytest runs with it (``DJANGO_SETTINGS_MODULE`` in pyproject.toml), and the
servers and workers the tests start inherit it from the environment, so a
password hashed by a factory here is checked by the same hasher there. Tests
that prove what production or ``make run`` does start their processes with
``core.settings`` itself.
"""

import os

# core.settings starts with DEBUG off unless told otherwise, and then refuses the
# public development keys. Like `make run`, the test run (and the servers and
# workers it starts, which inherit this environment) asks for a developer's
# settings; tests of production set DJANGO_DEBUG=false themselves.
os.environ.setdefault("DJANGO_DEBUG", "true")

from .settings import *  # noqa: F403

# PBKDF2's default iterations cost a noticeable fraction of a second for every
# user a test creates or logs in; the hash's strength is no concern here.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Only DEBUG itself: what core.settings derives from it (static files found in
# the apps, no HTTPS redirect) stays a developer machine's, so a test server
# started with these settings serves the admin's and the docs' assets over HTTP.
DEBUG = False
