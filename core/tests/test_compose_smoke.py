"""docker-compose.prod.yml, run without Docker.

There is no Docker engine here, so this test does what compose would do with
the file, one service at a time, as local processes: it interpolates the file
against a .env, starts each app service's command through the image's
ENTRYPOINT with the image's ENV and the service's environment, and runs each
service's health check. Service host names map to the local PostgreSQL and
Redis (a dedicated database, Redis db 13), named volumes to temp folders, and
nginx is Debian's, started with the project's docker/nginx.conf with its paths
rewritten to those folders. Then, through nginx, a client registers, uploads,
sees each file processed by its queue's worker, downloads through
X-Accel-Redirect, and is refused a body that is too large; a page on another
origin can read all of that (CORS), nginx's own 502 included.
"""

import hashlib
import http.client
import io
import json
import os
import pwd
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
import requests
import yaml
from django.conf import settings
from django.db import connection as django_connection

from testing import samples
from testing.browser import chromium_page, screenshot, static_site
from testing.npm import build_uppy_page
from testing.processes import free_port, stop_processes
from testing.spa import assert_uppy_flow, register_and_login, run_uppy_flow
from testing.sse import EventStreamReader

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.prod.yml"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
REDIS_DB = 13
HOST = "uploads.example.test"
# A single-page app on another origin (CORS_ALLOWED_ORIGINS), and one that is not allowed.
SPA_ORIGIN = "https://spa.example.test"
OTHER_ORIGIN = "https://elsewhere.example.test"
MAX_UPLOAD = 1_048_576
# What the official images listen on (postgres, redis) and the PATH of a container.
IMAGE_PORTS = {"postgres": 5432, "redis": 6379}
CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PROCESSED_TASK = re.compile(r"Task files\.tasks\.process_file\[[0-9a-f-]+\] succeeded")


# --- What compose does with the file -------------------------------------------


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME:+x}."""
    out, i = [], 0
    while i < len(text):
        if text[i] != "$":
            out.append(text[i])
            i += 1
        elif text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("${", i):
            depth, j = 1, i + 2
            while depth:
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            out.append(_expand(text[i + 2:j - 1], env))
            i = j
        elif match := re.match(r"[A-Za-z_]\w*", text[i + 1:]):
            out.append(env.get(match.group(), ""))
            i += 1 + match.end()
        else:
            out.append("$")
            i += 1
    return "".join(out)


def _expand(expression: str, env: dict[str, str]) -> str:
    name, operator, argument = re.fullmatch(r"([A-Za-z_]\w*)(?:(:?[-?+])(.*))?", expression, re.DOTALL).groups()
    value = env.get(name)
    missing = value is None or ((operator or "").startswith(":") and value == "")
    if operator is None:
        return value or ""
    if operator.endswith("-"):
        return interpolate(argument, env) if missing else value
    if operator.endswith("?"):
        if missing:
            raise ValueError(f"{name}: {interpolate(argument, env)}")
        return value
    return "" if missing else interpolate(argument, env)


def interpolated(node, env):
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolated(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolated(value, env) for key, value in node.items()}
    return node


def image_config() -> dict:
    """ENV, WORKDIR, ENTRYPOINT of the Dockerfile's final stage."""
    final = re.split(r"^FROM\s", DOCKERFILE.read_text(), flags=re.MULTILINE)[-1]
    instructions = re.sub(r"\\\n", " ", final).splitlines()
    config = {"env": {}, "workdir": "/", "entrypoint": []}
    for line in instructions:
        keyword, _, rest = line.strip().partition(" ")
        if keyword == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                config["env"][key] = value.replace("$PATH", CONTAINER_PATH)
        elif keyword == "WORKDIR":
            config["workdir"] = rest.strip()
        elif keyword == "ENTRYPOINT":
            config["entrypoint"] = json.loads(rest)
    return config


def seconds(duration: str) -> float:
    return float(duration.rstrip("s"))


class LocalCompose:
    """Runs services of a compose file as local processes, mapped onto this machine."""

    def __init__(self, services: dict, dotenv: dict[str, str], tmp: Path, addresses: dict[str, tuple[str, int]]):
        self.services, self.dotenv, self.tmp = services, dotenv, tmp
        self.image = image_config()
        # service -> port inside its container; and -> where that is here.
        self.container_ports = {**IMAGE_PORTS, "web": int(services["web"]["environment"]["PORT"]),
                                "events": int(services["events"]["environment"]["PORT"]),
                                "nginx": int(services["nginx"]["ports"][0].rsplit(":", 1)[1])}
        self.addresses = addresses
        self.processes: dict[str, subprocess.Popen] = {}

    def is_app(self, name: str) -> bool:
        return self.services[name].get("image") == self.services["web"]["image"]

    def private(self, name: str, what: str) -> Path:
        path = self.tmp / "containers" / name / what
        path.mkdir(parents=True, exist_ok=True)
        return path

    def mounts(self, name: str, bind_files: bool = True) -> dict[str, str]:
        """Container path -> local path for this service (volumes, the image's code and venv, its own /tmp)."""
        mounts = {"/tmp": str(self.private(name, "tmp"))}
        if self.is_app(name):
            mounts |= {"/app": str(ROOT), "/app/var": str(self.private(name, "var")), "/opt/venv": sys.prefix}
        for volume in self.services[name].get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                if bind_files:
                    mounts[target] = str(self.bind_file(name, ROOT / source))
            else:
                local = self.tmp / "volumes" / source
                local.mkdir(parents=True, exist_ok=True)
                mounts[target] = str(local)
        return mounts

    def bind_file(self, name: str, source: Path) -> Path:
        """A bind-mounted config file, rewritten for here (paths, addresses, its listen port)."""
        copy = self.private(name, "config") / source.name
        if copy.exists():
            return copy
        text = self.localize(name, source.read_text(), bind_files=False)
        own = self.container_ports.get(name)
        if own:
            text = re.sub(rf"(\blisten\s+){own}\b", rf"\g<1>127.0.0.1:{self.addresses[name][1]}", text)
        if name == "nginx" and os.geteuid() == 0:
            # compose runs nginx as the app's uid; as root here, keep its workers on our uid
            # (the one the app processes store files with) rather than nobody.
            text = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" + text
        copy.write_text(text)
        return copy

    def localize(self, name: str, text: str, bind_files: bool = True) -> str:
        for service, port in self.container_ports.items():
            host, local_port = self.addresses[service]
            text = re.sub(rf"(?<![\w.-]){re.escape(service)}:{port}(?!\d)", f"{host}:{local_port}", text)
        own = self.container_ports.get(name)
        if own:
            text = re.sub(rf"\b(?:127\.0\.0\.1|localhost):{own}\b", f"127.0.0.1:{self.addresses[name][1]}", text)
        # Listening on every address becomes loopback (networks such as 10.0.0.0/8 stay as they are).
        text = re.sub(r"(?<![\d.])0\.0\.0\.0(?![\d./])", "127.0.0.1", text)
        mounts = self.mounts(name, bind_files)
        targets = sorted(mounts, key=len, reverse=True)
        pattern = rf"(?<![\w.-])({'|'.join(map(re.escape, targets))})(?=/|\s|$|[\"';:,)])"
        return re.sub(pattern, lambda match: mounts[match.group(1)], text)

    def environment(self, name: str) -> dict[str, str]:
        service = self.services[name]
        env = {"PATH": CONTAINER_PATH, "HOME": str(self.private(name, "home")), "LANG": "C.UTF-8",
               "HOSTNAME": socket.gethostname()}
        if self.is_app(name):
            env |= self.image["env"]
        if service.get("env_file"):
            env |= self.dotenv
        env |= {key: str(value) for key, value in service.get("environment", {}).items()}
        env = {key: self.localize(name, value) for key, value in env.items()}
        if "PORT" in env and name in self.container_ports:
            env["PORT"] = str(self.addresses[name][1])
        return env

    def command(self, name: str) -> list[str]:
        service = self.services[name]
        # The nginx image's entrypoint runs any command but `nginx` as given.
        entrypoint = self.image["entrypoint"] if self.is_app(name) else []
        return [self.localize(name, str(part)) for part in [*entrypoint, *service["command"]]]

    def workdir(self, name: str) -> str:
        return self.localize(name, self.image["workdir"]) if self.is_app(name) else str(self.private(name, "home"))

    def log_path(self, name: str) -> Path:
        return self.tmp / "logs" / f"{name}.log"

    def log(self, name: str) -> str:
        return self.log_path(name).read_text(errors="replace")

    def start(self, name: str) -> None:
        self.log_path(name).parent.mkdir(exist_ok=True)
        with self.log_path(name).open("ab") as log:
            self.processes[name] = subprocess.Popen(
                self.command(name), cwd=self.workdir(name), env=self.environment(name),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_exit(self, name: str, timeout: float) -> int:
        try:
            return self.processes[name].wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{name} did not finish in {timeout}s:\n{self.log(name)[-3000:]}")

    def healthy(self, name: str) -> bool:
        check = self.services[name]["healthcheck"]
        kind, *test = check["test"]
        argv = test if kind == "CMD" else ["sh", "-c", test[0]]
        try:
            result = subprocess.run([self.localize(name, part) for part in argv], cwd=self.workdir(name),
                                    env=self.environment(name), capture_output=True,
                                    timeout=seconds(check.get("timeout", "30s")), check=False)
        except subprocess.TimeoutExpired:
            return False
        return result.returncode == 0

    def wait_healthy(self, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                pytest.fail(f"{name} exited ({self.processes[name].returncode}):\n{self.log(name)[-3000:]}")
            if self.healthy(name):
                return
            time.sleep(0.5)
        pytest.fail(f"{name} not healthy after {timeout}s:\n{self.log(name)[-3000:]}")

    def stop_all(self) -> None:
        stop_processes(self.processes.values(), timeout=15)


# --- Fixtures -------------------------------------------------------------------


@pytest.fixture
def local_services():
    """A fresh database on the local PostgreSQL and a flushed Redis db, removed afterwards."""
    database = settings.DATABASES["default"]
    assert django_connection.vendor == "postgresql", "the compose smoke test needs PostgreSQL"
    name = f"uploads_compose_smoke_{secrets.token_hex(4)}"
    admin = {"host": database["HOST"] or "127.0.0.1", "port": int(database["PORT"] or 5432),
             "user": database["USER"], "password": database["PASSWORD"] or None, "dbname": "postgres"}
    broker = urlsplit(settings.CELERY_BROKER_URL)
    assert broker.scheme == "redis", "the compose smoke test needs Redis"
    store = redis.Redis(host=broker.hostname, port=broker.port or 6379, db=REDIS_DB)
    with psycopg.connect(**admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    store.flushdb()
    try:
        yield {"database": name, "postgres": (admin["host"], admin["port"]), "user": admin["user"],
               "password": admin["password"], "redis": (broker.hostname, broker.port or 6379), "store": store}
    finally:
        store.flushdb()
        with psycopg.connect(**admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def spa_site(tmp_path):
    """The Uppy page (clients/uppy) served on its own origin, http://127.0.0.1:<port>."""
    with static_site(build_uppy_page(tmp_path / "spa")) as origin:
        yield origin


@pytest.fixture
def stack(local_services, tmp_path, request):
    dotenv = {
        "APP_IMAGE": "uploads:smoke",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "CORS_ALLOWED_ORIGINS": f"{SPA_ORIGIN},http://localhost:5173",
        "POSTGRES_USER": local_services["user"],
        "POSTGRES_PASSWORD": local_services["password"] or "unused-with-trust-auth",
        "POSTGRES_DB": local_services["database"],
        "CELERY_BROKER_URL": f"redis://redis:6379/{REDIS_DB}",
        "REDIS_CACHE_URL": f"redis://redis:6379/{REDIS_DB}",
        "FILES_MAX_UPLOAD_SIZE": str(MAX_UPLOAD),
        "FILES_SWEEP_INTERVAL": "2",
        "WEB_CONCURRENCY": "2",
        "WORKER_IMAGES_CONCURRENCY": "1",
        "WORKER_DOCUMENTS_CONCURRENCY": "1",
        "WORKER_DEFAULT_CONCURRENCY": "1",
        "WORKER_MEDIA_CONCURRENCY": "1",
        # Containers each have their own 9808; processes on one host would share it.
        "CELERY_METRICS_PORT": "0",
    }
    if "spa_site" in request.fixturenames:
        # A browser cannot claim X-Forwarded-Proto: https as the test's requests do, so for the
        # browser this deployment answers plain HTTP (no redirect) and allows the page's origin.
        dotenv |= {"CORS_ALLOWED_ORIGINS": request.getfixturevalue("spa_site"),
                   "DJANGO_SECURE_SSL_REDIRECT": "false"}
    services = interpolated(yaml.safe_load(COMPOSE_FILE.read_text()), dotenv)["services"]
    # Like `docker compose up` with no --profile: services in a profile stay off.
    services = {name: service for name, service in services.items() if not service.get("profiles")}
    addresses = {"postgres": local_services["postgres"], "redis": local_services["redis"],
                 "web": ("127.0.0.1", free_port()), "events": ("127.0.0.1", free_port()),
                 "nginx": ("127.0.0.1", free_port())}
    compose = LocalCompose(services, dotenv, tmp_path, addresses)
    compose.store = local_services["store"]
    try:
        yield compose
    finally:
        compose.stop_all()


def wait_for_status(client, url: str, statuses=("processed", "failed"), timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(url, timeout=10).json()
        if body["status"] in statuses:
            return body
        time.sleep(0.2)
    pytest.fail(f"{url} still {body['status']} after {timeout}s")


def from_address(source: str, port: int):
    """A client of nginx on ``127.0.0.1:port`` whose connections come from ``source``:
    call(method, path, headers, json) -> (status, Location)."""

    def call(method: str, path: str, headers: dict | None = None, body: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
        try:
            payload = json.dumps(body).encode() if body is not None else None
            connection.request(method, path, body=payload, headers={
                "Host": HOST, **({"Content-Type": "application/json"} if body is not None else {}), **(headers or {})})
            response = connection.getresponse()
            response.read()
            return response.status, response.getheader("Location")
        finally:
            connection.close()

    return call


def wait_for(predicate, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    pytest.fail(f"Timed out waiting for {what}")


# --- The test ---------------------------------------------------------------------


def test_production_compose_serves_uploads_through_nginx_with_a_worker_per_queue(stack):
    # Every service of the file is accounted for: app services run here, the data services are local.
    assert set(stack.services) == {"nginx", "web", "events", "worker-webhooks", "worker-images",
                                   "worker-documents", "worker-default", "worker-media", "beat", "migrate",
                                   "postgres", "redis"}

    # depends_on: migrate (postgres healthy) -> web, workers, beat -> nginx (web healthy).
    stack.start("migrate")
    assert stack.wait_exit("migrate", timeout=120) == 0, stack.log("migrate")
    # worker-images is held back: until it runs, image tasks must wait in their own queue.
    for name in ("web", "events", "worker-webhooks", "worker-documents", "worker-default", "beat"):
        stack.start(name)
    stack.wait_healthy("web")
    stack.wait_healthy("events")
    stack.start("nginx")
    stack.wait_healthy("nginx", timeout=20)
    stack.wait_healthy("worker-documents")
    stack.wait_healthy("worker-default")
    stack.wait_healthy("worker-webhooks")

    base = f"http://127.0.0.1:{stack.addresses['nginx'][1]}"
    client = requests.Session()
    # As if a TLS-terminating proxy stood in front of nginx.
    client.headers.update({"Host": HOST, "X-Forwarded-Proto": "https"})

    ready = client.get(f"{base}/health/ready/", timeout=10)
    assert (ready.status_code, ready.json()) == (200, {"database": "ok", "broker": "ok", "storage": "ok"})
    plain = requests.get(f"{base}/api/v1/users/me/", headers={"Host": HOST}, allow_redirects=False, timeout=10)
    assert (plain.status_code, plain.headers["Location"]) == (301, f"https://{HOST}/api/v1/users/me/")

    # From an address nginx does not trust (127.0.0.2: loopback, but not its own), the
    # forwarded headers are the client's word: ignored (issue 13, findings 1 and 7).
    outsider = from_address("127.0.0.2", stack.addresses["nginx"][1])
    assert outsider("GET", "/health/ready/")[0] == 404
    forged_https = outsider("GET", "/api/v1/users/me/", {"X-Forwarded-Proto": "https"})
    assert forged_https[:2] == (301, f"https://{HOST}/api/v1/users/me/")

    credentials = {"username": "smoke", "email": "smoke@example.com", "password": "a long smoke passphrase"}
    registered = client.post(f"{base}/api/v1/auth/register/", json=credentials, timeout=10)
    assert registered.status_code == 201, registered.text
    token = client.post(f"{base}/api/v1/auth/token/", json={k: credentials[k] for k in ("username", "password")},
                        timeout=10)
    assert token.status_code == 200, token.text
    client.headers["Authorization"] = f"Bearer {token.json()['access']}"

    def upload(name: str, content: bytes) -> requests.Response:
        return client.post(f"{base}/api/v1/upload/", files={"file": (name, io.BytesIO(content))}, timeout=30)

    # The event stream goes through nginx to the events service (uvicorn), unbuffered.
    ticket = client.post(f"{base}/api/v1/events/ticket/", timeout=10).json()["ticket"]
    stream = EventStreamReader(f"{base}/api/v1/events/stream/?ticket={ticket}",
                               headers={"Host": HOST, "X-Forwarded-Proto": "https"})
    assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")

    image_bytes, text_bytes = samples.png((64, 48)), b"Hello, compose.\nSecond line.\n"
    image, text, document = upload("photo.png", image_bytes), upload("notes.txt", text_bytes), upload(
        "doc.pdf", samples.pdf())
    created = (image, text, document)
    assert [r.status_code for r in created] == [201, 201, 201], [r.text for r in created]
    assert [r.json()["kind"] for r in created] == ["image", "text", "document"]
    file_url = {kind: f"{base}/api/v1/files/{r.json()['id']}/" for kind, r in
                (("image", image), ("text", text), ("document", document))}

    with stream:
        first = stream.next(timeout=20)
        assert (first.event, first.json()["file"]["id"]) == ("file.created", image.json()["id"])
    assert "GET /api/v1/events/stream/" not in stack.log("web")

    text_done = wait_for_status(client, file_url["text"])
    document_done = wait_for_status(client, file_url["document"])
    assert (text_done["status"], text_done["result"]["lines"]) == ("processed", 2)
    assert (document_done["status"], document_done["result"]["pages"]) == ("processed", 2)
    # No other worker took the image: its task waits in the `images` queue.
    assert client.get(file_url["image"], timeout=10).json()["status"] == "pending"
    assert stack.store.llen("images") == 1

    stack.start("worker-images")
    stack.wait_healthy("worker-images")
    image_done = wait_for_status(client, file_url["image"])
    assert (image_done["status"], image_done["result"]["width"], image_done["result"]["height"]) == (
        "processed", 64, 48)
    assert stack.store.llen("images") == 0
    processed_by = {name: len(PROCESSED_TASK.findall(stack.log(name)))
                    for name in ("worker-images", "worker-documents", "worker-default")}
    assert processed_by == {"worker-images": 1, "worker-documents": 1, "worker-default": 1}
    # Beat publishes the sweeper on the default queue, and its worker runs it.
    wait_for(lambda: re.search(r"Task files\.tasks\.sweep_files\[[0-9a-f-]+\] succeeded",
                               stack.log("worker-default")), "the sweeper to run from beat")

    # Download: Django answers X-Accel-Redirect with no body, nginx sends the bytes.
    download_path = f"/api/v1/files/{text.json()['id']}/download/"
    direct = requests.get(f"http://127.0.0.1:{stack.addresses['web'][1]}{download_path}",
                          headers=dict(client.headers), timeout=10)
    assert direct.status_code == 200 and direct.content == b""
    accel = direct.headers["X-Accel-Redirect"]
    assert re.fullmatch(r"/protected/uploads/[0-9a-f]{2}/[0-9a-f]{32}", accel), accel
    downloaded = client.get(f"{base}{download_path}", timeout=10)
    assert downloaded.status_code == 200
    assert downloaded.content == text_bytes
    assert downloaded.headers["Content-Disposition"] == "attachment; filename=\"notes.txt\"; filename*=UTF-8''notes.txt"
    assert downloaded.headers["X-Content-Type-Options"] == "nosniff"
    assert downloaded.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert downloaded.headers["Content-Type"].startswith("text/plain")
    assert "X-Accel-Redirect" not in downloaded.headers
    thumbnail = client.get(f"{base}/api/v1/files/{image.json()['id']}/thumbnail/", timeout=10)
    assert (thumbnail.status_code, thumbnail.headers["Content-Type"], thumbnail.content[8:12]) == (
        200, "image/webp", b"WEBP")
    # The internal location is not reachable from outside.
    assert client.get(f"{base}{accel}", timeout=10).status_code == 404

    # Static files come from the collectstatic volume, served by nginx itself.
    static = client.get(f"{base}/static/admin/css/base.css", timeout=10)
    assert static.status_code == 200 and b"body" in static.content
    assert "/static/admin/css/base.css" not in stack.log("web")

    # Too large: over FILES_MAX_UPLOAD_SIZE, Django refuses; over nginx's bound, nginx does, unread.
    over_limit = upload("big.bin", samples.random_bytes(MAX_UPLOAD + 512 * 1024))
    assert over_limit.status_code == 413
    assert over_limit.json()["code"] == "file_too_large"
    # gunicorn logs a request after answering it.
    wait_for(lambda: stack.log("web").count("POST /api/v1/upload/") == 4, "gunicorn to log the refused upload")
    far_over = upload("huge.bin", samples.random_bytes(3 * MAX_UPLOAD))
    assert (far_over.status_code, far_over.json()) == (413, {
        "code": "file_too_large", "detail": "The request body is larger than this server accepts.", "errors": {}})
    # /metrics: refused by nginx to the outside however the path is spelled, answered
    # by web to a scraper on the compose network (here: loopback).
    for path in ("/metrics", "/%6Detrics", "//metrics", "/./metrics", "/metrics?format=text"):
        refused = requests.get(f"{base}{path}", headers={"Host": HOST}, timeout=10)
        assert (refused.status_code, refused.json()) == (
            404, {"code": "not_found", "detail": "Not found.", "errors": {}}), path
        assert b"uploads_" not in refused.content
    scraped = requests.get(f"http://127.0.0.1:{stack.addresses['web'][1]}/metrics", timeout=10)
    assert scraped.status_code == 200
    assert 'uploads_upload_accepted_total{kind="image"} 1.0' in scraped.text
    assert 'uploads_upload_refused_total{code="file_too_large"} 1.0' in scraped.text
    assert 'uploads_queue_depth{queue="images"} 0.0' in scraped.text
    listing = client.get(f"{base}/api/v1/files/?page_size=100", timeout=10).json()
    assert listing["count"] == 3
    wait_for(lambda: "GET /api/v1/files/?page_size=100" in stack.log("web"), "gunicorn to log the listing")
    assert stack.log("web").count("POST /api/v1/upload/") == 4

    # Resumable (tus) uploads through nginx: in chunks, and resumed after a connection cut mid-chunk.
    tus_chunked_and_resumed(client, base)
    media_through_nginx(stack, client, base, upload)


def media_through_nginx(stack, client, base: str, upload) -> None:
    """A video goes to worker-media alone; its download resumes and revalidates through nginx."""
    workers = ("worker-images", "worker-documents", "worker-default", "worker-media")
    stack.start("worker-media")
    stack.wait_healthy("worker-media")
    processed_before = {name: len(PROCESSED_TASK.findall(stack.log(name))) for name in workers}
    assert processed_before["worker-media"] == 0
    video_bytes = samples.mp4_h264(seconds=2)
    video = upload("clip.mp4", video_bytes)
    assert (video.status_code, video.json()["kind"]) == (201, "video"), video.text
    video_done = wait_for_status(client, f"{base}/api/v1/files/{video.json()['id']}/")
    assert (video_done["status"], video_done["result"]["video_codec"]) == ("processed", "h264"), video_done
    # The video went to worker-media, and to no other worker.
    processed_by = {name: len(PROCESSED_TASK.findall(stack.log(name))) for name in workers}
    assert processed_by == {**processed_before, "worker-media": 1}

    url, size = f"{base}/api/v1/files/{video.json()['id']}/download/", len(video_bytes)
    etag = f'"{video.json()["sha256"]}"'
    whole = client.get(url, timeout=10)
    assert (whole.status_code, whole.headers["ETag"], whole.headers["Accept-Ranges"]) == (200, etag, "bytes")
    assert whole.content == video_bytes
    head = client.head(url, timeout=10)
    assert (head.status_code, head.headers["Content-Length"], head.headers["ETag"], head.content) == (
        200, str(size), etag, b"")
    for header, start, end in (("bytes=100-199", 100, 199), ("bytes=1000-", 1000, size - 1),
                               ("bytes=-500", size - 500, size - 1)):
        part = client.get(url, headers={"Range": header}, timeout=10)
        assert part.status_code == 206, (header, part.status_code)
        assert part.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
        assert part.headers["ETag"] == etag
        assert part.headers["Content-Disposition"] == "attachment; filename=\"clip.mp4\"; filename*=UTF-8''clip.mp4"
        assert part.content == video_bytes[start:end + 1]
    resumed = client.get(url, headers={"Range": "bytes=1000-", "If-Range": etag}, timeout=10)
    assert (resumed.status_code, resumed.content) == (206, video_bytes[1000:])
    stale = client.get(url, headers={"Range": "bytes=1000-", "If-Range": '"stale"'}, timeout=10)
    assert (stale.status_code, stale.content) == (200, video_bytes)
    past_end = client.get(url, headers={"Range": f"bytes={size}-"}, timeout=10)
    assert (past_end.status_code, past_end.headers["Content-Range"], past_end.json()["code"]) == (
        416, f"bytes */{size}", "range_not_satisfiable")
    cached = client.get(url, headers={"If-None-Match": etag}, timeout=10)
    assert (cached.status_code, cached.content, cached.headers["ETag"]) == (304, b"", etag)
    poster = client.get(f"{base}/api/v1/files/{video.json()['id']}/thumbnail/", headers={"Range": "bytes=0-11"},
                        timeout=10)
    assert (poster.status_code, poster.content[8:12]) == (206, b"WEBP")

    # nginx replaces X-Forwarded-For with the address it saw (NUM_PROXIES=1): wrong
    # passwords, each with another forged header, still meet the login throttle
    # (THROTTLE_AUTH, 20/min per address). Other usernames each time: not the lockout.
    client.headers.pop("Authorization")
    logins = [client.post(f"{base}/api/v1/auth/token/", json={"username": f"ghost{i}", "password": "wrong"},
                          headers={"X-Forwarded-For": f"203.0.113.{i}"}, timeout=10) for i in range(21)]
    statuses = [login.status_code for login in logins]
    assert 429 in statuses, statuses
    assert set(statuses[: statuses.index(429)]) == {401}
    assert logins[-1].json()["code"] == "throttled" and int(logins[-1].headers["Retry-After"]) > 0


def tus_chunked_and_resumed(client: requests.Session, base: str) -> None:
    tus = {"Tus-Resumable": "1.0.0"}
    octets = {**tus, "Content-Type": "application/offset+octet-stream"}

    def create(length: int) -> str:
        created = client.post(f"{base}/api/v1/uploads/", timeout=10,
                              headers={**tus, "Upload-Length": str(length), "Upload-Metadata": "filename YS5iaW4="})
        assert created.status_code == 201, created.text
        assert created.headers["Location"].startswith(f"https://{HOST}/api/v1/uploads/")
        return base + urlsplit(created.headers["Location"]).path

    def patch(url: str, offset: int, body: bytes) -> requests.Response:
        return client.patch(url, data=body, headers={**octets, "Upload-Offset": str(offset)}, timeout=30)

    chunk = 256 * 1024
    content = samples.random_bytes(MAX_UPLOAD - 1000, seed=4)
    url = create(len(content))
    for offset in range(0, len(content), chunk):
        answered = patch(url, offset, content[offset:offset + chunk])
        assert answered.status_code == 204, answered.text
        assert answered.headers["Upload-Offset"] == str(min(offset + chunk, len(content)))
    chunked = wait_for_status(client, answered.headers["File-Location"].replace(f"https://{HOST}", base))
    assert (chunked["status"], chunked["sha256"]) == ("processed", hashlib.sha256(content).hexdigest())

    # A chunk larger than the per-PATCH limit is refused by nginx, in the envelope, unread.
    too_big = client.patch(create(MAX_UPLOAD), data=b"\0" * (17 * 1024 * 1024),
                           headers={**octets, "Upload-Offset": "0"}, timeout=30)
    assert (too_big.status_code, too_big.json()["code"], too_big.headers["Tus-Resumable"]) == (
        413, "file_too_large", "1.0.0")

    # nginx buffers a chunk before gunicorn sees it: a cut mid-chunk loses only that chunk.
    content = samples.random_bytes(600_000, seed=9)
    url = create(len(content))
    assert patch(url, 0, content[:chunk]).status_code == 204
    target = urlsplit(url)
    request_head = (f"PATCH {target.path} HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
                    f"Authorization: {client.headers['Authorization']}\r\nTus-Resumable: 1.0.0\r\n"
                    f"Upload-Offset: {chunk}\r\nContent-Type: application/offset+octet-stream\r\n"
                    f"Content-Length: {chunk}\r\n\r\n").encode()
    with socket.create_connection((target.hostname, target.port), timeout=10) as connection:
        connection.sendall(request_head + content[chunk:chunk + chunk // 2])
        time.sleep(0.3)
    state = client.head(url, headers=tus, timeout=10)
    assert (state.status_code, state.headers["Upload-Offset"]) == (200, str(chunk))
    assert patch(url, chunk, content[chunk:2 * chunk]).status_code == 204
    last = patch(url, 2 * chunk, content[2 * chunk:])
    assert last.status_code == 204, last.text
    resumed = wait_for_status(client, last.headers["File-Location"].replace(f"https://{HOST}", base))
    assert (resumed["status"], resumed["sha256"]) == ("processed", hashlib.sha256(content).hexdigest())


def _cors(response) -> tuple[str | None, set[str]]:
    exposed = {h.strip().lower() for h in response.headers.get("Access-Control-Expose-Headers", "").split(",")}
    return response.headers.get("Access-Control-Allow-Origin"), exposed - {""}


def serve_images_through_nginx(stack) -> None:
    """migrate, then web and worker-images, then nginx: the compose order, each waited for."""
    stack.start("migrate")
    assert stack.wait_exit("migrate", timeout=120) == 0, stack.log("migrate")
    for name in ("web", "worker-images"):
        stack.start(name)
    stack.wait_healthy("web")
    stack.start("nginx")
    stack.wait_healthy("nginx", timeout=20)
    stack.wait_healthy("worker-images")


def test_a_page_on_an_allowed_origin_reads_every_answer_through_nginx(stack):
    """CORS through the production nginx: Django's answers, X-Accel downloads and signed thumbnails
    (nginx sends the bytes), nginx's 413 and its 502, all readable by a page on CORS_ALLOWED_ORIGINS."""
    serve_images_through_nginx(stack)
    base = f"http://127.0.0.1:{stack.addresses['nginx'][1]}"
    client = requests.Session()
    client.headers.update({"Host": HOST, "X-Forwarded-Proto": "https", "Origin": SPA_ORIGIN})

    # The browser's preflight of an upload with Idempotency-Key.
    preflight = client.options(f"{base}/api/v1/upload/", timeout=10, headers={
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,idempotency-key,content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
    assert {"authorization", "idempotency-key", "content-type"} <= {
        h.strip() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}

    credentials = {"username": "spa", "email": "spa@example.com", "password": "a long spa passphrase"}
    assert client.post(f"{base}/api/v1/auth/register/", json=credentials, timeout=10).status_code == 201
    token = client.post(f"{base}/api/v1/auth/token/", timeout=10,
                        json={k: credentials[k] for k in ("username", "password")}).json()["access"]
    image_bytes = samples.png((50, 40))
    created = client.post(f"{base}/api/v1/upload/", files={"file": ("spa.png", io.BytesIO(image_bytes))},
                          headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "spa-1"}, timeout=30)
    assert created.status_code == 201, created.text
    assert _cors(created)[0] == SPA_ORIGIN
    assert "location" in _cors(created)[1]
    file_url = f"{base}/api/v1/files/{created.json()['id']}/"
    authorized = requests.Session()
    authorized.headers.update({**client.headers, "Authorization": f"Bearer {token}"})
    done = wait_for_status(authorized, file_url)
    assert done["status"] == "processed", done

    # X-Accel downloads, with the token and with the signed URLs (no token at all).
    def path_of(url: str) -> str:  # the URLs name the public host
        return url.split(HOST, 1)[1]

    answers = {
        "download": client.get(f"{file_url}download/", headers={"Authorization": f"Bearer {token}"}, timeout=10),
        "signed download": client.get(f"{base}{path_of(done['download_url'])}", timeout=10),
        "signed thumbnail": client.get(f"{base}{path_of(done['thumbnail_url'])}", timeout=10),
    }
    for what, answer in answers.items():
        assert answer.status_code == 200, (what, answer.status_code, answer.text[:200])
        allowed, exposed = _cors(answer)
        assert allowed == SPA_ORIGIN, (what, answer.headers)
        assert {"content-disposition", "content-length"} <= exposed, what
        assert answer.headers["Access-Control-Allow-Origin"].count(",") == 0, what  # one value, not two
    assert answers["download"].content == image_bytes
    assert answers["signed download"].content == image_bytes
    assert answers["signed thumbnail"].content[8:12] == b"WEBP"
    # An origin that is not allowed gets no CORS header from nginx either.
    other = client.get(f"{base}{path_of(done['thumbnail_url'])}", headers={"Origin": OTHER_ORIGIN}, timeout=10)
    assert other.status_code == 200
    assert "Access-Control-Allow-Origin" not in other.headers

    # nginx's own 413, refused before the body is read.
    far_over = client.post(f"{base}/api/v1/upload/", files={"file": ("huge.bin", io.BytesIO(
        samples.random_bytes(3 * MAX_UPLOAD)))}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert far_over.status_code == 413
    assert far_over.json()["code"] == "file_too_large"
    assert _cors(far_over)[0] == SPA_ORIGIN

    # gunicorn gone: nginx's 502, in the API's error shape, readable by the page.
    stop_processes([stack.processes.pop("web")], timeout=15)
    down = client.get(f"{base}/api/v1/users/me/", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert down.status_code == 502
    assert down.json() == {"code": "unavailable", "detail": down.json()["detail"], "errors": {}}
    assert _cors(down)[0] == SPA_ORIGIN
    assert down.headers["Retry-After"] == "5"


def test_uppy_on_another_origin_through_nginx(spa_site, stack):
    """The Uppy page of files/tests/test_browser_uppy.py, through the production nginx: X-Accel
    thumbnails and downloads, and nginx's own 413, readable from the page's origin."""
    serve_images_through_nginx(stack)
    # The browser reaches nginx by the site's host name.
    api = f"http://{HOST}:{stack.addresses['nginx'][1]}"
    session = requests.Session()
    session.headers["Host"] = f"{HOST}:{stack.addresses['nginx'][1]}"
    base = f"http://127.0.0.1:{stack.addresses['nginx'][1]}"
    token = register_and_login(base, "uppy", session=session)

    with chromium_page(args=[f"--host-resolver-rules=MAP {HOST} 127.0.0.1"]) as page:
        seen = run_uppy_flow(page, origin=spa_site, api=api, token=token, too_large=3 * MAX_UPLOAD)
        screenshot(page, "uppy-through-nginx")

    assert_uppy_flow(seen, refused_detail="The request body is larger than this server accepts.")
    # Django answered the signed thumbnail and download without a body (X-Accel-Redirect): nginx sent the bytes.
    for endpoint in ("thumbnail", "download"):
        assert re.search(rf'"GET /api/v1/files/[0-9a-f-]+/{endpoint}/\?sig=\S+ HTTP/1\.1" 200 0 ', stack.log("web")), \
            stack.log("web")[-3000:]
