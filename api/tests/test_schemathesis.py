"""Schemathesis against the live schema of a real gunicorn, as a logged-in user.

It fails on any 500, any response that does not match the schema (status,
content type, headers, body) and any error that is not in the envelope.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.conf import settings

from testing import samples
from testing.factories import PASSWORD, UserFactory
from testing.live import gunicorn_server
from testing.uploads import process_inline

# Per operation; with the coverage phase's boundary cases this runs in about a minute on 2 cores.
MAX_EXAMPLES = 20
RUN_TIMEOUT = 240
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance", "error_in_envelope"]
GENEROUS_RATES = {"THROTTLE_AUTH": "100000/min", "THROTTLE_UPLOAD": "100000/min", "THROTTLE_USER": "100000/min"}


@pytest.mark.e2e
@pytest.mark.timeout(RUN_TIMEOUT + 60)
def test_api_answers_what_its_live_schema_promises(transactional_db, tmp_path, media_root):
    user = UserFactory()
    env = {**GENEROUS_RATES, "JWT_ACCESS_LIFETIME": "3600"}
    with gunicorn_server(var_dir=tmp_path / "var", media_root=media_root, env=env) as server:
        token = requests.post(f"{server.url}/api/v1/auth/token/", timeout=10,
                              json={"username": user.username, "password": PASSWORD}).json()["access"]
        auth = {"Authorization": f"Bearer {token}"}
        # Real files in the listing, so list and detail bodies are checked against the schema too.
        for name, content in (("photo.png", samples.png()), ("notes.txt", samples.utf8_text())):
            created = requests.post(f"{server.url}/api/v1/upload/", headers=auth, timeout=10,
                                    files={"file": (name, content)})
            assert created.status_code == 201, created.text
        process_inline(created.json()["id"])

        run = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "run", f"{server.url}/api/schema/",
             "--checks", ",".join(CHECKS), "--max-examples", str(MAX_EXAMPLES),
             # A fixed seed keeps CI reproducible; set SCHEMATHESIS_SEED to explore other inputs.
             "--seed", os.environ.get("SCHEMATHESIS_SEED", "20261126"),
             "--phases", "examples,coverage,fuzzing", "--workers", "1", "--request-timeout", "10",
             "--header", f"Authorization: Bearer {token}", "--suppress-health-check", "too_slow",
             "--output-truncate", "false"],
            cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=RUN_TIMEOUT,
            env={**os.environ, "SCHEMATHESIS_HOOKS": "api.tests.schemathesis_checks", "NO_COLOR": "1"},
        )
        print(run.stdout[-3000:])

        assert run.returncode == 0, f"{run.stdout[-12000:]}\n{run.stderr[-3000:]}\n--- server log ---\n" \
                                    f"{server.log_tail(60)}"
