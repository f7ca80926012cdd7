"""Static checks of docker-compose.yml, the Postgres init SQL and the Dockerfile: one image per service
(docs/adr/0007), each holding kit, contracts and that service only, which compose uses."""

import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
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
    assert svc["build"] == {"context": ".", "target": name}  # its own Dockerfile target
    assert svc["image"] == f"portail-famille/{name}:dev"
    env = svc["environment"]
    assert str(env["PORTAIL_HTTP_PORT"]) == str(PORTS[name])
    assert env["PORTAIL_AMQP_URL"].startswith("amqp://") and "@rabbitmq:5672" in env["PORTAIL_AMQP_URL"]
    assert env["PORTAIL_IDENTITY_SECRET"]
    probe = " ".join(svc["healthcheck"]["test"])
    assert f"127.0.0.1:{PORTS[name]}/readyz" in probe
    for infra in ("postgres", "rabbitmq"):
        assert svc["depends_on"][infra]["condition"] == "service_healthy"
    # the bus topology is declared before any service publishes (docs/adr/0006)
    assert svc["depends_on"]["topology"]["condition"] == "service_completed_successfully"
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
    assert mc["command"] == ["python", "-m", "tools.mailcatcher"]
    assert mc["build"] == {"context": ".", "target": "mailcatcher"}
    assert mc["image"] == "portail-famille/mailcatcher:dev"
    assert mc["environment"]["PORTAIL_MAILCATCHER_HOST"] == "0.0.0.0"
    notify = services["notify"]["environment"]
    assert (notify["PORTAIL_SMTP_HOST"], str(notify["PORTAIL_SMTP_PORT"])) == ("mailcatcher", "1025")
    gateway = services["gateway"]
    for name in WITH_DB:
        assert gateway["environment"][f"PORTAIL_{name.upper()}_URL"] == f"http://{name}:{PORTS[name]}"
        assert gateway["depends_on"][name]["condition"] == "service_healthy"
    published = {name for name, svc in services.items() if svc.get("ports")}
    assert published == {"postgres", "rabbitmq", "mailcatcher", "gateway"}


def test_the_topology_step_runs_once_before_the_services(services):
    topology = services["topology"]
    assert topology["build"] == {"context": ".", "target": "topology"}
    assert topology["image"] == "portail-famille/topology:dev"
    assert topology["command"] == ["python", "-m", "services.topology", "declare"]
    assert topology["restart"] == "no"
    assert topology["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    assert topology["environment"]["PORTAIL_AMQP_URL"] == services["auth"]["environment"]["PORTAIL_AMQP_URL"]


def test_every_image_of_compose_is_built_from_its_own_target(services):
    built = {name: svc for name, svc in services.items() if "build" in svc}
    assert set(built) == set(PORTS) | {"topology", "mailcatcher"}
    images = [svc["image"] for svc in built.values()]
    assert len(set(images)) == len(images)
    assert {svc["build"]["target"] for svc in built.values()} <= set(dockerfile_stages())


# -- the Dockerfile: one image per service ----------------------------------------------------------------
SERVICE_TARGETS = list(PORTS)
SHARED = {"kit", "contracts", "services/__init__.py"}  # what every service's image holds besides its folder


@dataclass
class Stage:
    name: str
    parent: str
    instructions: list[tuple[str, str]] = field(default_factory=list)  # (INSTRUCTION, arguments)


def dockerfile_stages() -> dict[str, Stage]:
    """The Dockerfile's stages by name, each with its instructions (continuation lines joined)."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    logical, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    stages: dict[str, Stage] = {}
    stage = None
    for line in logical:
        instruction, _, args = line.strip().partition(" ")
        if instruction.upper() == "FROM":
            m = re.fullmatch(r"(\S+)\s+AS\s+(\S+)", args.strip(), flags=re.IGNORECASE)
            assert m, f"every stage is named: FROM {args}"
            stage = stages[m[2]] = Stage(m[2], m[1])
            continue
        assert stage is not None, line
        stage.instructions.append((instruction.upper(), args.strip()))
    return stages


def chain(stages: dict[str, Stage], name: str) -> list[Stage]:
    """The stage and its ancestors within the Dockerfile, oldest first."""
    out = []
    while name in stages:
        out.insert(0, stages[name])
        name = stages[name].parent
    return out


def copied(stages: dict[str, Stage], name: str) -> list[str]:
    """The sources of the build context the image of a target holds (COPY --from excluded)."""
    sources = []
    for stage in chain(stages, name):
        for instruction, args in stage.instructions:
            if instruction == "COPY" and not args.startswith("--from"):
                *srcs, _dest = shlex.split(args)
                sources += [s.rstrip("/") for s in srcs]
    return sources


def last(stages: dict[str, Stage], name: str, instruction: str) -> str | None:
    found = None
    for stage in chain(stages, name):
        for inst, args in stage.instructions:
            if inst == instruction:
                found = args
    return found


def test_dockerfile_base():
    stages = dockerfile_stages()
    assert stages["base"].parent == "python:3.11-slim"
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+", text), "uv must be pinned"
    runs = [args for inst, args in stages["base"].instructions if inst == "RUN"]
    syncs = [r for r in runs if "uv sync" in r]
    assert syncs == ["uv sync --frozen --no-dev --no-install-project"]  # the lock, without the dev group
    assert (ROOT / ".dockerignore").exists()
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {"tests", ".venv", ".env", "var"} <= set(ignored)


def test_the_runtime_dependencies_carry_no_developer_tool():
    """aiosmtpd (the mail catcher's) is in the dev group only: `uv sync --no-dev` leaves it out."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = " ".join(project["project"]["dependencies"])
    for tool in ("aiosmtpd", "pytest", "import-linter", "ruff"):
        assert tool not in runtime
    groups = project["dependency-groups"]
    assert {"include-group": "mailcatcher"} in groups["dev"]
    assert any(d.startswith("aiosmtpd") for d in groups["mailcatcher"])
    out = subprocess.run(["uv", "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
    assert "aiosmtpd" not in out and "import-linter" not in out and "pytest" not in out


@pytest.mark.parametrize("name", SERVICE_TARGETS)
def test_each_service_image_holds_kit_contracts_and_its_own_folder_only(name):
    stages = dockerfile_stages()
    assert name in stages, f"the Dockerfile has no target {name}"
    assert set(copied(stages, name)) == {"pyproject.toml", "uv.lock"} | SHARED | {f"services/{name}"}
    assert last(stages, name, "CMD") == f'["python", "-m", "services.{name}"]'
    user = last(stages, name, "USER")
    assert user and user.split(":")[0] not in {"root", "0"}
    runs = [args for inst, args in stages[name].instructions if inst == "RUN"]
    assert any(f'python -c "import services.{name}.app"' in r for r in runs), \
        "the build imports the service's declaration, so an import of another service fails it"
    assert not any("uv sync" in r for r in runs)  # the base's runtime dependencies, nothing more


def test_the_topology_and_mailcatcher_images():
    stages = dockerfile_stages()
    # the topology step reads every service's declaration: the only image with all of them
    assert set(copied(stages, "topology")) == {"pyproject.toml", "uv.lock"} | SHARED | {"services"}
    assert last(stages, "topology", "CMD") == '["python", "-m", "services.topology", "declare"]'
    # the mail catcher of docker-compose.yml: a developer tool, with its own dependency group
    assert set(copied(stages, "mailcatcher")) == {"pyproject.toml", "uv.lock"} | SHARED | {
        "tools/__init__.py", "tools/mailcatcher.py"}
    assert "uv sync --frozen --no-dev --group mailcatcher --no-install-project" in [
        args for inst, args in stages["mailcatcher"].instructions if inst == "RUN"]
    for name in ("topology", "mailcatcher"):
        user = last(stages, name, "USER")
        assert user and user.split(":")[0] not in {"root", "0"}
    # no image but the mail catcher's carries the tools
    for name in stages:
        if name != "mailcatcher":
            assert not any(src == "tools" or src.startswith("tools/") for src in copied(stages, name)), name


# -- the images, assembled without Docker: what each target copies, and its build-time check ------------
def assemble(name: str, into: Path) -> Path:
    """The image's /app as the target's COPY lines make it (from the build context, minus caches)."""
    app = into / "app"
    app.mkdir()
    for src in copied(dockerfile_stages(), name):
        path = ROOT / src
        if path.is_dir():
            shutil.copytree(path, app / src, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True)
        else:
            (app / src).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, app / src)
    return app


def run_in_image(app: Path, code: str, *args: str) -> subprocess.CompletedProcess:
    """Python with the project's dependencies but only the image's /app on its path: the repository
    (installed editable in the development environment) is taken off sys.path first."""
    prelude = (f"import sys; root = {str(ROOT)!r}; "
               "sys.path[:] = [p for p in sys.path if p.rstrip('/') != root]; ")
    return subprocess.run([sys.executable, "-c", prelude + code, *args], cwd=app, capture_output=True,
                          text=True, timeout=120, check=False, env={"PATH": "/usr/bin:/bin", "HOME": str(app)})


def build_checks(name: str) -> list[str]:
    """The python commands of the target's own RUN lines (compileall aside)."""
    checks = []
    for inst, args in dockerfile_stages()[name].instructions:
        if inst != "RUN":
            continue
        for part in args.split("&&"):
            words = shlex.split(part.replace(">/dev/null", ""))
            if words and words[0] == "python" and words[1:3] != ["-m", "compileall"]:
                checks.append(words)
    return checks


@pytest.mark.parametrize("name", [*SERVICE_TARGETS, "topology", "mailcatcher"])
def test_each_image_passes_its_build_time_check(tmp_path, name):
    """The RUN lines of the target, run against exactly what the image holds: an import of another
    service (or of the tools) fails here as it would fail `docker build`."""
    app = assemble(name, tmp_path)
    checks = build_checks(name)
    assert checks, f"{name}: no build-time check"
    for words in checks:
        if words[1] == "-c":
            result = run_in_image(app, words[2])
        else:
            assert words[1] == "-m", words
            result = run_in_image(app, "import runpy, sys; sys.argv = [sys.argv[0], *sys.argv[1:]]; "
                                       f"runpy.run_module({words[2]!r}, run_name='__main__')", *words[3:])
        assert result.returncode == 0, f"{name}: {' '.join(words)}\n{result.stderr[-3000:]}"


@pytest.mark.parametrize("name", ["auth", "booking", "dossier", "notify", "billing"])
def test_each_service_image_starts_its_outbox_relay(tmp_path, name):
    """What the process needs at start, beyond the import: the relay of a producing service takes the
    subscriptions it waits for (docs/adr/0006) from the registry, built in the service's own image."""
    app = assemble(name, tmp_path)
    result = run_in_image(app, (
        f"from services.{name}.app import service\n"
        "from kit import topology\n"
        "if service.produces:\n"
        "    registry = service.topology if service.topology is not None else topology.portal()\n"
        "    assert registry.queues, 'the relay knows of no queue'\n"))
    assert result.returncode == 0, result.stderr[-3000:]


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


def test_the_local_stack_is_in_development_mode_and_pays_back_to_the_portal(services):
    gateway, billing = services["gateway"]["environment"], services["billing"]["environment"]
    assert str(gateway["PORTAIL_DEVELOPMENT"]) == str(billing["PORTAIL_DEVELOPMENT"]) == "1"
    assert billing["PORTAIL_PUBLIC_URL"] == gateway["PORTAIL_PUBLIC_URL"]


def test_compose_env_writes_random_secrets_once(tmp_path):
    from cryptography.fernet import Fernet

    from tools.devstack import compose_env

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
