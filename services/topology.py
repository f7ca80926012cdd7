"""The topology step's command: the portal's bus topology — every subscription of every service
(contracts/subscriptions.py, equal to their `Subscription`s in services/<name>/app.py) plus the other municipal systems declared in configuration, declared on
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
import os
import sys

from contracts.subscriptions import SUBSCRIPTIONS
from kit import topology
from kit.topology import (  # noqa: F401 - the registry's assembly, re-exported for the command and its tests
    DEFAULT_DELIVERY_LIMIT,
    DEFAULT_EXTERNAL,
    Topology,
    TopologyError,
    TopologySettings,
    configured_externals,
    external_file,
    external_topology,
    portal_topology,
    services_topology,
)

SERVICES = tuple(SUBSCRIPTIONS)


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
