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


# -- no default secret (issue 13) -------------------------------------------------------------------------
SECRETS = {"gateway": {"PORTAIL_IDENTITY_SECRET", "PORTAIL_METRICS_TOKEN"},
           "auth": {"PORTAIL_IDENTITY_SECRET"}, "booking": {"PORTAIL_IDENTITY_SECRET"},
           "dossier": {"PORTAIL_IDENTITY_SECRET", "PORTAIL_DOSSIER_KEY"}, "notify": {"PORTAIL_IDENTITY_SECRET"},
           "billing": {"PORTAIL_IDENTITY_SECRET", "PORTAIL_PAYMENT_PROVIDER_SECRET"}}
REQUIRED = re.compile(r"^\$\{(?P<name>PORTAIL_[A-Z_]+):\?(?P<message>[^}]+)\}$")


@pytest.mark.parametrize("name", PORTS)
def test_every_secret_comes_from_the_environment_without_default(services, name):
    env = services[name]["environment"]
    secret_like = {k for k in env if any(w in k for w in ("SECRET", "TOKEN", "KEY", "PASSWORD"))}
    assert secret_like == SECRETS[name]
    for variable in secret_like:
        match = REQUIRED.match(str(env[variable]))
        assert match, f"{name}: {variable} must be ${{{variable}:?…}} (required, no default)"
        assert match["name"] == variable
        assert f"la variable {variable} est obligatoire" in match["message"]  # what compose says without it


def test_the_local_stack_turns_the_test_payment_provider_on_and_pays_back_to_the_portal(services):
    gateway, billing = services["gateway"]["environment"], services["billing"]["environment"]
    assert str(gateway["PORTAIL_TEST_PAYMENT_PROVIDER"]) == str(billing["PORTAIL_TEST_PAYMENT_PROVIDER"]) == "1"
    assert billing["PORTAIL_PUBLIC_URL"] == gateway["PORTAIL_PUBLIC_URL"]


def test_compose_env_writes_random_secrets_once(tmp_path):
    from cryptography.fernet import Fernet

    from kit.devstack import compose_env

    path = tmp_path / ".env"
    assert compose_env(path) is True
    values = dict(line.split("=", 1) for line in path.read_text().splitlines() if not line.startswith("#"))
    assert set(values) == set().union(*SECRETS.values())
    assert all(len(v) >= 32 for v in values.values())
    Fernet(values["PORTAIL_DOSSIER_KEY"].encode())  # a valid key
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only
    before = path.read_text()
    assert compose_env(path) is False and path.read_text() == before  # never overwritten
    other = tmp_path / "other.env"
    compose_env(other)
    assert other.read_text() != before  # random, not a shared default
    ignored = {line.strip() for line in (ROOT / ".gitignore").read_text().splitlines()}
    assert ".env" in ignored and ".env" in (ROOT / ".dockerignore").read_text().splitlines()
