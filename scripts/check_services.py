"""Say clearly which of PostgreSQL and Redis is down before the tests start."""

import socket
import sys
from urllib.parse import urlsplit

HINTS = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
}


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    database_url, redis_url = sys.argv[1], sys.argv[2]
    down = [(name, url) for name, url, port in (("PostgreSQL", database_url, 5432), ("Redis", redis_url, 6379))
            if not reachable(url, port)]
    for name, url in down:
        print(f"{name} is not reachable at {url}. Start it, e.g.: {HINTS[name]}", file=sys.stderr)
    return 1 if down else 0


if __name__ == "__main__":
    sys.exit(main())
