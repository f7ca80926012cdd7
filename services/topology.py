"""The portal's bus topology: every subscription of every service (their `Subscription`s in
services/<name>/app.py) plus the other municipal systems declared in configuration, declared on
RabbitMQ before any service publishes (docs/adr/0006-topology-before-traffic.md).

    uv run python -m services.topology declare   declare everything (idempotent), then list it
    uv run python -m services.topology show      list the registry, without a broker

Environment:
  PORTAIL_AMQP_URL            RabbitMQ (required by `declare`)
  PORTAIL_BUS_DELIVERY_LIMIT  the queues' x-delivery-limit, as the services read it (5)
  PORTAIL_TOPOLOGY_SUBSCRIBERS  the external subscribers themselves, a YAML document (on Kubernetes,
                              in the ConfigMap portail-config, so every service's relay knows them too)
  PORTAIL_TOPOLOGY_EXTERNAL   otherwise, a file of them; default deploy/topology/external-subscribers.yaml
                              when it exists (the development one); empty: none

`make run` runs `declare` before starting the services; on Kubernetes it is the Job `bus-topology`
(deploy/k8s/base/topology.yaml). Each service still declares its own part at start.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.registry import MESSAGES
from kit import topology
from kit.topology import Topology, TopologyError

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("auth", "booking", "dossier", "notify", "billing")
DEFAULT_EXTERNAL = ROOT / "deploy" / "topology" / "external-subscribers.yaml"
DEFAULT_DELIVERY_LIMIT = 5


class TopologySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAIL_", extra="ignore")

    amqp_url: str | None = Field(default=None, min_length=1)
    bus_delivery_limit: int = Field(default=DEFAULT_DELIVERY_LIMIT, ge=1, le=100)
    topology_external: str | None = None
    topology_subscribers: str | None = None


def external_file(setting: str | None) -> Path | None:
    """The configured file; by default the repository's one when it exists; "" for none."""
    if setting is not None:
        return Path(setting) if setting.strip() else None
    return DEFAULT_EXTERNAL if DEFAULT_EXTERNAL.is_file() else None


def services_topology(delivery_limit: int = DEFAULT_DELIVERY_LIMIT) -> Topology:
    """Every service's subscriptions, from the services' own declarations."""
    result = Topology()
    for name in SERVICES:
        service = importlib.import_module(f"services.{name}.app").service
        result += topology.service_part(service.name, [s.message for s in service.subscriptions], delivery_limit)
    return result


def external_topology(path: Path | None) -> Topology:
    if path is None:
        return Topology()
    return topology.load_external(path, topology.public_routing_keys(MESSAGES))


def configured_externals(settings: TopologySettings, file: str | None = None) -> tuple[Topology, str]:
    """The external subscribers and where they come from: `--external FILE`, else the inline
    PORTAIL_TOPOLOGY_SUBSCRIBERS, else the file of PORTAIL_TOPOLOGY_EXTERNAL or the default one."""
    if file is None and settings.topology_subscribers is not None:
        source = "PORTAIL_TOPOLOGY_SUBSCRIBERS"
        return topology.parse_external(settings.topology_subscribers, topology.public_routing_keys(MESSAGES),
                                       source=source), source
    path = external_file(file if file is not None else settings.topology_external)
    return external_topology(path), str(path) if path else "aucun"


def portal_topology(delivery_limit: int | None = None) -> Topology:
    """The whole registry, as the environment says: the services', then the external subscribers'
    (what the topology step declares and what a service's relay loads)."""
    settings = TopologySettings()
    limit = delivery_limit if delivery_limit is not None else settings.bus_delivery_limit
    return services_topology(limit) + configured_externals(settings)[0]


def describe(registry: Topology) -> list[str]:
    lines = []
    for name in registry.subscribers:
        part = registry.part(name)
        kind = "système externe" if part.queues[0].external else "service du portail"
        lines.append(f"{name} ({kind}) :")
        for q in part.queues:
            keys = ", ".join(f"{b.exchange} {b.routing_key}" for b in q.bindings)
            extra = f", lettres mortes {q.dead_letter.name}" if q.dead_letter else ""
            held = "" if q.required else ", non bloquant"
            lines.append(f"  {q.name} ← {keys}{extra}{held}")
    return lines


async def declare(amqp_url: str, registry: Topology) -> list[str]:
    from kit.bus import connect

    connection = await connect(amqp_url)
    try:
        return await topology.declare(connection, registry)
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.topology",
                                     description="Topologie du bus : déclare tous les échanges, files, "
                                                 "liaisons et files de lettres mortes.")
    parser.add_argument("command", choices=("declare", "show"))
    parser.add_argument("--external", help="fichier des abonnés externes (YAML) ; vide : aucun")
    args = parser.parse_args(argv)

    import aio_pika

    from kit.errors import DependencyUnavailable
    from kit.settings import SettingsError, load_settings

    try:
        settings = load_settings(TopologySettings)
    except SettingsError:
        return 2
    try:
        externals, origin = configured_externals(settings, args.external)
        registry = services_topology(settings.bus_delivery_limit) + externals
    except TopologyError as exc:
        print(f"Topologie invalide : {exc}", file=sys.stderr)
        return 2
    source = f" (abonnés externes : {origin})"
    if args.command == "show":
        print(f"Topologie du bus{source} :")
        print("\n".join(describe(registry)))
        return 0
    if not settings.amqp_url:
        print("Configuration invalide :\n  PORTAIL_AMQP_URL : obligatoire pour déclarer la topologie",
              file=sys.stderr)
        return 2
    try:
        done = asyncio.run(declare(settings.amqp_url, registry))
    except DependencyUnavailable as exc:
        print(f"\n{exc}\n", file=sys.stderr)
        return 3
    except (aio_pika.exceptions.AMQPError, OSError, TimeoutError) as exc:
        # PRECONDITION_FAILED (a queue exists with other arguments), ACCESS_REFUSED (permissions)...
        print(f"Topologie non déclarée : RabbitMQ a refusé : {exc}", file=sys.stderr)
        return 1
    print(f"Topologie du bus déclarée{source} : {len(registry.queues)} files pour "
          f"{len(registry.subscribers)} abonnés.")
    for line in done:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
