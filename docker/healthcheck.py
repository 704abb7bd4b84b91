"""Container health checks; exit status 0 means healthy.

    healthcheck.py                  the web server answers /health/live/ (the image's HEALTHCHECK)
    healthcheck.py ready [BASE]     BASE/health/ready/ answers 200 (default: this container's web server)
    healthcheck.py worker NAME      the Celery worker NAME@<this host> answers a ping

Requests carry a Host header Django accepts (the first of DJANGO_ALLOWED_HOSTS),
so the checks work however the site is named.
"""

import os
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path

TIMEOUT_SECONDS = 5


def allowed_host() -> str:
    """A host name in DJANGO_ALLOWED_HOSTS (``.example.com`` allows ``example.com``)."""
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def http_ok(url: str) -> bool:
    request = urllib.request.Request(url, headers={"Host": allowed_host()})  # noqa: S310 - http(s) URLs we build
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status == 200
    except (OSError, urllib.error.URLError) as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return False


def local_base() -> str:
    return f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"


def worker_ok(name: str) -> bool:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    from core.celery import app

    node = f"{name}@{socket.gethostname()}"
    replies = app.control.ping(destination=[node], timeout=TIMEOUT_SECONDS)
    if not any(node in reply for reply in replies):
        print(f"Celery worker {node} did not answer a ping.", file=sys.stderr)
        return False
    return True


def main(argv: list[str]) -> int:
    role = argv[0] if argv else "web"
    if role == "web":
        healthy = http_ok(f"{local_base()}/health/live/")
    elif role == "ready":
        healthy = http_ok(f"{(argv[1] if len(argv) > 1 else local_base()).rstrip('/')}/health/ready/")
    elif role == "worker" and len(argv) == 2:
        healthy = worker_ok(argv[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
