"""The npm packages of clients/ (installed by `make test`'s client-deps step): generators, tsc, Uppy."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings

CLIENTS_DIR = Path(settings.BASE_DIR) / "clients"
NODE_MODULES = CLIENTS_DIR / "node_modules"


def npm_bin(name: str) -> str:
    """The path of an installed npm package's command; fails (not skips) when it is missing."""
    if shutil.which("node") is None:
        pytest.fail("node is missing: the client tests need Node.js 20 and npm")
    path = NODE_MODULES / ".bin" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make client-deps` (make test runs it)")
    return str(path)
