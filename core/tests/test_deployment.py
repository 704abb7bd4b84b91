"""The deployment files: linted, valid against their schemas, and consistent with the code.

There is no Docker engine here; what a linter, a schema or the code itself can
check about the Dockerfile, the compose files and the workflows is checked.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DOCKERFILE = ROOT / "docker" / "Dockerfile"
NGINX_CONF = ROOT / "docker" / "nginx.conf"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
DEV_COMPOSE = ROOT / "docker-compose.yml"
PROD_COMPOSE = ROOT / "docker-compose.prod.yml"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ENV_EXAMPLE = ROOT / ".env.example"
APP_SERVICES = ("web", "events", "worker-webhooks", "worker-images", "worker-documents", "worker-media",
                "worker-default", "beat", "migrate")
SKIPPED_DIRS = {".venv", "var", "node_modules", ".git", "tests"}

ENV_READ_PATTERNS = [
    # django-environ: env("X"), env.str("X"), env.db("X"), ...
    re.compile(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']"),
    re.compile(r"\bos\.environ\.get\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']"),
    re.compile(r"\bos\.getenv\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']"),
    re.compile(r"\bos\.environ\[\s*[\"']([A-Z][A-Z0-9_]*)[\"']\s*\](?!\s*=[^=])"),  # not an assignment
]
# ${NAME...} in compose files and shell scripts; $${NAME} is compose's escape for the container's shell.
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)")
SHELL_VARIABLE = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)")


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def assert_passes(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, f"{' '.join(result.args)} failed:\n{result.stdout}\n{result.stderr}"


def compose(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def env_example_names() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))


def python_sources() -> list[Path]:
    return [path for path in ROOT.rglob("*.py")
            if not SKIPPED_DIRS & set(path.relative_to(ROOT).parts) and path.name != "conftest.py"]


def variables_read_by_code() -> dict[str, set[str]]:
    """Environment variables read by the Python code, the entrypoint and the compose files, with where."""
    found: dict[str, set[str]] = {}
    for path in python_sources():
        text = path.read_text()
        for pattern in ENV_READ_PATTERNS:
            for name in pattern.findall(text):
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    for name in SHELL_VARIABLE.findall(ENTRYPOINT.read_text()):
        found.setdefault(name, set()).add("docker/entrypoint.sh")
    for path in (DEV_COMPOSE, PROD_COMPOSE):
        for name in INTERPOLATION.findall(path.read_text()):
            found.setdefault(name, set()).add(path.name)
    return found


def worker_queues(service: dict) -> list[str] | None:
    """The queues a worker service consumes (its -Q), or None when it has no -Q (every queue)."""
    command = [str(part) for part in service["command"]]
    assert command[0] == "worker", command
    for flag in ("-Q", "--queues"):
        if flag in command:
            return command[command.index(flag) + 1].split(",")
    return None


# --- Linters and schemas ------------------------------------------------------


def test_dockerfile_passes_hadolint():
    assert_passes(run(str(BIN / "hadolint"), str(DOCKERFILE)))


def test_workflows_are_valid_github_workflows_with_timeouts():
    assert {path.name for path in WORKFLOWS} >= {"ci.yml", "deploy.yml"}
    assert_passes(run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                      *map(str, WORKFLOWS)))
    assert_passes(run(str(BIN / "check-jsonschema"), "--builtin-schema", "custom.github-workflows-require-timeout",
                      *map(str, WORKFLOWS)))


def test_compose_files_follow_the_compose_specification():
    assert_passes(run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                      str(DEV_COMPOSE), str(PROD_COMPOSE)))


def test_yaml_passes_yamllint():
    assert_passes(run(str(BIN / "yamllint"), "--strict", "-c", str(ROOT / ".yamllint"),
                      str(DEV_COMPOSE), str(PROD_COMPOSE), *map(str, WORKFLOWS), str(ROOT / ".yamllint")))


def test_entrypoint_passes_shellcheck():
    assert ENTRYPOINT.stat().st_mode & 0o111, "docker/entrypoint.sh must be executable"
    assert_passes(run(str(BIN / "shellcheck"), str(ENTRYPOINT)))


def test_workflow_run_scripts_pass_shellcheck(tmp_path):
    """What actionlint does for `run:` steps: each script, its ${{ }} expressions stubbed, through shellcheck."""
    scripts = []
    for workflow in WORKFLOWS:
        for job_name, job in compose(workflow)["jobs"].items():
            for number, step in enumerate(job["steps"]):
                if "run" in step:
                    script = tmp_path / f"{workflow.stem}-{job_name}-{number}.sh"
                    script.write_text("#!/bin/bash\nset -e\n" + re.sub(r"\$\{\{.*?\}\}", "GHA_EXPRESSION", step["run"]))
                    scripts.append(str(script))
    assert len(scripts) >= 10
    assert_passes(run(str(BIN / "shellcheck"), "--shell", "bash", *scripts))


# --- Consistency with the code ------------------------------------------------


def test_every_environment_variable_the_code_reads_is_in_env_example():
    listed = env_example_names()
    missing = {name: sorted(where) for name, where in variables_read_by_code().items() if name not in listed}
    assert missing == {}, f"Add these to .env.example (read in): {missing}"


def test_env_example_lists_only_variables_something_reads():
    stale = env_example_names() - set(variables_read_by_code())
    assert stale == set(), f".env.example lists variables nothing reads: {sorted(stale)}"


def test_every_queue_has_one_worker_service_in_production_and_every_worker_a_queue():
    services = compose(PROD_COMPOSE)["services"]
    workers = {name: service for name, service in services.items()
               if service.get("command") and str(service["command"][0]) == "worker"}
    queues_by_worker = {name: worker_queues(service) for name, service in workers.items()}
    # One queue per worker service, so each scales and restarts on its own.
    assert all(queues is not None and len(queues) == 1 for queues in queues_by_worker.values()), queues_by_worker
    consumed = sorted(queues[0] for queues in queues_by_worker.values())
    routed = sorted(queue.name for queue in settings.CELERY_TASK_QUEUES)
    assert consumed == routed
    assert sorted(set(settings.FILES_QUEUE_BY_KIND.values()) | {settings.FILES_DEFAULT_QUEUE,
                                                                 settings.WEBHOOKS_QUEUE}) == routed
    for name, service in workers.items():
        command = [str(part) for part in service["command"]]
        assert "--concurrency" in command and "--max-tasks-per-child" in command, name
        assert name == f"worker-{queues_by_worker[name][0]}", "worker services are named for their queue"


def test_development_worker_consumes_every_queue_and_beat_runs():
    services = compose(DEV_COMPOSE)["services"]
    workers = [service for service in services.values()
               if service.get("command") and str(service["command"][0]) == "worker"]
    assert len(workers) == 1
    queues = worker_queues(workers[0])
    # No -Q: a Celery worker consumes every queue in CELERY_TASK_QUEUES.
    assert queues is None or sorted(queues) == sorted(q.name for q in settings.CELERY_TASK_QUEUES)
    assert [name for name, service in services.items() if service.get("command") == ["beat"]] == ["beat"]
    assert {"postgres", "redis", "web"} <= set(services)
    assert ".:/app" in services["web"]["volumes"], "the code is mounted for autoreload"
    assert "runserver" in " ".join(services["web"]["command"])


def test_production_services_share_one_image_wait_for_health_and_restart():
    services = compose(PROD_COMPOSE)["services"]
    assert set(APP_SERVICES) <= set(services)
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1 and "${APP_IMAGE" in images.pop()
    # Migrations run once, in the one-shot service, which the long-running app services wait for.
    assert [name for name, service in services.items() if service.get("command") == ["release"]] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    for name in set(APP_SERVICES) - {"migrate"}:
        service = services[name]
        assert service["restart"] == "unless-stopped", name
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}, name
        assert service["depends_on"]["redis"] == {"condition": "service_healthy"}, name
        assert service["env_file"] == ".env", name
        assert service["environment"]["DJANGO_DEBUG"] == "false", name
    assert services["nginx"]["depends_on"] == {"web": {"condition": "service_healthy"},
                                               "events": {"condition": "service_healthy"}}
    for name in ("nginx", "web", "events", "worker-images", "worker-documents", "worker-default", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    # Only nginx is published.
    assert [name for name, service in services.items() if service.get("ports")] == ["nginx"]
    assert set(compose(PROD_COMPOSE)["volumes"]) == {"postgres", "redis", "media", "static", "minio"}


def test_production_redis_persists_and_never_evicts_queued_tasks():
    command = [str(part) for part in compose(PROD_COMPOSE)["services"]["redis"]["command"]]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert "redis:/data" in compose(PROD_COMPOSE)["services"]["redis"]["volumes"]


def test_nginx_serves_downloads_from_the_volume_django_stores_them_in():
    services = compose(PROD_COMPOSE)["services"]
    conf = NGINX_CONF.read_text()
    prefix = services["web"]["environment"]["FILES_ACCEL_REDIRECT_PREFIX"]
    internal = re.search(r"location\s+(\S+)\s*\{\s*internal;\s*alias\s+(\S+);", conf)
    assert internal, "docker/nginx.conf needs an internal location for X-Accel-Redirect"
    assert internal.group(1) == prefix
    nginx_mounts = {volume.split(":")[1].rstrip("/"): volume.split(":")[0] for volume in services["nginx"]["volumes"]}
    web_mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in services["web"]["volumes"]}
    media_volume = web_mounts[services["web"]["environment"]["MEDIA_ROOT"]]
    assert nginx_mounts[internal.group(2).rstrip(";").rstrip("/")] == media_volume
    static_alias = re.search(r"location\s+/static/\s*\{[^}]*alias\s+(\S+);", conf).group(1).rstrip("/")
    assert nginx_mounts[static_alias] == web_mounts[services["web"]["environment"]["STATIC_ROOT"]]
    assert services["nginx"]["volumes"][0] == "./docker/nginx.conf:/etc/nginx/uploads.conf:ro"


def test_nginx_body_limit_default_matches_the_upload_views_bound():
    from files.views import MULTIPART_OVERHEAD

    limit = int(re.search(r"client_max_body_size (\d+);", NGINX_CONF.read_text()).group(1))
    assert limit == 104_857_600 + 1_048_576 + MULTIPART_OVERHEAD
    command = " ".join(compose(PROD_COMPOSE)["services"]["nginx"]["command"])
    assert f"FILES_MAX_UPLOAD_SIZE + DATA_UPLOAD_MAX_MEMORY_SIZE + {MULTIPART_OVERHEAD}" in command


def test_image_has_debians_ffmpeg_for_the_media_worker_and_stays_without_compilers():
    final = _final_stage(DOCKERFILE.read_text())
    assert re.search(r"apt-get install -y --no-install-recommends [^\n]*\bffmpeg=", final)
    assert not re.search(r"\b(gcc|g\+\+|build-essential|python3-dev|libpq-dev|yasm|nasm)\b", final)


def _final_stage(dockerfile: str) -> str:
    return re.split(r"^FROM\s", dockerfile, flags=re.MULTILINE)[-1]


def test_image_is_slim_python_311_non_root_with_libmagic_and_a_healthcheck():
    dockerfile = DOCKERFILE.read_text()
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in dockerfile
    assert len(re.findall(r"^FROM\s+\$\{PYTHON_IMAGE\}\s+AS\s+\w+", dockerfile, flags=re.MULTILINE)) == 2
    final = _final_stage(dockerfile)
    user = re.findall(r"^USER\s+(\S+)", final, flags=re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert "libmagic1" in final
    assert not re.search(r"\b(gcc|g\+\+|build-essential|python3-dev|libpq-dev)\b", final)
    assert re.search(r"^HEALTHCHECK\s", final, flags=re.MULTILINE)
    installs_the_lock = r"--require-hashes .*-r \"requirements/\$\{REQUIREMENTS\}\.txt\""
    assert re.search(installs_the_lock, dockerfile), "the image installs the lock make run and make test install"
    assert "ARG REQUIREMENTS=base" in dockerfile



def test_image_healthcheck_is_the_one_compose_runs_for_web():
    command = re.search(r"^HEALTHCHECK\s.*?CMD\s+(\[.*?\])\s*$", re.sub(r"\\\n", " ", DOCKERFILE.read_text()),
                        flags=re.MULTILINE).group(1)
    for path in (DEV_COMPOSE, PROD_COMPOSE):
        assert compose(path)["services"]["web"]["healthcheck"]["test"] == ["CMD", *json.loads(command)], path.name


def test_nginx_streams_events_from_the_asgi_service_unbuffered():
    conf = NGINX_CONF.read_text()
    location = conf[conf.index("location = /api/v1/events/stream/"):]
    location = location[:location.index("}")]
    assert "proxy_pass http://events;" in location
    assert "proxy_buffering off;" in location
    assert "server events:8001;" in conf
    assert compose(PROD_COMPOSE)["services"]["events"]["command"] == ["events"]
