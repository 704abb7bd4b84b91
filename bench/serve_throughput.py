"""`make run`'s web server, before and after issue 15: upload throughput of gunicorn (sync workers,
what `manage.py serve` ran) and of uvicorn serving core.asgi (a2wsgi threads), same settings.

Runs the embedded default `make run` uses (SQLite, filesystem broker; nothing is processed) in a
temporary VAR_DIR, one server at a time on a free port, and prints a Markdown table:

    .venv/bin/python -m bench.serve_throughput [--seconds 15] [--clients 8] [--size 10240]
"""

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from bench.loadgen import run_load
from testing.processes import free_port, log_tail, start_process, stop_process, wait_for_http

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "bench-password-42-x"  # noqa: S105 - a throwaway loopback user


def servers(port: int, workers: int) -> dict[str, list[str]]:
    return {
        "gunicorn core.wsgi (before)": [str(BIN / "gunicorn"), "core.wsgi", "--bind", f"127.0.0.1:{port}",
                                        "--workers", str(workers), "--log-level", "warning"],
        "uvicorn core.asgi (now)": [str(BIN / "uvicorn"), "core.asgi:application", "--host", "127.0.0.1",
                                    "--port", str(port), "--workers", str(workers), "--log-level", "warning",
                                    "--no-access-log"],
    }


def measure(name: str, command: list[str], env: dict, port: int, args) -> dict:
    log = Path(env["VAR_DIR"]) / f"{name.split()[0]}.log"
    process = start_process(command, log=log, env=env, cwd=BASE_DIR)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(process, f"{base}/health/live/", lambda: log_tail(log), name)
        tokens = requests.post(f"{base}/api/v1/auth/token/", json={"username": "bench", "password": PASSWORD},
                               timeout=10).json()
        asyncio.run(run_load(f"{base}/api/v1/upload/", [tokens["access"]], args.size, args.clients, 2))  # warm-up
        return asyncio.run(run_load(f"{base}/api/v1/upload/", [tokens["access"]], args.size, args.clients,
                                    args.seconds))
    finally:
        stop_process(process)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--size", type=int, default=10_240)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as var_dir:
        env = {k: v for k, v in os.environ.items()
               if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_CACHE_URL", "DJANGO_SETTINGS_MODULE"}}
        env.update({"VAR_DIR": var_dir, "MEDIA_ROOT": f"{var_dir}/media", "LOG_LEVEL": "WARNING",
                    "THROTTLE_UPLOAD": "10000000/min", "THROTTLE_USER": "10000000/min", "FILES_USER_QUOTA": "0",
                    "DJANGO_SUPERUSER_USERNAME": "bench", "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
                    "DJANGO_SUPERUSER_EMAIL": "bench@example.com"})
        for step in (["migrate", "--no-input", "-v0"], ["ensure_superuser"]):
            subprocess.run([sys.executable, "manage.py", *step], cwd=BASE_DIR, env=env, check=True,
                           capture_output=True)
        rows = []
        for name, command in servers(free_port(), args.workers).items():
            port = int(command[command.index("--port") + 1] if "--port" in command
                       else command[command.index("--bind") + 1].rsplit(":", 1)[1])
            rows.append((name, measure(name, command, env, port, args)))
    print(f"\n`make run` web server, {args.workers} workers, {args.clients} clients, {args.size} B uploads, "
          f"{args.seconds:.0f} s (SQLite, filesystem broker)\n")
    print("| server | uploads/s | p50 ms | p95 ms | errors |")
    print("|---|---:|---:|---:|---:|")
    for name, result in rows:
        print(f"| {name} | {result['rps']:.1f} | {result['p50_ms'] or 0:.1f} | {result['p95_ms'] or 0:.1f} | "
              f"{result['errors']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
