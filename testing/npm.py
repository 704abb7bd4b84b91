"""The npm packages of clients/ (installed by `make test`'s client-deps step): generators, tsc, Uppy."""

import shutil
import subprocess
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


def build_uppy_page(target: Path) -> Path:
    """clients/uppy (index.html and app.js with Uppy, bundled by esbuild) built into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    built = subprocess.run([npm_bin("esbuild"), str(CLIENTS_DIR / "uppy" / "app.js"), "--bundle", "--format=iife",
                            "--target=es2020", f"--outfile={target / 'app.bundle.js'}"],
                           cwd=CLIENTS_DIR, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    (target / "index.html").write_text((CLIENTS_DIR / "uppy" / "index.html").read_text())
    return target
