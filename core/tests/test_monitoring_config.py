"""The monitoring files of docker/: Prometheus scrapes what the compose file runs, the dashboard
shows what the app exposes, and neither service is published."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
PROD_COMPOSE = ROOT / "docker-compose.prod.yml"
PROMETHEUS = ROOT / "docker" / "prometheus.yml"
DASHBOARD = ROOT / "docker" / "grafana" / "dashboards" / "uploads.json"
PROVISIONING = sorted((ROOT / "docker" / "grafana" / "provisioning").rglob("*.yml"))


def services() -> dict:
    return yaml.safe_load(PROD_COMPOSE.read_text())["services"]


def test_monitoring_yaml_passes_yamllint():
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "yamllint"), "--strict", "-c", str(ROOT / ".yamllint"),
                             str(PROMETHEUS), *map(str, PROVISIONING)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_scrapes_web_and_every_worker_service_on_their_ports():
    compose = services()
    jobs = {job["job_name"]: job for job in yaml.safe_load(PROMETHEUS.read_text())["scrape_configs"]}
    web = jobs["web"]["dns_sd_configs"][0]
    assert (web["names"], web["port"], jobs["web"]["metrics_path"]) == (["web"], 8000, "/metrics")
    assert compose["web"]["environment"]["PORT"] == "8000"
    workers = jobs["workers"]["dns_sd_configs"][0]
    worker_services = sorted(name for name, service in compose.items()
                             if service.get("command") and str(service["command"][0]) == "worker")
    assert sorted(workers["names"]) == worker_services
    port = re.fullmatch(r"\$\{CELERY_METRICS_PORT:-(\d+)\}", compose["web"]["environment"]["CELERY_METRICS_PORT"])
    assert port and int(port.group(1)) == workers["port"]
    assert compose["worker-images"]["environment"]["CELERY_METRICS_ADDR"] == "0.0.0.0"


def test_monitoring_services_are_optional_and_unpublished():
    compose = services()
    for name in ("prometheus", "grafana"):
        assert compose[name]["profiles"] == ["monitoring"], name
        assert "ports" not in compose[name], name
    mounted = {volume.split(":")[0] for volume in compose["prometheus"]["volumes"] + compose["grafana"]["volumes"]}
    assert mounted == {"./docker/prometheus.yml", "./docker/grafana/provisioning", "./docker/grafana/dashboards"}
    assert compose["grafana"]["environment"]["GF_AUTH_ANONYMOUS_ENABLED"] == "false"


@pytest.mark.django_db
def test_dashboard_shows_only_metrics_the_app_exposes(client):
    # Every family the page declares (HELP and TYPE), with or without samples yet.
    exposed = {family.name for family in text_string_to_metric_families(client.get("/metrics").content.decode())
               if family.name.startswith("uploads_")}
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    used = {re.sub(r"_(bucket|count|sum|total)$", "", name) for expr in expressions
            for name in re.findall(r"\buploads_\w+", expr)}
    assert len(expressions) >= 15
    assert used - exposed == set()
    # Every metric the app defines has a panel.
    assert exposed - used == set(), exposed - used
