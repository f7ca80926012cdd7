"""Static checks of docker-compose.yml, the Postgres init SQL and the Dockerfile."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PORTS = {"gateway": 8080, "auth": 8081, "booking": 8082, "dossier": 8083, "notify": 8084, "billing": 8085}
WITH_DB = [name for name in PORTS if name != "gateway"]


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]


def test_all_services_present(services):
    assert set(PORTS) | {"postgres", "rabbitmq", "mailcatcher"} <= set(services)


@pytest.mark.parametrize("name", PORTS)
def test_app_service(services, name):
    svc = services[name]
    assert svc["command"] == ["python", "-m", f"services.{name}"]
    assert "build" in svc
    env = svc["environment"]
    assert str(env["PORTAIL_HTTP_PORT"]) == str(PORTS[name])
    assert env["PORTAIL_AMQP_URL"].startswith("amqp://") and "@rabbitmq:5672" in env["PORTAIL_AMQP_URL"]
    assert env["PORTAIL_IDENTITY_SECRET"]
    probe = " ".join(svc["healthcheck"]["test"])
    assert f"127.0.0.1:{PORTS[name]}/readyz" in probe
    for infra in ("postgres", "rabbitmq"):
        assert svc["depends_on"][infra]["condition"] == "service_healthy"
    if name == "gateway":
        assert "PORTAIL_DATABASE_URL" not in env
    else:
        url = urlsplit(env["PORTAIL_DATABASE_URL"])
        assert url.scheme == "postgresql" and url.hostname == "postgres"
        assert url.path == f"/portail_{name}"


def test_databases_distinct_and_created(services):
    dbs = [urlsplit(services[n]["environment"]["PORTAIL_DATABASE_URL"]).path.lstrip("/") for n in WITH_DB]
    assert len(set(dbs)) == len(dbs)
    sql = "\n".join(p.read_text() for p in (ROOT / "deploy/compose/initdb").glob("*.sql"))
    created = set(re.findall(r"CREATE\s+DATABASE\s+(\w+)", sql, flags=re.IGNORECASE))
    assert set(dbs) <= created
    mounts = services["postgres"]["volumes"]
    assert any(m.startswith("./deploy/compose/initdb:/docker-entrypoint-initdb.d") for m in mounts)


def test_infra_and_mailcatcher(services):
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["rabbitmq"]["healthcheck"]["test"][-2:] == ["-q", "ping"]
    mc = services["mailcatcher"]
    assert mc["command"] == ["python", "-m", "kit.mailcatcher"]
    assert mc["environment"]["PORTAIL_MAILCATCHER_HOST"] == "0.0.0.0"
    notify = services["notify"]["environment"]
    assert (notify["PORTAIL_SMTP_HOST"], str(notify["PORTAIL_SMTP_PORT"])) == ("mailcatcher", "1025")
    gateway = services["gateway"]
    for name in WITH_DB:
        assert gateway["environment"][f"PORTAIL_{name.upper()}_URL"] == f"http://{name}:{PORTS[name]}"
        assert gateway["depends_on"][name]["condition"] == "service_healthy"
    published = {name for name, svc in services.items() if svc.get("ports")}
    assert published == {"postgres", "rabbitmq", "mailcatcher", "gateway"}


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, flags=re.MULTILINE)
    assert "uv sync --frozen" in text and "--no-dev" in text
    assert re.search(r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+", text), "uv must be pinned"
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert (ROOT / ".dockerignore").exists()
