"""The kustomize base renders and every Deployment is probed, bounded and non-root, without secrets."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy/k8s/base"
PORTS = {"gateway": 8080, "auth": 8081, "booking": 8082, "dossier": 8083, "notify": 8084, "billing": 8085}
CREDENTIAL_URL = re.compile(r"\w+://[^/\s:@]+:[^/\s@]+@")


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    out = subprocess.run(
        ["kubectl", "kustomize", str(BASE)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def _by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_rendered_objects(docs):
    assert all(d["metadata"].get("namespace") == "portail-famille" for d in docs if d["kind"] != "Namespace")
    assert "portail-famille" in _by_kind(docs, "Namespace")
    assert "portail-config" in _by_kind(docs, "ConfigMap")
    assert not _by_kind(docs, "Secret"), "secrets must not be committed in the base"
    assert set(_by_kind(docs, "Deployment")) == set(PORTS)
    services = _by_kind(docs, "Service")
    assert {name: svc["spec"]["ports"][0]["port"] for name, svc in services.items()} == PORTS


@pytest.mark.parametrize("name", PORTS)
def test_deployment(docs, name):
    pod = _by_kind(docs, "Deployment")[name]["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 30
    assert pod["securityContext"]["runAsNonRoot"] is True
    (c,) = pod["containers"]
    assert c["image"] == "portail-famille:latest"
    assert c["command"] == ["python", "-m", f"services.{name}"]
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"cpu", "memory"} <= set(c["resources"]["limits"])
    assert {"cpu", "memory"} <= set(c["resources"]["requests"])
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    refs = {ref[k]["name"] for ref in c["envFrom"] for k in ref}
    assert refs == {"portail-config", "portail-secrets"}

    env = {e["name"]: e for e in c["env"]}
    assert env["PORTAIL_HTTP_PORT"]["value"] == str(PORTS[name])
    if name == "gateway":
        assert "PORTAIL_DATABASE_URL" not in env
    else:
        ref = env["PORTAIL_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "portail-secrets", "key": f"PORTAIL_DATABASE_URL_{name.upper()}"}
    for e in c["env"]:
        value = str(e.get("value", ""))
        assert "password" not in value.lower() and not CREDENTIAL_URL.search(value), e["name"]


def test_no_literal_secrets_in_config(docs):
    for key, value in _by_kind(docs, "ConfigMap")["portail-config"]["data"].items():
        assert "PASSWORD" not in key and "SECRET" not in key
        assert not CREDENTIAL_URL.search(value), key


def test_secret_keys_documented(docs):
    documented = {
        line.split("=", 1)[0]
        for line in (BASE / "secrets.example.env").read_text().splitlines()
        if line and not line.startswith("#")
    }
    used = {
        e["valueFrom"]["secretKeyRef"]["key"]
        for d in _by_kind(docs, "Deployment").values()
        for e in d["spec"]["template"]["spec"]["containers"][0].get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert used <= documented
    assert {"PORTAIL_IDENTITY_SECRET", "PORTAIL_AMQP_URL"} <= documented
