"""``make bench``: start the stack on loopback, run every suite, print Markdown tables.

    python -m bench.run                 # the full run (under 10 minutes on 2 cores)
    python -m bench.run --smoke         # seconds-long run of every suite (what the test suite runs)
    python -m bench.run --suites upload,listing --write-readme

The upload suite measures the app beside two references: the reference view
under the app's settings (``bench/reference``, the ceiling of the targets) and
the same view in a minimal Django project (``bench/reference/minimal``, the
moonshot, printed as "× minimal").

Everything it starts (gunicorn, Celery workers, load generators) it stops;
the benchmark database is dropped and its Redis database flushed, also on
failure and on Ctrl-C.
"""

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from scripts.check_services import reachable

from .stack import BASE_DIR, Stack

SUITES = ["upload", "large", "listing", "processing", "e2e", "events", "profile", "tus"]
README = BASE_DIR / "bench" / "README.md"
RESULTS_START = "<!-- results:start -->"
RESULTS_END = "<!-- results:end -->"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and durations (the test suite's run)")
    parser.add_argument("--suites", default=",".join(SUITES), help=f"comma-separated subset of {SUITES}")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL",
                                                                 "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379"))
    parser.add_argument("--database-name", default="uploads_bench")
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--web-workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per throughput round")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds per variant and size")
    parser.add_argument("--sizes", default="10240,1048576", help="throughput file sizes in bytes")
    parser.add_argument("--payload", choices=["random", "jpeg"], default="random",
                        help="throughput uploads: random bytes (kind other) or photo-like JPEGs (kind image)")
    parser.add_argument("--large-size", type=int, default=1024**3)
    parser.add_argument("--large-rounds", type=int, default=2)
    parser.add_argument("--scales", default="1000,10000,100000,1000000", help="files of one user")
    parser.add_argument("--spread-users", type=int, default=1000)
    parser.add_argument("--spread-per-user", type=int, default=1000)
    parser.add_argument("--list-repeats", type=int, default=15)
    parser.add_argument("--processing-rounds", type=int, default=2)
    parser.add_argument("--processing-scale", type=float, default=1.0)
    parser.add_argument("--probes", type=int, default=30)
    parser.add_argument("--load-seconds", type=float, default=15.0)
    parser.add_argument("--profile-uploads", type=int, default=300)
    parser.add_argument("--tus-size-mb", type=int, default=100, help="the tus suite's file")
    parser.add_argument("--tus-chunk-mb", type=int, default=8, help="the tus suite's PATCH size")
    parser.add_argument("--baseline-rev", help="also run the upload endpoint of this git revision (A/B/ceiling)")
    parser.add_argument("--baseline-patch", help="also run this working tree with PATCH reversed (before/after)")
    parser.add_argument("--write-readme", action="store_true", help=f"replace the results in {README}")
    parser.add_argument("--keep-dir", action="store_true", help="keep logs and the profile in var/")
    args = parser.parse_args(argv)
    if args.smoke:
        args.duration, args.rounds, args.sizes = 1.0, 1, "10240"
        args.large_size, args.large_rounds = 8 * 1024**2, 1
        args.scales, args.spread_users, args.spread_per_user, args.list_repeats = "50,200", 5, 20, 2
        args.processing_rounds, args.processing_scale = 1, 0.05
        args.probes, args.load_seconds, args.profile_uploads = 2, 2.0, 3
        args.tus_size_mb, args.tus_chunk_mb = 6, 2
        args.database_name = f"{args.database_name}_smoke_{os.getpid()}"
        args.redis_db = 11 if args.redis_db == 12 else args.redis_db
    args.suites = [s.strip() for s in args.suites.split(",") if s.strip()]
    unknown = set(args.suites) - set(SUITES)
    if unknown:
        parser.error(f"unknown suites: {sorted(unknown)}")
    return args


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        memory = int(handle.readline().split()[1]) / 1024**2
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    import redis

    redis_version = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).info()["redis_version"]
    return (f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; PostgreSQL {postgres}; Redis {redis_version}")


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True,
                          check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=BASE_DIR,
                           capture_output=True, text=True, check=False).stdout.strip()
    return (done.stdout.strip() or "unknown") + (" (with uncommitted changes)" if dirty else "")


def export_revision(rev: str, target: Path) -> Path:
    """The tree of ``rev`` in ``target`` (git archive: the repository itself is not touched)."""
    target.mkdir(parents=True)
    archive = target / "tree.tar"
    subprocess.run(["git", "archive", "--format=tar", "-o", str(archive), rev], cwd=BASE_DIR, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    archive.unlink()
    return target


def copy_reverted(patch: Path, target: Path) -> Path:
    """This working tree (uncommitted files included) with ``patch`` reversed: the code before a change."""
    shutil.copytree(BASE_DIR, target, ignore=shutil.ignore_patterns(".venv", ".git", "var", "__pycache__",
                                                                    ".pytest_cache", ".ruff_cache"))
    subprocess.run(["patch", "-R", "-p1", "-s", "-i", str(patch.resolve())], cwd=target, check=True)
    return target


def main(argv=None) -> int:
    args = parse_args(argv)
    if not reachable(args.postgres_url, 5432) or not reachable(args.redis_url, 6379):
        print(f"PostgreSQL ({args.postgres_url}) and Redis ({args.redis_url}) must be up.", file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.sizes.split(",") if s]
    stack = Stack(database_name=args.database_name, redis_db=args.redis_db, postgres_url=args.postgres_url,
                  redis_url=args.redis_url, web_workers=args.web_workers,
                  worker_queues=["images", "documents", "media", "default", "webhooks"], keep_dir=args.keep_dir)

    def interrupted(signum, frame):
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGTERM, signal.SIGINT)}
    sections: list[tuple[str, str]] = []
    started = time.monotonic()
    try:
        stack.create_database()
        stack.apply_env()
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        from . import e2e, events, listing, processing, profiling, uploads

        users, tokens = _clients(args.clients)
        tokens_file = stack.dir / "tokens.txt"
        tokens_file.write_text("\n".join(tokens) + "\n")
        header = (f"Machine: {machine()}.  \nCommit: {commit()}.  \n"
                  f"Command: `python -m bench.run {' '.join(argv if argv is not None else sys.argv[1:])}`.  \n"
                  f"gunicorn: {args.web_workers} sync workers; Celery: one worker process per queue "
                  f"({', '.join(stack.worker_queues)}).")
        print(header + "\n", flush=True)

        web = stack.start_web()
        reference = stack.start_web(reference=True)
        variants = {uploads.CEILING: (reference, uploads.REFERENCE_PATH, None)}
        if "upload" in args.suites:  # the moonshot is measured by the throughput suite only
            variants[uploads.MINIMAL] = (stack.start_web(reference="minimal"), uploads.REFERENCE_PATH, None)
        variants["app"] = (web, uploads.UPLOAD_PATH, str(tokens_file))
        stack.start_workers()
        if args.baseline_rev:
            tree = export_revision(args.baseline_rev, stack.dir / "baseline")
            baseline = stack.start_web(source_dir=tree)
            variants[f"app @ {args.baseline_rev}"] = (baseline, uploads.UPLOAD_PATH, str(tokens_file))
        baseline_tree = None
        if args.baseline_patch:
            tree = baseline_tree = copy_reverted(Path(args.baseline_patch), stack.dir / "before")
            before = stack.start_web(source_dir=tree)
            variants["app before"] = (before, uploads.UPLOAD_PATH, str(tokens_file))

        def emit(title: str, body: str) -> None:
            sections.append((title, body))
            print(f"### {title}\n\n{body}\n", flush=True)

        if "upload" in args.suites:
            body, _ = uploads.throughput(stack, variants, sizes=sizes, rounds=args.rounds,
                                         duration=args.duration, clients=args.clients, payload=args.payload)
            emit("Upload throughput", body)
        if "large" in args.suites:
            emit("Large upload", uploads.large_upload(stack, size=args.large_size, rounds=args.large_rounds,
                                                      token=tokens[0]))
        if "processing" in args.suites:
            emit("Processing throughput", processing.processing(
                stack, rounds=args.processing_rounds, scale=args.processing_scale,
                counts={"image": 2, "text": 2, "document": 2, "archive": 2, "heic": 2, "video": 2, "audio": 2}
                if args.smoke else None,
                baseline=baseline_tree))
        if "e2e" in args.suites:
            emit("End to end: upload → processed", e2e.end_to_end(
                stack, web, tokens[0], str(tokens_file), probes=args.probes, load_seconds=args.load_seconds,
                clients=args.clients))
        if "events" in args.suites:
            stream_server = stack.start_events()
            emit("Events: upload → file.processed on an open stream", events.stream_latency(
                stack, web, stream_server, tokens[0], str(tokens_file), probes=args.probes,
                load_seconds=args.load_seconds, clients=args.clients))
            emit("Events: the API while streams are open", events.api_with_streams(
                web, stream_server, tokens, streams=10 if args.smoke else 200, samples=5 if args.smoke else 50))
            emit("Events: webhook deliveries", events.webhook_rate(users[0], deliveries=10 if args.smoke else 300))
        if "profile" in args.suites:
            emit("Where an upload's CPU goes", profiling.cpu_breakdown(users[-1], uploads=args.profile_uploads))
            emit("Profile of the upload request", profiling.profile_upload(stack, users[-1],
                                                                         uploads=args.profile_uploads))
        if "tus" in args.suites:
            from .tus import tus_vs_multipart

            emit("Resumable uploads (tus) against one multipart POST", tus_vs_multipart(
                size=args.tus_size_mb * 1024**2, chunk=args.tus_chunk_mb * 1024**2, rounds=1 if args.smoke else 3))
        if "listing" in args.suites:
            emit("Listing at scale", listing.listing(
                web, scales=[int(s) for s in args.scales.split(",")], spread_users=args.spread_users,
                spread_per_user=args.spread_per_user, repeats=args.list_repeats))
        elapsed = time.monotonic() - started
        print(f"Total benchmark time: {elapsed / 60:.1f} min.", flush=True)
        if args.write_readme:
            _write_readme(header + f"  \nTotal time: {elapsed / 60:.1f} min.", sections)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        from django.db import connections

        connections.close_all()
        stack.stop()
        print(f"Stopped processes: {' '.join(map(str, stack.started_pids))}", flush=True)
    return 0


def _clients(count: int):
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.tokens import RefreshToken

    User = get_user_model()
    users = [User.objects.create(username=f"bench-client-{i}", email=f"bench-client-{i}@example.com")
             for i in range(count)]
    return users, [str(RefreshToken.for_user(user).access_token) for user in users]


def _write_readme(header: str, sections: list[tuple[str, str]]) -> None:
    text = README.read_text()
    results = "\n\n".join([header, *(f"### {title}\n\n{body}" for title, body in sections)])
    before, _, rest = text.partition(RESULTS_START)
    _, _, after = rest.partition(RESULTS_END)
    README.write_text(f"{before}{RESULTS_START}\n{results}\n{RESULTS_END}{after}")


if __name__ == "__main__":
    sys.exit(main())
