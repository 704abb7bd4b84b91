"""Deployment hardening (issue 13, findings 1, 4 and 7), checked on the files themselves;
core/tests/test_compose_smoke.py runs nginx with this config for what it does."""

import os
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
DEPLOY = ROOT / ".github" / "workflows" / "deploy.yml"
PROD_COMPOSE = ROOT / "docker-compose.prod.yml"
NGINX_CONF = ROOT / "docker" / "nginx.conf"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
WORKERS = ("worker-images", "worker-documents", "worker-default")
SECRETS = ("DJANGO_SECRET_KEY", "JWT_SIGNING_KEY", "DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD")


def services() -> dict:
    return yaml.safe_load(PROD_COMPOSE.read_text())["services"]


def test_every_action_is_pinned_by_commit_sha_with_its_release_tag():
    uses = [line.strip() for workflow in WORKFLOWS for line in workflow.read_text().splitlines()
            if re.match(r"\s*(- )?uses:", line)]
    assert len(uses) >= 10
    for line in uses:
        assert re.fullmatch(r"(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40}  # v\d+\.\d+\.\d+", line), line


def test_deploy_builds_only_tags_and_deploys_through_the_protected_environment():
    workflow = yaml.safe_load(DEPLOY.read_text())
    assert workflow[True]["push"] == {"tags": ["v*"]}  # yaml reads the `on` key as True
    jobs = workflow["jobs"]
    assert jobs["image"]["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert jobs["deploy"]["needs"] == "image"
    assert jobs["deploy"]["environment"] == "production"
    scripts = [step.get("run", "") for job in jobs.values() for step in job["steps"]]
    assert not [script for script in scripts if "ssh-keyscan" in script]


def known_hosts_step() -> str:
    steps = yaml.safe_load(DEPLOY.read_text())["jobs"]["deploy"]["steps"]
    return next(step["run"] for step in steps if step.get("name") == "SSH key and known host")


def test_deploy_fails_without_known_hosts_instead_of_trusting_the_server(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "DEPLOY_SSH_KEY": "key", "DEPLOY_KNOWN_HOSTS": "",
           "DEPLOY_HOST": "deploy.example.test", "DEPLOY_USER": "deploy"}
    missing = subprocess.run(["bash", "-e", "-c", known_hosts_step()], env=env, capture_output=True, text=True,
                             timeout=30)
    assert missing.returncode == 1
    assert "DEPLOY_KNOWN_HOSTS is not set" in missing.stdout
    assert not (home / ".ssh" / "known_hosts").exists()
    given = subprocess.run(["bash", "-e", "-c", known_hosts_step()], capture_output=True, text=True, timeout=30,
                           env={**env, "DEPLOY_KNOWN_HOSTS": "deploy.example.test ssh-ed25519 AAAA"})
    assert given.returncode == 0, given.stderr
    assert (home / ".ssh" / "known_hosts").read_text() == "deploy.example.test ssh-ed25519 AAAA\n"
    assert "StrictHostKeyChecking yes" in (home / ".ssh" / "config").read_text()


def test_secrets_stay_out_of_the_services_that_parse_untrusted_files():
    """Workers and beat get none of the site's secrets (the entrypoint gives workers a random key)."""
    every = services()
    for name in (*WORKERS, "beat"):
        environment = every[name]["environment"]
        assert {key: environment[key] for key in SECRETS} == dict.fromkeys(SECRETS, ""), name
        assert environment["DJANGO_EPHEMERAL_SECRET_KEY"] == "true", name
    assert every["web"]["environment"]["DJANGO_SUPERUSER_PASSWORD"] == ""
    assert "DJANGO_SUPERUSER_PASSWORD" not in every["migrate"].get("environment", {})
    assert "DJANGO_EPHEMERAL_SECRET_KEY" not in every["web"]["environment"]


def test_production_workers_have_memory_bounds():
    every = services()
    for name in WORKERS:
        command = [str(part) for part in every[name]["command"]]
        assert command[command.index("--max-memory-per-child") + 1] == "${WORKER_MAX_MEMORY_PER_CHILD:-524288}"
        assert re.fullmatch(r"\$\{WORKER_[A-Z]+_MEMORY_LIMIT:-\d+[mg]\}", every[name]["mem_limit"]), name


def test_nginx_replaces_forwarded_headers_and_gunicorn_trusts_only_nginx():
    conf = NGINX_CONF.read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "$proxy_add_x_forwarded_for" not in conf
    assert "proxy_set_header X-Forwarded-Proto $forwarded_proto;" in conf
    assert re.search(r"location = /health/ready/ \{\s*if \(\$trusted_proxy = 0\) \{\s*return 404;", conf)
    assert re.search(r"location = /admin/login/ \{\s*limit_req zone=admin_login", conf)
    assert '--forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"' in ENTRYPOINT.read_text()
    every = services()
    nginx_address = every["nginx"]["networks"]["default"]["ipv4_address"]
    assert every["web"]["environment"]["FORWARDED_ALLOW_IPS"] == nginx_address
    assert every["web"]["environment"]["NUM_PROXIES"] == "1"
