"""Test support shared by every app's tests and by ``bench/`` (after Sentry's ``testutils``).

One copy of each helper:

- ``processes``: free ports, starting and stopping process groups, waiting for HTTP
  (no Django, so ``bench/`` can use it outside a Django process);
- ``live``: gunicorn serving the project against the test database;
- ``workers``: real Celery worker processes;
- ``brokers``: flushing and reading the Redis the broker uses;
- ``browser``: headless Chromium through Playwright, and screenshots;
- ``storage_backends``: the moto S3 server and the ``storage_backend`` fixture (a pytest plugin);
- ``factories``: ``UserFactory``, ``FileFactory`` and the users' ``PASSWORD``;
- ``samples``: sample files generated on the fly;
- ``uploads``: the upload endpoints, uploading as a client, processing in-process;
- ``clients``: ``bearer`` and authenticated API clients.
"""
