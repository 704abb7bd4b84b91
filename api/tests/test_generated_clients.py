"""SDKs nobody here wrote, generated from the committed openapi.yaml: they type-check strictly and
run a client developer's first flow against a live server with a real Celery worker.

TypeScript: @hey-api/openapi-ts, then ``tsc --strict`` and node. Python: openapi-python-client,
then ``mypy --strict`` and the flow. The generated code lives only in the test's temporary
directory; what a generator cannot express is fixed in the schema, never in generated code.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from testing import samples
from testing.live import gunicorn_server
from testing.npm import CLIENTS_DIR, NODE_MODULES, npm_bin
from testing.workers import celery_worker, stack_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCHEMA = Path(settings.BASE_DIR) / "openapi.yaml"
BIN = Path(sys.executable).parent
STEP_TIMEOUT = 240


def _run(command: list[str], *, cwd: Path, env: dict | None = None, what: str) -> str:
    done = subprocess.run(command, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=STEP_TIMEOUT)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{what} failed ({done.returncode}):\n{output[-6000:]}"
    return output



@pytest.fixture
def live_api(broker_url, tmp_path, media_root):
    """gunicorn and a Celery worker on every queue, sharing the test database and media."""
    var_dir = tmp_path / "var"
    env = stack_env(var_dir=var_dir, media_root=media_root, broker_url=broker_url)
    with gunicorn_server(var_dir=var_dir, media_root=media_root, env=env) as server, \
            celery_worker(queues=["default", "images", "documents"], env=env, log_dir=var_dir, name="clients"):
        yield server


def _flow_env(server, tmp_path: Path) -> dict[str, str]:
    sample = tmp_path / "sample.png"
    sample.write_bytes(samples.png((120, 80)))
    return {"API_URL": server.url, "SAMPLE_PNG": str(sample), "USERNAME": f"sdk{uuid.uuid4().hex[:10]}"}


@pytest.fixture
def typescript_flow(tmp_path) -> Path:
    """The generated TypeScript client and flow.ts, compiled by ``tsc --strict`` (before any server starts)."""
    work = tmp_path / "ts"
    work.mkdir()
    _run([npm_bin("openapi-ts"), "--input", str(SCHEMA), "--output", str(work / "client")], cwd=CLIENTS_DIR,
         what="@hey-api/openapi-ts")
    for name in ("flow.ts", "tsconfig.json"):
        (work / name).write_text((CLIENTS_DIR / name).read_text())
    (work / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    _run([npm_bin("tsc"), "--project", str(work), "--strict"], cwd=work, what="tsc --strict")
    return work / "build" / "flow.js"


@pytest.fixture
def python_flow(tmp_path) -> Path:
    """The generated Python client and flow_python.py, checked by ``mypy --strict`` (before any server starts)."""
    work = tmp_path / "py"
    work.mkdir()
    _run([str(BIN / "openapi-python-client"), "generate", "--path", str(SCHEMA), "--meta", "none",
          "--config", str(CLIENTS_DIR / "openapi-python-client.yaml"), "--output-path", str(work / "uploads_client")],
         cwd=work, what="openapi-python-client")
    (work / "flow_python.py").write_text((CLIENTS_DIR / "flow_python.py").read_text())
    _run([str(BIN / "mypy"), "--strict", "--no-incremental", "--cache-dir", str(work / ".mypy_cache"),
          "flow_python.py", "uploads_client"], cwd=work, what="mypy --strict")
    return work / "flow_python.py"


def test_generated_python_client_has_no_generator_warnings(tmp_path):
    """Every operation and response made it into the client (the generator omits what it cannot parse)."""
    output = _run([str(BIN / "openapi-python-client"), "generate", "--path", str(SCHEMA), "--meta", "none",
                   "--config", str(CLIENTS_DIR / "openapi-python-client.yaml"),
                   "--output-path", str(tmp_path / "uploads_client")], cwd=tmp_path, what="openapi-python-client")
    assert "Warning" not in output, output


def test_typescript_client_flow_against_the_live_server(typescript_flow, live_api, tmp_path):
    output = _run(["node", str(typescript_flow)], cwd=typescript_flow.parent, env=_flow_env(live_api, tmp_path),
                  what="the TypeScript flow")
    assert "FLOW OK" in output, output


def test_python_client_flow_against_the_live_server(python_flow, live_api, tmp_path):
    flow = _flow_env(live_api, tmp_path)
    output = _run([sys.executable, str(python_flow), flow["API_URL"], flow["SAMPLE_PNG"], flow["USERNAME"]],
                  cwd=python_flow.parent, env={"PYTHONPATH": str(python_flow.parent)}, what="the Python flow")
    assert "FLOW OK" in output, output
