"""The kustomize base and every overlay render, validate against the Kubernetes schemas (offline, with
kubernetes-validate's bundled schemas) and keep their promises: probed, bounded, non-root pods; no
secret in the manifests; each container reads only its own database secret; scheduled commands;
network policies; autoscaling per overlay."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy/k8s"
BASE = K8S / "base"
OVERLAYS = {"base": BASE, "small-commune": K8S / "overlays/small-commune",
            "large-collectivite": K8S / "overlays/large-collectivite"}
KUBERNETES_VERSION = "1.30"
NAMESPACE = "portail-famille"
SECRET = "portail-secrets"
PORTS = {"gateway": 8080, "auth": 8081, "booking": 8082, "dossier": 8083, "notify": 8084, "billing": 8085}
DB_SERVICES = [name for name in PORTS if name != "gateway"]
CREDENTIAL_URL = re.compile(r"\w+://[^/\s:@]+:[^/\s@]+@")
SECRET_WORDS = ("password", "secret", "passwd", "token")
TOPOLOGY_JOB = "bus-topology"
CRONJOBS = {
    "booking-transmit": (["python", "-m", "services.booking", "transmit"], "0 1 * * *"),
    "notify-digest": (["python", "-m", "services.notify", "digest"], "0 7 * * *"),
    "billing-issue-invoices": (["python", "-m", "services.billing", "issue-invoices"], "0 6 2 * *"),
    "billing-reconcile-payments": (["python", "-m", "services.billing", "reconcile-payments"], "*/15 * * * *"),
    "booking-reminders": (["python", "-m", "services.booking", "reminders"], "0 8 * * *"),  # issue 19
    "dossier-reminders": (["python", "-m", "services.dossier", "reminders"], "15 8 * * *"),  # issue 19
}


def _render(path: Path) -> list[dict]:
    out = subprocess.run(["kubectl", "kustomize", str(path)], capture_output=True, text=True, timeout=60,
                         check=False)
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl est introuvable : il est fourni sur les machines du projet (et par .ci/run)")
    return {name: _render(path) for name, path in OVERLAYS.items()}


@pytest.fixture(scope="module", params=list(OVERLAYS))
def docs(request, rendered) -> list[dict]:
    return rendered[request.param]


def _by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _pod_specs(docs):
    """(owner, pod spec) of every workload: Deployments, Jobs and CronJobs."""
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            yield f'{d["kind"]}/{d["metadata"]["name"]}', d["spec"]["template"]["spec"]
        elif d["kind"] == "CronJob":
            yield f'CronJob/{d["metadata"]["name"]}', d["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def _service_of(pod) -> str:
    (c,) = pod["containers"]
    return c["command"][2].removeprefix("services.")


# -- schemas --------------------------------------------------------------------------------------


def test_every_document_validates_against_the_kubernetes_schemas(docs):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    for d in docs:
        try:
            kubernetes_validate.validate(d, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:  # pragma: no cover - the message is the point
            pytest.fail(f'{d["kind"]}/{d["metadata"]["name"]}: {exc.message}')


def test_the_validator_rejects_an_unknown_field():
    """The schemas are really applied (strict: unknown fields are errors), offline."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
           "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "x", "imagee": "y"}]}}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


# -- what is rendered -----------------------------------------------------------------------------


def test_rendered_objects(docs):
    assert all(d["metadata"].get("namespace") == NAMESPACE for d in docs if d["kind"] != "Namespace")
    assert NAMESPACE in _by_kind(docs, "Namespace")
    assert "portail-config" in _by_kind(docs, "ConfigMap")
    assert not _by_kind(docs, "Secret"), "secrets must never be part of the manifests"
    assert set(_by_kind(docs, "Deployment")) == set(PORTS)
    services = _by_kind(docs, "Service")
    assert {name: svc["spec"]["ports"][0]["port"] for name, svc in services.items()} == PORTS
    assert set(_by_kind(docs, "PodDisruptionBudget")) == set(PORTS)
    assert set(_by_kind(docs, "Job")) == {f"{name}-migrate" for name in DB_SERVICES} | {TOPOLOGY_JOB}
    assert set(_by_kind(docs, "CronJob")) == set(CRONJOBS)


def test_services_select_only_server_pods(docs):
    """Job and CronJob pods carry the service's name too: a Service must not route to them."""
    deployments = _by_kind(docs, "Deployment")
    for name, svc in _by_kind(docs, "Service").items():
        selector = svc["spec"]["selector"]
        assert selector.get("app.kubernetes.io/component") == "server"
        assert selector.items() <= deployments[name]["spec"]["template"]["metadata"]["labels"].items()
    for owner, pod in _pod_specs(docs):
        if not owner.startswith("Deployment/"):
            assert pod["restartPolicy"] == "Never"
    for d in docs:
        if d["kind"] == "Job":
            assert d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == \
                ("topology" if d["metadata"]["name"] == TOPOLOGY_JOB else "migration")
        if d["kind"] == "CronJob":
            labels = d["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
            assert labels["app.kubernetes.io/component"] == "cronjob"


@pytest.mark.parametrize("name", PORTS)
def test_deployment(rendered, name):
    for overlay, docs in rendered.items():
        deployment = _by_kind(docs, "Deployment")[name]
        pod = deployment["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] >= 30, overlay
        (c,) = pod["containers"]
        assert c["image"].startswith(f"portail-famille/{name}:")  # its own image (docs/adr/0007)
        assert c["command"] == ["python", "-m", f"services.{name}"]
        assert c["ports"] == [{"name": "http", "containerPort": PORTS[name], "protocol": "TCP"}]
        assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
        # endpoints drain before SIGTERM, within the grace period
        sleep = c["lifecycle"]["preStop"]["exec"]["command"]
        assert sleep[0] == "sleep" and 2 <= int(sleep[1]) < pod["terminationGracePeriodSeconds"]
        env = {e["name"]: e for e in c["env"]}
        assert env["PORTAIL_HTTP_PORT"]["value"] == str(PORTS[name])
        if name == "notify":
            assert env["PORTAIL_DIGEST_SCHEDULER"]["value"] == "false"  # the CronJob runs the digest
        if name == "dossier":
            assert env["PORTAIL_DOCUMENTS_DIR"]["value"] == "/data/documents"
            mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
            volumes = {v["name"]: v for v in pod["volumes"]}
            claim = volumes[mounts["/data/documents"]]["persistentVolumeClaim"]["claimName"]
            assert claim in _by_kind(docs, "PersistentVolumeClaim")
            assert deployment["spec"]["strategy"]["type"] == "Recreate"  # ReadWriteOnce volume
        if name == "gateway":
            assert env["PORTAIL_TRUSTED_PROXIES"]["value"]  # X-Forwarded-For from the ingress controller only


def test_every_workload_runs_the_image_of_its_command(docs):
    """One image per service (docs/adr/0007): each pod runs the image of the service its command starts,
    built from the Dockerfile target of that name; the kustomization lists them all."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile, flags=re.MULTILINE))
    for owner, pod in _pod_specs(docs):
        (c,) = pod["containers"]
        name = _service_of(pod)
        repository, _, tag = c["image"].rpartition(":")
        assert repository == f"portail-famille/{name}" and tag, owner
        assert name in targets, f"{owner}: no Dockerfile target {name}"
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text(encoding="utf-8"))
    assert {i["name"] for i in kustomization["images"]} == {f"portail-famille/{n}" for n in [*PORTS, "topology"]}


def test_every_pod_is_bounded_and_unprivileged(docs):
    for owner, pod in _pod_specs(docs):
        assert pod["automountServiceAccountToken"] is False, owner
        psc = pod["securityContext"]
        assert psc["runAsNonRoot"] is True and isinstance(psc["runAsUser"], int) and psc["runAsUser"] > 0, owner
        assert psc["seccompProfile"]["type"] == "RuntimeDefault", owner
        volumes = {v["name"]: v for v in pod["volumes"]}
        for c in pod["containers"]:
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]), owner
            assert {"cpu", "memory"} <= set(c["resources"]["limits"]), owner
            sc = c["securityContext"]
            assert sc["runAsNonRoot"] is True, owner
            assert sc["readOnlyRootFilesystem"] is True, owner
            assert sc["allowPrivilegeEscalation"] is False, owner
            assert sc["capabilities"]["drop"] == ["ALL"] and "add" not in sc["capabilities"], owner
            tmp = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}["/tmp"]
            assert "emptyDir" in volumes[tmp], owner


# -- secrets ----------------------------------------------------------------------------------------


def _walk(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, node


def test_no_literal_secret_anywhere(docs):
    for d in docs:
        for path, value in _walk(d):
            if isinstance(value, str):
                assert not CREDENTIAL_URL.search(value), f'{d["kind"]}/{d["metadata"]["name"]}{path}'
    for owner, pod in _pod_specs(docs):
        for c in pod["containers"]:
            for ref in c.get("envFrom", []):
                assert "secretRef" not in ref, f"{owner}: the whole Secret must not be exposed (envFrom)"
            for e in c.get("env", []):
                if "value" in e:
                    lowered = (e["name"] + "=" + str(e["value"])).lower()
                    assert not any(w in lowered for w in SECRET_WORDS), f'{owner}: {e["name"]}'
    for key, value in _by_kind(docs, "ConfigMap")["portail-config"]["data"].items():
        assert not any(w in key.lower() for w in SECRET_WORDS), key
        assert not any(w in value.lower() for w in ("password", "secret")), key


def _secret_keys(container) -> set[str]:
    keys = set()
    for e in container.get("env", []):
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            assert ref["name"] == SECRET
            keys.add(ref["key"])
    return keys


def test_each_container_reads_only_its_own_database_secret(docs):
    for owner, pod in _pod_specs(docs):
        (c,) = pod["containers"]
        service = _service_of(pod)
        keys = _secret_keys(c)
        database_keys = {k for k in keys if k.startswith("PORTAIL_DATABASE_URL")}
        if service == "gateway":
            assert database_keys == set(), owner
            assert keys == {"PORTAIL_IDENTITY_SECRET", "PORTAIL_METRICS_TOKEN"}, owner  # both required
        elif service == "topology":
            assert keys == {"PORTAIL_AMQP_URL"}, owner  # RabbitMQ only: no database, no other secret
        else:
            assert database_keys == {f"PORTAIL_DATABASE_URL_{service.upper()}"}, owner
            env = {e["name"]: e for e in c["env"]}
            assert env["PORTAIL_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == \
                f"PORTAIL_DATABASE_URL_{service.upper()}"
        smtp = {k for k in keys if "SMTP" in k}
        assert not smtp or service == "notify", owner
        assert "PORTAIL_PAYMENT_PROVIDER_SECRET" not in keys or service == "billing", owner
        assert not {k for k in keys if "DOSSIER_KEY" in k or "DOSSIER_OLD_KEYS" in k} or service == "dossier", owner
        if service == "dossier":
            assert "PORTAIL_DOSSIER_KEY" in keys, owner  # required by DossierSettings, migrations included
        if service == "billing":
            assert "PORTAIL_PAYMENT_PROVIDER_SECRET" in keys, owner  # required by BillingSettings, no default
        assert "PORTAIL_METRICS_TOKEN" not in keys or service == "gateway", owner


def test_development_mode_is_never_switched_on(docs):
    """Development mode (eopayment's dummy payment backend) is for development only: no manifest turns it on."""
    for d in docs:
        for path, value in _walk(d):
            assert "PORTAIL_DEVELOPMENT" not in str(value), f'{d["kind"]}/{d["metadata"]["name"]}{path}'
    assert "PORTAIL_DEVELOPMENT" not in _by_kind(docs, "ConfigMap")["portail-config"]["data"]


def test_secret_keys_documented(docs):
    documented = {
        line.split("=", 1)[0]
        for line in (BASE / "secrets.example.env").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    used = {k for _, pod in _pod_specs(docs) for c in pod["containers"] for k in _secret_keys(c)}
    assert used <= documented
    assert {"PORTAIL_IDENTITY_SECRET", "PORTAIL_AMQP_URL", "PORTAIL_METRICS_TOKEN",
            "PORTAIL_PAYMENT_PROVIDER_SECRET", "PORTAIL_DOSSIER_KEY"} <= documented
    assert {f"PORTAIL_DATABASE_URL_{name.upper()}" for name in DB_SERVICES} <= documented


# -- jobs -------------------------------------------------------------------------------------------


def test_migration_jobs(docs):
    for name in DB_SERVICES:
        job = _by_kind(docs, "Job")[f"{name}-migrate"]
        (c,) = job["spec"]["template"]["spec"]["containers"]
        assert c["command"] == ["python", "-m", f"services.{name}", "migrate"]
        assert c["image"].startswith(f"portail-famille/{name}:")
        assert job["spec"]["ttlSecondsAfterFinished"] > 0


def test_topology_job_declares_the_bus_before_traffic(docs):
    """docs/adr/0006: a Job declares every queue of every subscriber (the services' and the external
    ones of portail-config) before the services publish; it reaches RabbitMQ and nothing else."""
    job = _by_kind(docs, "Job")[TOPOLOGY_JOB]
    pod = job["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["command"] == ["python", "-m", "services.topology", "declare"]
    assert c["image"].startswith("portail-famille/topology:")  # the only image with every service
    assert {"configMapRef": {"name": "portail-config"}} in c["envFrom"]
    assert job["spec"]["ttlSecondsAfterFinished"] > 0 and job["spec"]["backoffLimit"] > 0
    assert pod["restartPolicy"] == "Never"
    labels = job["spec"]["template"]["metadata"]["labels"]
    egress = [p for p in _by_kind(docs, "NetworkPolicy").values()
              if p["spec"]["podSelector"] != {} and _selects(p["spec"]["podSelector"], labels)]
    ports = {port["port"] for p in egress for rule in p["spec"].get("egress", []) for port in rule["ports"]}
    assert ports == {5672, 5671}
    assert not any("ingress" in p["spec"] for p in egress)


def test_external_subscribers_in_the_configmap_are_valid(docs):
    """Every process reads PORTAIL_TOPOLOGY_SUBSCRIBERS (envFrom portail-config): the Job declares
    those queues, each relay holds events for them. The document must be a valid registry."""
    from contracts.registry import MESSAGES
    from kit import topology

    data = _by_kind(docs, "ConfigMap")["portail-config"]["data"]
    registry = topology.parse_external(data["PORTAIL_TOPOLOGY_SUBSCRIBERS"],
                                       topology.public_routing_keys(MESSAGES), source="portail-config")
    assert all(q.external for q in registry.queues)
    for name in DB_SERVICES:
        deployment = _by_kind(docs, "Deployment")[name]
        (c,) = deployment["spec"]["template"]["spec"]["containers"]
        assert {"configMapRef": {"name": "portail-config"}} in c["envFrom"], name


def test_cronjobs(docs):
    cronjobs = _by_kind(docs, "CronJob")
    for name, (command, schedule) in CRONJOBS.items():
        cj = cronjobs[name]["spec"]
        (c,) = cj["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        assert c["command"] == command, name
        assert c["image"].startswith(f"portail-famille/{_service_of(cj['jobTemplate']['spec']['template']['spec'])}:")
        assert cj["schedule"] == schedule, name
        assert cj["timeZone"] == "Europe/Paris", name
        assert cj["concurrencyPolicy"] == "Forbid", name
        assert cj["jobTemplate"]["spec"]["ttlSecondsAfterFinished"] > 0, name


# -- network, ingress, scaling ----------------------------------------------------------------------


def test_network_policies(docs):
    policies = _by_kind(docs, "NetworkPolicy")
    deny = [p for p in policies.values() if p["spec"]["podSelector"] == {} and "ingress" not in p["spec"]
            and "Ingress" in p["spec"]["policyTypes"]]
    assert deny, "a default deny ingress policy is required"

    def ingress_to(name):
        """The ingress rules of the non-default policies selecting the Deployment's pods, except the
        monitoring namespace's (checked by test_only_monitoring_scrapes_metrics)."""
        labels = _by_kind(docs, "Deployment")[name]["spec"]["template"]["metadata"]["labels"]
        return [rule for p in policies.values()
                if _selects(p["spec"]["podSelector"], labels) and p["spec"]["podSelector"] != {}
                for rule in p["spec"].get("ingress", []) if not _from_monitoring(rule)]

    gateway_rules = ingress_to("gateway")
    assert gateway_rules and all("namespaceSelector" in peer for r in gateway_rules for peer in r["from"])
    for name in DB_SERVICES:
        rules = ingress_to(name)
        assert rules, name
        for rule in rules:
            assert rule["ports"] == [{"protocol": "TCP", "port": PORTS[name]}], name
            assert [peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for peer in rule["from"]] \
                == ["gateway"], name

    def egress_ports(name):
        ports = set()
        for p in policies.values():
            selector = p["spec"]["podSelector"]
            selected = selector == {} or name in selector.get("matchLabels", {}).values() or any(
                name in e["values"] for e in selector.get("matchExpressions", []))
            if selected:
                ports |= {port["port"] for rule in p["spec"].get("egress", []) for port in rule.get("ports", [])}
        return ports

    for name in DB_SERVICES:
        assert {5432, 5672} <= egress_ports(name), name
    assert {25, 465, 587} & egress_ports("notify")
    assert 5432 not in egress_ports("gateway")


def test_ingress(docs):
    ingresses = _by_kind(docs, "Ingress")
    assert set(ingresses) == {"portail-famille", REFUSING_INGRESS}
    for ingress in ingresses.values():
        assert ingress["spec"]["tls"] and ingress["spec"]["tls"][0]["secretName"]
        backends = {p["backend"]["service"]["name"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
        assert backends == {"gateway"}


# -- /metrics: never public, scraped from the monitoring namespace only ------------------------------
REFUSING_INGRESS = "portail-famille-metrics-refused"
MONITORING = "monitoring"


def _selects(selector: dict, labels: dict) -> bool:
    """A label selector (matchLabels and matchExpressions) against a pod's labels."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for e in selector.get("matchExpressions", []):
        present = e["key"] in labels
        ok = {"In": present and labels.get(e["key"]) in e.get("values", []),
              "NotIn": not present or labels.get(e["key"]) not in e.get("values", []),
              "Exists": present, "DoesNotExist": not present}[e["operator"]]
        if not ok:
            return False
    return True


def _from_monitoring(rule: dict) -> bool:
    return any(peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
               == MONITORING for peer in rule.get("from", []))


def _route(ingresses: dict, host: str, path: str) -> tuple[str, dict] | None:
    """The Ingress and path an ingress controller picks for `path` on `host`: an Exact match first,
    then the longest Prefix match (by path elements), as the Ingress specification says."""
    candidates = []
    for name, ingress in ingresses.items():
        for rule in ingress["spec"]["rules"]:
            if rule.get("host") not in (None, host):
                continue
            for p in rule["http"]["paths"]:
                prefix = p["path"].rstrip("/")
                if p["pathType"] == "Exact" and p["path"] == path:
                    candidates.append((2, len(p["path"]), name, ingress))
                elif p["pathType"] in ("Prefix", "ImplementationSpecific") and (
                        prefix == "" or path == prefix or path.startswith(prefix + "/")):
                    candidates.append((1, len(prefix), name, ingress))
    if not candidates:
        return None
    _kind, _length, name, ingress = max(candidates, key=lambda c: (c[0], c[1]))
    return name, ingress


def test_public_ingress_never_routes_metrics(docs):
    ingresses = _by_kind(docs, "Ingress")
    hosts = {rule["host"] for ingress in ingresses.values() for rule in ingress["spec"]["rules"]}
    assert hosts
    for host in hosts:
        for path in ("/", "/connexion", "/api/v1/structures", "/static/portail.css"):
            assert _route(ingresses, host, path)[0] == "portail-famille", (host, path)
        for path in ("/metrics", "/metrics/", "/metrics/x"):
            name, ingress = _route(ingresses, host, path)
            assert name == REFUSING_INGRESS, (host, path, name)
            annotations = ingress["metadata"].get("annotations", {})
            # ingress-nginx: only the controller's own loopback may pass, i.e. nobody from outside
            for key in ("nginx.ingress.kubernetes.io/whitelist-source-range",
                        "nginx.ingress.kubernetes.io/allowlist-source-range"):
                assert annotations.get(key) == "127.0.0.1/32", (key, annotations)
    refusing = ingresses[REFUSING_INGRESS]
    assert [p["path"] for r in refusing["spec"]["rules"] for p in r["http"]["paths"]] == ["/metrics"] * len(hosts)
    # the public Ingress has no path of its own for /metrics
    public_paths = [p["path"] for r in ingresses["portail-famille"]["spec"]["rules"] for p in r["http"]["paths"]]
    assert not any(p.startswith("/metrics") for p in public_paths)


def test_only_monitoring_scrapes_metrics(docs):
    """Every server pod lets the monitoring namespace's Prometheus reach its HTTP port (where /metrics
    is); nothing else from outside the namespace reaches a pod but the ingress controller, to the
    gateway only."""
    policies = _by_kind(docs, "NetworkPolicy")
    deployments = _by_kind(docs, "Deployment")
    for name, port in PORTS.items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        rules = [rule for p in policies.values() if _selects(p["spec"]["podSelector"], labels)
                 for rule in p["spec"].get("ingress", [])]
        scrape = [rule for rule in rules if _from_monitoring(rule)]
        assert scrape and any({"protocol": "TCP", "port": port} in rule["ports"] for rule in scrape), name
        for rule in rules:
            assert rule.get("from"), f"{name}: an ingress rule without 'from' lets everyone in"
            for peer in rule["from"]:
                assert "ipBlock" not in peer, name
                namespace = peer.get("namespaceSelector")
                if namespace is None:  # a pod of this namespace: only the gateway, to a service
                    assert peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "gateway", name
                    continue
                where = namespace.get("matchLabels", {}).get("kubernetes.io/metadata.name")
                assert where in (MONITORING, "ingress-nginx"), (name, namespace)
                if where == "ingress-nginx":
                    assert name == "gateway", f"the ingress controller reaches {name}"
                else:  # Prometheus pods only, and only HTTP ports
                    assert peer.get("podSelector", {}).get("matchLabels"), name
                    assert {p["port"] for p in rule["ports"]} <= set(PORTS.values()), name



def test_documents_volume(docs):
    pvc = _by_kind(docs, "PersistentVolumeClaim")["dossier-documents"]
    assert pvc["spec"]["resources"]["requests"]["storage"]


@pytest.mark.parametrize(("overlay", "low", "high"), [("small-commune", 1, 2), ("large-collectivite", 3, 10)])
def test_overlay_autoscaling(rendered, overlay, low, high):
    hpas = _by_kind(rendered[overlay], "HorizontalPodAutoscaler")
    assert set(hpas) == {"gateway", "booking"}
    for name, hpa in hpas.items():
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (low, high)
        # the HPA owns the replica count
        assert "replicas" not in _by_kind(rendered[overlay], "Deployment")[name]["spec"]


def _memory_mi(quantity: str) -> float:
    units = {"Mi": 1, "Gi": 1024, "Ki": 1 / 1024}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return float(quantity[: -len(suffix)]) * factor
    return float(quantity) / 2**20


def test_overlay_sizes(rendered):
    small = _by_kind(rendered["small-commune"], "Deployment")
    large = _by_kind(rendered["large-collectivite"], "Deployment")
    for name in PORTS:
        if name not in ("gateway", "booking"):
            assert small[name]["spec"]["replicas"] == 1, name
        small_mem = small[name]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
        large_mem = large[name]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
        assert _memory_mi(small_mem) < _memory_mi(large_mem), name
    assert large["notify"]["spec"]["replicas"] == 2
    assert large["dossier"]["spec"]["replicas"] == 1  # ReadWriteOnce documents volume
