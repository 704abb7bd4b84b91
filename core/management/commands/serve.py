"""``make run``: the web server and one Celery worker (with beat) in the foreground.

The web server is uvicorn serving ``core.asgi``: the event stream on the
event loop, the rest of the API on a thread pool (see ``core.asgi``), all on
one port. Unlike gunicorn's sync workers it has no request timeout, so an
upload over a slow link takes as long as its bytes take.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run uvicorn and a Celery worker consuming every queue (with the sweeper); Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--worker-concurrency", type=int,
                            default=int(os.environ.get("CELERY_WORKER_CONCURRENCY", "2")))

    def handle(self, *args, host, port, web_workers, worker_concurrency, **options):

        bin_dir = os.path.dirname(sys.executable)
        web = [os.path.join(bin_dir, "uvicorn"), "core.asgi:application", "--host", host, "--port", str(port),
               "--workers", str(web_workers), "--timeout-graceful-shutdown", "10", "--no-server-header"]
        worker = [os.path.join(bin_dir, "celery"), "-A", "core", "worker", "--beat",
                  "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME,
                  "-Q", ",".join(queue.name for queue in settings.CELERY_TASK_QUEUES),  # files and webhooks
                  "--concurrency", str(worker_concurrency), "--loglevel", "INFO"]
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        broker = settings.CELERY_BROKER_URL.split("://", 1)[0]
        # /metrics adds up the web processes' values (prometheus-client's multiprocess mode), as
        # gunicorn.conf.py arranges under gunicorn: one emptied directory for this server's processes.
        metrics_dir = Path(settings.VAR_DIR) / "metrics" / f"web-{os.getpid()}"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        processes = [subprocess.Popen(web, env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}),
                     subprocess.Popen(worker)]
        base = f"http://{host}:{port}"
        self.stdout.write(self.style.SUCCESS(
            f"\nUpload platform running ({database} database, {broker} broker)\n"
            f"  API:    {base}/api/v1/\n"
            f"  Docs:   {base}/api/docs/\n"
            f"  Admin:  {base}/admin/\n"
            f"  Health: {base}/health/ready/\n"
            "Press Ctrl-C to stop.\n"
        ))
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in processes):
                time.sleep(0.2)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for process in processes:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(metrics_dir, ignore_errors=True)
        failed = [p.args[0] for p in processes if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            raise SystemExit(f"{os.path.basename(failed[0])} exited; stopping.")
